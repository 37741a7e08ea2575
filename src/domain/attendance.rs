//! Attendance: what one client attended on one day, as the program's sign-in sheet or the EHR
//! reports it, and how a batch of such rows meets what is already stored.
//!
//! Pure: parsing a row, deciding what a row does to the stored day (create, nothing, replace,
//! or refuse with a reason), and reading an EHR's CSV export. Whether a day is *billable* is
//! [`super::billable`]'s question.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::client::ExternalId;
use super::dates::check_service_date;
use super::eligibility::LevelOfCare;
use super::ids::parse_id;
use super::service_code::{looks_like_code, ServiceCode};
use super::text::SafeText;

/// Most rows one request may carry (JSON batch); a CSV import is limited by its size instead.
pub const MAX_BATCH_ROWS: usize = 10_000;
const MAX_SERVICES: usize = 20;
const SERVICE_MAX_CHARS: usize = 60;
const SOURCE_MAX_CHARS: usize = 40;
const MINUTES_IN_A_DAY: u32 = 1440;
/// Most units of one service on one day (a day's services cannot fill more).
pub const MAX_UNITS: u32 = 24;

/// Minutes of attendance on one day: more than none, at most a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Minutes(u32);

impl Minutes {
    pub fn parse(raw: i64) -> Result<Minutes, String> {
        u32::try_from(raw)
            .ok()
            .filter(|m| (1..=MINUTES_IN_A_DAY).contains(m))
            .map(Minutes)
            .ok_or_else(|| format!("must be from 1 to {MINUTES_IN_A_DAY} minutes (one day)"))
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// Who the row is about: our client id, or the EHR's record number (`external_id`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ClientRef {
    Id(Uuid),
    External(ExternalId),
}

/// One row as sent. Every field is optional here so that each missing one can be named.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttendanceInput {
    pub client_id: Option<String>,
    pub external_id: Option<String>,
    pub service_date: Option<String>,
    pub level_of_care: Option<String>,
    pub minutes: Option<i64>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub services: Option<Vec<ServiceInput>>,
    pub source: Option<String>,
}

/// One service of a day as sent: a free-text name (`"group therapy"`), or a catalog code
/// with its units (`{"code": "G0410", "units": 2}`; units default to 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ServiceInput {
    Name(String),
    Coded(CodedInput),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodedInput {
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub units: Option<i64>,
}

impl From<&str> for ServiceInput {
    fn from(name: &str) -> ServiceInput {
        ServiceInput::Name(name.to_string())
    }
}

/// Units of one service on one day: 1 to [`MAX_UNITS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Units(u32);

impl Units {
    pub const ONE: Units = Units(1);

    pub fn parse(raw: i64) -> Result<Units, String> {
        u32::try_from(raw)
            .ok()
            .filter(|u| (1..=MAX_UNITS).contains(u))
            .map(Units)
            .ok_or_else(|| format!("units must be from 1 to {MAX_UNITS}"))
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// One service of an attended day: a catalog code with its units, which a per-service claim
/// bills on its own line, or a free-text name kept as the program wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Service {
    Named(SafeText),
    Coded { code: ServiceCode, units: Units },
}

impl Service {
    /// Parses one service as sent. A code must be a catalog code's shape (any case: EHR
    /// exports are not consistent; kept upper-case); whether the catalog knows it on the day
    /// needs the database, and the caller checks it.
    pub fn parse(raw: ServiceInput) -> Result<Service, String> {
        match raw {
            ServiceInput::Name(name) => {
                SafeText::parse(&name, SERVICE_MAX_CHARS).map(Service::Named)
            }
            ServiceInput::Coded(CodedInput { code, units }) => {
                let code = ServiceCode::parse(code.trim().to_ascii_uppercase())?;
                let units = units.map(Units::parse).transpose()?.unwrap_or(Units::ONE);
                Ok(Service::Coded { code, units })
            }
        }
    }

    /// The catalog code and units, for a coded service.
    pub fn coded(&self) -> Option<(&ServiceCode, Units)> {
        match self {
            Service::Coded { code, units } => Some((code, *units)),
            Service::Named(_) => None,
        }
    }
}

/// One entry of the CSV `services` column: `G0410*2` (a code and its units), `90837` (a code,
/// one unit) or a free-text name. An entry whose part before `*` is shaped like a code is a
/// code; anything else is a name (so `group*2` is refused as a name holding `*`).
pub fn csv_service(entry: &str) -> ServiceInput {
    let (code, units) = match entry.split_once('*') {
        Some((code, units)) => (code.trim(), Some(units.trim())),
        None => (entry.trim(), None),
    };
    if !looks_like_code(code) {
        return ServiceInput::Name(entry.to_string());
    }
    match units.map(str::parse::<i64>) {
        None => ServiceInput::Coded(CodedInput {
            code: code.to_string(),
            units: None,
        }),
        Some(Ok(units)) => ServiceInput::Coded(CodedInput {
            code: code.to_string(),
            units: Some(units),
        }),
        // `G0410*x`: a code with units that are not a number; 0 is refused with the range.
        Some(Err(_)) => ServiceInput::Coded(CodedInput {
            code: code.to_string(),
            units: Some(0),
        }),
    }
}

/// What was attended, parsed. `minutes` is derived from the times when only they were sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttendance {
    pub client: ClientRef,
    pub day: AttendedDay,
}

