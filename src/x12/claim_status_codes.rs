//! The code lists a 277CA's STC composites (STC01, STC10, STC11) draw on, with their
//! descriptions, so a claim acknowledgment reads to billing staff in words:
//!
//! - component 2, the **Health Care Claim Status Code** (X12 external code list 508): *what*
//!   the payer or clearinghouse says — `20` accepted for processing, `21` missing or invalid
//!   information, `562` entity's national provider identifier (NPI) …;
//! - component 3, the **Entity Identifier Code** (X12 element 98): *whose* — `85` billing
//!   provider, `IL` insured or subscriber, `QC` patient, `PR` payer.
//!
//! Not the whole of list 508 (about 800 codes, many for dental, ambulance, pharmacy, real-time
//! or adjudicated-claim status): the codes a front-end edit or a payer's acknowledgment of an
//! institutional or professional claim uses — receipt and acceptance, who is not found or not
//! eligible, which identifier, name, address, date, code or amount is missing or invalid,
//! duplicates, wrong payer, timely filing. Entities likewise: the parties of an 837, the payers
//! and intermediaries, and the behavioral-health facility kinds of the 277CA's STC01-3 list.
//!
//! Descriptions are X12's wording (list 508 as published by X12, checked against independent
//! copies of it), in lower case where it is read inside a sentence, proper names and
//! abbreviations kept (`NPI`, `Medicaid`, `NUBC`). List 508's usage notes ("This code requires
//! use of an Entity Code", "At least one other status code is required …") tell the payer how
//! to send the code, not what it means, and are left out, as are closing full stops.
//!
//! A code not listed yields `None`: the caller shows the code itself ("status code 999"). A
//! wrong description misleads more than none, so nothing is listed that was not checked.

