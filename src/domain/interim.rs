//! Interim bills of a long stay, in sequence (domain reference §2.1 "Frequency codes", §4.2):
//! which type-of-bill frequency (UB-04 FL4 4th digit; 837I CLM05-3) and which patient status
//! (FL17; CL103) the next claim of an episode carries, or why it cannot be billed yet.
//!
//! Pure: the caller gives the episode's dates, the live claims already billed for it and the
//! new statement period; nothing here reads or writes.
//!
//! # The rules
//!
//! - Frequency: with no earlier claim, `1` (admit through discharge) when the client is
//!   discharged by the end of the period, else `2` (interim, first); after earlier claims, `4`
//!   (interim, last) when discharged by then, else `3` (interim, continuing). A replacement
//!   is `7` and covers exactly the period of the claim it replaces.
//! - Patient status: `30` (still a patient) until the discharge date is inside the period;
//!   then the episode's discharge status. Medicare returns an `x32`/`x33` without `30` and an
//!   `x31`/`x34` with it (§2.1), so a discharge without a status is refused rather than sent
//!   as `30`.
//! - Refusals: a period that shares a day with a billed one; a period before a billed one
//!   (interims go in date order); a period outside the stay (before admission or after
//!   discharge); a new period after an admit-through-discharge or last-interim claim (the
//!   stay is billed to its end); and a period whose earlier claims are not all sent yet — it
//!   is held until they are.
//! - A late day (recorded after its period was billed) is cut out of a draft by
//!   [`split_around_billed`] and refused on its own, to go on a replacement of that claim;
//!   the draft's other days are sequenced without it.
//!
//! A run of new bills (one generation's, [`sequence_run`]) is decided in statement order per
//! client, payer and stay, each counting the ones before it in the run as billed and not sent:
//! a generation of several months makes the first interim and holds the rest.
//!
//! judgement: the issue holds the next interim "until the previous one is sent"; the domain
//! reference (§2.1, [S10]) reads Medicare as wanting the prior remittance first. The caller
//! decides what `sent` means: pass `sent` as "remitted" for a payer that wants the 835 first.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use super::episode::{NewEpisode, PatientStatus, STILL_PATIENT};
use super::fee_schedule::TypeOfBill;
use super::ids::ClaimId;

/// The type-of-bill frequency digit of a claim in an episode's sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BillFrequency {
    /// `1`: admit through discharge, the whole stay on one claim.
    #[serde(rename = "1")]
    AdmitThroughDischarge,
    /// `2`: the first interim claim of a stay still going on.
    #[serde(rename = "2")]
    FirstInterim,
    /// `3`: a continuing interim claim.
    #[serde(rename = "3")]
    ContinuingInterim,
    /// `4`: the last interim claim, ending with the discharge.
    #[serde(rename = "4")]
    LastInterim,
    /// `7`: replaces an earlier claim for the same period.
    #[serde(rename = "7")]
    Replacement,
}

impl BillFrequency {
    /// The digit, as CLM05-3 and the type of bill's last digit carry it.
    pub fn code(self) -> char {
        match self {
            BillFrequency::AdmitThroughDischarge => '1',
            BillFrequency::FirstInterim => '2',
            BillFrequency::ContinuingInterim => '3',
            BillFrequency::LastInterim => '4',
            BillFrequency::Replacement => '7',
        }
    }

    /// Whether a claim of this frequency ends the stay's sequence.
    fn closes_the_stay(self) -> bool {
        matches!(
            self,
            BillFrequency::AdmitThroughDischarge | BillFrequency::LastInterim
        )
    }

    /// The schedule's type of bill with this frequency as its last digit (`0131` → `0132`).
    pub fn on(self, type_of_bill: &TypeOfBill) -> TypeOfBill {
        let mut digits = type_of_bill.as_str().to_string();
        digits.pop();
        digits.push(self.code());
        // Four digits with the leading 0 stay four digits with the leading 0.
        TypeOfBill::parse(digits).unwrap_or_else(|_| type_of_bill.clone())
    }
}

