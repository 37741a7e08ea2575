//! The account check every authenticated request makes (is the account still active, which
//! roles does it hold now, which credentials version), kept for a moment.
//!
//! A change made through this process (`PATCH /api/v1/users/{id}`) forgets the account at once,
//! so here deactivation, role removal and password changes take effect on the next request.
//! A change made elsewhere (another instance, the CLI) takes effect within [`ACCOUNT_CHECK_TTL`].

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::domain::ids::UserId;
use crate::store::users::{self, Access};
use crate::store::{Db, StoreResult};

/// How long an account check is reused. The README promises changes made elsewhere take
/// effect within this bound; keep the two equal.
pub const ACCOUNT_CHECK_TTL: Duration = Duration::from_secs(1);

/// Past this many accounts, stale entries are swept on insert.
const SWEEP_ABOVE: usize = 4_096;

#[derive(Default)]
pub struct AccountCache {
    entries: Mutex<HashMap<Uuid, (Instant, Access)>>,
}

impl AccountCache {
    pub fn new() -> AccountCache {
        AccountCache::default()
    }

    /// The account's access now: from the cache when checked within [`ACCOUNT_CHECK_TTL`],
    /// else from the database (one indexed read). An unknown account is not cached.
    pub async fn access(&self, db: &Db, id: Uuid) -> StoreResult<Option<Access>> {
        if let Some(access) = self.fresh(id, Instant::now()) {
            return Ok(Some(access));
        }
        let checked_at = Instant::now();
        let access = users::access(db, UserId::from_uuid(id)).await?;
        if let Some(access) = &access {
            let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            if entries.len() >= SWEEP_ABOVE {
                entries.retain(|_, (at, _)| at.elapsed() < ACCOUNT_CHECK_TTL);
            }
            entries.insert(id, (checked_at, access.clone()));
        }
        Ok(access)
    }

    /// Drops what is known of the account: its next request reads it again.
    pub fn forget(&self, id: Uuid) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
    }

    fn fresh(&self, id: Uuid, now: Instant) -> Option<Access> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let (at, access) = entries.get(&id)?;
        (now.duration_since(*at) < ACCOUNT_CHECK_TTL).then(|| access.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::role::Role;

    fn cached(cache: &AccountCache, id: Uuid, at: Instant) {
        cache.entries.lock().unwrap().insert(
            id,
            (
                at,
                Access {
                    active: true,
                    roles: vec![Role::Billing],
                    credentials_version: 0,
                },
            ),
        );
    }

    #[test]
    fn a_check_is_reused_only_within_its_lifetime() {
        let cache = AccountCache::new();
        let id = Uuid::now_v7();
        let then = Instant::now();
        cached(&cache, id, then);
        assert!(cache.fresh(id, then + Duration::from_millis(999)).is_some());
        assert!(cache.fresh(id, then + ACCOUNT_CHECK_TTL).is_none());
    }

    #[test]
    fn a_forgotten_account_is_read_again() {
        let cache = AccountCache::new();
        let id = Uuid::now_v7();
        cached(&cache, id, Instant::now());
        cache.forget(id);
        assert!(cache.fresh(id, Instant::now()).is_none());
    }
}