/// STC01-2 (and STC10-2, STC11-2) — Health Care Claim Status Code, code source 508. Numeric
/// codes are matched without leading zeros (`021` is `21`).
pub fn status_code(code: &str) -> Option<&'static str> {
    let code = if code.len() > 1 && code.bytes().all(|b| b.is_ascii_digit()) {
        match code.trim_start_matches('0') {
            "" => "0",
            trimmed => trimmed,
        }
    } else {
        code
    };
    Some(match code {
        "0" => "cannot provide further status electronically",
        "1" => "for more detailed information, see remittance advice",
        "2" => "more detailed information in letter",
        "3" => "claim has been adjudicated and is awaiting payment cycle",
        "6" => "balance due from the subscriber",
        "12" => "one or more originally submitted procedure codes have been combined",
        "15" => "one or more originally submitted procedure code have been modified",
        "16" => "claim/encounter has been forwarded to entity",
        "17" => "claim/encounter has been forwarded by third party entity to entity",
        "18" => "entity received claim/encounter, but returned invalid status",
        "19" => "entity acknowledges receipt of claim/encounter",
        "20" => "accepted for processing",
        "21" => "missing or invalid information",
        "23" => "returned to entity",
        "24" => "entity not approved as an electronic submitter",
        "25" => "entity not approved",
        "26" => "entity not found",
        "27" => "policy canceled",
        "29" => "subscriber and policy number/contract number mismatched",
        "30" => "subscriber and subscriber id mismatched",
        "31" => "subscriber and policyholder name mismatched",
        "32" => "subscriber and policy number/contract number not found",
        "33" => "subscriber and subscriber id not found",
        "34" => "subscriber and policyholder name not found",
        "35" => "claim/encounter not found",
        "41" => "special handling required at payer site",
        "52" => "investigating existence of other insurance coverage",
        "53" => "claim being researched for insured ID/group policy number error",
        "54" => "duplicate of a previously processed claim/line",
        "56" => "awaiting eligibility determination",
        "78" => "duplicate of an existing claim/line, awaiting processing",
        "84" => "service not authorized",
        "85" => "entity not primary",
        "86" => "diagnosis and patient gender mismatch",
        "88" => "entity not eligible for benefits for submitted dates of service",
        "90" => "entity not eligible for medical benefits for submitted dates of service",
        "91" => "entity not eligible/not approved for dates of service",
        "92" => "entity does not meet dependent or student qualification",
        "93" => "entity is not selected primary care provider",
        "94" => "entity not referred by selected primary care provider",
        "96" => "no agreement with entity",
        "97" => "patient eligibility not found with entity",
        "101" => "claim was processed as adjustment to previous claim",
        "106" => "this amount is not entity's responsibility",
        "109" => "entity not eligible",
        "110" => "claim requires pricing information",
        "111" => "at the policyholder's request these claims cannot be submitted electronically",
        "114" => "claim/service should be processed by entity",
        "116" => "claim submitted to incorrect payer",
        "117" => "claim requires signature-on-file indicator",
        "121" => "service line number greater than maximum allowable for payer",
        "123" => "additional information requested from entity",
        "124" => "entity's name, address, phone and id number",
        "125" => "entity's name",
        "126" => "entity's address",
        "127" => "entity's communication number",
        "128" => "entity's tax id",
        "129" => "entity's Blue Cross provider id",
        "130" => "entity's Blue Shield provider id",
        "131" => "entity's Medicare provider id",
        "132" => "entity's Medicaid provider id",
        "133" => "entity's UPIN",
        "134" => "entity's TRICARE provider id",
        "135" => "entity's commercial provider id",
        "136" => "entity's health industry id number",
        "137" => "entity's plan network id",
        "138" => "entity's site id",
        "139" => "entity's health maintenance provider id (HMO)",
        "140" => "entity's preferred provider organization id (PPO)",
        "141" => "entity's administrative services organization id (ASO)",
        "142" => "entity's license/certification number",
        "143" => "entity's state license number",
        "144" => "entity's specialty license number",
        "145" => "entity's specialty/taxonomy code",
        "147" => "entity's qualification degree/designation (e.g. RN,PhD,MD)",
        "148" => "entity's social security number",
        "149" => "entity's employer id",
        "153" => "entity's id number",
        "155" => "entity's relationship to patient",
        "156" => "patient relationship to subscriber",
        "157" => "entity's gender",
        "158" => "entity's date of birth",
        "159" => "entity's date of death",
        "161" => "entity's employment status",
        "162" => "entity's health insurance claim number (HICN)",
        "163" => "entity's policy/group number",
        "164" => "entity's contract/member number",
        "165" => "entity's employer name, address and phone",
        "166" => "entity's employer name",
        "171" => "other insurance coverage information (health, liability, auto, etc.)",
        "178" => "submitted charges",
        "182" => "allowable/paid from other entities coverage",
        "183" => "amount entity has paid",
        "187" => "date(s) of service",
        "188" => "statement from-through dates",
        "189" => "facility admission date",
        "190" => "facility discharge date",
        "192" => "date of first service for current series/symptom/illness",
        "197" => "effective coverage date(s)",
        "214" => "original date of prescription/orders/referral",
        "227" => "hospital information",
        "228" => "type of bill for UB claim",
        "229" => "hospital admission source",
        "230" => "hospital admission hour",
        "231" => "hospital admission type",
        "232" => "admitting diagnosis",
        "233" => "hospital discharge hour",
        "234" => "patient discharge status",
        "247" => "line information",
        "249" => "place of service",
        "250" => "type of service",
        "252" => "entity's prior authorization/certification number",
        "254" => "principal diagnosis code",
        "255" => "diagnosis code",
        "256" => "DRG code(s)",
        "258" => "days/units for procedure/revenue code",
        "259" => "frequency of service",
        "263" => "length of time for services rendered",
        "275" => "claim",
        "276" => "UB04/HCFA-1450/1500 claim form",
        "277" => "paper claim",
        "279" => "claim/service must be itemized",
        "283" => "Medicare entitlement information is required to determine primary coverage",
        "286" => "other payer's Explanation of Benefits/payment information",
        "287" => "medical necessity for service",
        "292" => "purpose of family conference/therapy",
        "294" => "supporting documentation",
        "345" => "treatment plan for service/diagnosis",
        "400" => "claim is out of balance",
        "401" => "source of payment is not valid",
        "402" => "amount must be greater than zero",
        "403" => "entity referral notes/orders/prescription",
        "453" => "procedure code modifier(s) for service(s) rendered",
        "454" => "procedure code for services rendered",
        "455" => "revenue code for services rendered",
        "456" => "covered day(s)",
        "457" => "non-covered day(s)",
        "460" => "NUBC condition code(s)",
        "464" => "payer assigned claim control number",
        "465" => "principal procedure code for service(s) rendered",
        "466" => "entity's original signature",
        "467" => "entity signature date",
        "468" => "patient signature source",
        "471" => "were services related to an emergency?",
        "474" => "procedure code and patient gender mismatch",
        "475" => "procedure code not valid for patient age",
        "476" => "missing or invalid units of service",
        "477" => "diagnosis code pointer is missing or invalid",
        "478" => "claim submitter's identifier",
        "479" => "other carrier payer ID is missing or invalid",
        "480" => "entity's claim filing indicator",
        "481" => "claim/submission format is invalid",
        "484" => "business application currently not available",
        "486" => "principal procedure date",
        "487" => "claim not found, claim should have been submitted to/through 'entity'",
        "488" => "diagnosis code(s) for the services rendered",
        "489" => "attachment control number",
        "490" => "other procedure code for service(s) rendered",
        "491" => "entity not eligible for encounter submission",
        "492" => "other procedure date",
        "493" => "version/release/industry ID code not currently supported by information holder",
        "495" => {
            "requests for re-adjudication must reference the newly assigned payer claim control \
             number for this previously adjusted claim. Correct the payer claim control number \
             and re-submit"
        }
        "496" => "submitter not approved for electronic claim submissions on behalf of this entity",
        "498" => "maximum leave days exhausted",
        "499" => "no rate on file with the payer for this service for this entity",
        "500" => "entity's postal/zip code",
        "501" => "entity's state/province",
        "502" => "entity's city",
        "503" => "entity's street address",
        "504" => "entity's last name",
        "505" => "entity's first name",
        "506" => {
            "entity is changing processor/clearinghouse. This claim must be submitted to the \
             new processor/clearinghouse"
        }
        "507" => "HCPCS",
        "508" => "ICD9",
        "509" => "external cause of injury code",
        "510" => "future date",
        "511" => "invalid character",
        "512" => "length invalid for receiver's application system",
        "513" => "HIPPS rate code for services rendered",
        "514" => "entity's middle name",
        "516" => "other entity's adjudication or payment/remittance date",
        "530" => "claim adjustment indicator",
        "535" => "claim frequency code",
        "538" => "claim or encounter identifier",
        "541" => "claim submission reason code",
        "543" => "clearinghouse or value added network trace",
        "546" => "contract code",
        "548" => "contract type code",
        "550" => "coordination of benefits code",
        "551" => "coordination of benefits total submitted charge",
        "555" => "delay reason code",
        "557" => "diagnosis date",
        "559" => "document control identifier",
        "560" => "entity's additional/secondary identifier",
        "561" => "entity's contact name",
        "562" => "entity's national provider identifier (NPI)",
        "563" => "entity's tax amount",
        "567" => "facility code qualifier",
        "578" => "insurance type code",
        "582" => "lifetime psychiatric days count",
        "583" => "line item charge amount",
        "584" => "line item control number",
        "585" => "denied charge or non-covered charge",
        "586" => "line note text",
        "588" => "medical record number",
        "589" => "provider accept assignment code",
        "594" => "mental status code",
        "596" => "non-covered charge amount",
        "604" => "originator application transaction identifier",
        "609" => "participation agreement",
        "610" => "patient discharge facility type code",
        "611" => "peer review authorization number",
        "615" => "policy compliance code",
        "616" => "policy name",
        "628" => "pricing methodology",
        "633" => "related causes code (accident, auto accident, employment)",
        "639" => "responsibility amount",
        "642" => "service authorization exception code",
        "643" => "service line paid amount",
        "644" => "service line rate",
        "650" => "special program indicator",
        "654" => "total denied charge amount",
        "659" => "unit or basis for measurement code",
        "663" => "entity's group name",
        "672" => "other payer's payment information is out of balance",
        "673" => "patient reason for visit",
        "674" => "authorization exceeded",
        "675" => "facility admission through discharge dates",
        "676" => "entity possibly compensated by facility",
        "677" => "entity not affiliated",
        "678" => "revenue code and patient gender mismatch",
        "680" => "entity's country",
        "681" => "claim currency not supported",
        "684" => {
            "rejected. Syntax error noted for this claim/service/inquiry. See Functional or \
             Implementation Acknowledgement for details"
        }
        "686" => {
            "the claim/ encounter has completed the adjudication cycle and the entire claim has \
             been voided"
        }
        "688" => "present on admission indicator for reported diagnosis code(s)",
        "693" => "amount must be greater than or equal to zero",
        "694" => "amount must not be equal to zero",
        "695" => "entity's country subdivision code",
        "696" => "claim adjustment group code",
        "697" => "invalid decimal precision",
        "700" => "ICD10",
        "701" => "initial treatment date",
        "704" => "claim note text",
        "710" => "line adjudication information",
        "713" => "patient condition description",
        "717" => "this claim has been split for processing",
        "718" => "claim/service not submitted within the required timeframe (timely filing)",
        "719" => "NUBC occurrence code(s)",
        "720" => "NUBC occurrence code date(s)",
        "721" => "NUBC occurrence span code(s)",
        "722" => "NUBC occurrence span code date(s)",
        "725" => "NUBC value code(s)",
        "726" => "NUBC value code amount(s)",
        "732" => "information submitted inconsistent with billing guidelines",
        "733" => "prefix for entity's contract/member number",
        "735" => "this service/claim is included in the allowance for another service or claim",
        "736" => "a related or qualifying service/claim has not been received/adjudicated",
        "741" => "entity must be a person",
        "742" => "payer responsibility sequence number code",
        "743" => "entity's credential/enrollment information",
        "745" => "identifier qualifier",
        "746" => "duplicate submission",
        "748" => "corrected data",
        "754" => "entity name suffix",
        "755" => "entity's primary identifier",
        "756" => "entity's received date",
        "757" => "last seen date",
        "761" => "entity's referral number",
        "765" => "institutional charges are non covered",
        "770" => {
            "duplicate of a claim processed or in process as a crossover/coordination of \
             benefits claim"
        }
        "771" => {
            "claim submitted prematurely. Please resubmit after crossover/payer to payer COB \
             allotted waiting period"
        }
        "772" => "the greatest level of diagnosis code specificity is required",
        "773" => "one calendar year per claim",
        "775" => "entity type qualifier (person/non-person entity)",
        "779" => "service submitted for the same/similar service within a set timeframe",
        "781" => "claim has been identified as a readmission",
        "784" => "electronic visit verification criteria do not match",
        "787" => "resubmit a new claim, not a replacement claim",
        "792" => {
            "submit these services to the patient's behavioral health plan for further \
             consideration"
        }
        "795" => "claim submitted prematurely. Please provide the prior payer's final adjudication",
        "796" => "procedure code not valid for date of service",
        "799" => "resubmit a replacement claim, not a new claim",
        _ => return None,
    })
}

