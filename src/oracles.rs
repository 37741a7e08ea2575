//! Test support: the independent validators in `../shared/oracles` (x12-check, fhir-check).
//!
//! On a developer machine without them installed (`../shared/oracles/setup`) a test that needs
//! one says so and skips that part; under CI (`CI` set) a missing validator fails the test,
//! because there it must run.

use std::path::{Path, PathBuf};

/// The path of the validator script `name` when it and its Python environment are installed.
pub fn script(name: &str) -> Option<PathBuf> {
    let override_var = format!("PERDIEM_{}", name.to_uppercase().replace('-', "_"));
    if let Ok(path) = std::env::var(override_var) {
        return Some(path.into());
    }
    let root = std::env::var("PERDIEM_ORACLES")
        .map(PathBuf::from)
        .or_else(|_| std::env::var("HOME").map(|h| Path::new(&h).join(".cache/perdiem-oracles")))
        .ok();
    let installed = root.is_some_and(|r| r.join("venv/bin/x12valid").exists());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let found = ["../shared/oracles", "../../shared/oracles"]
        .iter()
        .map(|dir| manifest.join(dir).join(name))
        .find(|p| installed && p.exists());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{name} is not installed; run ../shared/oracles/setup"
        );
        eprintln!("{name} or its environment is not installed; skipping the oracle run");
    }
    found
}

/// Runs validator `name` on `contents` written to a temporary file; `None` when it is not
/// installed (see [`script`]). Returns whether it passed, and its report.
pub fn check(name: &str, file_name: &str, contents: &str) -> Option<(bool, String)> {
    let script = script(name)?;
    let dir = std::env::temp_dir().join(format!("perdiem-oracle-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).ok()?;
    let path = dir.join(file_name);
    std::fs::write(&path, contents).ok()?;
    let out = std::process::Command::new(script)
        .arg(&path)
        .output()
        .ok()?;
    std::fs::remove_dir_all(&dir).ok();
    Some((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}