/// The stored facts of an attended day (without who it belongs to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttendedDay {
    pub service_date: NaiveDate,
    pub level_of_care: LevelOfCare,
    pub minutes: Minutes,
    #[serde(with = "optional_hhmm")]
    pub start_time: Option<NaiveTime>,
    #[serde(with = "optional_hhmm")]
    pub end_time: Option<NaiveTime>,
    pub services: Vec<Service>,
    pub source: Option<SafeText>,
}

impl AttendedDay {
    /// The same attendance, as far as billing is concerned: the source of a row (which export
    /// it came from) does not make it a different day.
    pub fn same_as(&self, other: &AttendedDay) -> bool {
        self.service_date == other.service_date
            && self.level_of_care == other.level_of_care
            && self.minutes == other.minutes
            && self.start_time == other.start_time
            && self.end_time == other.end_time
            && self.services == other.services
    }
}

mod optional_hhmm {
    use chrono::NaiveTime;
    use serde::Serializer;

    pub fn serialize<S: Serializer>(time: &Option<NaiveTime>, s: S) -> Result<S::Ok, S::Error> {
        match time {
            Some(t) => s.serialize_str(&t.format("%H:%M").to_string()),
            None => s.serialize_none(),
        }
    }
}

/// Why a row was not taken. `code` is stable (clients branch on it); `message` is for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowProblem {
    pub field: String,
    pub code: ProblemCode,
    pub message: String,
    /// The claim a refused change would touch (`on_claim`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    /// A field is missing or does not parse.
    Invalid,
    FutureDate,
    MinutesOutOfRange,
    UnknownClient,
    /// A service code the catalog does not know, or has no entry of in force on the day.
    UnknownServiceCode,
    /// No coverage of the client is in force on the date.
    NoCoverage,
    /// The payer said this level of care is not covered (latest verification).
    LevelNotCovered,
    /// IOP and PHP on the same day.
    LevelConflict,
    /// A different record exists for the day and the request did not say `replace`.
    Conflict,
    /// The day is on a claim and cannot change.
    OnClaim,
}

impl ProblemCode {
    /// A conflict with what is stored (409) rather than a bad row (422).
    pub fn is_conflict(self) -> bool {
        matches!(
            self,
            ProblemCode::Conflict | ProblemCode::OnClaim | ProblemCode::LevelConflict
        )
    }
}

