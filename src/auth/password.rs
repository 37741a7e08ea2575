//! Password hashing with argon2id (the `argon2` crate's defaults: m=19 MiB, t=2, p=1, the OWASP
//! minimum). Hashing is CPU-bound, so callers run it on the blocking pool; the server bounds how
//! many run at once ([`Hashing`]).

use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

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

/// The server's password hashes: at most `at_once` run together, and at most `queue` sign-ins
/// wait for one. Each hash holds 19 MiB while it runs: unbounded, 100 sign-ins at once took the
/// process from 45 MB to 1.9 GB, and hashes beyond the cores only queue for the CPU anyway.
#[derive(Clone)]
pub struct Hashing {
    running: Arc<Semaphore>,
    /// Places for sign-ins running or waiting: `at_once + queue`.
    admitted: Arc<Semaphore>,
}

/// Every place in the sign-in queue is taken.
#[derive(Debug, PartialEq, Eq)]
pub struct Busy;

/// A sign-in's place in the queue; dropping it gives the place up.
pub struct Admitted {
    place: OwnedSemaphorePermit,
    running: Arc<Semaphore>,
}

impl Hashing {
    pub fn new(at_once: usize, queue: usize) -> Hashing {
        let at_once = at_once.max(1);
        Hashing {
            running: Arc::new(Semaphore::new(at_once)),
            admitted: Arc::new(Semaphore::new(at_once.saturating_add(queue))),
        }
    }

    /// A place in the queue, or [`Busy`] at once: a sign-in never waits without a bound.
    pub fn admit(&self) -> Result<Admitted, Busy> {
        let place = Arc::clone(&self.admitted)
            .try_acquire_owned()
            .map_err(|_| Busy)?;
        Ok(Admitted {
            place,
            running: Arc::clone(&self.running),
        })
    }

    /// Hashes a new password once a hash may run, however long that takes: setting a password
    /// is an administrator's rare act, better slow than refused.
    pub async fn hash(&self, password: SecretString) -> anyhow::Result<String> {
        let slot = Arc::clone(&self.running).acquire_owned().await?;
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            hash(&password)
        })
        .await?
    }
}

impl Admitted {
    /// Checks `password` against `stored` once a hash may run, or against a decoy hash when
    /// there is no account: an unknown username costs the same time and memory.
    pub async fn verify(
        self,
        password: SecretString,
        stored: Option<String>,
    ) -> anyhow::Result<bool> {
        let slot = Arc::clone(&self.running).acquire_owned().await?;
        let place = self.place;
        let matches = tokio::task::spawn_blocking(move || {
            // The permits go with the hash, not with the request: a client that hangs up does
            // not free the 19 MiB of a hash still running.
            let _held = (slot, place);
            match &stored {
                Some(stored) => verify(&password, stored),
                None => verify(&password, decoy_hash()),
            }
        })
        .await?;
        Ok(matches)
    }
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

    #[tokio::test]
    async fn sign_ins_beyond_the_hashes_at_once_and_the_queue_are_turned_away() {
        let hashing = Hashing::new(2, 3);
        let places: Vec<Admitted> = (0..5).map(|_| hashing.admit().unwrap()).collect();
        assert_eq!(hashing.admit().err(), Some(Busy));
        drop(places);
        let again: Vec<Admitted> = (0..5).map(|_| hashing.admit().unwrap()).collect();
        assert_eq!(again.len(), 5);
    }

    #[tokio::test]
    async fn a_place_is_held_until_its_check_ends() {
        let hashing = Hashing::new(1, 0);
        let password = SecretString::from("correct horse battery");
        let stored = hash(&password).unwrap();
        let admitted = hashing.admit().unwrap();
        assert_eq!(hashing.admit().err(), Some(Busy));
        assert!(admitted.verify(password, Some(stored)).await.unwrap());
        let unknown = hashing.admit().unwrap();
        let decoy = unknown.verify(SecretString::from("anything at all"), None);
        assert!(!decoy.await.unwrap());
        assert!(hashing.admit().is_ok());
    }
}
