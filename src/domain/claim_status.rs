//! A claim's life after it is generated: the statuses, which moves between them are allowed,
//! and what voiding or replacing does. Pure: the service loads the claim and asks here.
//!
//! ```text
//! draft ⇄ ready → submitted → received → accepted → paid | partially_paid | denied | forwarded
//!                     │           │          │
//!                     └───────────┴──────────┴→ rejected → ready (corrected, sent again)
//! void:    draft, ready, rejected            → void (never reached the payer: nothing to send)
//!          every status the payer has        → void + a void claim (frequency 8) to send
//! replace: every status the payer has        → replaced + a replacement claim (frequency 7)
//! ```
//!
//! Staff move claims along the graph by hand ([`ClaimStatus::next`]). Acknowledgments and
//! remittances move them too ([`ClaimStatus::acknowledged`], [`ClaimStatus::remitted`]), and may
//! skip steps: an 835 may arrive for a claim that is only `submitted`, because nobody sent its
//! 277CA. `received` is a clearinghouse's or payer's receipt (a 999 accepting the set, a 277CA
//! A0 or A1), not acceptance: only a 277CA A2 or a remittance says the payer adjudicates it.
//! A remittance's outcome may replace an earlier one (a denied claim paid after an appeal; a
//! reversal, CLP02 22, takes a paid claim back to `accepted` until it is paid again).
//!
//! A voided or replaced claim no longer bills its days: its lines stop being live, so the days
//! can be billed again (by the replacement, or by the next generation after a void).

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimStatus {
    Draft,
    Ready,
    Submitted,
    /// A clearinghouse or the payer has it; not yet accepted into adjudication.
    Received,
    Accepted,
    Rejected,
    Paid,
    /// Paid less than was billed, the rest adjusted or denied by line.
    PartiallyPaid,
    Denied,
    /// Paid (or not) as primary and passed on to another payer (835 CLP02 19, 20 or 21).
    Forwarded,
    Void,
    Replaced,
}

pub const ALL: [ClaimStatus; 12] = [
    ClaimStatus::Draft,
    ClaimStatus::Ready,
    ClaimStatus::Submitted,
    ClaimStatus::Received,
    ClaimStatus::Accepted,
    ClaimStatus::Rejected,
    ClaimStatus::Paid,
    ClaimStatus::PartiallyPaid,
    ClaimStatus::Denied,
    ClaimStatus::Forwarded,
    ClaimStatus::Void,
    ClaimStatus::Replaced,
];

/// What an acknowledgment says of a claim (a TA1 or 999 of its file, a 277CA of the claim).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acknowledged {
    /// 999 IK5 `A`/`E`, 277CA A0 (forwarded) or A1 (received).
    Received,
    /// 277CA A2: accepted into adjudication.
    Accepted,
    /// TA1 rejecting the interchange, 999 rejecting the set, 277CA A3, A4, A6, A7, A8.
    Rejected,
}

/// What a remittance (835 CLP) says of a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Remitted {
    PaidInFull,
    PartiallyPaid,
    Denied,
    Forwarded,
    /// CLP02 22: an earlier posting of this claim is undone.
    Reversed,
}

