//! A claim's life after it is generated: the statuses, which moves between them are allowed,
//! and what voiding or replacing does. Pure: the service loads the claim and asks here.
//!
//! ```text
//! draft ⇄ ready → submitted → accepted → paid
//!                     │           └────→ denied
//!                     └→ rejected → ready (corrected, sent again)
//! void:    draft, ready, rejected            → void (never reached the payer: nothing to send)
//!          submitted, accepted, paid, denied → void + a void claim (frequency 8) to send
//! replace: submitted, accepted, paid, denied → replaced + a replacement claim (frequency 7)
//! ```
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
    Accepted,
    Rejected,
    Paid,
    Denied,
    Void,
    Replaced,
}

pub const ALL: [ClaimStatus; 9] = [
    ClaimStatus::Draft,
    ClaimStatus::Ready,
    ClaimStatus::Submitted,
    ClaimStatus::Accepted,
    ClaimStatus::Rejected,
    ClaimStatus::Paid,
    ClaimStatus::Denied,
    ClaimStatus::Void,
    ClaimStatus::Replaced,
];

impl ClaimStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Draft => "draft",
            ClaimStatus::Ready => "ready",
            ClaimStatus::Submitted => "submitted",
            ClaimStatus::Accepted => "accepted",
            ClaimStatus::Rejected => "rejected",
            ClaimStatus::Paid => "paid",
            ClaimStatus::Denied => "denied",
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
            Submitted => &[Accepted, Rejected],
            Accepted => &[Paid, Denied],
            Rejected => &[Ready],
            Paid | Denied | Void | Replaced => &[],
        }
    }

    /// Whether the payer holds this claim: undoing it then takes a claim sent to the payer.
    pub fn payer_has_it(self) -> bool {
        matches!(
            self,
            ClaimStatus::Submitted
                | ClaimStatus::Accepted
                | ClaimStatus::Paid
                | ClaimStatus::Denied
        )
    }

    pub fn can_void(self) -> bool {
        !matches!(self, ClaimStatus::Void | ClaimStatus::Replaced)
    }

    pub fn can_replace(self) -> bool {
        self.payer_has_it()
    }
}

/// CLM05-3, the claim frequency code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Frequency {
    #[serde(rename = "1")]
    Original,
    #[serde(rename = "7")]
    Replacement,
    #[serde(rename = "8")]
    Void,
}

impl Frequency {
    pub fn code(self) -> &'static str {
        match self {
            Frequency::Original => "1",
            Frequency::Replacement => "7",
            Frequency::Void => "8",
        }
    }

    pub fn parse(raw: &str) -> Result<Frequency, String> {
        match raw {
            "1" => Ok(Frequency::Original),
            "7" => Ok(Frequency::Replacement),
            "8" => Ok(Frequency::Void),
            _ => Err("must be 1, 7 or 8".into()),
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
                (Submitted, Accepted),
                (Submitted, Rejected),
                (Accepted, Paid),
                (Accepted, Denied),
                (Rejected, Ready),
            ]
        );
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
        for f in [Frequency::Original, Frequency::Replacement, Frequency::Void] {
            assert_eq!(Frequency::parse(f.code()), Ok(f));
        }
        assert!(Frequency::parse("2").is_err());
    }
}
