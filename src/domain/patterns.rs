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
/// Money as the API reads it: decimal dollars, not negative, at most two places and at most
/// 99,999,999.99 (see `money::Money::parse`). No sign, exponent or thousands separator.
pub const AMOUNT: &str = r"^[0-9]{1,8}(\.[0-9]{1,2})?$";
/// A UB-04 revenue code (FL42, 837I SV201): four digits, e.g. 0905.
pub const REVENUE_CODE: &str = r"^[0-9]{4}$";
/// A HCPCS Level II code (a letter and four digits, e.g. S9480) or a CPT code (five digits).
pub const HCPCS: &str = r"^([A-Z][0-9]{4}|[0-9]{5})$";
/// A procedure modifier (SV202-3..6, SV101-3..6): two capital letters or digits.
pub const MODIFIER: &str = r"^[A-Z0-9]{2}$";
/// A NUBC condition code (FL18–28, 837I HI*BG): two capital letters or digits, e.g. 92, 41.
pub const CONDITION_CODE: &str = r"^[A-Z0-9]{2}$";
/// A CMS place of service code (837P CLM05-1): two digits, e.g. 57.
pub const PLACE_OF_SERVICE: &str = r"^[0-9]{2}$";
/// A UB-04 type of bill (FL4): `0131`, or `131` without the leading zero.
pub const TYPE_OF_BILL: &str = r"^0?[0-9]{3}$";
/// An ICD-10-CM diagnosis code as staff type it: a letter, a digit, a letter or digit, then
/// optionally up to four more letters or digits, with or without the dot after the third
/// character (`F33.1`, `f10.20`, `F4310`). Stored and answered in the canonical form below.
pub const ICD10_CM: &str = r"^[A-Za-z][0-9][A-Za-z0-9](\.?[A-Za-z0-9]{1,4})?$";
/// An ICD-10-CM code as the API answers it: upper case, the dot after the third character when
/// more follow (`F33.1`, `F10.20`, `F32`). X12 HI carries it without the dot.
pub const ICD10_CM_CANONICAL: &str = r"^[A-Z][0-9][A-Z0-9](\.[A-Z0-9]{1,4})?$";
/// A UB-04 patient (discharge) status code (FL17, 837I CL103): two digits, e.g. 01 discharged
/// home, 30 still a patient.
pub const PATIENT_STATUS: &str = r"^[0-9]{2}$";
/// An `Idempotency-Key` header: 1–255 visible ASCII characters.
pub const IDEMPOTENCY_KEY: &str = r"^[!-~]{1,255}$";
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
pub static AMOUNT_RE: LazyLock<Regex> = LazyLock::new(|| compile(AMOUNT));
pub static REVENUE_CODE_RE: LazyLock<Regex> = LazyLock::new(|| compile(REVENUE_CODE));
pub static HCPCS_RE: LazyLock<Regex> = LazyLock::new(|| compile(HCPCS));
pub static MODIFIER_RE: LazyLock<Regex> = LazyLock::new(|| compile(MODIFIER));
pub static CONDITION_CODE_RE: LazyLock<Regex> = LazyLock::new(|| compile(CONDITION_CODE));
pub static PLACE_OF_SERVICE_RE: LazyLock<Regex> = LazyLock::new(|| compile(PLACE_OF_SERVICE));
pub static TYPE_OF_BILL_RE: LazyLock<Regex> = LazyLock::new(|| compile(TYPE_OF_BILL));
pub static PAYER_REFERENCE_RE: LazyLock<Regex> = LazyLock::new(|| compile(PAYER_REFERENCE));
pub static ICD10_CM_RE: LazyLock<Regex> = LazyLock::new(|| compile(ICD10_CM));
pub static ICD10_CM_CANONICAL_RE: LazyLock<Regex> = LazyLock::new(|| compile(ICD10_CM_CANONICAL));
pub static PATIENT_STATUS_RE: LazyLock<Regex> = LazyLock::new(|| compile(PATIENT_STATUS));
pub static IDEMPOTENCY_KEY_RE: LazyLock<Regex> = LazyLock::new(|| compile(IDEMPOTENCY_KEY));

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
            &AMOUNT_RE,
            &REVENUE_CODE_RE,
            &HCPCS_RE,
            &MODIFIER_RE,
            &CONDITION_CODE_RE,
            &PLACE_OF_SERVICE_RE,
            &TYPE_OF_BILL_RE,
            &ICD10_CM_RE,
            &ICD10_CM_CANONICAL_RE,
            &PATIENT_STATUS_RE,
            &IDEMPOTENCY_KEY_RE,
        ] {
            LazyLock::force(re);
        }
    }
}
