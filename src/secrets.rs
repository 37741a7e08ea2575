//! Sealing of the secrets perdiem keeps on others' behalf (payer passwords, tokens and client
//! secrets), so that a copy of the database alone does not hand them out.
//!
//! A sealed value is `sealed:v1:` followed by base64 (URL-safe, unpadded) of a fresh 12-byte
//! nonce and the AES-256-GCM ciphertext with its tag. The caller's `context` is the associated
//! data: it is not stored, but a value opens only under the context it was sealed with, so a
//! sealed value copied to another record or field does not open there. The version in the
//! prefix leaves room for another algorithm or key later without guessing at old values.

use std::fmt;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use secrecy::zeroize::Zeroizing;
use secrecy::SecretString;

const PREFIX: &str = "sealed:v1:";
const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// The configured key is standard base64 (what `openssl rand -base64 32` prints); trailing
/// `=` padding is optional so a key copied without it still reads.
const KEY_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretsError {
    #[error("must be base64 of exactly 32 bytes (e.g. the output of `openssl rand -base64 32`)")]
    BadKey,
    #[error("the value is not sealed")]
    NotSealed,
    #[error("the sealed value is malformed")]
    Malformed,
    /// Deliberately one error for both: AES-GCM cannot tell them apart, and neither should we.
    #[error("the sealed value does not open with this key (wrong key, or altered)")]
    DoesNotOpen,
}

/// An AES-256 key. Only the cipher is kept; `Debug` never shows it.
#[derive(Clone)]
pub struct SecretKey {
    cipher: Aes256Gcm,
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey([REDACTED])")
    }
}

impl SecretKey {
    /// A key from base64 of exactly 32 bytes; anything else is refused, never padded or cut.
    pub fn from_base64(encoded: &str) -> Result<SecretKey, SecretsError> {
        let bytes = Zeroizing::new(
            KEY_BASE64
                .decode(encoded.trim())
                .map_err(|_| SecretsError::BadKey)?,
        );
        if bytes.len() != KEY_LEN {
            return Err(SecretsError::BadKey);
        }
        let cipher = Aes256Gcm::new_from_slice(&bytes).map_err(|_| SecretsError::BadKey)?;
        Ok(SecretKey { cipher })
    }

    /// A new random key.
    pub fn generate() -> SecretKey {
        let key = Aes256Gcm::generate_key(OsRng);
        SecretKey {
            cipher: Aes256Gcm::new(&key),
        }
    }

    /// Seals `plaintext` for `context`. Every call draws a fresh nonce, so sealing the same
    /// value twice gives two different strings.
    pub fn seal(&self, plaintext: &str, context: &str) -> String {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: plaintext.as_bytes(),
            aad: context.as_bytes(),
        };
        // AES-GCM refuses only messages over 64 GiB; a credential is far below that.
        let ciphertext = self
            .cipher
            .encrypt(&nonce, payload)
            .expect("AES-GCM seals any message under 64 GiB");
        let mut sealed = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(sealed))
    }

    /// Opens a value sealed with this key for this `context`.
    pub fn unseal(&self, sealed: &str, context: &str) -> Result<SecretString, SecretsError> {
        let encoded = sealed.strip_prefix(PREFIX).ok_or(SecretsError::NotSealed)?;
        let bytes = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| SecretsError::Malformed)?;
        if bytes.len() < NONCE_LEN + TAG_LEN {
            return Err(SecretsError::Malformed);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let payload = Payload {
            msg: ciphertext,
            aad: context.as_bytes(),
        };
        let plaintext = Zeroizing::new(
            self.cipher
                .decrypt(Nonce::from_slice(nonce), payload)
                .map_err(|_| SecretsError::DoesNotOpen)?,
        );
        let text = std::str::from_utf8(&plaintext).map_err(|_| SecretsError::Malformed)?;
        Ok(SecretString::from(text))
    }
}

