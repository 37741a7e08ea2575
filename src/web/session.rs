//! Session tokens and their lifetimes, free of I/O.
//!
//! The cookie carries 32 random bytes (base64url); the database keeps only their SHA-256, so a
//! leaked copy of the sessions table signs nobody in. A session ends after its idle timeout or
//! at its absolute end, whichever comes first; its last-seen time is written at most once a
//! minute, so a busy page costs no write.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The session cookie's name.
pub const COOKIE: &str = "perdiem_session";

/// How stale last-seen may grow before a page view writes it again.
pub const TOUCH_AFTER: Duration = Duration::seconds(60);

/// 32 random bytes, base64url without padding: the cookie's value, or a CSRF token.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keys a session by: the SHA-256 of the cookie's token, in hex.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a cookie value could be one of our tokens, before it costs a query.
pub fn plausible(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The two bounds of a session's life.
#[derive(Debug, Clone, Copy)]
pub struct Lifetime {
    pub idle: Duration,
    pub absolute: Duration,
}

/// What a page view makes of a stored session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Idle too long or past its absolute end: delete it and sign in again.
    Expired,
    /// Valid, and last seen recently enough to leave as it is.
    Fresh,
    /// Valid; write the new last-seen time.
    Touch,
}

pub fn standing(
    lifetime: Lifetime,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Standing {
    if now >= created_at + lifetime.absolute || now >= last_seen_at + lifetime.idle {
        Standing::Expired
    } else if now - last_seen_at >= TOUCH_AFTER {
        Standing::Touch
    } else {
        Standing::Fresh
    }
}

/// The `Set-Cookie` value that carries `token`: HttpOnly (no script reads it), SameSite=Strict
/// (no other site's page sends it), Path=/, and Secure when served over HTTPS. No Max-Age: the
/// server ends the session, and the browser forgets the cookie when it closes.
pub fn cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/{secure}")
}

/// The `Set-Cookie` value that removes the cookie.
pub fn removal(secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{secure}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIFE: Lifetime = Lifetime {
        idle: Duration::minutes(30),
        absolute: Duration::hours(12),
    };

    #[test]
    fn tokens_are_random_plausible_and_stored_only_as_a_hash() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert!(plausible(&a), "{a}");
        let hash = token_hash(&a);
        assert_eq!(hash.len(), 64);
        assert!(!hash.contains(&a));
        assert_eq!(hash, token_hash(&a));
        assert_ne!(hash, token_hash(&b));
        assert!(!plausible("short"));
        assert!(!plausible(&format!("{}!", &a[..42])));
    }

    #[test]
    fn a_session_expires_when_idle_or_at_its_absolute_end() {
        let start = Utc::now();
        assert_eq!(standing(LIFE, start, start, start), Standing::Fresh);
        let later = start + Duration::minutes(29);
        assert_eq!(standing(LIFE, start, start, later), Standing::Touch);
        assert_eq!(
            standing(LIFE, start, start, start + Duration::minutes(30)),
            Standing::Expired
        );
        // Active all along, still over at twelve hours.
        let end = start + Duration::hours(12);
        assert_eq!(
            standing(LIFE, start, end - Duration::seconds(5), end),
            Standing::Expired
        );
    }

    #[test]
    fn last_seen_is_written_at_most_once_a_minute() {
        let start = Utc::now();
        let seen = start + Duration::minutes(5);
        assert_eq!(
            standing(LIFE, start, seen, seen + Duration::seconds(59)),
            Standing::Fresh
        );
        assert_eq!(
            standing(LIFE, start, seen, seen + Duration::seconds(60)),
            Standing::Touch
        );
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_over_https() {
        let plain = cookie("tok", false);
        assert_eq!(
            plain,
            "perdiem_session=tok; HttpOnly; SameSite=Strict; Path=/"
        );
        assert!(cookie("tok", true).ends_with("; Secure"));
        assert!(removal(false).contains("Max-Age=0"));
    }
}
