//! Episodes of care: what a claim needs about a client's stay besides attendance (domain
//! reference §2: 2300 DTP*435 admission, CL103 patient status, HI*ABK principal and HI*ABF
//! other diagnoses).
//!
//! What this module owns:
//! - ICD-10-CM codes ([`Icd10`]): parsed in form only (a letter, a digit, a letter or digit,
//!   then up to four more, with or without the dot), kept in one canonical form — upper case,
//!   the dot after the third character — and written without the dot for X12 HI
//!   ([`Icd10::without_dot`]);
//! - the UB-04 patient status ([`PatientStatus`], any two digits);
//! - the episode's rules ([`EpisodeInput::parse`]): dates not in the future, discharge not
//!   before admission, at most eleven other diagnoses, none twice and none the principal, and a
//!   level-of-care history (the step-downs) in date order, without overlaps, inside the episode;
//! - the no-overlap rule between a client's episodes ([`Span::overlaps`], an open discharge is
//!   ongoing) and the lookup the claim generator uses ([`episode_on`]).
//!
//! Whether the client exists and whether another episode overlaps need the database; the
//! caller checks them.

use std::collections::HashSet;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::dates::parse_service_date;
use super::eligibility::LevelOfCare;
use super::patterns::{matching, ICD10_CM_RE, PATIENT_STATUS_RE};
use super::text::{Note, SafeText};
use super::validation::{Fields, Invalid};

/// Other diagnoses (HI*ABF). With the principal (HI*ABK) that is twelve codes, what an 837P
/// HI segment carries (domain reference §3), so one episode fits either claim form.
pub const MAX_OTHER_DIAGNOSES: usize = 11;
pub const NOTES_MAX: usize = 2000;
pub const REFERRAL_SOURCE_MAX: usize = 100;
/// UB-04 patient status 30: still a patient (interim bills).
pub const STILL_PATIENT: &str = "30";

/// An ICD-10-CM diagnosis code in canonical form: upper case, with the dot after the third
/// character when more characters follow (`F33.1`, `F10.20`, `F32`).
///
/// The form is checked, not the code set: whether `F33.1` is a billable code of this year's
/// ICD-10-CM is the payer's question (the code list is not shipped here).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Icd10(String);

impl Icd10 {
    pub fn parse(raw: String) -> Result<Icd10, String> {
        let raw = matching(
            raw,
            &ICD10_CM_RE,
            "must be an ICD-10-CM code: a letter, a digit, a letter or digit, then optionally \
             a dot and 1 to 4 letters or digits (e.g. F33.1, F10.20, F4310)",
        )?;
        let bare: String = raw
            .chars()
            .filter(|c| *c != '.')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        // The pattern allows only ASCII, so byte offsets are character offsets.
        Ok(Icd10(if bare.len() > 3 {
            format!("{}.{}", &bare[..3], &bare[3..])
        } else {
            bare
        }))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The code as X12 HI carries it (HI*ABK:F331): no dot.
    pub fn without_dot(&self) -> String {
        self.0.replace('.', "")
    }
}

impl fmt::Display for Icd10 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A UB-04 patient status (FL17; 837I 2300 CL103), e.g. `01` discharged home, `02` to a
/// short-term hospital, `07` left against medical advice, `30` still a patient. Any two digits
/// are taken: NUBC adds codes, and the payer judges them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PatientStatus(String);

impl PatientStatus {
    pub fn parse(raw: String) -> Result<PatientStatus, String> {
        matching(
            raw,
            &PATIENT_STATUS_RE,
            "must be a 2-digit UB-04 patient status code (e.g. 01 discharged home, 30 still \
             a patient)",
        )
        .map(PatientStatus)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_still_patient(&self) -> bool {
        self.0 == STILL_PATIENT
    }
}

/// Days from `from` through `to` (both included); `to` open = ongoing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
}

impl Span {
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.from <= date && self.to.is_none_or(|to| date <= to)
    }

    pub fn overlaps(&self, other: &Span) -> bool {
        let ends_after = |span: &Span, date: NaiveDate| span.to.is_none_or(|to| to >= date);
        ends_after(self, other.from) && ends_after(other, self.from)
    }
}

/// One stretch of the episode at one level of care (a PHP start, then a step-down to IOP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LevelSpan {
    pub level_of_care: LevelOfCare,
    pub from: NaiveDate,
    /// Open: through the end of the episode (its discharge, or ongoing).
    pub to: Option<NaiveDate>,
}