impl RowProblem {
    fn new(field: &str, code: ProblemCode, message: impl Into<String>) -> RowProblem {
        RowProblem {
            field: field.to_string(),
            code,
            message: message.into(),
            claim_id: None,
        }
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> RowProblem {
        RowProblem::new(field, ProblemCode::Invalid, message)
    }

    pub fn unknown_client(field: &str) -> RowProblem {
        RowProblem::new(
            field,
            ProblemCode::UnknownClient,
            "names no client; create the client first",
        )
    }

    /// Service `index` of the row names `code`, which the catalog does not know at all
    /// (`known` false) or has no entry of in force on `date`.
    pub fn unknown_service_code(
        index: usize,
        code: &ServiceCode,
        date: NaiveDate,
        known: bool,
    ) -> RowProblem {
        let message = if known {
            format!(
                "{code} has no service catalog entry in force on {date} (expired or not yet \
                 in force); record the entry for that day first"
            )
        } else {
            format!("{code} is not in the service catalog; record it there first")
        };
        RowProblem::new(
            &format!("services[{index}]"),
            ProblemCode::UnknownServiceCode,
            message,
        )
    }

    pub fn no_coverage(date: NaiveDate) -> RowProblem {
        RowProblem::new(
            "service_date",
            ProblemCode::NoCoverage,
            format!("the client has no coverage in force on {date}"),
        )
    }

    pub fn level_not_covered(level: LevelOfCare, verification_id: Uuid) -> RowProblem {
        RowProblem::new(
            "level_of_care",
            ProblemCode::LevelNotCovered,
            format!(
                "the payer reported {} as not covered (verification {verification_id}); \
                 verify benefits again if that has changed",
                level.as_str()
            ),
        )
    }
}

/// A date as EHR exports write it: ISO `YYYY-MM-DD`, or US `MM/DD/YYYY` when `us_dates`; in
/// either form a date of service ([`check_service_date`]).
fn parse_service_date(raw: &str, us_dates: bool) -> Result<NaiveDate, String> {
    let raw = raw.trim();
    let iso = Some(raw)
        .filter(|raw| raw.len() == 10)
        .and_then(|raw| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok());
    let date = match iso {
        Some(date) => date,
        None if us_dates => NaiveDate::parse_from_str(raw, "%m/%d/%Y")
            .map_err(|_| "must be a date as YYYY-MM-DD or MM/DD/YYYY")?,
        None => return Err("must be a date as YYYY-MM-DD".into()),
    };
    check_service_date(date)
}

/// A time of day: `HH:MM`, `HH:MM:SS`, or `h:MM AM`.
fn parse_time(raw: &str) -> Result<NaiveTime, String> {
    let raw = raw.trim();
    ["%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M%p"]
        .iter()
        .find_map(|format| NaiveTime::parse_from_str(raw, format).ok())
        .ok_or_else(|| "must be a time of day as HH:MM (24-hour) or h:MM AM/PM".into())
}

fn parse_level(raw: &str) -> Result<LevelOfCare, String> {
    LevelOfCare::parse(&raw.trim().to_ascii_uppercase())
}

impl AttendanceInput {
    /// Parses the row as of `today`, reporting every problem. `us_dates` also accepts
    /// `MM/DD/YYYY` (CSV exports); JSON takes ISO dates only.
    pub fn parse(self, today: NaiveDate, us_dates: bool) -> Result<NewAttendance, Vec<RowProblem>> {
        let mut problems = Vec::new();
        let client = match (self.client_id, self.external_id) {
            (Some(id), None) => match parse_id(&id) {
                Ok(id) => Some(ClientRef::Id(id)),
                Err(message) => {
                    problems.push(RowProblem::invalid("client_id", message));
                    None
                }
            },
            (None, Some(external)) => match ExternalId::parse(external) {
                Ok(external) => Some(ClientRef::External(external)),
                Err(message) => {
                    problems.push(RowProblem::invalid("external_id", message));
                    None
                }
            },
            (Some(_), Some(_)) => {
                problems.push(RowProblem::invalid(
                    "client_id",
                    "send client_id or external_id, not both",
                ));
                None
            }
            (None, None) => {
                problems.push(RowProblem::invalid(
                    "client_id",
                    "is required (or external_id, the EHR's record number)",
                ));
                None
            }
        };
        let service_date = match self.service_date {
            None => {
                problems.push(RowProblem::invalid("service_date", "is required"));
                None
            }
            Some(raw) => match parse_service_date(&raw, us_dates) {
                Ok(date) if date > today => {
                    problems.push(RowProblem::new(
                        "service_date",
                        ProblemCode::FutureDate,
                        format!("{date} is in the future; attendance is recorded after the day"),
                    ));
                    None
                }
                Ok(date) => Some(date),
                Err(message) => {
                    problems.push(RowProblem::invalid("service_date", message));
                    None
                }
            },
        };
        let level = match self.level_of_care.as_deref().map(parse_level) {
            None => {
                problems.push(RowProblem::invalid("level_of_care", "is required"));
                None
            }
            Some(Ok(level)) => Some(level),
            Some(Err(message)) => {
                problems.push(RowProblem::invalid("level_of_care", message));
                None
            }
        };
        let start = self
            .start_time
            .as_deref()
            .map(parse_time)
            .transpose()
            .map_err(|m| problems.push(RowProblem::invalid("start_time", m)))
            .ok();
        let end = self
            .end_time
            .as_deref()
            .map(parse_time)
            .transpose()
            .map_err(|m| problems.push(RowProblem::invalid("end_time", m)))
            .ok();
        let minutes = minutes_of(self.minutes, start, end, &mut problems);
        let services = match self.services {
            None => Some(Vec::new()),
            Some(list) if list.len() > MAX_SERVICES => {
                problems.push(RowProblem::invalid(
                    "services",
                    format!("must list at most {MAX_SERVICES} services"),
                ));
                None
            }
            Some(list) => {
                let mut parsed = Vec::with_capacity(list.len());
                for (i, raw) in list.into_iter().enumerate() {
                    match Service::parse(raw) {
                        Ok(service) => parsed.push(service),
                        Err(message) => {
                            problems.push(RowProblem::invalid(&format!("services[{i}]"), message))
                        }
                    }
                }
                Some(parsed)
            }
        };
        let source = match self.source {
            None => Some(None),
            Some(raw) => match SafeText::parse(&raw, SOURCE_MAX_CHARS) {
                Ok(text) => Some(Some(text)),
                Err(message) => {
                    problems.push(RowProblem::invalid("source", message));
                    None
                }
            },
        };
        match (
            client,
            service_date,
            level,
            minutes,
            start,
            end,
            services,
            source,
        ) {
            (
                Some(client),
                Some(service_date),
                Some(level_of_care),
                Some(minutes),
                Some(start_time),
                Some(end_time),
                Some(services),
                Some(source),
            ) if problems.is_empty() => Ok(NewAttendance {
                client,
                day: AttendedDay {
                    service_date,
                    level_of_care,
                    minutes,
                    start_time,
                    end_time,
                    services,
                    source,
                },
            }),
            _ => Err(problems),
        }
    }
}

/// Minutes as sent, or from the start and end times; when both come they must agree.
fn minutes_of(
    minutes: Option<i64>,
    start: Option<Option<NaiveTime>>,
    end: Option<Option<NaiveTime>>,
    problems: &mut Vec<RowProblem>,
) -> Option<Minutes> {
    let out_of_range =
        |message: String| RowProblem::new("minutes", ProblemCode::MinutesOutOfRange, message);
    let sent = match minutes.map(Minutes::parse) {
        None => None,
        Some(Ok(m)) => Some(m),
        Some(Err(message)) => {
            problems.push(out_of_range(message));
            return None;
        }
    };
    let timed = match (start?, end?) {
        (None, None) => None,
        (Some(_), None) => {
            problems.push(RowProblem::invalid(
                "end_time",
                "is required with start_time",
            ));
            return None;
        }
        (None, Some(_)) => {
            problems.push(RowProblem::invalid(
                "start_time",
                "is required with end_time",
            ));
            return None;
        }
        (Some(start), Some(end)) if end <= start => {
            problems.push(RowProblem::invalid(
                "end_time",
                "must be after start_time (a program day does not cross midnight)",
            ));
            return None;
        }
        (Some(start), Some(end)) => {
            let span = (end - start).num_minutes();
            Some(Minutes::parse(span).ok()?)
        }
    };
    match (sent, timed) {
        (Some(sent), Some(timed)) if sent != timed => {
            problems.push(RowProblem::invalid(
                "minutes",
                format!(
                    "{} minutes does not match start_time to end_time ({} minutes)",
                    sent.get(),
                    timed.get()
                ),
            ));
            None
        }
        (Some(m), _) | (None, Some(m)) => Some(m),
        (None, None) => {
            problems.push(RowProblem::invalid(
                "minutes",
                "is required (or start_time and end_time)",
            ));
            None
        }
    }
}

/// A day as stored, as far as a new row needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDay {
    pub id: Uuid,
    pub day: AttendedDay,
    pub claim_id: Option<String>,
}

