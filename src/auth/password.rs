//! Password hashing with argon2id (the `argon2` crate's defaults: m=19 MiB, t=2, p=1, the OWASP
//! minimum). Hashing is CPU-bound, so callers run it on the blocking pool.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use secrecy::{ExposeSecret, SecretString};

pub fn hash(password: &SecretString) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let hash = Argon2::default()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))?;
    Ok(hash.to_string())
}

pub fn verify(password: &SecretString, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.expose_secret().as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A valid hash of a random password, verified against when the username is unknown so that
/// an unknown user costs the same time as a wrong password (no username probing by timing).
pub fn decoy_hash() -> &'static str {
    use std::sync::OnceLock;
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        let random = uuid::Uuid::new_v4().to_string();
        hash(&SecretString::from(random)).unwrap_or_default()
    })
}

pub async fn hash_blocking(password: SecretString) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash(&password)).await?
}

pub async fn verify_blocking(password: SecretString, stored: String) -> bool {
    tokio::task::spawn_blocking(move || verify(&password, &stored))
        .await
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let password = SecretString::from("correct horse battery");
        let stored = hash(&password).unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify(&password, &stored));
        assert!(!verify(&SecretString::from("wrong horse battery"), &stored));
        assert!(!verify(&password, "not a hash"));
    }
}