/// Whether `value` is in the sealed form (whether it opens is another matter).
pub fn is_sealed(value: &str) -> bool {
    value.starts_with(PREFIX)
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    const CONTEXT: &str = "payer:0190f1c2-0000-7000-8000-000000000001:password";

    #[test]
    fn a_sealed_value_opens_to_the_original() {
        let key = SecretKey::generate();
        let sealed = key.seal("hunter2-payer-password", CONTEXT);
        assert!(is_sealed(&sealed), "{sealed}");
        let opened = key.unseal(&sealed, CONTEXT).unwrap();
        assert_eq!(opened.expose_secret(), "hunter2-payer-password");
    }

    #[test]
    fn an_empty_and_a_non_ascii_value_round_trip() {
        let key = SecretKey::generate();
        for plaintext in ["", "pässwörd-✓"] {
            let opened = key.unseal(&key.seal(plaintext, CONTEXT), CONTEXT).unwrap();
            assert_eq!(opened.expose_secret(), plaintext);
        }
    }

    #[test]
    fn every_seal_differs() {
        let key = SecretKey::generate();
        let first = key.seal("same", CONTEXT);
        let second = key.seal("same", CONTEXT);
        assert_ne!(first, second);
    }

    #[test]
    fn the_sealed_form_never_contains_the_plaintext() {
        let key = SecretKey::generate();
        let plaintext = "plain-secret-value";
        let sealed = key.seal(plaintext, CONTEXT);
        assert!(!sealed.contains(plaintext), "{sealed}");
        let encoded = &sealed[PREFIX.len()..];
        let bytes = URL_SAFE_NO_PAD.decode(encoded).unwrap();
        let inside = String::from_utf8_lossy(&bytes);
        assert!(!inside.contains(plaintext));
    }

    #[test]
    fn another_key_does_not_open_it() {
        let sealed = SecretKey::generate().seal("secret", CONTEXT);
        assert_eq!(
            SecretKey::generate().unseal(&sealed, CONTEXT).unwrap_err(),
            SecretsError::DoesNotOpen
        );
    }

    #[test]
    fn another_context_does_not_open_it() {
        let key = SecretKey::generate();
        let sealed = key.seal("secret", CONTEXT);
        let other_field = CONTEXT.replace(":password", ":token");
        let other_payer = CONTEXT.replace("0001:", "0002:");
        for context in [other_field.as_str(), other_payer.as_str(), ""] {
            assert_eq!(
                key.unseal(&sealed, context).unwrap_err(),
                SecretsError::DoesNotOpen,
                "{context}"
            );
        }
    }

    #[test]
    fn a_flipped_byte_anywhere_does_not_open() {
        let key = SecretKey::generate();
        let sealed = key.seal("secret", CONTEXT);
        let bytes = URL_SAFE_NO_PAD.decode(&sealed[PREFIX.len()..]).unwrap();
        // Nonce, ciphertext and tag: each byte is covered.
        for i in 0..bytes.len() {
            let mut altered = bytes.clone();
            altered[i] ^= 0x01;
            let altered = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(altered));
            assert_eq!(
                key.unseal(&altered, CONTEXT).unwrap_err(),
                SecretsError::DoesNotOpen,
                "byte {i}"
            );
        }
    }

    #[test]
    fn malformed_values_are_errors_not_panics() {
        let key = SecretKey::generate();
        let short = format!(
            "{PREFIX}{}",
            URL_SAFE_NO_PAD.encode([0u8; NONCE_LEN + TAG_LEN - 1])
        );
        let cases = [
            ("plaintext", SecretsError::NotSealed),
            ("", SecretsError::NotSealed),
            ("sealed:v2:AAAA", SecretsError::NotSealed),
            ("sealed:v1:", SecretsError::Malformed),
            ("sealed:v1:not base64!", SecretsError::Malformed),
            ("sealed:v1:AAAA====", SecretsError::Malformed),
            (short.as_str(), SecretsError::Malformed),
        ];
        for (value, expected) in cases {
            assert_eq!(key.unseal(value, CONTEXT).unwrap_err(), expected, "{value}");
        }
        assert!(!is_sealed("plaintext"));
    }

    #[test]
    fn a_key_is_exactly_32_bytes_of_base64() {
        let engine = base64::engine::general_purpose::STANDARD;
        let good = engine.encode([7u8; 32]);
        assert!(SecretKey::from_base64(&good).is_ok());
        assert!(SecretKey::from_base64(good.trim_end_matches('=')).is_ok());
        assert!(SecretKey::from_base64(&format!("{good}\n")).is_ok());
        for bad in [
            engine.encode([7u8; 31]),
            engine.encode([7u8; 33]),
            engine.encode([7u8; 16]),
            String::new(),
            "not base64 at all".to_string(),
        ] {
            assert_eq!(
                SecretKey::from_base64(&bad).unwrap_err(),
                SecretsError::BadKey,
                "{bad}"
            );
        }
    }

    #[test]
    fn the_same_key_read_twice_opens_what_the_other_sealed() {
        let encoded = base64::engine::general_purpose::STANDARD.encode([42u8; 32]);
        let sealed = SecretKey::from_base64(&encoded)
            .unwrap()
            .seal("secret", CONTEXT);
        let opened = SecretKey::from_base64(&encoded)
            .unwrap()
            .unseal(&sealed, CONTEXT)
            .unwrap();
        assert_eq!(opened.expose_secret(), "secret");
    }

    #[test]
    fn debug_never_shows_the_key() {
        let encoded = base64::engine::general_purpose::STANDARD.encode([42u8; 32]);
        let shown = format!("{:?}", SecretKey::from_base64(&encoded).unwrap());
        assert_eq!(shown, "SecretKey([REDACTED])");
        assert!(!shown.contains("42"));
    }
}
