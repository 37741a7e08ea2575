//! The codes a payer explains its payment with, in words, and what billing staff do next.
//!
//! - **CARC** (Claim Adjustment Reason Code, 835 `CAS02/05/…`): why an amount was not paid.
//!   Each comes with a [`NextStep`].
//! - **RARC** (Remittance Advice Remark Code, 835 `LQ*HE`, `MOA03–07`, `MIA05/20–24`): more
//!   detail, often what is missing. Remarks starting "Alert:" inform and ask for nothing.
//! - **Group codes** (`CAS01`): who bears the adjustment — see [`group_name`].
//!
//! The descriptions are short paraphrases of the code lists X12 maintains (CARC, and RARC for
//! CMS), written here, not copied: the official wording is long and full of usage notes. A code
//! not in the tables is `None`, and the caller shows the code as sent; nothing is guessed. The
//! tables hold the codes common in behavioural-health and outpatient billing and every code
//! seen in the third-party 835 samples (`../shared/realworld/835`), retired ones included
//! (payers keep sending them: `42`, `A2`).
//!
//! A [`NextStep`] is the usual next step for the reason. The group code still decides who is
//! liable: an amount under `CO` is never billed to the patient, whatever its reason.

/// What billing staff usually do about an adjustment with this reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NextStep {
    /// Contractual or pricing reductions: nothing to chase.
    WriteOff,
    /// The patient's share under the plan.
    BillPatient,
    /// The claim as sent was wrong (codes, modifiers, dates, form): correct it and send it again.
    SubmitReplacement,
    /// The payer lacks information or an attachment; the remark code names it.
    SupplyMissingInformation,
    /// Precertification, authorization or referral missing, exceeded or not matching.
    AppealWithAuthorization,
    /// Coordination of benefits: another payer is responsible first, or must be billed.
    BillOtherPayer,
    /// Filed too late, by the payer's records.
    AppealWithProofOfTimelyFiling,
    /// Already received or paid.
    CheckOriginalClaim,
    /// Coverage, eligibility or identity of the patient in question.
    ReverifyCoverage,
    /// Not covered or not medically necessary, by the payer's judgement.
    AppealWithRecords,
    /// The provider's enrollment, credentialing or network status is in question.
    CheckProviderEnrollment,
    /// Still under review, forwarded, or held: the payer will say more.
    WaitForPayer,
    /// The remark code carries the reason and what to do.
    SeeRemark,
    /// Reported for information: the amount is accounted for elsewhere.
    Informational,
}

impl NextStep {
    /// The step in words, for billing staff.
    pub fn in_words(self) -> &'static str {
        match self {
            NextStep::WriteOff => {
                "None: write the amount off per the contract; do not bill the patient."
            }
            NextStep::BillPatient => {
                "Bill the patient for this amount (their share under the plan)."
            }
            NextStep::SubmitReplacement => {
                "Correct the claim and send it again: a replacement claim (frequency 7) naming \
                 the payer's claim number when the payer adjudicated it, else a new claim."
            }
            NextStep::SupplyMissingInformation => {
                "Add what the remark code names (information, attachment, documentation), \
                 correct the claim and resubmit it."
            }
            NextStep::AppealWithAuthorization => {
                "Appeal with the authorization (or referral) number on file for these dates and \
                 services; if there is none, ask the payer for a retro-authorization."
            }
            NextStep::BillOtherPayer => {
                "Bill the payer responsible first (another plan, workers' compensation, \
                 liability), or send this payer the primary payer's remittance."
            }
            NextStep::AppealWithProofOfTimelyFiling => {
                "Appeal with proof of timely filing (the clearinghouse or payer acceptance \
                 report for the first submission)."
            }
            NextStep::CheckOriginalClaim => {
                "Check the status and payment of the original claim; do not resubmit."
            }
            NextStep::ReverifyCoverage => {
                "Re-verify coverage for the dates of service, correct the member or payer and \
                 resubmit; if the patient had no coverage, bill the patient."
            }
            NextStep::AppealWithRecords => {
                "Appeal with the clinical records supporting the service, or bill the patient \
                 if a signed waiver (advance notice) is on file."
            }
            NextStep::CheckProviderEnrollment => {
                "Check the provider's enrollment, credentialing or network status with the \
                 payer for this service and date, then resubmit."
            }
            NextStep::WaitForPayer => {
                "Wait: the payer is still reviewing or has forwarded the claim; follow up if no \
                 remittance arrives."
            }
            NextStep::SeeRemark => {
                "Read the remark code sent with it: it gives the reason and what to do."
            }
            NextStep::Informational => {
                "Nothing to do: the amount is accounted for elsewhere (another payment, a prior \
                 payer, or a decision already made)."
            }
        }
    }
}

