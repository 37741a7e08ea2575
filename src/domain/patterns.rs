//! The regular expressions that `openapi.yaml` publishes for pattern-checked fields, in one
//! place. The server applies exactly these, so a value the contract accepts is accepted and a
//! value it refuses is refused; a test compares each constant with the spec.

use std::sync::LazyLock;

use regex::Regex;

pub const USERNAME: &str = r"^[a-z0-9._-]{3,64}$";
pub const EDI_PAYER_ID: &str = r"^[A-Za-z0-9]{2,80}$";
pub const MEMBER_ID: &str = r"^[A-Za-z0-9-]{2,80}$";
pub const GROUP_NUMBER: &str = r"^[A-Za-z0-9-]{1,50}$";
pub const EXTERNAL_ID: &str = r"^[A-Za-z0-9._-]{1,64}$";
pub const STATE: &str = r"^[A-Z]{2}$";
pub const POSTAL_CODE: &str = r"^[0-9]{5}(-?[0-9]{4})?$";
pub const PHONE: &str = r"^\+?1?[ .-]?\(?[0-9]{3}\)?[ .-]?[0-9]{3}[ .-]?[0-9]{4}$";
pub const EMAIL: &str = r"^[^@\s]+@[^@\s]+\.[^@\s]+$";
/// A trading-partner id as ISA06/ISA08 carry it (15 characters, padded by the writer).
pub const PARTNER_ID: &str = r"^[A-Za-z0-9][A-Za-z0-9 ]{0,14}$";
/// Money as the API writes it: decimal dollars with exactly two places (see `money::to_cents`).
pub const MONEY: &str = r"^-?[0-9]+\.[0-9]{2}$";
pub const NPI: &str = r"^[0-9]{10}$";
pub const SERVICE_TYPE_CODE: &str = r"^[A-Z0-9]{1,2}$";
pub const TAX_ID: &str = r"^[0-9]{2}-?[0-9]{7}$";
pub const TAXONOMY: &str = r"^[0-9]{3}[0-9A-Z]{6}X$";
/// A payer's reference number (an authorization number for 2300 REF*G1, a review number):
/// 1–50 printable ASCII characters (REF02 is AN 1/50), no leading or trailing space, and none of
/// the X12 separators `*` `~` `:` `^` `|` (the classes below are printable ASCII with those cut
/// out: `!-)`, `+-9`, `;-]`, `_-{`, `}`).
pub const PAYER_REFERENCE: &str = r"^[!-)+-9;-\]_-{}](?:[ -)+-9;-\]_-{}]{0,48}[!-)+-9;-\]_-{}])?$";
/// The safe-text rule of `text::SafeText`, as the contract states it. The server checks it in
/// code (it also trims), and a test holds the two to the same answers.
pub const SAFE_TEXT: &str = r"^[^*~:^|\u0000-\u001f\u007f-\u009f]*[^*~:^|\s\u0000-\u001f\u007f-\u009f][^*~:^|\u0000-\u001f\u007f-\u009f]*$";

fn compile(pattern: &'static str) -> Regex {
    Regex::new(pattern).expect("patterns are constants checked by tests")
}

pub static USERNAME_RE: LazyLock<Regex> = LazyLock::new(|| compile(USERNAME));
pub static EDI_PAYER_ID_RE: LazyLock<Regex> = LazyLock::new(|| compile(EDI_PAYER_ID));
pub static MEMBER_ID_RE: LazyLock<Regex> = LazyLock::new(|| compile(MEMBER_ID));
pub static GROUP_NUMBER_RE: LazyLock<Regex> = LazyLock::new(|| compile(GROUP_NUMBER));
pub static EXTERNAL_ID_RE: LazyLock<Regex> = LazyLock::new(|| compile(EXTERNAL_ID));
pub static STATE_RE: LazyLock<Regex> = LazyLock::new(|| compile(STATE));
pub static POSTAL_CODE_RE: LazyLock<Regex> = LazyLock::new(|| compile(POSTAL_CODE));
pub static PHONE_RE: LazyLock<Regex> = LazyLock::new(|| compile(PHONE));
pub static EMAIL_RE: LazyLock<Regex> = LazyLock::new(|| compile(EMAIL));
pub static PARTNER_ID_RE: LazyLock<Regex> = LazyLock::new(|| compile(PARTNER_ID));
pub static SERVICE_TYPE_CODE_RE: LazyLock<Regex> = LazyLock::new(|| compile(SERVICE_TYPE_CODE));
pub static MONEY_RE: LazyLock<Regex> = LazyLock::new(|| compile(MONEY));
pub static TAX_ID_RE: LazyLock<Regex> = LazyLock::new(|| compile(TAX_ID));
pub static TAXONOMY_RE: LazyLock<Regex> = LazyLock::new(|| compile(TAXONOMY));
pub static PAYER_REFERENCE_RE: LazyLock<Regex> = LazyLock::new(|| compile(PAYER_REFERENCE));

/// Checks `raw` against one of the patterns above.
pub fn matching(raw: String, re: &Regex, message: &str) -> Result<String, String> {
    if re.is_match(&raw) {
        Ok(raw)
    } else {
        Err(message.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles() {
        for re in [
            &USERNAME_RE,
            &EDI_PAYER_ID_RE,
            &MEMBER_ID_RE,
            &GROUP_NUMBER_RE,
            &EXTERNAL_ID_RE,
            &STATE_RE,
            &POSTAL_CODE_RE,
            &PHONE_RE,
            &EMAIL_RE,
            &TAX_ID_RE,
            &PARTNER_ID_RE,
            &SERVICE_TYPE_CODE_RE,
            &MONEY_RE,
            &TAXONOMY_RE,
            &PAYER_REFERENCE_RE,
        ] {
            LazyLock::force(re);
        }
    }
}
