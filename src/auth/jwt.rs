//! Access tokens: HS256 JWTs. The algorithm is pinned on both sides (a token claiming `none` or
//! RS256 is refused), and `exp`, `iat`, `iss`, `aud` and `sub` must all be present and right.

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::role::Role;

/// Seconds of clock skew tolerated between servers.
const LEEWAY_SECONDS: u64 = 30;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub roles: Vec<Role>,
    pub iss: String,
    pub aud: String,
    pub iat: u64,
    pub exp: u64,
    pub jti: String,
    /// The account's credentials version when the token was issued: a password change bumps
    /// the account's, which ends this token. Tokens from before the claim existed read as 0.
    #[serde(default)]
    pub cv: i64,
}

impl Claims {
    /// The account id in `sub`; `None` when it is not a UUID (no such account can exist).
    pub fn sub_id(&self) -> Option<uuid::Uuid> {
        uuid::Uuid::parse_str(&self.sub).ok()
    }
}

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    issuer: String,
    audience: String,
    ttl_seconds: u64,
}

impl TokenKeys {
    pub fn new(secret: &SecretString, issuer: &str, audience: &str, ttl_seconds: u64) -> TokenKeys {
        let bytes = secret.expose_secret().as_bytes();
        TokenKeys {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            issuer: issuer.to_string(),
            audience: audience.to_string(),
            ttl_seconds,
        }
    }

    pub fn ttl_seconds(&self) -> u64 {
        self.ttl_seconds
    }

    /// A token for an account whose credentials are at `credentials_version`.
    pub fn issue(
        &self,
        user_id: Uuid,
        roles: &[Role],
        credentials_version: i64,
    ) -> anyhow::Result<String> {
        let now = unix_now();
        self.issue_with(
            user_id,
            roles,
            credentials_version,
            now,
            now + self.ttl_seconds,
        )
    }

    /// Issues a token with explicit times (tests use it for expired tokens).
    pub fn issue_at(
        &self,
        user_id: Uuid,
        roles: &[Role],
        iat: u64,
        exp: u64,
    ) -> anyhow::Result<String> {
        self.issue_with(user_id, roles, 0, iat, exp)
    }

    fn issue_with(
        &self,
        user_id: Uuid,
        roles: &[Role],
        cv: i64,
        iat: u64,
        exp: u64,
    ) -> anyhow::Result<String> {
        let claims = Claims {
            sub: user_id.to_string(),
            roles: roles.to_vec(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat,
            exp,
            jti: Uuid::new_v4().to_string(),
            cv,
        };
        Ok(encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    pub fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECONDS;
        // A token not valid before a time to come is refused until then (within the leeway).
        validation.validate_nbf = true;
        let claims = decode::<Claims>(token, &self.decoding, &validation)?.claims;
        // jsonwebtoken does not check `iat`; a token issued in the future is not ours.
        if claims.iat > unix_now() + LEEWAY_SECONDS {
            return Err(jsonwebtoken::errors::ErrorKind::ImmatureSignature.into());
        }
        Ok(claims)
    }
}

fn unix_now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use base64::Engine;

    use super::*;

    fn keys(secret: &str) -> TokenKeys {
        TokenKeys::new(
            &SecretString::from(secret.to_string()),
            "perdiem",
            "perdiem-api",
            60,
        )
    }

    #[test]
    fn a_token_verifies_with_its_own_key_only() {
        let id = Uuid::now_v7();
        let token = keys("a-signing-key-of-sufficient-length!")
            .issue(id, &[Role::Billing], 0)
            .unwrap();
        let claims = keys("a-signing-key-of-sufficient-length!")
            .verify(&token)
            .unwrap();
        assert_eq!(claims.sub, id.to_string());
        assert_eq!(claims.roles, vec![Role::Billing]);
        assert!(keys("another-signing-key-of-enough-length")
            .verify(&token)
            .is_err());
    }

    #[test]
    fn unsigned_and_expired_tokens_are_refused() {
        let keys = keys("a-signing-key-of-sufficient-length!");
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = engine.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let now = unix_now();
        let body = engine.encode(format!(
            r#"{{"sub":"x","roles":["admin"],"iss":"perdiem","aud":"perdiem-api","iat":{now},"exp":{}}}"#,
            now + 60
        ));
        assert!(keys.verify(&format!("{header}.{body}.")).is_err());
        let expired = keys
            .issue_at(Uuid::now_v7(), &[Role::Admin], now - 7200, now - 3600)
            .unwrap();
        assert!(keys.verify(&expired).is_err());
    }

    /// Signs `claims` (raw JSON) with HS256 and `secret`, as another issuer might.
    fn signed(secret: &str, claims: &str) -> String {
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = engine.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
        let body = engine.encode(claims);
        let key = EncodingKey::from_secret(secret.as_bytes());
        let signature = jsonwebtoken::crypto::sign(
            format!("{header}.{body}").as_bytes(),
            &key,
            Algorithm::HS256,
        )
        .unwrap();
        format!("{header}.{body}.{signature}")
    }

    #[test]
    fn a_token_not_yet_valid_or_issued_in_the_future_is_refused() {
        let secret = "a-signing-key-of-sufficient-length!";
        let keys = keys(secret);
        let now = unix_now();
        let sub = Uuid::now_v7();
        let claims = |nbf: u64, iat: u64| {
            format!(
                r#"{{"sub":"{sub}","roles":["admin"],"iss":"perdiem","aud":"perdiem-api","iat":{iat},"nbf":{nbf},"exp":{},"jti":"j"}}"#,
                now + 7200
            )
        };
        assert!(keys.verify(&signed(secret, &claims(now, now))).is_ok());
        // Within the leeway of clock skew.
        assert!(keys.verify(&signed(secret, &claims(now + 10, now))).is_ok());
        let err = keys
            .verify(&signed(secret, &claims(now + 3600, now)))
            .unwrap_err();
        assert_eq!(
            err.kind(),
            &jsonwebtoken::errors::ErrorKind::ImmatureSignature
        );
        assert!(keys
            .verify(&signed(secret, &claims(now, now + 3600)))
            .is_err());
    }
}