/// The episode's dates as the sequence reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stay {
    pub admission: NaiveDate,
    pub discharge: Option<NaiveDate>,
    /// The discharge status (FL17), when the episode states one.
    pub discharge_status: Option<PatientStatus>,
}

impl Stay {
    pub fn of(episode: &NewEpisode) -> Stay {
        Stay {
            admission: episode.admission_date,
            discharge: episode.discharge_date,
            discharge_status: episode.discharge_status.clone(),
        }
    }

    fn discharged_by(&self, date: NaiveDate) -> bool {
        self.discharge.is_some_and(|discharge| discharge <= date)
    }
}

/// A live claim already billed for the episode (not voided, not replaced).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Billed {
    pub claim_id: ClaimId,
    /// Its statement period (DTP*434), both days included.
    pub from: NaiveDate,
    pub through: NaiveDate,
    pub frequency: BillFrequency,
    /// Whether it has gone to the payer (see the module's judgement note).
    pub sent: bool,
}

/// What is to be billed next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextBill {
    /// A new statement period, from its first to its last day.
    Period { from: NaiveDate, through: NaiveDate },
    /// A replacement of a billed claim, for the same period.
    Replacement {
        of: ClaimId,
        from: NaiveDate,
        through: NaiveDate,
    },
}

/// The frequency and patient status of the next bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sequenced {
    pub frequency: BillFrequency,
    pub patient_status: PatientStatus,
}

/// Why the next bill cannot go out (yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The statement period ends before it starts.
    EmptyPeriod,
    /// The period reaches before the admission or past the discharge.
    OutsideStay {
        admission: NaiveDate,
        discharge: Option<NaiveDate>,
    },
    /// The period shares a day with a billed claim.
    Overlaps {
        claim_id: ClaimId,
        from: NaiveDate,
        through: NaiveDate,
    },
    /// A billed claim starts after the period: interims go in date order.
    OutOfSequence { claim_id: ClaimId, from: NaiveDate },
    /// The stay is billed to its discharge already (frequency 1 or 4).
    StayBilledToDischarge { claim_id: ClaimId },
    /// An earlier claim has not been sent: this one waits for it.
    HeldUntilSent { claim_id: ClaimId },
    /// The client is discharged by the end of the period but the episode states no
    /// discharge status.
    NoDischargeStatus { discharge: NaiveDate },
    /// The claim to replace is not among the live claims of the episode.
    NothingToReplace { claim_id: ClaimId },
    /// A replacement covers exactly the period of the claim it replaces.
    ReplacementPeriodDiffers {
        claim_id: ClaimId,
        from: NaiveDate,
        through: NaiveDate,
    },
}

