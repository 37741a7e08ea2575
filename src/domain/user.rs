//! Staff accounts: usernames and the password rule.

use secrecy::SecretString;

use super::patterns::{matching, USERNAME_RE};

/// Lower-case letters, digits, `.`, `_`, `-`; 3–64 characters.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: String) -> Result<Username, String> {
        matching(
            raw,
            &USERNAME_RE,
            "must be 3 to 64 lower-case letters, digits, '.', '_' or '-'",
        )
        .map(Username)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: 12 to 256 characters. Length is what the NIST guidance (SP 800-63B) asks for;
/// composition rules are not.
pub fn parse_password(raw: String) -> Result<SecretString, String> {
    let chars = raw.chars().count();
    if !(12..=256).contains(&chars) {
        return Err("must be 12 to 256 characters".into());
    }
    Ok(SecretString::from(raw))
}