impl ClaimStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Draft => "draft",
            ClaimStatus::Ready => "ready",
            ClaimStatus::Submitted => "submitted",
            ClaimStatus::Received => "received",
            ClaimStatus::Accepted => "accepted",
            ClaimStatus::Rejected => "rejected",
            ClaimStatus::Paid => "paid",
            ClaimStatus::PartiallyPaid => "partially_paid",
            ClaimStatus::Denied => "denied",
            ClaimStatus::Forwarded => "forwarded",
            ClaimStatus::Void => "void",
            ClaimStatus::Replaced => "replaced",
        }
    }

    pub fn parse(raw: &str) -> Result<ClaimStatus, String> {
        ALL.into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| format!("must be one of {}", names(&ALL)))
    }

    /// The statuses reachable by a plain status change (void and replace have their own
    /// operations).
    pub fn next(self) -> &'static [ClaimStatus] {
        use ClaimStatus::*;
        match self {
            Draft => &[Ready],
            Ready => &[Draft, Submitted],
            Submitted => &[Received, Accepted, Rejected],
            Received => &[Accepted, Rejected],
            Accepted => &[Paid, PartiallyPaid, Denied],
            Rejected => &[Ready],
            Paid | PartiallyPaid | Denied | Forwarded | Void | Replaced => &[],
        }
    }

    /// Whether the payer holds this claim: undoing it then takes a claim sent to the payer.
    pub fn payer_has_it(self) -> bool {
        matches!(
            self,
            ClaimStatus::Submitted
                | ClaimStatus::Received
                | ClaimStatus::Accepted
                | ClaimStatus::Paid
                | ClaimStatus::PartiallyPaid
                | ClaimStatus::Denied
                | ClaimStatus::Forwarded
        )
    }

    /// Where an acknowledgment takes a claim; `None` leaves it where it is (and the service
    /// records the acknowledgment in its history all the same). An acknowledgment never undoes
    /// what a later stage said: a receipt arriving after the payer accepted, or after its
    /// remittance, moves nothing.
    pub fn acknowledged(self, ack: Acknowledged) -> Option<ClaimStatus> {
        use ClaimStatus::*;
        let to = match (self, ack) {
            (Submitted, Acknowledged::Received) => Received,
            (Submitted | Received, Acknowledged::Accepted) => Accepted,
            (Submitted | Received | Accepted, Acknowledged::Rejected) => Rejected,
            _ => return None,
        };
        Some(to)
    }

    /// Where a remittance takes a claim; `None` when the claim cannot be paid in its status
    /// (never sent, voided, replaced): the posting keeps the money and flags the claim instead.
    pub fn remitted(self, outcome: Remitted) -> Option<ClaimStatus> {
        use ClaimStatus::*;
        if !self.payer_has_it() {
            return None;
        }
        Some(match outcome {
            Remitted::PaidInFull => Paid,
            Remitted::PartiallyPaid => PartiallyPaid,
            Remitted::Denied => Denied,
            Remitted::Forwarded => Forwarded,
            Remitted::Reversed => Accepted,
        })
    }

    pub fn can_void(self) -> bool {
        !matches!(self, ClaimStatus::Void | ClaimStatus::Replaced)
    }

    pub fn can_replace(self) -> bool {
        self.payer_has_it()
    }
}

/// CLM05-3, the claim frequency code (the type of bill's last digit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Frequency {
    /// `1`: an original claim; for an episode billed in interims, admit through discharge.
    #[serde(rename = "1")]
    Original,
    /// `2`, `3`, `4`: the first, a continuing and the last interim claim of a long stay
    /// ([`crate::domain::interim`]); originals too, referring to no earlier claim.
    #[serde(rename = "2")]
    FirstInterim,
    #[serde(rename = "3")]
    ContinuingInterim,
    #[serde(rename = "4")]
    LastInterim,
    #[serde(rename = "7")]
    Replacement,
    #[serde(rename = "8")]
    Void,
}

impl Frequency {
    pub fn code(self) -> &'static str {
        match self {
            Frequency::Original => "1",
            Frequency::FirstInterim => "2",
            Frequency::ContinuingInterim => "3",
            Frequency::LastInterim => "4",
            Frequency::Replacement => "7",
            Frequency::Void => "8",
        }
    }

    pub fn parse(raw: &str) -> Result<Frequency, String> {
        match raw {
            "1" => Ok(Frequency::Original),
            "2" => Ok(Frequency::FirstInterim),
            "3" => Ok(Frequency::ContinuingInterim),
            "4" => Ok(Frequency::LastInterim),
            "7" => Ok(Frequency::Replacement),
            "8" => Ok(Frequency::Void),
            _ => Err("must be 1, 2, 3, 4, 7 or 8".into()),
        }
    }
}

/// Why a status change is refused, in words staff can act on.
pub fn refusal(from: ClaimStatus, to: ClaimStatus) -> String {
    let next = from.next();
    if next.is_empty() {
        format!("a {} claim cannot change status", from.as_str())
    } else {
        format!(
            "a {} claim can only move to {}, not {}",
            from.as_str(),
            names(next),
            to.as_str()
        )
    }
}