impl Refusal {
    /// A stable code for answers and warnings.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::EmptyPeriod => "empty_period",
            Refusal::OutsideStay { .. } => "outside_stay",
            Refusal::Overlaps { .. } => "overlaps_billed_period",
            Refusal::OutOfSequence { .. } => "out_of_sequence",
            Refusal::StayBilledToDischarge { .. } => "stay_billed_to_discharge",
            Refusal::HeldUntilSent { .. } => "held_until_previous_sent",
            Refusal::NoDischargeStatus { .. } => "no_discharge_status",
            Refusal::NothingToReplace { .. } => "nothing_to_replace",
            Refusal::ReplacementPeriodDiffers { .. } => "replacement_period_differs",
        }
    }

    /// In words staff can act on (ids and dates only: no PHI).
    pub fn message(&self) -> String {
        match self {
            Refusal::EmptyPeriod => "the statement period ends before it starts".into(),
            Refusal::OutsideStay {
                admission,
                discharge,
            } => match discharge {
                Some(discharge) => format!(
                    "the period must lie within the stay, {admission} to the discharge on \
                     {discharge}"
                ),
                None => format!("the period must not start before the admission on {admission}"),
            },
            Refusal::Overlaps {
                claim_id,
                from,
                through,
            } => format!(
                "claim {claim_id} already bills {from} to {through}, which this shares a day \
                 with: a day in that period goes on a replacement of claim {claim_id} \
                 (frequency 7)"
            ),
            Refusal::OutOfSequence { claim_id, from } => format!(
                "claim {claim_id} bills from {from}, after this period: interim bills go in date \
                 order"
            ),
            Refusal::StayBilledToDischarge { claim_id } => format!(
                "claim {claim_id} bills the stay through its discharge already; replace it to \
                 change it"
            ),
            Refusal::HeldUntilSent { claim_id } => {
                format!("held: the previous interim claim {claim_id} has not been sent yet")
            }
            Refusal::NoDischargeStatus { discharge } => format!(
                "the client was discharged on {discharge} but the episode states no discharge \
                 status; record it first"
            ),
            Refusal::NothingToReplace { claim_id } => {
                format!("claim {claim_id} is not a live claim of this episode")
            }
            Refusal::ReplacementPeriodDiffers {
                claim_id,
                from,
                through,
            } => format!(
                "a replacement bills the same period as claim {claim_id}: {from} to {through}"
            ),
        }
    }
}

fn shares_a_day(a_from: NaiveDate, a_through: NaiveDate, b: &Billed) -> bool {
    a_from <= b.through && b.from <= a_through
}

/// The patient status of a claim ending `through`: the discharge status once discharged by
/// then, else `30`.
fn patient_status(stay: &Stay, through: NaiveDate) -> Result<PatientStatus, Refusal> {
    match (stay.discharge, &stay.discharge_status) {
        (Some(discharge), status) if discharge <= through => match status {
            Some(status) if !status.is_still_patient() => Ok(status.clone()),
            _ => Err(Refusal::NoDischargeStatus { discharge }),
        },
        _ => PatientStatus::parse(STILL_PATIENT.to_string())
            .map_err(|_| Refusal::NoDischargeStatus { discharge: through }),
    }
}

/// The frequency and patient status of `next` for the episode `stay`, given its live `billed`
/// claims (any order), or the first reason it cannot be billed now.
pub fn sequence(stay: &Stay, billed: &[Billed], next: NextBill) -> Result<Sequenced, Refusal> {
    let (from, through) = match next {
        NextBill::Period { from, through } | NextBill::Replacement { from, through, .. } => {
            (from, through)
        }
    };
    if through < from {
        return Err(Refusal::EmptyPeriod);
    }
    if from < stay.admission || stay.discharge.is_some_and(|d| through > d) {
        return Err(Refusal::OutsideStay {
            admission: stay.admission,
            discharge: stay.discharge,
        });
    }
    if let NextBill::Replacement { of, .. } = next {
        let original = billed
            .iter()
            .find(|b| b.claim_id == of)
            .ok_or(Refusal::NothingToReplace { claim_id: of })?;
        if (original.from, original.through) != (from, through) {
            return Err(Refusal::ReplacementPeriodDiffers {
                claim_id: of,
                from: original.from,
                through: original.through,
            });
        }
        return Ok(Sequenced {
            frequency: BillFrequency::Replacement,
            patient_status: patient_status(stay, through)?,
        });
    }

    let mut earlier: Vec<&Billed> = billed.iter().collect();
    earlier.sort_by_key(|b| (b.from, b.through));
    if let Some(overlap) = earlier.iter().find(|b| shares_a_day(from, through, b)) {
        return Err(Refusal::Overlaps {
            claim_id: overlap.claim_id,
            from: overlap.from,
            through: overlap.through,
        });
    }
    if let Some(later) = earlier.iter().find(|b| b.from > through) {
        return Err(Refusal::OutOfSequence {
            claim_id: later.claim_id,
            from: later.from,
        });
    }
    if let Some(last) = earlier.iter().find(|b| b.frequency.closes_the_stay()) {
        return Err(Refusal::StayBilledToDischarge {
            claim_id: last.claim_id,
        });
    }
    if let Some(unsent) = earlier.iter().find(|b| !b.sent) {
        return Err(Refusal::HeldUntilSent {
            claim_id: unsent.claim_id,
        });
    }
    let discharged = stay.discharged_by(through);
    let frequency = match (earlier.is_empty(), discharged) {
        (true, true) => BillFrequency::AdmitThroughDischarge,
        (true, false) => BillFrequency::FirstInterim,
        (false, true) => BillFrequency::LastInterim,
        (false, false) => BillFrequency::ContinuingInterim,
    };
    Ok(Sequenced {
        frequency,
        patient_status: patient_status(stay, through)?,
    })
}