/// STC01-3 (and STC10-3, STC11-3) — Entity Identifier Code (element 98): the party a status
/// code is about.
pub fn entity(code: &str) -> Option<&'static str> {
    Some(match code {
        "03" => "dependent",
        "1E" => "health maintenance organization (HMO)",
        "1I" => "preferred provider organization (PPO)",
        "1P" => "provider",
        "1T" => "physician, clinic or group practice",
        "1W" => "psychiatric health facility",
        "2B" => "third-party administrator",
        "36" => "employer",
        "3T" => "alcoholism and other chemical dependency facility",
        "3X" => "alcohol/drug abuse or dependency inpatient unit",
        "3Y" => "alcohol/drug abuse or dependency outpatient services",
        "40" => "receiver",
        "41" => "submitter",
        "5I" => "psychiatric child/adolescent services",
        "5L" => "psychiatric emergency services",
        "5N" => "psychiatric inpatient unit",
        "5O" => "psychiatric outpatient services",
        "5P" => "psychiatric partial hospitalization program",
        "71" => "attending physician",
        "72" => "operating physician",
        "73" => "other physician",
        "74" => "corrected insured",
        "77" => "service location",
        "80" => "hospital",
        "82" => "rendering provider",
        "85" => "billing provider",
        "87" => "pay-to provider",
        "AY" => "clearinghouse",
        "DK" => "ordering physician",
        "DN" => "referring provider",
        "DQ" => "supervising physician",
        "FA" => "facility",
        "GB" => "other insured",
        "IL" => "insured or subscriber",
        "P3" => "primary care provider",
        "PE" => "payee",
        "PR" => "payer",
        "PRP" => "primary payer",
        "QB" => "purchase service provider",
        "QC" => "patient",
        "QD" => "responsible party",
        "SEP" => "secondary payer",
        "TT" => "transfer to",
        "TTP" => "tertiary payer",
        "TU" => "third party repricing organization (TPO)",
        "X3" => "utilization management organization",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_codes_a_277ca_uses_read_in_words() {
        for (code, words) in [
            ("19", "entity acknowledges receipt of claim/encounter"),
            ("20", "accepted for processing"),
            ("21", "missing or invalid information"),
            ("33", "subscriber and subscriber id not found"),
            ("116", "claim submitted to incorrect payer"),
            ("128", "entity's tax id"),
            ("145", "entity's specialty/taxonomy code"),
            ("562", "entity's national provider identifier (NPI)"),
            (
                "718",
                "claim/service not submitted within the required timeframe (timely filing)",
            ),
        ] {
            assert_eq!(status_code(code), Some(words), "508 {code}");
        }
        for (code, words) in [
            ("85", "billing provider"),
            ("IL", "insured or subscriber"),
            ("QC", "patient"),
            ("PR", "payer"),
            ("41", "submitter"),
        ] {
            assert_eq!(entity(code), Some(words), "98 {code}");
        }
    }

    #[test]
    fn numeric_codes_match_without_leading_zeros() {
        assert_eq!(status_code("021"), status_code("21"));
        assert_eq!(status_code("00"), status_code("0"));
        assert_eq!(
            status_code("0"),
            Some("cannot provide further status electronically")
        );
        // Entity codes are not numbers: `03` (dependent) is not `3`.
        assert_eq!(entity("03"), Some("dependent"));
        assert_eq!(entity("3"), None);
    }

    #[test]
    fn an_unlisted_code_has_no_words() {
        for code in ["", "4", "999", "9999", "A1", "0x1", "21 "] {
            assert_eq!(status_code(code), None, "508 {code:?}");
        }
        for code in ["", "XX", "85 ", "qc", "ZZ"] {
            assert_eq!(entity(code), None, "98 {code:?}");
        }
    }

    /// The words go inside a sentence (`status missing or invalid information (21), entity
    /// patient (QC)`): no usage notes, no closing full stop, no capital to open them except a
    /// name or an abbreviation.
    #[test]
    fn every_description_reads_inside_a_sentence() {
        let listed = (0..1000)
            .map(|n| n.to_string())
            .filter_map(|code| status_code(&code))
            .chain(
                [
                    "03", "1E", "1I", "1P", "85", "IL", "PR", "PRP", "QC", "TU", "X3",
                ]
                .into_iter()
                .filter_map(entity),
            )
            .collect::<Vec<_>>();
        assert!(listed.len() > 250, "{}", listed.len());
        let names = [
            "Blue", "Medicare", "Medicaid", "UPIN", "TRICARE", "DRG", "UB04", "HCPCS", "ICD9",
            "ICD10", "HIPPS", "NUBC",
        ];
        for words in listed {
            assert!(!words.contains("Usage"), "{words}");
            assert!(!words.contains("Note:"), "{words}");
            assert!(!words.ends_with('.'), "{words}");
            assert_eq!(words.trim(), words);
            assert!(!words.contains("  "), "{words}");
            let opens_with_capital = words.starts_with(|c: char| c.is_ascii_uppercase());
            assert!(
                !opens_with_capital || names.iter().any(|n| words.starts_with(n)),
                "{words}"
            );
        }
    }
}
