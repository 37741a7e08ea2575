//! The acknowledgments a payer sends instead of a 271 when it will not answer a 270: a 999
//! (005010X231A1) naming the segment and element it could not accept, or a TA1 refusing the
//! interchange itself.
//!
//! ```text
//! 999: AK1*HS*<GS06>*<GS08>  AK2*270*<ST02>*<ST03>  IK3*<id>*<position>*<loop>*<code>
//!      [IK4*<element>*<reference>*<code>]  IK5*R*5  AK9*R*1*1*0
//! TA1: TA1*<ISA13>*<ISA09>*<ISA10>*R*<note>   (alone in its interchange: IEA01 = 0)
//! ```
//!
//! IK404 (the bad value) is not written: it would echo member data back for nothing.

use super::inquiry::{BadElement, BadSegment};
use crate::x12::X12Error;
use crate::x12::{write_interchange, write_ta1, Envelope, Interchange, Segment, TransactionKind};

/// GS01/ST01/GS08 of a 999.
pub const KIND_999: TransactionKind = TransactionKind {
    functional_id: "FA",
    transaction_set_id: "999",
    version: "005010X231A1",
};

/// What the `reject_999` fault refuses in a well-formed 270: the member id in 2100C NM109,
/// failing the payer's own format check (IK403 `I12`, implementation pattern match failure).
pub fn member_id_refused(inquiry: &Interchange<'_>) -> BadSegment {
    let set = inquiry
        .groups
        .first()
        .and_then(|g| g.transaction_sets.first());
    // Position in the set, ST = 1: the body starts at 2.
    let position = set
        .and_then(|set| {
            set.segments
                .iter()
                .position(|s| s.id() == "NM1" && s.value(1) == Some("IL"))
        })
        .and_then(|i| u32::try_from(i + 2).ok())
        .unwrap_or(2);
    BadSegment {
        reason: "the payer's member id format check refused NM109",
        id: "NM1",
        position,
        loop_id: Some("2100C"),
        code: "8",
        element: Some(BadElement {
            position: 9,
            reference: "67",
            code: "I12",
        }),
    }
}

/// A 999 rejecting the only 270 of `inquiry` for `bad`.
pub fn render_999(
    inquiry: &Interchange<'_>,
    bad: &BadSegment,
    envelope: &Envelope,
) -> Result<String, X12Error> {
    let group = inquiry.groups.first();
    let set = group.and_then(|g| g.transaction_sets.first());
    let (functional_id, group_control, version) = group.map_or(("HS", "", ""), |g| {
        (
            g.header.functional_id.as_str(),
            g.header.control_number.as_str(),
            g.header.version.as_str(),
        )
    });
    let (set_id, set_control, set_reference) = set.map_or(("270", "", ""), |s| {
        (
            s.id.as_str(),
            s.control_number.as_str(),
            s.implementation_reference.as_deref().unwrap_or(""),
        )
    });
    let position = bad.position.to_string();
    let mut body = vec![
        Segment::simple("AK1", &[functional_id, group_control, version]),
        Segment::simple("AK2", &[set_id, set_control, set_reference]),
        Segment::simple(
            "IK3",
            &[bad.id, &position, bad.loop_id.unwrap_or(""), bad.code],
        ),
    ];
    if let Some(element) = &bad.element {
        body.push(Segment::simple(
            "IK4",
            &[
                &element.position.to_string(),
                element.reference,
                element.code,
            ],
        ));
    }
    // IK502 5: one or more segments in error; AK9: 1 set included, 1 received, 0 accepted.
    body.push(Segment::simple("IK5", &["R", "5"]));
    body.push(Segment::simple("AK9", &["R", "1", "1", "0"]));
    write_interchange(envelope, KIND_999, &body)
}

/// A TA1 rejecting `inquiry`'s interchange with TA105 `note` (`006`: invalid interchange
/// sender id — the payer does not know who we are).
pub fn render_ta1(
    inquiry: &Interchange<'_>,
    note: &str,
    envelope: &Envelope,
) -> Result<String, X12Error> {
    let header = &inquiry.header;
    let ta1 = Segment::simple(
        "TA1",
        &[
            &header.control_number,
            &header.date,
            &header.time,
            "R",
            note,
        ],
    );
    write_ta1(envelope, &ta1)
}