/// One part of a draft's days as [`split_around_billed`] cuts them: the first and last of its
/// days, and, for days inside a billed claim's statement period, why they cannot be billed on
/// a new claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub from: NaiveDate,
    pub through: NaiveDate,
    /// `Some(Refusal::Overlaps)` naming the billed claim when the days lie inside its period:
    /// they go on a replacement of it. `None`: the days are to be sequenced as a bill.
    pub late: Option<Refusal>,
}

/// Cuts the days of a draft (`dates`, any order) around the live `billed` claims of its stay:
/// days inside a billed claim's statement period (a day recorded late, after its period was
/// billed) become a piece of their own per such claim, refused with
/// [`Refusal::Overlaps`] naming the claim to replace; the remaining days become one piece per
/// gap between billed periods, so no new statement period spans a billed one. Pieces come in
/// date order; a draft no billed period touches is one piece, all of its days.
///
/// Why cut rather than refuse the whole draft: Medicare takes no late-charge bill for
/// outpatient claims (type of bill xx5); a late service is billed on a replacement (xx7) of the
/// claim whose period holds it, and the periods after it go on as before — refusing the whole
/// draft would hide every other unbilled day behind the late one.
///
/// Why one piece per gap rather than refusing the earlier side here: each piece is then
/// sequenced by [`sequence`] like any other period, and the existing rules decide it — a piece
/// before a billed period is refused `out_of_sequence` (interims go in date order), the one
/// after the last billed period is billed or held. So both readings agree, and the rules stay
/// in one place.
pub fn split_around_billed(dates: &[NaiveDate], billed: &[Billed]) -> Vec<Piece> {
    let mut dates = dates.to_vec();
    dates.sort();
    dates.dedup();
    let mut periods: Vec<&Billed> = billed.iter().collect();
    periods.sort_by_key(|b| (b.from, b.through));
    /// Where a day lies: inside the billed period at an index, or in the gap after as many
    /// billed periods as ended before it.
    #[derive(PartialEq)]
    enum Slot {
        Inside(usize),
        Gap(usize),
    }
    let slot = |date: NaiveDate| match periods
        .iter()
        .position(|b| b.from <= date && date <= b.through)
    {
        Some(index) => Slot::Inside(index),
        None => Slot::Gap(periods.iter().filter(|b| b.through < date).count()),
    };
    let mut pieces: Vec<(Slot, Piece)> = Vec::new();
    for date in dates {
        let here = slot(date);
        match pieces.last_mut() {
            Some((last, piece)) if *last == here => piece.through = date,
            _ => {
                let late = match here {
                    Slot::Inside(index) => periods.get(index).map(|b| Refusal::Overlaps {
                        claim_id: b.claim_id,
                        from: b.from,
                        through: b.through,
                    }),
                    Slot::Gap(_) => None,
                };
                pieces.push((
                    here,
                    Piece {
                        from: date,
                        through: date,
                        late,
                    },
                ));
            }
        }
    }
    pieces.into_iter().map(|(_, piece)| piece).collect()
}

