//! Entity ids: UUIDs (v7, so they sort by creation time), stored as TEXT.

use uuid::Uuid;

pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// Parses an id from a path or a body field; the message names what was expected.
pub fn parse_id(raw: &str) -> Result<Uuid, String> {
    // Only the hyphenated form the contract's `format: uuid` names; Uuid::parse_str alone would
    // also take braced, URN and bare-hex spellings.
    if raw.len() != 36 {
        return Err("must be a UUID".into());
    }
    Uuid::parse_str(raw).map_err(|_| "must be a UUID".to_string())
}
