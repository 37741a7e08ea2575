//! Keys that development generates for itself: made once, kept in a file beside the database
//! with owner-only permissions, so a first run needs no set-up and restarts keep working
//! (tokens stay valid, sealed payer secrets still open). Production configures its keys.

use std::io::ErrorKind;
use std::path::Path;

use anyhow::Context;
use base64::Engine;
use secrecy::SecretString;

/// The key kept at `path` (its text, trimmed), or a new one of `bytes` random bytes, written
/// there as standard base64. An existing file is never replaced: for the secrets key that would
/// make every sealed value unreadable. Only an empty one, which holds no key, is filled.
pub fn development_key(path: &Path, bytes: usize) -> anyhow::Result<SecretString> {
    match std::fs::read_to_string(path) {
        Ok(existing) if !existing.trim().is_empty() => {
            return Ok(SecretString::from(existing.trim()));
        }
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    }
    let mut random = vec![0u8; bytes];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut random);
    let key = base64::engine::general_purpose::STANDARD.encode(&random);
    secrecy::zeroize::Zeroize::zeroize(&mut random);
    write_private(path, &key).with_context(|| format!("writing {}", path.display()))?;
    Ok(SecretString::from(key))
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn a_key_is_generated_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("perdiem.db.secrets-key");
        let first = development_key(&path, 32).unwrap();
        let second = development_key(&path, 32).unwrap();
        assert_eq!(first.expose_secret(), second.expose_secret());
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(first.expose_secret())
            .unwrap();
        assert_eq!(decoded.len(), 32);
    }

    #[cfg(unix)]
    #[test]
    fn only_the_owner_can_read_a_generated_key() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("perdiem.jwt-key");
        development_key(&path, 64).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn an_existing_key_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("perdiem.db.secrets-key");
        std::fs::write(&path, "not what would be generated\n").unwrap();
        let kept = development_key(&path, 32).unwrap();
        assert_eq!(kept.expose_secret(), "not what would be generated");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "not what would be generated\n"
        );
    }
}