impl LevelSpan {
    pub fn span(&self) -> Span {
        Span {
            from: self.from,
            to: self.to,
        }
    }
}

/// An episode's terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewEpisode {
    pub admission_date: NaiveDate,
    pub discharge_date: Option<NaiveDate>,
    pub discharge_status: Option<PatientStatus>,
    pub principal_diagnosis: Icd10,
    pub other_diagnoses: Vec<Icd10>,
    pub level_of_care_history: Vec<LevelSpan>,
    pub referral_source: Option<SafeText>,
    pub notes: Option<Note>,
}

impl AsRef<NewEpisode> for NewEpisode {
    fn as_ref(&self) -> &NewEpisode {
        self
    }
}

impl NewEpisode {
    /// The days of the episode: admission through discharge, or ongoing.
    pub fn span(&self) -> Span {
        Span {
            from: self.admission_date,
            to: self.discharge_date,
        }
    }

    /// The level of care on `date` by the history, if the history says.
    pub fn level_on(&self, date: NaiveDate) -> Option<LevelOfCare> {
        self.level_of_care_history
            .iter()
            .find(|level| level.span().contains(date) && self.span().contains(date))
            .map(|level| level.level_of_care)
    }
}

/// The episode covering `date`, if any. The no-overlap rule leaves at most one; should stored
/// data ever hold two, the latest admission wins, so the answer does not depend on order.
pub fn episode_on<E: AsRef<NewEpisode>>(episodes: &[E], date: NaiveDate) -> Option<&E> {
    episodes
        .iter()
        .filter(|e| e.as_ref().span().contains(date))
        .max_by_key(|e| e.as_ref().admission_date)
}

/// The first of `others` that shares a day with `candidate`: the one that refuses it.
pub fn first_overlap<'a, E: AsRef<NewEpisode> + 'a>(
    others: impl IntoIterator<Item = &'a E>,
    candidate: &NewEpisode,
) -> Option<&'a E> {
    others
        .into_iter()
        .find(|other| other.as_ref().span().overlaps(&candidate.span()))
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelSpanInput {
    pub level_of_care: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// An episode as it arrives on the wire (and as a PATCH is merged onto, and as it is stored).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpisodeInput {
    pub admission_date: Option<String>,
    pub discharge_date: Option<String>,
    pub discharge_status: Option<String>,
    pub principal_diagnosis: Option<String>,
    pub other_diagnoses: Option<Vec<String>>,
    pub level_of_care_history: Option<Vec<LevelSpanInput>>,
    pub referral_source: Option<String>,
    pub notes: Option<String>,
}

/// A date of service that has happened: on or before `today`.
fn past_date(raw: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    let date = parse_service_date(raw)?;
    if date > today {
        return Err(format!("must not be in the future (today is {today})"));
    }
    Ok(date)
}