fn names(statuses: &[ClaimStatus]) -> String {
    statuses
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_through_its_name() {
        for status in ALL {
            assert_eq!(ClaimStatus::parse(status.as_str()), Ok(status));
        }
        assert!(ClaimStatus::parse("sent").is_err());
    }

    #[test]
    fn the_graph_is_the_documented_one() {
        use ClaimStatus::*;
        let allowed: Vec<(ClaimStatus, ClaimStatus)> = ALL
            .into_iter()
            .flat_map(|from| from.next().iter().map(move |to| (from, *to)))
            .collect();
        assert_eq!(
            allowed,
            vec![
                (Draft, Ready),
                (Ready, Draft),
                (Ready, Submitted),
                (Submitted, Received),
                (Submitted, Accepted),
                (Submitted, Rejected),
                (Received, Accepted),
                (Received, Rejected),
                (Accepted, Paid),
                (Accepted, PartiallyPaid),
                (Accepted, Denied),
                (Rejected, Ready),
            ]
        );
    }

    #[test]
    fn acknowledgments_move_forward_only() {
        use Acknowledged as A;
        use ClaimStatus::*;
        assert_eq!(Submitted.acknowledged(A::Received), Some(Received));
        assert_eq!(Submitted.acknowledged(A::Accepted), Some(Accepted));
        assert_eq!(Received.acknowledged(A::Accepted), Some(Accepted));
        assert_eq!(Received.acknowledged(A::Rejected), Some(Rejected));
        assert_eq!(Accepted.acknowledged(A::Rejected), Some(Rejected));
        // A late receipt or acceptance changes nothing.
        assert_eq!(Accepted.acknowledged(A::Received), None);
        assert_eq!(Paid.acknowledged(A::Accepted), None);
        assert_eq!(Paid.acknowledged(A::Rejected), None);
        // Claims never sent are not acknowledged.
        for status in [Draft, Ready, Void, Replaced, Rejected] {
            assert_eq!(status.acknowledged(A::Received), None, "{status:?}");
        }
    }

    #[test]
    fn remittances_reach_every_claim_the_payer_has() {
        use ClaimStatus::*;
        for status in ALL {
            let moved = status.remitted(Remitted::PaidInFull);
            assert_eq!(moved.is_some(), status.payer_has_it(), "{status:?}");
        }
        assert_eq!(
            Submitted.remitted(Remitted::PartiallyPaid),
            Some(PartiallyPaid)
        );
        assert_eq!(Denied.remitted(Remitted::PaidInFull), Some(Paid));
        assert_eq!(Paid.remitted(Remitted::Reversed), Some(Accepted));
        assert_eq!(Accepted.remitted(Remitted::Forwarded), Some(Forwarded));
        assert_eq!(Void.remitted(Remitted::PaidInFull), None);
    }

    #[test]
    fn terminal_statuses_cannot_move_and_say_so() {
        assert_eq!(
            refusal(ClaimStatus::Paid, ClaimStatus::Draft),
            "a paid claim cannot change status"
        );
        assert_eq!(
            refusal(ClaimStatus::Draft, ClaimStatus::Paid),
            "a draft claim can only move to ready, not paid"
        );
    }

    #[test]
    fn only_claims_the_payer_has_are_replaced_and_voided_ones_stay_voided() {
        for status in ALL {
            assert_eq!(status.can_replace(), status.payer_has_it());
        }
        assert!(!ClaimStatus::Void.can_void());
        assert!(!ClaimStatus::Replaced.can_void());
        assert!(ClaimStatus::Rejected.can_void());
        assert!(!ClaimStatus::Rejected.payer_has_it());
    }

    #[test]
    fn frequency_codes() {
        for f in [
            Frequency::Original,
            Frequency::FirstInterim,
            Frequency::ContinuingInterim,
            Frequency::LastInterim,
            Frequency::Replacement,
            Frequency::Void,
        ] {
            assert_eq!(Frequency::parse(f.code()), Ok(f));
        }
        assert!(Frequency::parse("5").is_err());
    }
}