/// One Claim Adjustment Reason Code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CarcInfo {
    pub code: &'static str,
    pub description: &'static str,
    pub next_step: NextStep,
}

/// The CARC `code` (`"45"`, `"B7"`), or `None` when the table does not know it.
pub fn carc(code: &str) -> Option<&'static CarcInfo> {
    CARCS.iter().find(|c| c.code == code)
}

/// The description of the RARC `code` (`"N54"`), or `None` when the table does not know it.
pub fn rarc(code: &str) -> Option<&'static str> {
    RARCS.iter().find(|(c, _)| *c == code).map(|(_, d)| *d)
}

/// The name of a claim adjustment group code (835 `CAS01`; `CR` is not used in 5010).
pub fn group_name(code: &str) -> Option<&'static str> {
    match code {
        "CO" => {
            Some("Contractual obligation (the provider's write-off, not billable to the patient)")
        }
        "OA" => Some("Other adjustment"),
        "PI" => Some("Payer-initiated reduction"),
        "PR" => Some("Patient responsibility"),
        _ => None,
    }
}

/// Every CARC known here.
pub fn all_carcs() -> &'static [CarcInfo] {
    CARCS
}

/// Every RARC known here, with its description.
pub fn all_rarcs() -> &'static [(&'static str, &'static str)] {
    RARCS
}

const fn c(code: &'static str, description: &'static str, next_step: NextStep) -> CarcInfo {
    CarcInfo {
        code,
        description,
        next_step,
    }
}

use NextStep::{
    AppealWithAuthorization as Auth, AppealWithProofOfTimelyFiling as Timely,
    AppealWithRecords as Records, BillOtherPayer as OtherPayer, BillPatient as Patient,
    CheckOriginalClaim as Original, CheckProviderEnrollment as Enrollment, Informational as Info,
    ReverifyCoverage as Coverage, SeeRemark as Remark, SubmitReplacement as Replace,
    SupplyMissingInformation as Missing, WaitForPayer as Wait, WriteOff as Write,
};

