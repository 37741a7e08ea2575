//! The code lists of the 999 (005010X231A1) and the TA1, with their X12 descriptions, so a
//! rejection can be told to staff in words rather than numbers.
//!
//! Descriptions are the standard's wording in lower case (they are read inside a sentence).
//! A code the lists do not hold yields `None`: the caller shows the code alone.

/// IK304 — implementation segment syntax error code.
pub fn segment_error(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "unrecognized segment id",
        "2" => "unexpected segment",
        "3" => "required segment missing",
        "4" => "loop occurs over maximum times",
        "5" => "segment exceeds maximum use",
        "6" => "segment not in defined transaction set",
        "7" => "segment not in proper sequence",
        "8" => "segment has data element errors",
        "I4" => "implementation \"not used\" segment present",
        "I6" => "implementation dependent segment missing",
        "I7" => "implementation loop occurs under minimum times",
        "I8" => "implementation segment below minimum use",
        "I9" => "implementation dependent \"not used\" segment present",
        _ => return None,
    })
}

/// IK403 — implementation data element syntax error code.
pub fn element_error(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "required data element missing",
        "2" => "conditional required data element missing",
        "3" => "too many data elements",
        "4" => "data element too short",
        "5" => "data element too long",
        "6" => "invalid character in data element",
        "7" => "invalid code value",
        "8" => "invalid date",
        "9" => "invalid time",
        "10" => "exclusion condition violated",
        "12" => "too many repetitions",
        "13" => "too many components",
        "I6" => "code value not used in implementation",
        "I9" => "implementation dependent data element missing",
        "I10" => "implementation \"not used\" data element present",
        "I11" => "implementation too few repetitions",
        "I12" => "implementation pattern match failure",
        "I13" => "implementation dependent \"not used\" data element present",
        _ => return None,
    })
}

/// IK502–IK506 — implementation transaction set syntax error code.
pub fn transaction_error(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "transaction set not supported",
        "2" => "transaction set trailer missing",
        "3" => "transaction set control number in header and trailer do not match",
        "4" => "number of included segments does not match actual count",
        "5" => "one or more segments in error",
        "6" => "missing or invalid transaction set identifier",
        "7" => "missing or invalid transaction set control number",
        "8" => "authentication key name unknown",
        "9" => "encryption key name unknown",
        "10" => "requested service (authentication or encryption) not available",
        "11" => "unknown security recipient",
        "12" => "incorrect message length (encryption only)",
        "13" => "message authentication code failed",
        "15" => "unknown security originator",
        "16" => "syntax error in decrypted text",
        "17" => "security not supported",
        "18" => "transaction set not in functional group",
        "19" => "invalid transaction set implementation convention reference",
        "23" => "transaction set control number not unique within the functional group",
        "24" => "S3E security end segment missing for S3S security start segment",
        "25" => "S3S security start segment missing for S3E security end segment",
        "26" => "S4E security end segment missing for S4S security start segment",
        "27" => "S4S security start segment missing for S4E security end segment",
        "I5" => "implementation one or more segments in error",
        "I6" => "implementation convention not supported",
        _ => return None,
    })
}

/// AK905–AK909 — functional group syntax error code.
pub fn group_error(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "functional group not supported",
        "2" => "functional group version not supported",
        "3" => "functional group trailer missing",
        "4" => "group control number in the functional group header and trailer do not agree",
        "5" => "number of included transaction sets does not match actual count",
        "6" => "group control number violates syntax",
        "10" => "authentication key name unknown",
        "11" => "encryption key name unknown",
        "12" => "requested service (authentication or encryption) not available",
        "13" => "unknown security recipient",
        "14" => "unknown security originator",
        "15" => "syntax error in decrypted text",
        "16" => "security not supported",
        "17" => "incorrect message length (encryption only)",
        "18" => "message authentication code failed",
        "19" => "functional group control number not unique within interchange",
        "23" => "S3E security end segment missing for S3S security start segment",
        "24" => "S3S security start segment missing for S3E security end segment",
        "25" => "S4E security end segment missing for S4S security start segment",
        "26" => "S4S security start segment missing for S4E security end segment",
        _ => return None,
    })
}

/// TA105 — interchange note code. 033 and 034 (later versions) are not listed: their wording
/// could not be checked against the standard, and a wrong description misleads more than none.
pub fn interchange_note(code: &str) -> Option<&'static str> {
    Some(match code {
        "000" => "no error",
        "001" => "the interchange control number in the header and trailer do not match",
        "002" => "this standard as noted in the control standards identifier is not supported",
        "003" => "this version of the controls is not supported",
        "004" => "the segment terminator is invalid",
        "005" => "invalid interchange id qualifier for sender",
        "006" => "invalid interchange sender id",
        "007" => "invalid interchange id qualifier for receiver",
        "008" => "invalid interchange receiver id",
        "009" => "unknown interchange receiver id",
        "010" => "invalid authorization information qualifier value",
        "011" => "invalid authorization information value",
        "012" => "invalid security information qualifier value",
        "013" => "invalid security information value",
        "014" => "invalid interchange date value",
        "015" => "invalid interchange time value",
        "016" => "invalid interchange standards identifier value",
        "017" => "invalid interchange version id value",
        "018" => "invalid interchange control number value",
        "019" => "invalid acknowledgment requested value",
        "020" => "invalid test indicator value",
        "021" => "invalid number of included groups value",
        "022" => "invalid control structure",
        "023" => "improper (premature) end-of-file (transmission)",
        "024" => "invalid interchange content (e.g., invalid GS segment)",
        "025" => "duplicate interchange control number",
        "026" => "invalid data element separator",
        "027" => "invalid component element separator",
        "028" => "invalid delivery date in deferred delivery request",
        "029" => "invalid delivery time in deferred delivery request",
        "030" => "invalid delivery time code in deferred delivery request",
        "031" => "invalid grade of service code",
        // Added in version 005042 (X12 RFI 1497); a 5010 payer sends 022 instead, a later one may
        // send this.
        "032" => "invalid repetition separator",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_code_has_a_description_and_others_none() {
        for code in [
            "1", "2", "3", "4", "5", "6", "7", "8", "I4", "I6", "I7", "I8", "I9",
        ] {
            assert!(segment_error(code).is_some(), "IK304 {code}");
        }
        let ik403 = [
            "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "12", "13", "I10", "I11", "I12",
            "I13",
        ];
        for code in ik403 {
            assert!(element_error(code).is_some(), "IK403 {code}");
        }
        for n in (1..=6).chain(10..=19).chain(23..=26) {
            assert!(group_error(&n.to_string()).is_some(), "AK905 {n}");
        }
        for n in (1..=13).chain(15..=19).chain(23..=27) {
            assert!(transaction_error(&n.to_string()).is_some(), "IK502 {n}");
        }
        for n in 0..=32 {
            assert!(
                interchange_note(&format!("{n:03}")).is_some(),
                "TA105 {n:03}"
            );
        }
        assert_eq!(segment_error("9"), None);
        assert_eq!(element_error("11"), None);
        assert_eq!(interchange_note("32"), None);
        assert_eq!(interchange_note("035"), None);
        assert_eq!(group_error("7"), None);
    }
}
