//! Pure X12 EDI (ASC X12 005010) for eligibility and claims: delimiters, tokenizer, envelope,
//! writer, the 270 inquiry and 837 claim builders, and the readers of what comes back — the 271
//! response, the 999/TA1 acknowledgments, the 277CA claim acknowledgment and the 835
//! remittance.
//!
//! Nothing here does I/O or logging: functions take bytes or plain structs and return strings
//! or typed trees. Every reader is total: any input, however broken (random bytes, truncated,
//! non-ASCII, empty), yields `Ok` or an [`X12Error`], never a panic.
//!
//! | file | owns |
//! |---|---|
//! | `delimiters.rs` | the four delimiters and the fixed 106-character ISA layout |
//! | `segment.rs` | the tokenizer and the [`SegmentRef`] views it reads; owned [`Segment`]/[`Element`] for writing |
//! | `envelope.rs` | reading ISA/GS/ST … SE/GE/IEA and checking counts and control numbers |
//! | `writer.rs` | writing segments and envelopes; [`check_text`], the no-delimiter rule |
//! | `values.rs` | typed element values: `D8`/`RD8` dates, times, `R` decimals; dates kept as sent |
//! | `common.rs` | NM1, N3/N4, PER, REF, DTP, AAA, PRV, TRN, AMT, QTY as typed structs; composites |
//! | `inquiry270.rs` | building a 270 (005010X279A1) |
//! | `claim837.rs` | building an 837I (005010X223A2) or 837P (005010X222A1); reading back the numbers of one we wrote |
//! | `response271.rs` | the 271 (005010X279A1) tree, [`parse_271`] and [`parse_271_batch`] |
//! | `loops271.rs` | the 271 loop readers behind both |
//! | `ack.rs` | the 999 and TA1 a payer sends instead of a 271, and [`parse_acknowledgment`] |
//! | `ack_codes.rs` | the 999 and TA1 code lists with their descriptions |
//! | `ack277.rs` | the 277CA claim acknowledgment (005010X214), [`parse_277ca`] |
//! | `claim_status_codes.rs` | the 277CA's status codes (list 508) and entity codes with their descriptions |
//! | `remit835.rs` | the 835 remittance (005010X221A1), [`parse_835`], and its balancing checks |
//!
//! Errors never echo element values (names, ids, dates), only segment ids, positions, codes
//! of the envelope and control numbers, so they are safe to log. Where a reader takes in
//! something the guide does not allow (a payment date that is no date), it says so in a
//! [`Warning`], with the same care.

#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

pub mod ack;
pub mod ack277;
pub mod ack_codes;
pub mod claim837;
pub mod claim_status_codes;
pub mod common;
pub mod delimiters;
pub mod envelope;
pub mod error;
pub mod inquiry270;
mod loops271;
pub mod remit835;
pub mod response271;
pub mod segment;
pub mod values;
pub mod writer;

#[cfg(test)]
mod realworld;
#[cfg(test)]
mod tests;

pub use ack::{
    parse_acknowledgment, Ack999, AckStatus, Acknowledgment, ElementError, SegmentError, Ta1,
    Ta1Code, TransactionAck,
};
pub use ack277::{
    parse_277ca, AcknowledgedClaim, Claim277, ClaimAcknowledgment, Interchange277, Line277,
    PeriodReference, Provider277, Receiver277, Source277, StatusCategory, StatusCode, StatusReport,
};
pub use claim837::{
    body_837, build_837, format_amount, read_sent_837, Address837, Batch837, BillingProvider837,
    Claim837, ClaimForm837, ClaimFrequency, Facility837, Institutional837, Line837, Patient837,
    Payer837, ProviderPerson837, Receiver837, Sent837Set, Sex, Submitter837, Subscriber837,
    SubscriberClaims837, KIND_837I, KIND_837P,
};
pub use common::{
    Address, CommunicationNumber, Contact, EntityName, ProviderInfo, QualifiedAmount,
    QualifiedDate, QualifiedQuantity, Reference, Rejection, Trace,
};
pub use delimiters::Delimiters;
pub use envelope::{
    FunctionalGroup, GroupHeader, Interchange, InterchangeHeader, TransactionSet, Usage,
};
pub use error::{TextProblem, Warning, X12Error};
pub use inquiry270::{
    body_270, build_270, Dependent270, Gender, InformationReceiver, InformationSource, Inquiry270,
    ServiceTypeLayout, Subscriber270, TraceNumber, KIND_270,
};
pub use remit835::{
    parse_835, Adjustment, AdjustmentGroup, ClaimHeader, ClaimPayment, ClaimStatus, CreditDebit,
    DateReference, Handling, Imbalance, InpatientAdjudication, Interchange835,
    OutpatientAdjudication, Payee835, Payer835, Payment, PaymentMethod, ProviderAdjustment,
    ProviderSummary, Remark, Remittance, ServiceCode, ServicePayment,
};
pub use response271::{
    parse_271, parse_271_batch, AdditionalInfo, AuthRequired, Benefit, DeliveryPattern,
    Demographics, DiagnosisCode, InNetwork, InsuredRelationship, Member271, MilitaryInfo,
    ProcedureCode, Receiver271, RelatedEntity, Response271, Source271,
};
pub use segment::{tokenize, Element, ElementRef, Segment, SegmentRef, Tokenized};
pub use values::{DateOrRange, SentDate, SentPeriod};
pub use writer::{
    check_text, clean_text, write_interchange, write_segment, write_ta1, Body, ControlNumbers,
    Envelope, PartyId, SegmentWriter, TransactionKind, WrittenBody,
};
