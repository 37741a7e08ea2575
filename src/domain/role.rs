//! Staff roles. A user holds one or more.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Users, payers, settings, the audit log.
    Admin,
    /// Clients, coverages, verifications, estimates.
    Admissions,
    /// Authorizations, attendance, fee schedules, claims; reads clients and coverages.
    Billing,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Admissions, Role::Billing];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Admissions => "admissions",
            Role::Billing => "billing",
        }
    }

    pub fn parse(raw: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == raw)
            .ok_or_else(|| "must be one of admin, admissions, billing".to_string())
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses a non-empty set of roles; duplicates are refused rather than silently merged.
pub fn parse_roles(raw: Vec<String>) -> Result<Vec<Role>, String> {
    if raw.is_empty() {
        return Err("must name at least one role".into());
    }
    let mut roles = Vec::with_capacity(raw.len());
    for name in raw {
        let role = Role::parse(&name)?;
        if roles.contains(&role) {
            return Err(format!("names {role} twice"));
        }
        roles.push(role);
    }
    roles.sort();
    Ok(roles)
}