/// A new bill of a run, to be sequenced: whose stay it bills and its statement period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub client_id: Uuid,
    pub payer_id: Uuid,
    pub stay: Stay,
    /// The id the bill will have, which a later bill of the run is held behind.
    pub claim_id: ClaimId,
    pub from: NaiveDate,
    pub through: NaiveDate,
}

/// The decision for each of `pending` (in their order): its frequency and patient status, or
/// why it cannot go out now. `billed` gives the live claims already billed for a pending
/// bill's client, payer and stay. Bills of one client, payer and stay are taken in statement
/// order, each counting the earlier ones of the run as billed and not sent.
pub fn sequence_run(
    pending: &[Pending],
    billed: impl Fn(&Pending) -> Vec<Billed>,
) -> Vec<Result<Sequenced, Refusal>> {
    let mut order: Vec<usize> = (0..pending.len()).collect();
    order.sort_by_key(|&i| {
        let p = &pending[i];
        (p.client_id, p.payer_id, p.from)
    });
    let mut this_run: HashMap<(Uuid, Uuid, NaiveDate), Vec<Billed>> = HashMap::new();
    let mut decided = Vec::with_capacity(pending.len());
    for i in order {
        let p = &pending[i];
        let key = (p.client_id, p.payer_id, p.stay.admission);
        let mut earlier = billed(p);
        earlier.extend(this_run.get(&key).into_iter().flatten().cloned());
        let result = sequence(
            &p.stay,
            &earlier,
            NextBill::Period {
                from: p.from,
                through: p.through,
            },
        );
        if let Ok(sequenced) = &result {
            this_run.entry(key).or_default().push(Billed {
                claim_id: p.claim_id,
                from: p.from,
                through: p.through,
                frequency: sequenced.frequency,
                sent: false,
            });
        }
        decided.push((i, result));
    }
    decided.sort_by_key(|(i, _)| *i);
    decided.into_iter().map(|(_, result)| result).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::person::parse_date;

    fn date(raw: &str) -> NaiveDate {
        parse_date(raw).unwrap()
    }

    fn status(code: &str) -> PatientStatus {
        PatientStatus::parse(code.into()).unwrap()
    }

    fn stay(discharge: Option<(&str, &str)>) -> Stay {
        Stay {
            admission: date("2026-01-05"),
            discharge: discharge.map(|(d, _)| date(d)),
            discharge_status: discharge.map(|(_, s)| status(s)),
        }
    }

    fn period(from: &str, through: &str) -> NextBill {
        NextBill::Period {
            from: date(from),
            through: date(through),
        }
    }

    fn billed(id: u128, from: &str, through: &str, frequency: BillFrequency, sent: bool) -> Billed {
        Billed {
            claim_id: ClaimId::from_uuid(uuid::Uuid::from_u128(id)),
            from: date(from),
            through: date(through),
            frequency,
            sent,
        }
    }

    fn id(n: u128) -> ClaimId {
        ClaimId::from_uuid(uuid::Uuid::from_u128(n))
    }

    fn ok(result: Result<Sequenced, Refusal>) -> (char, String) {
        let s = result.unwrap();
        (s.frequency.code(), s.patient_status.as_str().to_string())
    }

    use BillFrequency::*;

    #[test]
    fn a_run_of_months_makes_the_first_interim_and_holds_the_rest_per_stay() {
        let pending = |client: u128, claim: u128, from: &str, through: &str| Pending {
            client_id: uuid::Uuid::from_u128(client),
            payer_id: uuid::Uuid::from_u128(9),
            stay: stay(None),
            claim_id: id(claim),
            from: date(from),
            through: date(through),
        };
        // Out of order on purpose: the run is decided in statement order.
        let run = [
            pending(1, 12, "2026-02-02", "2026-02-27"),
            pending(1, 11, "2026-01-05", "2026-01-30"),
            pending(2, 21, "2026-02-02", "2026-02-27"),
        ];
        // Client 2's January is billed and sent already.
        let decided = sequence_run(&run, |p| {
            if p.client_id == uuid::Uuid::from_u128(2) {
                vec![billed(20, "2026-01-05", "2026-01-30", FirstInterim, true)]
            } else {
                Vec::new()
            }
        });
        assert_eq!(decided[0], Err(Refusal::HeldUntilSent { claim_id: id(11) }));
        assert_eq!(ok(decided[1].clone()), ('2', "30".to_string()));
        assert_eq!(ok(decided[2].clone()), ('3', "30".to_string()));
    }

    fn dates(raw: &[&str]) -> Vec<NaiveDate> {
        raw.iter().map(|d| date(d)).collect()
    }

    fn piece(from: &str, through: &str, late: Option<Refusal>) -> Piece {
        Piece {
            from: date(from),
            through: date(through),
            late,
        }
    }

    fn overlaps(claim: u128, from: &str, through: &str) -> Option<Refusal> {
        Some(Refusal::Overlaps {
            claim_id: id(claim),
            from: date(from),
            through: date(through),
        })
    }

    #[test]
    fn a_late_day_inside_a_billed_period_is_cut_out_of_the_draft() {
        let february = [billed(1, "2026-02-02", "2026-02-27", FirstInterim, true)];
        // Out of order on purpose.
        let days = dates(&["2026-03-04", "2026-02-10", "2026-03-02", "2026-03-03"]);
        let pieces = split_around_billed(&days, &february);
        assert_eq!(
            pieces,
            [
                piece(
                    "2026-02-10",
                    "2026-02-10",
                    overlaps(1, "2026-02-02", "2026-02-27")
                ),
                piece("2026-03-02", "2026-03-04", None),
            ]
        );
        // The message says what to do, with ids and dates only.
        let message = pieces[0].late.as_ref().unwrap().message();
        assert!(message.contains("replacement of claim"), "{message}");
        assert!(message.contains(&id(1).to_string()), "{message}");
        // The March piece then goes out as the next interim.
        let march = sequence(&stay(None), &february, period("2026-03-02", "2026-03-04"));
        assert_eq!(ok(march), ('3', "30".to_string()));
    }

    #[test]
    fn days_on_both_sides_of_a_billed_period_make_one_piece_per_side() {
        let billed = [
            billed(1, "2026-02-02", "2026-02-27", FirstInterim, true),
            billed(2, "2026-04-01", "2026-04-30", ContinuingInterim, true),
        ];
        let days = dates(&[
            "2026-01-20",
            "2026-01-21",
            "2026-02-10",
            "2026-02-11",
            "2026-03-10",
            "2026-04-07",
            "2026-05-04",
            "2026-05-05",
        ]);
        assert_eq!(
            split_around_billed(&days, &billed),
            [
                piece("2026-01-20", "2026-01-21", None),
                piece(
                    "2026-02-10",
                    "2026-02-11",
                    overlaps(1, "2026-02-02", "2026-02-27")
                ),
                piece("2026-03-10", "2026-03-10", None),
                piece(
                    "2026-04-07",
                    "2026-04-07",
                    overlaps(2, "2026-04-01", "2026-04-30")
                ),
                piece("2026-05-04", "2026-05-05", None),
            ]
        );
        // The existing rules decide the pieces before a billed period: out of sequence.
        assert_eq!(
            sequence(&stay(None), &billed, period("2026-01-20", "2026-01-21")),
            Err(Refusal::OutOfSequence {
                claim_id: id(1),
                from: date("2026-02-02")
            })
        );
    }

    #[test]
    fn a_draft_no_billed_period_touches_stays_whole() {
        let days = dates(&["2026-03-02", "2026-03-02", "2026-03-20"]);
        let whole = [piece("2026-03-02", "2026-03-20", None)];
        assert_eq!(split_around_billed(&days, &[]), whole);
        let january = [billed(1, "2026-01-05", "2026-01-30", FirstInterim, false)];
        assert_eq!(split_around_billed(&days, &january), whole);
        assert_eq!(split_around_billed(&[], &january), []);
        // The days of a billed period's first and last day are inside it.
        assert_eq!(
            split_around_billed(&dates(&["2026-01-05", "2026-01-30"]), &january),
            [piece(
                "2026-01-05",
                "2026-01-30",
                overlaps(1, "2026-01-05", "2026-01-30")
            )]
        );
    }

    #[test]
    fn a_long_stay_goes_out_first_continuing_and_last_in_sequence() {
        // Still a patient through January and February; discharged home on 13 March.
        let ongoing = stay(None);
        let january = ok(sequence(&ongoing, &[], period("2026-01-05", "2026-01-30")));
        assert_eq!(
            january,
            ('2', "30".into()),
            "first interim, still a patient"
        );

        let sent_january = [billed(1, "2026-01-05", "2026-01-30", FirstInterim, true)];
        let february = ok(sequence(
            &ongoing,
            &sent_january,
            period("2026-02-02", "2026-02-27"),
        ));
        assert_eq!(february, ('3', "30".into()), "continuing");

        let discharged = stay(Some(("2026-03-13", "01")));
        let both = [
            sent_january[0].clone(),
            billed(2, "2026-02-02", "2026-02-27", ContinuingInterim, true),
        ];
        let march = ok(sequence(
            &discharged,
            &both,
            period("2026-03-02", "2026-03-13"),
        ));
        assert_eq!(march, ('4', "01".into()), "last, with the discharge status");
        // The order the claims are given in does not matter.
        let reversed = [both[1].clone(), both[0].clone()];
        assert_eq!(
            ok(sequence(
                &discharged,
                &reversed,
                period("2026-03-02", "2026-03-13")
            ))
            .0,
            '4'
        );
        // A March claim ending before the discharge is still continuing, still a patient.
        assert_eq!(
            ok(sequence(
                &discharged,
                &both,
                period("2026-03-02", "2026-03-06")
            )),
            ('3', "30".into())
        );
    }

    #[test]
    fn a_stay_billed_whole_is_admit_through_discharge() {
        let short = stay(Some(("2026-01-23", "07")));
        assert_eq!(
            ok(sequence(&short, &[], period("2026-01-05", "2026-01-23"))),
            ('1', "07".into())
        );
        // Nothing after it.
        let whole = [billed(
            1,
            "2026-01-05",
            "2026-01-23",
            AdmitThroughDischarge,
            true,
        )];
        let longer = stay(Some(("2026-01-30", "01")));
        assert_eq!(
            sequence(&longer, &whole, period("2026-01-26", "2026-01-30")),
            Err(Refusal::StayBilledToDischarge { claim_id: id(1) })
        );
    }

    #[test]
    fn the_next_interim_is_held_until_the_previous_one_is_sent() {
        let ongoing = stay(None);
        let unsent = [billed(1, "2026-01-05", "2026-01-30", FirstInterim, false)];
        let refused = sequence(&ongoing, &unsent, period("2026-02-02", "2026-02-27"));
        assert_eq!(refused, Err(Refusal::HeldUntilSent { claim_id: id(1) }));
        assert_eq!(refused.unwrap_err().code(), "held_until_previous_sent");
        let sent = [billed(1, "2026-01-05", "2026-01-30", FirstInterim, true)];
        assert!(sequence(&ongoing, &sent, period("2026-02-02", "2026-02-27")).is_ok());
    }

    #[test]
    fn a_period_that_shares_a_day_with_a_billed_one_or_comes_before_it_is_refused() {
        let ongoing = stay(None);
        let january = [billed(1, "2026-01-05", "2026-01-30", FirstInterim, true)];
        for (from, through) in [
            ("2026-01-30", "2026-02-27"),
            ("2026-01-05", "2026-01-05"),
            ("2026-01-12", "2026-01-16"),
        ] {
            let refused = sequence(&ongoing, &january, period(from, through)).unwrap_err();
            assert_eq!(
                refused,
                Refusal::Overlaps {
                    claim_id: id(1),
                    from: date("2026-01-05"),
                    through: date("2026-01-30")
                },
                "{from}–{through}"
            );
            assert!(refused.message().contains("2026-01-30"));
        }
        let february = [billed(2, "2026-02-02", "2026-02-27", FirstInterim, true)];
        assert_eq!(
            sequence(&ongoing, &february, period("2026-01-05", "2026-01-30")),
            Err(Refusal::OutOfSequence {
                claim_id: id(2),
                from: date("2026-02-02")
            })
        );
    }

    #[test]
    fn a_replacement_is_frequency_7_for_exactly_the_same_period() {
        let discharged = stay(Some(("2026-02-27", "01")));
        let claims = [
            billed(1, "2026-01-05", "2026-01-30", FirstInterim, true),
            billed(2, "2026-02-02", "2026-02-27", LastInterim, false),
        ];
        let replace = |of, from: &str, through: &str| NextBill::Replacement {
            of: id(of),
            from: date(from),
            through: date(through),
        };
        // An interim still a patient at its end keeps 30; the last one its discharge status.
        assert_eq!(
            ok(sequence(
                &discharged,
                &claims,
                replace(1, "2026-01-05", "2026-01-30")
            )),
            ('7', "30".into())
        );
        assert_eq!(
            ok(sequence(
                &discharged,
                &claims,
                replace(2, "2026-02-02", "2026-02-27")
            )),
            ('7', "01".into())
        );
        assert_eq!(
            sequence(&discharged, &claims, replace(1, "2026-01-05", "2026-01-29")),
            Err(Refusal::ReplacementPeriodDiffers {
                claim_id: id(1),
                from: date("2026-01-05"),
                through: date("2026-01-30")
            })
        );
        assert_eq!(
            sequence(&discharged, &claims, replace(9, "2026-01-05", "2026-01-30")),
            Err(Refusal::NothingToReplace { claim_id: id(9) })
        );
    }

    #[test]
    fn a_period_outside_the_stay_or_a_discharge_without_status_is_refused() {
        let discharged = stay(Some(("2026-01-23", "01")));
        for (from, through) in [("2026-01-02", "2026-01-09"), ("2026-01-19", "2026-01-26")] {
            assert!(matches!(
                sequence(&discharged, &[], period(from, through)),
                Err(Refusal::OutsideStay { .. })
            ));
        }
        assert_eq!(
            sequence(&discharged, &[], period("2026-01-09", "2026-01-08")),
            Err(Refusal::EmptyPeriod)
        );
        let no_status = Stay {
            discharge_status: None,
            ..discharged.clone()
        };
        assert_eq!(
            sequence(&no_status, &[], period("2026-01-05", "2026-01-23")),
            Err(Refusal::NoDischargeStatus {
                discharge: date("2026-01-23")
            })
        );
        // A discharge "status" of 30 is no discharge status.
        let thirty = Stay {
            discharge_status: Some(status("30")),
            ..discharged
        };
        assert_eq!(
            sequence(&thirty, &[], period("2026-01-05", "2026-01-23"))
                .unwrap_err()
                .code(),
            "no_discharge_status"
        );
    }

    #[test]
    fn the_frequency_goes_on_the_type_of_bill() {
        let tob = TypeOfBill::parse("0131".into()).unwrap();
        assert_eq!(FirstInterim.on(&tob).as_str(), "0132");
        assert_eq!(ContinuingInterim.on(&tob).as_str(), "0133");
        assert_eq!(LastInterim.on(&tob).as_str(), "0134");
        assert_eq!(Replacement.on(&tob).as_str(), "0137");
        let cmhc = TypeOfBill::parse("761".into()).unwrap();
        assert_eq!(AdmitThroughDischarge.on(&cmhc).as_str(), "0761");
        assert_eq!(
            serde_json::to_value(ContinuingInterim).unwrap(),
            serde_json::json!("3")
        );
    }
}
