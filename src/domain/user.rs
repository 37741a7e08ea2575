//! Staff accounts: usernames and the password rule.

use secrecy::SecretString;

use super::role::Role;

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

/// An admin changing their own account may not lock themself out: the last door back in would
/// be the command line. `active` and `roles` are the changes asked (`None`: left as they are).
pub fn guard_own_account(
    active: Option<bool>,
    roles: Option<&[Role]>,
) -> Result<(), crate::domain::validation::Invalid> {
    let mut own = crate::domain::validation::Fields::new();
    if active == Some(false) {
        own.push("active", "you cannot deactivate your own account");
    }
    if roles.is_some_and(|r| !r.contains(&Role::Admin)) {
        own.push(
            "roles",
            "you cannot remove the admin role from your own account",
        );
    }
    own.finish()
}

#[cfg(test)]
mod own_account_tests {
    use super::*;

    #[test]
    fn an_admin_keeps_their_own_access() {
        assert!(guard_own_account(None, None).is_ok());
        assert!(guard_own_account(Some(true), Some(&[Role::Admin, Role::Billing])).is_ok());
        let refused = guard_own_account(Some(false), Some(&[Role::Billing])).unwrap_err();
        let fields: Vec<&str> = refused.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["active", "roles"]);
    }
}