impl EpisodeInput {
    /// The rules of the fields and between them, with `today` as the last day that is not in
    /// the future. (Stored rows are parsed again with `NaiveDate::MAX`: a day that was past
    /// when recorded stays acceptable.)
    pub fn parse(self, today: NaiveDate) -> Result<NewEpisode, Invalid> {
        let mut fields = Fields::new();
        let admission_date = fields.required("admission_date", self.admission_date, |raw| {
            past_date(&raw, today)
        });
        let discharge_date = fields.optional("discharge_date", self.discharge_date, |raw| {
            past_date(&raw, today)
        });
        let discharge_status = fields.optional(
            "discharge_status",
            self.discharge_status,
            PatientStatus::parse,
        );
        let principal_diagnosis = fields.required(
            "principal_diagnosis",
            self.principal_diagnosis,
            Icd10::parse,
        );
        let other_diagnoses = other_diagnoses(
            &mut fields,
            self.other_diagnoses.unwrap_or_default(),
            principal_diagnosis.as_ref(),
        );
        let referral_source = fields.optional("referral_source", self.referral_source, |raw| {
            SafeText::parse(&raw, REFERRAL_SOURCE_MAX)
        });
        let notes = fields.optional("notes", self.notes, |raw| Note::parse(&raw, NOTES_MAX));
        if let (Some(admission), Some(Some(discharge))) = (admission_date, discharge_date) {
            if discharge < admission {
                fields.push("discharge_date", "must not be before admission_date");
            }
        }
        match (&discharge_status, discharge_date) {
            (Some(Some(status)), Some(Some(_))) if status.is_still_patient() => fields.push(
                "discharge_status",
                "cannot be 30 (still a patient) when a discharge_date is given",
            ),
            (Some(Some(status)), Some(None)) if !status.is_still_patient() => fields.push(
                "discharge_status",
                "needs a discharge_date, unless it is 30 (still a patient)",
            ),
            _ => {}
        }
        let episode = match (admission_date, discharge_date) {
            (Some(from), Some(to)) if to.is_none_or(|to| to >= from) => Some(Span { from, to }),
            _ => None,
        };
        let level_of_care_history = level_history(
            &mut fields,
            self.level_of_care_history.unwrap_or_default(),
            episode,
            today,
        );
        fields.finish_with(|| {
            let (
                admission_date,
                discharge_date,
                discharge_status,
                principal_diagnosis,
                other_diagnoses,
                level_of_care_history,
                referral_source,
                notes,
            ) = (
                admission_date?,
                discharge_date?,
                discharge_status?,
                principal_diagnosis?,
                other_diagnoses?,
                level_of_care_history?,
                referral_source?,
                notes?,
            );
            Some(NewEpisode {
                admission_date,
                discharge_date,
                discharge_status,
                principal_diagnosis,
                other_diagnoses,
                level_of_care_history,
                referral_source,
                notes,
            })
        })
    }
}

/// At most [`MAX_OTHER_DIAGNOSES`] codes, none twice, none the principal (compared in canonical
/// form, so `F41.1` and `f411` are the same code). Item errors are named `other_diagnoses[i]`.
fn other_diagnoses(
    fields: &mut Fields,
    raw: Vec<String>,
    principal: Option<&Icd10>,
) -> Option<Vec<Icd10>> {
    let mut ok = true;
    if raw.len() > MAX_OTHER_DIAGNOSES {
        fields.push(
            "other_diagnoses",
            format!("must hold at most {MAX_OTHER_DIAGNOSES} codes (with the principal, 12)"),
        );
        ok = false;
    }
    let mut parsed = Vec::with_capacity(raw.len());
    let mut seen = HashSet::new();
    for (i, item) in raw.into_iter().enumerate() {
        let field = format!("other_diagnoses[{i}]");
        match Icd10::parse(item) {
            Ok(code) if Some(&code) == principal => {
                fields.push(&field, "is the principal diagnosis; list it only there");
                ok = false;
            }
            Ok(code) if !seen.insert(code.clone()) => {
                fields.push(&field, "is listed twice");
                ok = false;
            }
            Ok(code) => parsed.push(code),
            Err(message) => {
                fields.push(&field, message);
                ok = false;
            }
        }
    }
    ok.then_some(parsed)
}

/// The level-of-care history: each stretch parsed, `to` not before `from`, in date order
/// without overlaps (only the last may be open), and inside the `episode` when its dates are
/// known. Errors are named `level_of_care_history[i].field`.
fn level_history(
    fields: &mut Fields,
    raw: Vec<LevelSpanInput>,
    episode: Option<Span>,
    today: NaiveDate,
) -> Option<Vec<LevelSpan>> {
    let mut ok = true;
    let mut parsed: Vec<LevelSpan> = Vec::with_capacity(raw.len());
    for (i, item) in raw.into_iter().enumerate() {
        let mut own = Fields::new();
        let level = own.required("level_of_care", item.level_of_care, |raw| {
            LevelOfCare::parse(&raw)
        });
        let from = own.required("from", item.from, |raw| past_date(&raw, today));
        let to = own.optional("to", item.to, |raw| past_date(&raw, today));
        if let (Some(from), Some(Some(to))) = (from, to) {
            if to < from {
                own.push("to", "must not be before from");
            }
        }
        let stretch = match (level, from, to) {
            (Some(level_of_care), Some(from), Some(to)) if own.is_ok() => Some(LevelSpan {
                level_of_care,
                from,
                to,
            }),
            _ => None,
        };
        if let (Some(stretch), Some(episode)) = (stretch, episode) {
            if stretch.from < episode.from {
                own.push("from", "must not be before admission_date");
            }
            if let (Some(end), Some(to)) = (episode.to, stretch.to) {
                if to > end {
                    own.push("to", "must not be after discharge_date");
                }
            }
            if let Some(end) = episode.to {
                if stretch.from > end {
                    own.push("from", "must not be after discharge_date");
                }
            }
        }
        if let (Some(stretch), Some(previous)) = (stretch, parsed.last()) {
            if stretch.from < previous.from {
                own.push(
                    "from",
                    "must not be before the previous stretch's from: list the history in date \
                     order",
                );
            } else if previous.span().overlaps(&stretch.span()) {
                own.push(
                    "from",
                    "overlaps the previous stretch: it must start after the previous one's to \
                     (only the last stretch may be open)",
                );
            }
        }
        match (stretch, own.finish()) {
            (Some(stretch), Ok(())) => parsed.push(stretch),
            (_, result) => {
                ok = false;
                if let Err(invalid) = result {
                    fields.absorb_under(&format!("level_of_care_history[{i}]"), invalid);
                }
            }
        }
    }
    ok.then_some(parsed)
}