/// What a valid row does to the stored day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Create,
    /// The same record is already stored: nothing to do (re-sending a file is harmless).
    Unchanged,
    /// `replace` was asked: the stored record `id` takes the new values.
    Replace(Uuid),
}

/// Decides what `new` does to the client's stored record for that day, if any.
pub fn effect(
    new: &AttendedDay,
    stored: Option<&StoredDay>,
    replace: bool,
) -> Result<Effect, RowProblem> {
    let Some(stored) = stored else {
        return Ok(Effect::Create);
    };
    if stored.day.same_as(new) {
        return Ok(Effect::Unchanged);
    }
    if let Some(claim) = &stored.claim_id {
        return Err(RowProblem {
            claim_id: Some(claim.clone()),
            ..RowProblem::new(
                "service_date",
                ProblemCode::OnClaim,
                format!(
                    "{} is on claim {claim} and cannot be changed; void or replace the claim first",
                    new.service_date
                ),
            )
        });
    }
    if replace {
        return Ok(Effect::Replace(stored.id));
    }
    if stored.day.level_of_care != new.level_of_care {
        return Err(RowProblem::new(
            "level_of_care",
            ProblemCode::LevelConflict,
            format!(
                "the client already has {} attendance on {}; IOP and PHP cannot both be billed \
                 on one date (send replace to correct the day)",
                stored.day.level_of_care.as_str(),
                new.service_date
            ),
        ));
    }
    Err(RowProblem::new(
        "service_date",
        ProblemCode::Conflict,
        format!(
            "a different record exists for {} ({} minutes); send replace to overwrite it",
            new.service_date,
            stored.day.minutes.get()
        ),
    ))
}

/// The columns of the CSV import (header names, any case; extra columns are ignored and
/// reported). `services` holds several entries separated by `;`: catalog codes with their
/// units (`G0410*2`, `90837`) or free-text names (see [`csv_service`]).
pub const CSV_COLUMNS: [&str; 9] = [
    "client_id",
    "external_id",
    "service_date",
    "level_of_care",
    "minutes",
    "start_time",
    "end_time",
    "services",
    "source",
];

/// One data row of a CSV file: its line number (the header is line 1) and the row, or what
/// made it unreadable before field parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRow {
    pub line: u64,
    pub row: Result<AttendanceInput, Vec<RowProblem>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvFile {
    pub rows: Vec<CsvRow>,
    /// Header columns that are not ours (kept for the answer, so a typo does not go unseen).
    pub ignored_columns: Vec<String>,
}

/// Reads an EHR's CSV export. The file as a whole fails (with a message for the `body`) only
/// when it is not CSV or the header lacks a needed column; row problems are per row.
///
/// A quoted value may hold a line break (an EHR's notes column does). A quote left open does
/// not swallow the rest of the file: when the record it makes cannot be a row — the file ends
/// inside the quote; or the record runs over several lines and has another number of values
/// than the header, a line break in one of our columns (none can hold one), or a quote closed
/// in the middle of a value (a stray quote that closed the open one) — that record is refused
/// at the line where it starts, which is where the quote opened, and reading resumes at the
/// next line. So every line of the file ends up a row or a refusal.
pub fn read_csv(bytes: &[u8]) -> Result<CsvFile, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv_reader(bytes, true);
    let header = reader
        .headers()
        .map_err(|e| format!("the header row cannot be read: {e}"))?
        .clone();
    let mut columns: HashMap<&'static str, usize> = HashMap::new();
    let mut ignored_columns = Vec::new();
    for (index, name) in header.iter().enumerate() {
        let name = name.to_ascii_lowercase();
        match CSV_COLUMNS.iter().find(|c| **c == name) {
            Some(known) => {
                if columns.insert(known, index).is_some() {
                    return Err(format!("the header names the column {known} twice"));
                }
            }
            None => ignored_columns.push(name),
        }
    }
    let has = |name: &str| columns.contains_key(name);
    let mut missing = Vec::new();
    if !has("client_id") && !has("external_id") {
        missing.push("client_id or external_id");
    }
    for needed in ["service_date", "level_of_care"] {
        if !has(needed) {
            missing.push(needed);
        }
    }
    let timed = has("start_time") && has("end_time");
    if !(has("minutes") || timed) {
        missing.push("minutes (or start_time and end_time)");
    }
    if !missing.is_empty() {
        return Err(format!(
            "the header row lacks the column(s): {}",
            missing.join(", ")
        ));
    }
    let mut records = Records {
        bytes,
        columns,
        width: header.len(),
        lines: LineCounter::new(bytes),
        rows: Vec::new(),
    };
    let mut resume = Some(offset(reader.position()));
    while let Some(from) = resume {
        resume = records.read_from(from);
    }
    Ok(CsvFile {
        rows: records.rows,
        ignored_columns,
    })
}