static CARCS: &[CarcInfo] = &[
    c("1", "Deductible amount.", Patient),
    c("2", "Coinsurance amount.", Patient),
    c("3", "Co-payment amount.", Patient),
    c("4", "The procedure code does not fit the modifier billed, or a required modifier is missing.", Replace),
    c("5", "The procedure code or type of bill does not fit the place of service.", Replace),
    c("6", "The procedure or revenue code does not fit the patient's age.", Replace),
    c("7", "The procedure or revenue code does not fit the patient's gender.", Replace),
    c("8", "The procedure code does not fit the provider's type or specialty (taxonomy).", Replace),
    c("9", "The diagnosis does not fit the patient's age.", Replace),
    c("10", "The diagnosis does not fit the patient's gender.", Replace),
    c("11", "The diagnosis does not fit the procedure.", Replace),
    c("12", "The diagnosis does not fit the provider type.", Replace),
    c("13", "The date of death is before the date of service.", Replace),
    c("14", "The date of birth is after the date of service.", Replace),
    c("15", "The authorization number is missing, invalid, or does not apply to the services or provider billed.", Auth),
    c("16", "The claim or service lacks information needed to decide it, or has a billing error; a remark code says what.", Missing),
    c("18", "Exact duplicate of a claim or service already received.", Original),
    c("19", "A work-related injury or illness: the workers' compensation carrier is liable.", OtherPayer),
    c("20", "The injury or illness is covered by the liability carrier.", OtherPayer),
    c("21", "The injury or illness is the no-fault carrier's liability.", OtherPayer),
    c("22", "Another payer may cover this care under coordination of benefits.", OtherPayer),
    c("23", "The effect of what prior payers paid or adjusted.", Info),
    c("24", "Covered under a capitation agreement or managed care plan.", Write),
    c("26", "Expenses incurred before coverage began.", Coverage),
    c("27", "Expenses incurred after coverage ended.", Coverage),
    c("29", "The time limit for filing has expired.", Timely),
    c("31", "The payer cannot identify the patient as its insured.", Coverage),
    c("32", "The payer's records show the patient is not an eligible dependent.", Coverage),
    c("33", "The insured has no dependent coverage.", Coverage),
    c("34", "The insured has no coverage for newborns.", Coverage),
    c("35", "The lifetime benefit maximum has been reached.", Patient),
    c("39", "The services were denied when authorization or precertification was requested.", Records),
    c("40", "The charges do not meet the criteria for emergency or urgent care.", Records),
    c("42", "The charges exceed the fee schedule or maximum allowable amount (a retired code; payers now use 45).", Write),
    c("45", "The charge exceeds the fee schedule, maximum allowable, or contracted or legislated fee arrangement.", Write),
    c("49", "Not covered: a routine or preventive exam, or a screening done with one.", Records),
    c("50", "Not covered: the payer does not deem the service a medical necessity.", Records),
    c("51", "Not covered: a pre-existing condition.", Records),
    c("55", "The payer deems the procedure, treatment or drug experimental or investigational.", Records),
    c("56", "The payer has not deemed the procedure or treatment proven to be effective.", Records),
    c("58", "The payer deems the place of service inappropriate or invalid for the treatment.", Replace),
    c("59", "Processed under multiple or concurrent procedure rules.", Write),
    c("66", "Blood deductible.", Patient),
    c("89", "Professional fees removed from the charges.", Info),
    c("90", "Ingredient cost adjustment (pharmaceuticals only).", Write),
    c("94", "Processed in excess of the charges.", Info),
    c("96", "Non-covered charge(s); a remark code says why.", Records),
    c("97", "Included in the payment or allowance for another service or procedure already decided.", Write),
    c("100", "Payment was made to the patient, insured or responsible party.", Patient),
    c("101", "Predetermination: the payment expected once the services are completed or the claim is decided.", Info),
    c("107", "The related or qualifying claim or service was not identified on this claim.", Missing),
    c("109", "Not covered by this payer or contractor: send the claim to the correct one.", OtherPayer),
    c("110", "The billing date is before the service date.", Replace),
    c("112", "The service was not furnished directly to the patient, or is not documented.", Records),
    c("119", "The benefit maximum for this period or occurrence has been reached.", Patient),
    c("122", "Psychiatric reduction.", Write),
    c("125", "Submission or billing error(s); a remark code says which.", Missing),
    c("129", "Information about prior processing appears incorrect; a remark code says what.", Missing),
    c("130", "Claim submission fee.", Write),
    c("131", "Claim-specific negotiated discount.", Write),
    c("132", "Prearranged demonstration project adjustment.", Write),
    c("133", "The disposition of this service is pending further review.", Wait),
    c("134", "Technical fees removed from the charges.", Info),
    c("135", "Interim bills cannot be processed.", Replace),
    c("139", "Contracted funding agreement: the subscriber is employed by the provider of the services.", Write),
    c("140", "The patient's or insured's identification number and name do not match.", Coverage),
    c("142", "Monthly Medicaid patient liability amount.", Patient),
    c("143", "Portion of the payment deferred.", Wait),
    c("144", "Incentive adjustment, e.g. for a preferred product or service.", Info),
    c("146", "The diagnosis was invalid for the date(s) of service reported.", Replace),
    c("147", "The provider's contracted or negotiated rate expired or is not on file.", Enrollment),
    c("148", "Information from another provider was not provided or was incomplete; a remark code says what.", Missing),
    c("149", "The lifetime benefit maximum for this service or benefit category has been reached.", Patient),
    c("150", "The payer deems the information submitted does not support this level of service.", Records),
    c("151", "The payer deems the information submitted does not support this many services or this frequency.", Records),
    c("152", "The payer deems the information submitted does not support this length of service.", Records),
    c("160", "The injury or illness resulted from an activity that is a benefit exclusion.", Records),
    c("163", "An attachment or other documentation referenced on the claim was not received.", Missing),
    c("164", "An attachment or other documentation referenced on the claim was not received in time.", Missing),
    c("165", "Referral absent or exceeded.", Auth),
    c("166", "Submitted after this payer's responsibility for claims under this plan ended.", Coverage),
    c("167", "The diagnosis (or diagnoses) is not covered.", Records),
    c("169", "An alternate benefit has been provided.", Info),
    c("170", "Payment is denied when performed or billed by this type of provider.", Enrollment),
    c("171", "Payment is denied when performed or billed by this type of provider in this type of facility.", Enrollment),
    c("172", "Payment is adjusted when performed or billed by a provider of this specialty.", Write),
    c("177", "The patient has not met the required eligibility requirements.", Coverage),
    c("178", "The patient has not met the required spend-down requirements.", Coverage),
    c("179", "The patient has not met the required waiting requirements.", Coverage),
    c("180", "The patient has not met the required residency requirements.", Coverage),
    c("181", "The procedure code was invalid on the date of service.", Replace),
    c("182", "The procedure modifier was invalid on the date of service.", Replace),
    c("183", "The referring provider is not eligible to refer the service billed.", Enrollment),
    c("184", "The prescribing or ordering provider is not eligible to prescribe or order the service billed.", Enrollment),
    c("185", "The rendering provider is not eligible to perform the service billed.", Enrollment),
    c("186", "Level of care change adjustment.", Records),
    c("187", "Consumer spending account payments (flexible spending, health savings or health reimbursement accounts).", Info),
    c("189", "A 'not otherwise classified' or unlisted procedure code was billed where a specific code exists.", Replace),
    c("192", "Non-standard adjustment code from a paper remittance.", Info),
    c("193", "The original payment decision is maintained: on review, the claim was processed correctly.", Info),
    c("195", "Refund issued to a payer that was wrongly taken as the one paying first for this claim or service.", Info),
    c("197", "Precertification, authorization, notification or pre-treatment was absent.", Auth),
    c("198", "Precertification, notification, authorization or pre-treatment was exceeded.", Auth),
    c("199", "The revenue code and the procedure code do not match.", Replace),
    c("200", "Expenses incurred during a lapse in coverage.", Coverage),
    c("201", "The patient is responsible for this amount through a set-aside arrangement or other agreement.", Patient),
    c("202", "Non-covered personal comfort or convenience services.", Patient),
    c("203", "Discontinued or reduced service.", Info),
    c("204", "The service, equipment or drug is not covered under the patient's current benefit plan.", Records),
    c("206", "The National Provider Identifier is missing.", Replace),
    c("207", "The National Provider Identifier is in an invalid format.", Replace),
    c("208", "The National Provider Identifier does not match the payer's records.", Enrollment),
    c("209", "By regulation or agreement the patient cannot be billed this amount, but a later payer may be; refund the patient if collected.", OtherPayer),
    c("210", "Precertification or authorization was not received in time.", Auth),
    c("215", "Based on subrogation of a third-party settlement.", Info),
    c("216", "Based on the findings of a review organization.", Records),
    c("222", "Exceeds the contracted maximum number of hours, days or units for this provider for this period (not specific to the patient).", Write),
    c("223", "Adjustment required by a federal, state or local law or regulation that no other code covers yet.", Remark),
    c("224", "The patient's identity was compromised by identity theft; it must be verified for this and later claims.", Coverage),
    c("226", "Information requested from the billing or rendering provider was not sent, sent late, or incomplete; a remark code says what.", Missing),
    c("227", "Information requested from the patient, insured or responsible party was not sent or was incomplete; a remark code says what.", Missing),
    c("228", "Denied because this or another provider, or the subscriber, did not give a previous payer the information it requested.", Missing),
    c("231", "Mutually exclusive procedures cannot be done on the same day or in the same setting.", Replace),
    c("233", "Services or charges related to treating a hospital-acquired condition or preventable medical error.", Write),
    c("234", "This procedure is not paid separately; a remark code says why.", Write),
    c("235", "Sales tax.", Info),
    c("236", "The procedure, or procedure and modifier, is not compatible with another provided the same day (National Correct Coding Initiative or workers' compensation rules).", Replace),
    c("237", "Legislated or regulatory penalty; a remark code says which.", Write),
    c("238", "The claim spans eligible and ineligible periods of coverage; this is the reduction for the ineligible period.", Patient),
    c("239", "The claim spans eligible and ineligible periods of coverage: bill separate claims.", Replace),
    c("242", "Services not provided by network or primary care providers.", Enrollment),
    c("243", "Services not authorized by network or primary care providers.", Auth),
    c("245", "Provider performance program withhold.", Write),
    c("246", "A non-payable code reported for required reporting only.", Info),
    c("249", "The claim has been identified as a readmission.", Records),
    c("250", "The attachment or documentation received was not the one expected, which is still missing; a remark code says which.", Missing),
    c("251", "The attachment or documentation received was incomplete or deficient; the information is still needed, as a remark code says.", Missing),
    c("252", "An attachment or other documentation is needed to decide this claim or service; a remark code says which.", Missing),
    c("253", "Sequestration: a reduction in federal payment.", Write),
    c("254", "Received by the dental plan, which has no benefits for it: submit the services to the patient's medical plan.", OtherPayer),
    c("256", "The service is not payable under the managed care contract.", Write),
    c("257", "Undecided during the premium payment grace period (Health Insurance Exchange); it will be reversed and corrected when the grace period ends.", Wait),
    c("258", "Not covered while the patient is in custody or incarcerated; a federal, state or local authority may cover it.", OtherPayer),
    c("261", "The procedure or service does not fit the patient's history.", Records),
    c("267", "The claim or service spans multiple months; a remark code says more.", Replace),
    c("268", "The claim spans two calendar years: resubmit one claim per calendar year.", Replace),
    c("270", "Received by the medical plan, which has no benefits for it: submit the services to the patient's dental plan.", OtherPayer),
    c("272", "Coverage or program guidelines were not met.", Records),
    c("273", "Coverage or program guidelines were exceeded.", Records),
    c("274", "The fee or service is not payable under the patient's care coordination arrangement.", Write),
    c("275", "The prior payer's patient responsibility (deductible, coinsurance, co-payment) is not covered.", Patient),
    c("276", "Services the prior payer denied are not covered by this payer.", Info),
    c("277", "Undecided during the premium payment grace period (SHOP Exchange); it will be reversed and corrected when the grace period ends.", Wait),
    c("279", "Services not provided by the member's preferred network providers.", Enrollment),
    c("281", "Deductible waived under the contract.", Write),
    c("282", "The procedure or revenue code does not fit the type of bill.", Replace),
    c("283", "The attending provider is not eligible to direct care.", Enrollment),
    c("284", "The precertification, authorization, notification or pre-treatment number may be valid but does not apply to the services billed.", Auth),
    c("285", "Appeal procedures were not followed.", Info),
    c("286", "Appeal time limits were not met.", Info),
    c("287", "Referral exceeded.", Auth),
    c("288", "Referral absent.", Auth),
    c("296", "The precertification, authorization, notification or pre-treatment number may be valid but does not apply to the provider.", Auth),
    c("299", "The billing provider is not eligible to receive payment for the service billed.", Enrollment),
    c("300", "Received by the medical plan, which has no benefits for it; forwarded to the patient's behavioral health plan.", Wait),
    c("301", "Received by the medical plan, which has no benefits for it: submit the services to the patient's behavioral health plan.", OtherPayer),
    c("302", "The time limit for precertification, notification, authorization or pre-treatment has expired.", Auth),
    c("A0", "Patient refund amount.", Info),
    c("A1", "Claim or service denied; a remark code says why.", Remark),
    c("A2", "Contractual adjustment (a retired code; payers now use 45).", Write),
    c("B1", "Non-covered visits.", Records),
    c("B4", "Late filing penalty.", Timely),
    c("B7", "The provider was not certified or eligible to be paid for this procedure or service on this date.", Enrollment),
    c("B8", "Alternative services were available and should have been used.", Records),
    c("B9", "The patient is enrolled in a hospice.", OtherPayer),
    c("B10", "The allowed amount was reduced because a component of the basic procedure or test was paid.", Write),
    c("B11", "The claim or service was transferred to the proper payer or processor; this one does not cover it.", Wait),
    c("B12", "The services are not documented in the patient's medical records.", Records),
    c("B13", "Previously paid: payment for this claim or service may have been made in an earlier payment.", Original),
    c("B14", "Only one visit or consultation per physician per day is covered.", Write),
    c("B15", "This service needs a qualifying service or procedure to be received and covered, which has not been received or decided.", Missing),
    c("B16", "'New patient' qualifications were not met.", Replace),
    c("B20", "The procedure or service was partly or fully furnished by another provider.", Write),
    c("B22", "This payment is adjusted based on the diagnosis.", Info),
    c("P1", "A state requirement for property and casualty claims; see the remark code.", Remark),
    c("P2", "Not a work-related injury or illness, so not the workers' compensation carrier's liability.", OtherPayer),
    c("P3", "Workers' compensation case settled: the patient is responsible through a set-aside arrangement or other agreement.", Patient),
    c("P4", "Workers' compensation claim found non-compensable: this payer is not liable.", OtherPayer),
    c("P5", "Based on the payer's reasonable and customary fees; no legislated maximum applies (property and casualty).", Write),
    c("P6", "Based on entitlement to benefits (property and casualty).", Info),
    c("P7", "The fee schedule does not contain the billed code: resubmit with the code that best describes the service (property and casualty).", Replace),
    c("P8", "The claim is under investigation (property and casualty).", Wait),
    c("P9", "No CPT/HCPCS code describes this service (property and casualty).", Remark),
    c("P10", "Payment reduced to zero due to litigation; more information follows when it ends (property and casualty).", Wait),
    c("P11", "The related property and casualty claim is pending litigation.", Wait),
    c("P12", "Workers' compensation jurisdictional fee schedule adjustment.", Write),
    c("P13", "Reduced or denied under workers' compensation jurisdictional rules or payment policies.", Remark),
    c("P14", "Included in the payment for another service or procedure performed the same day (property and casualty).", Write),
    c("P15", "Workers' compensation medical treatment guideline adjustment.", Write),
    c("P16", "The provider is not authorized or certified to treat injured workers in this jurisdiction.", Enrollment),
];