impl From<&NewEpisode> for EpisodeInput {
    fn from(episode: &NewEpisode) -> EpisodeInput {
        EpisodeInput {
            admission_date: Some(episode.admission_date.to_string()),
            discharge_date: episode.discharge_date.map(|d| d.to_string()),
            discharge_status: episode
                .discharge_status
                .as_ref()
                .map(|s| s.as_str().to_string()),
            principal_diagnosis: Some(episode.principal_diagnosis.as_str().to_string()),
            other_diagnoses: Some(
                episode
                    .other_diagnoses
                    .iter()
                    .map(|code| code.as_str().to_string())
                    .collect(),
            ),
            level_of_care_history: Some(
                episode
                    .level_of_care_history
                    .iter()
                    .map(|level| LevelSpanInput {
                        level_of_care: Some(level.level_of_care.as_str().to_string()),
                        from: Some(level.from.to_string()),
                        to: level.to.map(|d| d.to_string()),
                    })
                    .collect(),
            ),
            referral_source: episode.referral_source.as_ref().map(ToString::to_string),
            notes: episode.notes.as_ref().map(|n| n.as_str().to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::person::parse_date;

    fn date(raw: &str) -> NaiveDate {
        parse_date(raw).unwrap()
    }

    const TODAY: &str = "2026-06-30";

    fn stretch(level: &str, from: &str, to: Option<&str>) -> LevelSpanInput {
        LevelSpanInput {
            level_of_care: Some(level.into()),
            from: Some(from.into()),
            to: to.map(Into::into),
        }
    }

    fn valid() -> EpisodeInput {
        EpisodeInput {
            admission_date: Some("2026-03-02".into()),
            discharge_date: Some("2026-04-24".into()),
            discharge_status: Some("01".into()),
            principal_diagnosis: Some("F33.1".into()),
            other_diagnoses: Some(vec!["F41.1".into(), "F10.20".into()]),
            level_of_care_history: Some(vec![
                stretch("PHP", "2026-03-02", Some("2026-03-27")),
                stretch("IOP", "2026-03-30", None),
            ]),
            referral_source: Some("Self".into()),
            notes: None,
        }
    }

    fn bad_fields(input: EpisodeInput) -> Vec<String> {
        input
            .parse(date(TODAY))
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn icd10_codes_are_read_in_any_case_with_or_without_the_dot() {
        for (raw, canonical) in [
            ("F33.1", "F33.1"),
            ("f33.1", "F33.1"),
            ("F331", "F33.1"),
            ("F10.20", "F10.20"),
            ("F1020", "F10.20"),
            ("F4310", "F43.10"),
            ("F32", "F32"),
            ("f32.a", "F32.A"),
            ("T43.621A", "T43.621A"),
            ("Z3A.01", "Z3A.01"),
        ] {
            let code = Icd10::parse(raw.into()).unwrap();
            assert_eq!(code.as_str(), canonical, "{raw}");
            assert!(
                super::super::patterns::ICD10_CM_CANONICAL_RE.is_match(code.as_str()),
                "{canonical} matches the published answer pattern"
            );
        }
        for bad in [
            "",
            "F3",
            "33.1",
            "FF3.1",
            "F33.",
            "F.331",
            "F33.12345",
            "F331234567",
            "F33 1",
            " F33.1",
            "F33-1",
            "F3Ä.1",
            "F33..1",
        ] {
            assert!(Icd10::parse(bad.into()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn x12_gets_the_code_without_the_dot() {
        let code = |raw: &str| Icd10::parse(raw.into()).unwrap().without_dot();
        assert_eq!(code("F33.1"), "F331");
        assert_eq!(code("f10.20"), "F1020");
        assert_eq!(code("F4310"), "F4310");
        assert_eq!(code("F32"), "F32");
    }

    #[test]
    fn an_episode_parses_in_canonical_form_and_round_trips() {
        let mut input = valid();
        input.principal_diagnosis = Some("f331".into());
        input.other_diagnoses = Some(vec!["f411".into()]);
        let episode = input.parse(date(TODAY)).unwrap();
        assert_eq!(episode.principal_diagnosis.as_str(), "F33.1");
        assert_eq!(episode.other_diagnoses[0].as_str(), "F41.1");
        assert_eq!(episode.level_of_care_history.len(), 2);
        let again = EpisodeInput::from(&episode).parse(date(TODAY)).unwrap();
        assert_eq!(again, episode);
    }

    #[test]
    fn every_missing_field_is_named() {
        assert_eq!(
            bad_fields(EpisodeInput::default()),
            ["admission_date", "principal_diagnosis"]
        );
        let minimal = EpisodeInput {
            admission_date: Some("2026-03-02".into()),
            principal_diagnosis: Some("F33.1".into()),
            ..EpisodeInput::default()
        };
        let episode = minimal.parse(date(TODAY)).unwrap();
        assert_eq!(episode.discharge_date, None);
        assert!(episode.other_diagnoses.is_empty());
        assert!(episode.level_of_care_history.is_empty());
    }

    #[test]
    fn each_bad_field_is_named() {
        type Change = fn(&mut EpisodeInput);
        let cases: Vec<(Change, &str)> = vec![
            (
                |i| i.admission_date = Some("2026-3-2".into()),
                "admission_date",
            ),
            (
                |i| i.admission_date = Some("2026-07-01".into()),
                "admission_date",
            ),
            (
                |i| i.discharge_date = Some("2026-07-01".into()),
                "discharge_date",
            ),
            (
                |i| i.discharge_date = Some("2026-03-01".into()),
                "discharge_date",
            ),
            (
                |i| i.discharge_status = Some("1".into()),
                "discharge_status",
            ),
            (
                |i| i.discharge_status = Some("30".into()),
                "discharge_status",
            ),
            (
                |i| i.principal_diagnosis = Some("F3".into()),
                "principal_diagnosis",
            ),
            (
                |i| i.other_diagnoses = Some(vec!["F41.1".into(), "x".into()]),
                "other_diagnoses[1]",
            ),
            (
                |i| i.other_diagnoses = Some(vec!["F41.1".into(), "f411".into()]),
                "other_diagnoses[1]",
            ),
            (
                |i| i.other_diagnoses = Some(vec!["F331".into()]),
                "other_diagnoses[0]",
            ),
            (
                |i| i.other_diagnoses = Some((0..12).map(|n| format!("F4{n:02}")).collect()),
                "other_diagnoses",
            ),
            (
                |i| i.referral_source = Some("A*B".into()),
                "referral_source",
            ),
            (|i| i.notes = Some("x".repeat(2001)), "notes"),
        ];
        for (change, field) in cases {
            let mut input = valid();
            change(&mut input);
            assert_eq!(bad_fields(input), [field]);
        }
    }

    #[test]
    fn the_discharge_status_agrees_with_the_discharge_date() {
        let mut ongoing = valid();
        ongoing.discharge_date = None;
        ongoing.discharge_status = Some("30".into());
        assert!(ongoing.clone().parse(date(TODAY)).is_ok());
        ongoing.discharge_status = Some("01".into());
        assert_eq!(bad_fields(ongoing), ["discharge_status"]);
    }

    #[test]
    fn the_level_history_is_ordered_without_overlaps_and_inside_the_episode() {
        type History = Vec<LevelSpanInput>;
        let cases: Vec<(History, &str)> = vec![
            (
                vec![stretch("RTC", "2026-03-02", None)],
                "level_of_care_history[0].level_of_care",
            ),
            (
                vec![stretch("PHP", "2026-03-10", Some("2026-03-09"))],
                "level_of_care_history[0].to",
            ),
            (
                vec![stretch("PHP", "2026-03-01", Some("2026-03-09"))],
                "level_of_care_history[0].from",
            ),
            (
                vec![stretch("PHP", "2026-03-02", Some("2026-04-25"))],
                "level_of_care_history[0].to",
            ),
            (
                vec![stretch("PHP", "2026-04-25", None)],
                "level_of_care_history[0].from",
            ),
            (
                vec![
                    stretch("PHP", "2026-03-02", Some("2026-03-27")),
                    stretch("IOP", "2026-03-27", None),
                ],
                "level_of_care_history[1].from",
            ),
            (
                vec![
                    stretch("PHP", "2026-03-02", None),
                    stretch("IOP", "2026-03-30", None),
                ],
                "level_of_care_history[1].from",
            ),
            (
                vec![
                    stretch("IOP", "2026-03-30", None),
                    stretch("PHP", "2026-03-02", Some("2026-03-27")),
                ],
                "level_of_care_history[1].from",
            ),
            (
                vec![LevelSpanInput::default()],
                "level_of_care_history[0].level_of_care",
            ),
        ];
        for (history, field) in cases {
            let mut input = valid();
            input.level_of_care_history = Some(history);
            let fields = bad_fields(input);
            assert_eq!(fields[0], field, "{fields:?}");
        }
        // Back to back is not an overlap; a stretch ending on the discharge day is inside.
        let mut input = valid();
        input.level_of_care_history = Some(vec![
            stretch("PHP", "2026-03-02", Some("2026-03-27")),
            stretch("IOP", "2026-03-28", Some("2026-04-24")),
        ]);
        let episode = input.parse(date(TODAY)).unwrap();
        assert_eq!(episode.level_on(date("2026-03-27")), Some(LevelOfCare::Php));
        assert_eq!(episode.level_on(date("2026-03-28")), Some(LevelOfCare::Iop));
        assert_eq!(episode.level_on(date("2026-04-25")), None);
    }

    fn episode(admission: &str, discharge: Option<&str>) -> NewEpisode {
        EpisodeInput {
            admission_date: Some(admission.into()),
            discharge_date: discharge.map(Into::into),
            principal_diagnosis: Some("F33.1".into()),
            ..EpisodeInput::default()
        }
        .parse(NaiveDate::MAX)
        .unwrap()
    }

    #[test]
    fn the_episode_on_a_day_is_found_at_its_boundaries() {
        let episodes = [
            episode("2026-01-05", Some("2026-02-13")),
            episode("2026-03-02", Some("2026-04-24")),
            episode("2026-06-01", None),
        ];
        let on = |day: &str| episode_on(&episodes, date(day)).map(|e| e.admission_date.to_string());
        assert_eq!(on("2026-01-04"), None);
        assert_eq!(on("2026-01-05").as_deref(), Some("2026-01-05"));
        assert_eq!(on("2026-02-13").as_deref(), Some("2026-01-05"));
        assert_eq!(on("2026-02-14"), None);
        assert_eq!(on("2026-03-01"), None);
        assert_eq!(on("2026-03-02").as_deref(), Some("2026-03-02"));
        assert_eq!(on("2026-04-24").as_deref(), Some("2026-03-02"));
        assert_eq!(on("2026-04-25"), None);
        assert_eq!(on("2026-05-31"), None);
        assert_eq!(on("2026-06-01").as_deref(), Some("2026-06-01"));
        assert_eq!(on("2030-01-01").as_deref(), Some("2026-06-01"), "ongoing");
        let none: [NewEpisode; 0] = [];
        assert!(episode_on(&none, date("2026-03-02")).is_none());
    }

    #[test]
    fn episodes_overlap_when_they_share_a_day_and_an_open_one_is_ongoing() {
        let march = episode("2026-03-02", Some("2026-04-24"));
        let overlaps = |e: NewEpisode| first_overlap([&march], &e).is_some();
        assert!(overlaps(episode("2026-04-24", None)));
        assert!(overlaps(episode("2026-02-01", Some("2026-03-02"))));
        assert!(overlaps(episode("2026-01-01", None)));
        assert!(!overlaps(episode("2026-04-25", None)));
        assert!(!overlaps(episode("2026-02-01", Some("2026-03-01"))));
        let open = episode("2026-06-01", None);
        assert!(open.span().overlaps(&episode("2027-01-01", None).span()));
        assert!(!open.span().overlaps(&march.span()));
    }
}