fn csv_reader(bytes: &[u8], has_headers: bool) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(has_headers)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes)
}

fn offset(position: &csv::Position) -> usize {
    usize::try_from(position.byte()).unwrap_or(usize::MAX)
}

/// The data records of a file, read into rows.
struct Records<'a> {
    bytes: &'a [u8],
    columns: HashMap<&'static str, usize>,
    /// How many values the header has: a record with another number took in a quote left open.
    width: usize,
    lines: LineCounter<'a>,
    rows: Vec<CsvRow>,
}

impl Records<'_> {
    /// Reads the records from byte `from` on. When one cannot be a row because a quote was
    /// left open, it is refused and the byte where reading resumes (its next line) is returned.
    fn read_from(&mut self, from: usize) -> Option<usize> {
        let rest = self.bytes.get(from..)?;
        // Every record is data here: the header was read before the first call.
        let mut reader = csv_reader(rest, false);
        let mut record = csv::ByteRecord::new();
        loop {
            // A record's offset can point at blank lines before it; its line is where it starts.
            let start = record_start(self.bytes, from.saturating_add(offset(reader.position())));
            let read = reader.read_byte_record(&mut record);
            let line = self.lines.line_at(start);
            match read {
                Ok(true) => {}
                Ok(false) => return None,
                Err(_) => {
                    // Not expected from bytes in memory read flexibly; skipping the line keeps
                    // the promise that each line is a row or a refusal.
                    self.refuse(line, "is not readable CSV");
                    return Some(next_line(self.bytes, start));
                }
            }
            let end = from.saturating_add(offset(reader.position()));
            let raw = self.bytes.get(start..end).unwrap_or_default();
            if let Some(reason) = self.quote_left_open(raw, &record) {
                self.refuse(line, reason);
                return Some(next_line(self.bytes, start));
            }
            if record.iter().all(<[u8]>::is_empty) {
                continue; // a blank line, as spreadsheets leave at the end
            }
            let row = match csv::StringRecord::from_byte_record(record.clone()) {
                Ok(mut text) => {
                    text.trim(); // Unicode white space too, as the byte record's trim is ASCII
                    row_of(&text, &self.columns)
                }
                Err(_) => Err(vec![RowProblem::invalid("row", "is not readable CSV")]),
            };
            self.rows.push(CsvRow { line, row });
        }
    }

    /// Why the record read from `raw` took in lines that are not its own, if it did.
    fn quote_left_open(&self, raw: &[u8], record: &csv::ByteRecord) -> Option<&'static str> {
        let quotes = Quotes::of(raw);
        if quotes.open_at_end {
            return Some(
                "opens a quote that is never closed; the lines after it are read as rows of \
                 their own",
            );
        }
        let broken = |index: &usize| {
            record
                .get(*index)
                .is_some_and(|value| value.contains(&b'\n') || value.contains(&b'\r'))
        };
        let runs_on = quotes.spans_lines
            && (quotes.closed_mid_value
                || record.len() != self.width
                || self.columns.values().any(broken));
        runs_on.then_some(
            "opens a quote that is not closed on this line; the lines after it are read as rows \
             of their own",
        )
    }

    fn refuse(&mut self, line: u64, reason: &str) {
        self.rows.push(CsvRow {
            line,
            row: Err(vec![RowProblem::invalid("row", reason)]),
        });
    }
}