static RARCS: &[(&str, &str)] = &[
    ("M15", "Separately billed services or tests were bundled as parts of the same procedure; no separate payment."),
    ("M16", "Alert: see the payer's web site, mailings or bulletins for more on this policy or decision."),
    ("M20", "Missing, incomplete or invalid HCPCS code."),
    ("M50", "Missing, incomplete or invalid revenue code(s)."),
    ("M51", "Missing, incomplete or invalid procedure code(s)."),
    ("M53", "Missing, incomplete or invalid days or units of service."),
    ("M62", "Missing, incomplete or invalid treatment authorization code."),
    ("M76", "Missing, incomplete or invalid diagnosis or condition."),
    ("M77", "Missing, incomplete, invalid or inappropriate place of service."),
    ("M86", "Denied: payment was already made for the same or a similar procedure within a set time frame."),
    ("M127", "Missing patient medical record for this service."),
    ("MA01", "Alert: you may appeal what was approved, in writing within 120 days of receiving this notice; someone who did not process the claim decides the appeal."),
    ("MA02", "Alert: you may appeal this determination in writing within 180 days of receiving this notice."),
    ("MA04", "Secondary payment cannot be considered without the primary payer's identity or payment information."),
    ("MA13", "Alert: you may be penalized if you bill the patient for amounts not reported under group code PR."),
    ("MA18", "Alert: the claim was also forwarded to the patient's supplemental insurer; send questions about supplemental benefits to them."),
    ("MA63", "Missing, incomplete or invalid principal diagnosis."),
    ("MA130", "The claim holds incomplete or invalid information and cannot be processed (no appeal rights): submit a new claim with the complete, correct information."),
    ("N1", "Alert: you may appeal this decision in writing within the required time limits, as your contract, the plan documents or the statutes say."),
    ("N4", "Missing, incomplete or invalid prior insurance carrier EOB."),
    ("N10", "Adjusted on the findings of a review organization, professional consult, manual adjudication, or medical or peer review."),
    ("N19", "Procedure code incidental to the primary procedure."),
    ("N20", "Service not payable with another service rendered on the same date."),
    ("N30", "The patient is ineligible for this service."),
    ("N42", "Missing mental health assessment."),
    ("N45", "Payment based on the authorized amount."),
    ("N54", "The claim information is inconsistent with the precertified or authorized services."),
    ("N56", "The procedure code billed is not correct or valid for the services billed or the date of service."),
    ("N59", "Alert: see your provider manual for more program and provider information."),
    ("N95", "This provider type or specialty may not bill this service."),
    ("N115", "This decision was based on a Local Coverage Determination (LCD)."),
    ("N130", "Consult the plan's benefit documents or guidelines for restrictions on this service."),
    ("N142", "The original claim was denied: submit a new claim, not a replacement claim."),
    ("N179", "Additional information was requested from the member; the charges will be reconsidered when it arrives."),
    ("N185", "Alert: do not resubmit this claim or service."),
    ("N188", "The approved level of care does not match the procedure code submitted."),
    ("N206", "The supporting documentation does not match the information sent on the claim."),
    ("N210", "Alert: you may appeal this decision."),
    ("N211", "Alert: you may not appeal this decision."),
    ("N290", "Missing, incomplete or invalid rendering provider primary identifier."),
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::x12::tokenize;

    #[test]
    fn the_tables_have_no_duplicate_and_enough_codes() {
        let carcs: BTreeSet<&str> = all_carcs().iter().map(|c| c.code).collect();
        assert_eq!(carcs.len(), all_carcs().len(), "a CARC is listed twice");
        assert!(carcs.len() >= 80, "{} CARCs", carcs.len());
        let rarcs: BTreeSet<&str> = all_rarcs().iter().map(|(c, _)| *c).collect();
        assert_eq!(rarcs.len(), all_rarcs().len(), "a RARC is listed twice");
        for info in all_carcs() {
            assert!(
                info.code.len() <= 3 && info.code.bytes().all(|b| b.is_ascii_alphanumeric()),
                "{}",
                info.code
            );
            assert!(info.description.ends_with('.'), "{}", info.code);
            assert!(!info.next_step.in_words().is_empty());
        }
        for (code, description) in all_rarcs() {
            assert!(code.len() <= 5 && description.ends_with('.'), "{code}");
        }
    }

    #[test]
    fn the_codes_behavioral_health_billing_meets_most_are_known() {
        let common = [
            "1", "2", "3", "4", "5", "6", "11", "15", "16", "18", "22", "23", "24", "26", "27",
            "29", "31", "39", "40", "45", "49", "50", "55", "56", "58", "59", "89", "90", "94",
            "96", "97", "101", "109", "119", "129", "131", "133", "140", "142", "146", "150",
            "151", "160", "167", "170", "171", "177", "181", "182", "183", "185", "189", "193",
            "197", "198", "199", "200", "204", "222", "223", "226", "227", "231", "234", "235",
            "236", "242", "243", "251", "252", "253", "256", "258", "270", "272", "273", "275",
            "276", "277", "284", "288", "B1", "B7", "B9", "B11", "B13", "B15", "B16", "B20", "B22",
            "P1",
        ];
        let unknown: Vec<&str> = common
            .iter()
            .copied()
            .filter(|c| carc(c).is_none())
            .collect();
        assert!(unknown.is_empty(), "{unknown:?}");
    }

    #[test]
    fn descriptions_and_next_steps_say_what_billing_staff_need() {
        let deductible = carc("1").unwrap();
        assert_eq!(deductible.description, "Deductible amount.");
        assert_eq!(deductible.next_step, NextStep::BillPatient);
        let auth = carc("197").unwrap();
        assert!(auth.description.contains("authorization"));
        assert_eq!(auth.next_step, NextStep::AppealWithAuthorization);
        assert!(auth.next_step.in_words().contains("authorization"));
        assert_eq!(carc("45").unwrap().next_step, NextStep::WriteOff);
        assert_eq!(carc("94").unwrap().next_step, NextStep::Informational);
        assert_eq!(
            carc("29").unwrap().next_step,
            NextStep::AppealWithProofOfTimelyFiling
        );
        assert_eq!(carc("18").unwrap().next_step, NextStep::CheckOriginalClaim);
        assert!(carc("18")
            .unwrap()
            .next_step
            .in_words()
            .contains("do not resubmit"));
        assert_eq!(carc("22").unwrap().next_step, NextStep::BillOtherPayer);
        assert_eq!(carc("27").unwrap().next_step, NextStep::ReverifyCoverage);
        assert_eq!(carc("50").unwrap().next_step, NextStep::AppealWithRecords);
        assert_eq!(
            carc("16").unwrap().next_step,
            NextStep::SupplyMissingInformation
        );
        assert_eq!(carc("4").unwrap().next_step, NextStep::SubmitReplacement);
        assert!(NextStep::SubmitReplacement
            .in_words()
            .contains("frequency 7"));
        assert_eq!(
            carc("301").unwrap().next_step,
            NextStep::BillOtherPayer,
            "a medical plan sends behavioral health to the carve-out"
        );
        assert_eq!(
            rarc("M62"),
            Some("Missing, incomplete or invalid treatment authorization code.")
        );
        assert!(rarc("N142").unwrap().contains("not a replacement claim"));
        assert_eq!(
            group_name("CO").map(|n| n.starts_with("Contractual")),
            Some(true)
        );
        assert_eq!(group_name("PR"), Some("Patient responsibility"));
        assert!(group_name("OA").is_some() && group_name("PI").is_some());
    }

    #[test]
    fn an_unknown_code_is_none_not_a_guess() {
        assert_eq!(carc("999"), None);
        assert_eq!(carc(""), None);
        assert_eq!(carc("co45"), None);
        assert_eq!(rarc("N99999"), None);
        assert_eq!(group_name("CR"), None, "not a 5010 group code");
    }

    /// The third-party 835 samples: `fixtures/realworld/835` when copied there, else the shared
    /// corpus beside the project (as the oracles are).
    fn realworld_835s() -> Vec<PathBuf> {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = [
            manifest.join("fixtures/realworld/835"),
            manifest.join("../shared/realworld/835"),
        ]
        .into_iter()
        .find(|d| d.is_dir())
        .expect("the third-party 835 samples (../shared/realworld/835)");
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                !p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("README") || n.starts_with("LICENSE"))
            })
            .collect();
        files.sort();
        files
    }

    #[test]
    fn every_code_in_the_realworld_835s_is_known() {
        let (mut carcs, mut rarcs) = (BTreeSet::new(), BTreeSet::new());
        let files = realworld_835s();
        assert!(files.len() >= 9, "{files:?}");
        for file in &files {
            let bytes = std::fs::read(file).unwrap();
            let interchange = tokenize(&bytes).unwrap_or_else(|e| panic!("{file:?}: {e}"));
            for s in &interchange.segments {
                let values = |positions: &[usize]| -> Vec<String> {
                    positions
                        .iter()
                        .filter_map(|&n| s.value(n))
                        .map(str::to_string)
                        .collect()
                };
                match s.id() {
                    // CAS02, 05, 08, 11, 14, 17: the reasons of up to six triplets.
                    "CAS" => carcs.extend(values(&[2, 5, 8, 11, 14, 17])),
                    "LQ" if s.value(1) == Some("HE") => rarcs.extend(values(&[2])),
                    "MOA" => rarcs.extend(values(&[3, 4, 5, 6, 7])),
                    "MIA" => rarcs.extend(values(&[5, 20, 21, 22, 23])),
                    _ => {}
                }
            }
        }
        // What the samples hold (so a reader that found nothing cannot pass).
        for seen in ["1", "2", "16", "23", "29", "42", "45", "A2", "142", "251"] {
            assert!(carcs.contains(seen), "{seen} not found in {carcs:?}");
        }
        for seen in ["N142", "MA02"] {
            assert!(rarcs.contains(seen), "{seen} not found in {rarcs:?}");
        }
        let unknown: Vec<&String> = carcs.iter().filter(|c| carc(c).is_none()).collect();
        assert!(
            unknown.is_empty(),
            "CARCs without a description: {unknown:?}"
        );
        let unknown: Vec<&String> = rarcs.iter().filter(|r| rarc(r).is_none()).collect();
        assert!(
            unknown.is_empty(),
            "RARCs without a description: {unknown:?}"
        );
    }
}