/// One record's cells as an input row.
fn row_of(
    record: &csv::StringRecord,
    columns: &HashMap<&'static str, usize>,
) -> Result<AttendanceInput, Vec<RowProblem>> {
    let cell = |name: &str| -> Option<String> {
        let index = columns.get(name)?;
        record
            .get(*index)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let minutes = match cell("minutes").map(|m| m.parse::<i64>()) {
        None => None,
        Some(Ok(m)) => Some(m),
        Some(Err(_)) => {
            return Err(vec![RowProblem::invalid(
                "minutes",
                "must be a whole number of minutes",
            )]);
        }
    };
    Ok(AttendanceInput {
        client_id: cell("client_id"),
        external_id: cell("external_id"),
        service_date: cell("service_date"),
        level_of_care: cell("level_of_care"),
        minutes,
        start_time: cell("start_time"),
        end_time: cell("end_time"),
        services: cell("services").map(|s| {
            s.split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(csv_service)
                .collect()
        }),
        source: cell("source"),
    })
}

/// How the quotes of one record's raw text stand, read as the `csv` crate reads them (RFC
/// 4180): a quote opens a value only as its first character, `""` inside one is a quote, and
/// a line break inside one belongs to the value.
#[derive(Debug, Default, PartialEq, Eq)]
struct Quotes {
    /// A quoted value holds a line break: the record runs over more than one line.
    spans_lines: bool,
    /// The text ends inside a quoted value: the file ended before the quote was closed.
    open_at_end: bool,
    /// A quote that closes a value is followed by more of it (`"ab"c`): `csv` reads on, but
    /// a quoted value ends at a comma or a line break.
    closed_mid_value: bool,
}

impl Quotes {
    fn of(raw: &[u8]) -> Quotes {
        #[derive(PartialEq)]
        enum At {
            ValueStart,
            Unquoted,
            Quoted,
            QuoteInQuoted,
        }
        let mut quotes = Quotes::default();
        let mut at = At::ValueStart;
        for &byte in raw {
            at = match (at, byte) {
                (At::Quoted, b'"') => At::QuoteInQuoted,
                (At::Quoted, b'\r' | b'\n') => {
                    quotes.spans_lines = true;
                    At::Quoted
                }
                (At::Quoted, _) => At::Quoted,
                (At::ValueStart | At::QuoteInQuoted, b'"') => At::Quoted,
                (_, b',') => At::ValueStart,
                // The record's own end: what follows belongs to the next one.
                (_, b'\r' | b'\n') => return quotes,
                (At::QuoteInQuoted, _) => {
                    quotes.closed_mid_value = true;
                    At::Unquoted
                }
                _ => At::Unquoted,
            };
        }
        quotes.open_at_end = at == At::Quoted;
        quotes
    }
}

/// The first byte at or after `offset` that is not a line break: where a record starts.
fn record_start(bytes: &[u8], offset: usize) -> usize {
    let mut start = offset.min(bytes.len());
    while matches!(bytes.get(start), Some(b'\r' | b'\n')) {
        start += 1;
    }
    start
}

/// The start of the line after the one `offset` is on (or the end of the file).
fn next_line(bytes: &[u8], offset: usize) -> usize {
    let rest = bytes.get(offset..).unwrap_or_default();
    match rest.iter().position(|b| matches!(b, b'\r' | b'\n')) {
        None => bytes.len(),
        Some(at) if rest[at] == b'\r' && rest.get(at + 1) == Some(&b'\n') => offset + at + 2,
        Some(at) => offset + at + 1,
    }
}

/// The 1-based line of a byte offset, for offsets that only move forward.
struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> LineCounter<'a> {
        LineCounter {
            bytes,
            offset: 0,
            line: 1,
        }
    }

    fn line_at(&mut self, byte: usize) -> u64 {
        let target = byte.min(self.bytes.len());
        if target > self.offset {
            let passed = self.bytes.get(self.offset..target).unwrap_or_default();
            self.line += passed.iter().filter(|&&b| b == b'\n').count() as u64;
            self.offset = target;
        }
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()
    }

    fn row() -> AttendanceInput {
        AttendanceInput {
            external_id: Some("MRN-1".into()),
            service_date: Some("2026-03-02".into()),
            level_of_care: Some("PHP".into()),
            minutes: Some(330),
            ..AttendanceInput::default()
        }
    }

    fn codes(problems: &[RowProblem]) -> Vec<(&str, ProblemCode)> {
        problems
            .iter()
            .map(|p| (p.field.as_str(), p.code))
            .collect()
    }

    #[test]
    fn a_good_row_parses() {
        let parsed = row().parse(today(), false).unwrap();
        assert_eq!(
            parsed.client,
            ClientRef::External(ExternalId::parse("MRN-1".into()).unwrap())
        );
        assert_eq!(parsed.day.minutes.get(), 330);
        assert_eq!(parsed.day.level_of_care, LevelOfCare::Php);
    }

    #[test]
    fn services_are_names_or_codes_with_units() {
        let coded: Vec<ServiceInput> = serde_json::from_value(serde_json::json!([
            "group therapy",
            {"code": "G0410", "units": 2},
            {"code": "g0176"},
            "G0410"
        ]))
        .unwrap();
        let parsed = AttendanceInput {
            services: Some(coded),
            ..row()
        }
        .parse(today(), false)
        .unwrap();
        let wire = serde_json::to_value(&parsed.day.services).unwrap();
        assert_eq!(
            wire,
            serde_json::json!([
                "group therapy",
                {"code": "G0410", "units": 2},
                {"code": "G0176", "units": 1},
                "G0410"
            ]),
            "a string stays a name, even shaped like a code"
        );
        let bad: Vec<ServiceInput> = serde_json::from_value(serde_json::json!([
            {"code": "G0410", "units": 0},
            {"code": "G0410", "units": 25},
            {"code": "group"},
            "ok"
        ]))
        .unwrap();
        let problems = AttendanceInput {
            services: Some(bad),
            ..row()
        }
        .parse(today(), false)
        .unwrap_err();
        assert_eq!(
            codes(&problems),
            [
                ("services[0]", ProblemCode::Invalid),
                ("services[1]", ProblemCode::Invalid),
                ("services[2]", ProblemCode::Invalid)
            ]
        );
    }

    #[test]
    fn csv_service_entries_shaped_like_codes_are_codes() {
        let coded = |code: &str, units: Option<i64>| {
            ServiceInput::Coded(CodedInput {
                code: code.into(),
                units,
            })
        };
        assert_eq!(csv_service("G0410*2"), coded("G0410", Some(2)));
        assert_eq!(csv_service("90837"), coded("90837", None));
        assert_eq!(csv_service("g0410 * 3"), coded("g0410", Some(3)));
        assert_eq!(csv_service("G0410*x"), coded("G0410", Some(0)));
        assert_eq!(csv_service("group therapy"), "group therapy".into());
        assert_eq!(csv_service("group*2"), "group*2".into());
        assert!(Service::parse(csv_service("G0410*x")).is_err());
        assert!(Service::parse(csv_service("group*2")).is_err());
    }

    #[test]
    fn minutes_come_from_the_times_and_must_agree_with_them() {
        let timed = AttendanceInput {
            minutes: None,
            start_time: Some("09:00".into()),
            end_time: Some("3:00 PM".into()),
            ..row()
        };
        assert_eq!(
            timed
                .clone()
                .parse(today(), false)
                .unwrap()
                .day
                .minutes
                .get(),
            360
        );
        let disagreeing = AttendanceInput {
            minutes: Some(300),
            ..timed.clone()
        };
        let problems = disagreeing.parse(today(), false).unwrap_err();
        assert_eq!(codes(&problems), [("minutes", ProblemCode::Invalid)]);
        let backwards = AttendanceInput {
            end_time: Some("08:00".into()),
            ..timed
        };
        assert_eq!(
            codes(&backwards.parse(today(), false).unwrap_err()),
            [("end_time", ProblemCode::Invalid)]
        );
    }

    #[test]
    fn each_refusal_has_its_code() {
        let future = AttendanceInput {
            service_date: Some("2026-04-01".into()),
            ..row()
        };
        assert_eq!(
            codes(&future.parse(today(), false).unwrap_err()),
            [("service_date", ProblemCode::FutureDate)]
        );
        for minutes in [0, -5, 1441] {
            let bad = AttendanceInput {
                minutes: Some(minutes),
                ..row()
            };
            assert_eq!(
                codes(&bad.parse(today(), false).unwrap_err()),
                [("minutes", ProblemCode::MinutesOutOfRange)]
            );
        }
        assert!(AttendanceInput {
            minutes: Some(1440),
            ..row()
        }
        .parse(today(), false)
        .is_ok());
        let empty = AttendanceInput::default()
            .parse(today(), false)
            .unwrap_err();
        let fields: Vec<&str> = empty.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            ["client_id", "service_date", "level_of_care", "minutes"]
        );
    }

    #[test]
    fn us_dates_only_where_asked() {
        let us = AttendanceInput {
            service_date: Some("03/02/2026".into()),
            ..row()
        };
        assert!(us.clone().parse(today(), false).is_err());
        assert_eq!(
            us.parse(today(), true).unwrap().day.service_date,
            NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
        );
    }

    #[test]
    fn days_before_2000_are_refused_in_either_form() {
        for (raw, us_dates) in [
            ("0000-03-02", false),
            ("1999-12-31", false),
            ("03/02/0000", true),
            ("12/31/1999", true),
        ] {
            let early = AttendanceInput {
                service_date: Some(raw.into()),
                ..row()
            };
            let problems = early.parse(today(), us_dates).unwrap_err();
            assert_eq!(
                codes(&problems),
                [("service_date", ProblemCode::Invalid)],
                "{raw}"
            );
            assert!(problems[0].message.contains("2000-01-01"), "{raw}");
        }
    }

    fn stored(day: AttendedDay, claim: Option<&str>) -> StoredDay {
        StoredDay {
            id: Uuid::nil(),
            day,
            claim_id: claim.map(str::to_string),
        }
    }

    #[test]
    fn effects_on_a_stored_day() {
        let day = row().parse(today(), false).unwrap().day;
        assert_eq!(effect(&day, None, false), Ok(Effect::Create));
        let same = stored(day.clone(), None);
        assert_eq!(effect(&day, Some(&same), false), Ok(Effect::Unchanged));
        let mut longer = day.clone();
        longer.minutes = Minutes::parse(360).unwrap();
        assert_eq!(
            effect(&longer, Some(&same), false).unwrap_err().code,
            ProblemCode::Conflict
        );
        assert_eq!(
            effect(&longer, Some(&same), true),
            Ok(Effect::Replace(Uuid::nil()))
        );
        let mut iop = day.clone();
        iop.level_of_care = LevelOfCare::Iop;
        assert_eq!(
            effect(&iop, Some(&same), false).unwrap_err().code,
            ProblemCode::LevelConflict
        );
        let billed = stored(day.clone(), Some("claim-7"));
        let refused = effect(&longer, Some(&billed), true).unwrap_err();
        assert_eq!(refused.code, ProblemCode::OnClaim);
        assert_eq!(refused.claim_id.as_deref(), Some("claim-7"));
        // Re-sending the billed day unchanged is still harmless.
        assert_eq!(effect(&day, Some(&billed), false), Ok(Effect::Unchanged));
    }

    #[test]
    fn csv_rows_keep_their_line_numbers() {
        let file = "External_ID,Service_Date,Level_of_Care,Minutes,Room\n\
                    MRN-1,2026-03-02,php,330,A\n\
                    \n\
                    MRN-1,03/03/2026,PHP,abc,B\n\
                    \"MRN-2\",2026-03-02,IOP,200,C\n";
        let read = read_csv(file.as_bytes()).unwrap();
        assert_eq!(read.ignored_columns, ["room"]);
        let lines: Vec<u64> = read.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 4, 5]);
        assert!(read.rows[0].row.is_ok());
        assert_eq!(
            codes(read.rows[1].row.as_ref().unwrap_err()),
            [("minutes", ProblemCode::Invalid)]
        );
        let header_only = read_csv(b"external_id,minutes\n").unwrap_err();
        assert!(header_only.contains("service_date"), "{header_only}");
    }

    /// Each row read: its line, and its service date or the field of its first problem.
    fn read_lines(file: &str) -> Vec<(u64, Result<String, String>)> {
        read_csv(file.as_bytes())
            .unwrap()
            .rows
            .into_iter()
            .map(|r| {
                let row = r
                    .row
                    .map(|input| input.service_date.unwrap_or_default())
                    .map_err(|problems| problems[0].field.clone());
                (r.line, row)
            })
            .collect()
    }

    fn expected(rows: &[(u64, Result<&str, &str>)]) -> Vec<(u64, Result<String, String>)> {
        rows.iter()
            .map(|(line, row)| (*line, row.map(str::to_string).map_err(str::to_string)))
            .collect()
    }

    const HEADER: &str = "external_id,service_date,level_of_care,minutes,notes\n";
    const LINES_4_TO_6: &str = "MRN-2,2026-03-04,PHP,330,\n\
                                MRN-3,2026-03-05,PHP,330,\n\
                                MRN-4,2026-03-06,PHP,330,\n";

    #[test]
    fn a_quote_never_closed_is_refused_at_its_line_and_the_lines_after_it_are_read() {
        let file = format!(
            "{HEADER}MRN-1,2026-03-02,PHP,330,\nMRN-1,\"2026-03-03,PHP,330,\n{LINES_4_TO_6}"
        );
        let read = read_csv(file.as_bytes()).unwrap();
        let refusal = read.rows[1].row.as_ref().unwrap_err();
        assert!(refusal[0].message.contains("quote"), "{refusal:?}");
        let rows = expected(&[
            (2, Ok("2026-03-02")),
            (3, Err("row")),
            (4, Ok("2026-03-04")),
            (5, Ok("2026-03-05")),
            (6, Ok("2026-03-06")),
        ]);
        assert_eq!(read_lines(&file), rows);
        assert_eq!(read_lines(&file.replace('\n', "\r\n")), rows);
        // On the last line, the quote opens and the file ends on that same line.
        let last = format!("{HEADER}MRN-1,2026-03-02,PHP,330,\"sign-in sheet\n");
        assert_eq!(read_lines(&last), expected(&[(2, Err("row"))]));
    }

    #[test]
    fn a_quote_closed_on_a_later_line_is_refused_when_the_record_cannot_be_a_row() {
        // Too few values: the quote of line 3 ends at the one before PHP on line 4.
        let short = format!("{HEADER}MRN-1,\"2026-03-03,PHP,330,\nMRN-2,2026-03-04,\"PHP\",330,\n");
        assert_eq!(
            read_lines(&short),
            expected(&[(2, Err("row")), (3, Ok("2026-03-04"))])
        );
        // As many values as the header, the line breaks in notes (not ours), but closed by
        // the first quote of line 4, in the middle of a value.
        let stray = format!(
            "{HEADER}MRN-1,2026-03-02,PHP,330,\"called in\n\
             MRN-2,2026-03-03,PHP,330,ok\n\
             MRN-3,2026-03-04,PHP,330,\"fine\"\n"
        );
        assert_eq!(
            read_lines(&stray),
            expected(&[
                (2, Err("row")),
                (3, Ok("2026-03-03")),
                (4, Ok("2026-03-04"))
            ])
        );
        // As many values, closed cleanly, but a line break in level_of_care.
        let ours = format!("{HEADER}MRN-1,2026-03-02,\"PHP,330,x\nMRN-2\",330,y\n{LINES_4_TO_6}");
        let read = read_lines(&ours);
        assert_eq!(read[0], (2, Err("row".to_string())));
        assert_eq!(read[1].0, 3, "line 3 is read on its own: {read:?}");
        assert_eq!(read.len(), 5);
    }

    #[test]
    fn a_quoted_value_may_hold_a_line_break() {
        let file = format!(
            "{HEADER}MRN-1,2026-03-02,PHP,330,\"first line\r\nsecond, \"\"quoted\"\"\"\n\
             MRN-2,2026-03-03,PHP,330,\n"
        );
        assert_eq!(
            read_lines(&file),
            expected(&[(2, Ok("2026-03-02")), (4, Ok("2026-03-03"))])
        );
    }

    #[test]
    fn quotes_are_read_as_the_csv_reader_reads_them() {
        assert_eq!(Quotes::of(b"a,\"b\"\n\"c"), Quotes::default());
        assert_eq!(
            Quotes::of(b"a,\"b\nc\"\"\n"),
            Quotes {
                spans_lines: true,
                open_at_end: true,
                closed_mid_value: false,
            }
        );
        // A quote inside an unquoted value is a character, not an opening.
        assert_eq!(
            Quotes::of(b"5\" tall,\"x\"y"),
            Quotes {
                closed_mid_value: true,
                ..Quotes::default()
            }
        );
        assert_eq!(Quotes::of(b"5\" tall,x"), Quotes::default());
    }
}
