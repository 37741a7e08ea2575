//! Recording attendance in bulk, and reading it back with the billable verdict.
//!
//! A batch (JSON rows or a CSV file) is checked against the stored facts in one write
//! transaction: rows are parsed, clients resolved, coverage and the stored day looked up, and
//! each row gets one effect or one refusal. The caller owns the transaction (and writes the
//! audit); when the request is atomic and any row is refused, it simply does not commit.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use crate::config::BillingSettings;
use crate::domain::attendance::{
    effect, AttendedDay, ClientRef, Effect, NewAttendance, RowProblem, StoredDay,
};
use crate::domain::authorization::AuthorizationStatus;
use crate::domain::billable::{
    assess, billed_coverage, qualifying_services, weeks, Assessment, AuthorizationWindow, Day,
    Minimums, Week,
};
use crate::domain::ids::new_id;
use crate::domain::service_code::{self, ServiceCode};
use crate::domain::validation::FieldError;
use crate::error::ApiError;
use crate::routes::context::{Audited, Ctx};
use crate::store::attendance::{self as days_store, AttendanceRecord, NewDay};
use crate::store::audit::Action;
use crate::store::authorizations::{self, Authorization};
use crate::store::service_codes::{self, ServiceCodeEntry};
use crate::store::{StoreResult, Tx};

/// Where a row came from, to name it in errors: its index in a JSON `rows` array, or its line
/// in a CSV file (the header is line 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locator {
    Row(usize),
    Line(u64),
}

pub struct Row {
    pub at: Locator,
    pub parsed: Result<NewAttendance, Vec<RowProblem>>,
}

/// One refused row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(flatten)]
    pub problem: RowProblem,
}

impl RowError {
    fn new(at: Locator, problem: RowProblem) -> RowError {
        let (row, line) = match at {
            Locator::Row(i) => (Some(i), None),
            Locator::Line(l) => (None, Some(l)),
        };
        RowError { row, line, problem }
    }

    /// The error as a problem's field error: `rows[3].minutes` or `lines[4].minutes`.
    pub fn field_error(&self) -> FieldError {
        let at = match (self.row, self.line) {
            (Some(row), _) => format!("rows[{row}]"),
            (_, Some(line)) => format!("lines[{line}]"),
            _ => "rows".to_string(),
        };
        FieldError::new(
            format!("{at}.{}", self.problem.field),
            &self.problem.message,
        )
    }
}

/// What a batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub received: usize,
    pub created: usize,
    pub unchanged: usize,
    pub replaced: usize,
    pub rejected: usize,
    pub errors: Vec<RowError>,
    /// CSV columns that are not part of the import format (ignored).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored_columns: Vec<String>,
}

impl Report {
    /// Whether every refusal is a conflict with stored data (409) rather than a bad row (422).
    pub fn only_conflicts(&self) -> bool {
        !self.errors.is_empty() && self.errors.iter().all(|e| e.problem.code.is_conflict())
    }
}

/// The outcome of [`record`]: the report, and whose attendance was written (for the audit).
pub struct Recorded {
    pub report: Report,
    pub created_for: Vec<Uuid>,
    pub replaced_for: Vec<Uuid>,
}

/// Checks `rows` against what is stored and writes what is valid — or, when `atomic` and a
/// row is refused, writes nothing (the report then lists every refusal).
pub async fn record(
    tx: &mut Tx,
    rows: Vec<Row>,
    replace: bool,
    atomic: bool,
    recorded_by: Uuid,
) -> StoreResult<Recorded> {
    days_store::lock_for_writing(tx).await?;
    let mut report = Report {
        received: rows.len(),
        ..Report::default()
    };

    // Resolve clients in two queries, whatever the number of rows.
    let mut ids: Vec<Uuid> = Vec::new();
    let mut externals: Vec<&str> = Vec::new();
    for row in &rows {
        match row.parsed.as_ref().map(|r| &r.client) {
            Ok(ClientRef::Id(id)) => ids.push(*id),
            Ok(ClientRef::External(external)) => externals.push(external.as_str()),
            Err(_) => {}
        }
    }
    ids.sort();
    ids.dedup();
    externals.sort_unstable();
    externals.dedup();
    let known_ids = days_store::existing_clients(tx, &ids).await?;
    let by_external = days_store::clients_by_external_id(tx, &externals).await?;
    let mut clients: Vec<Uuid> = known_ids
        .iter()
        .chain(by_external.values())
        .copied()
        .collect();
    clients.sort();
    clients.dedup();

    let dates = rows
        .iter()
        .filter_map(|r| r.parsed.as_ref().ok())
        .map(|r| r.day.service_date);
    let (from, to) = dates.fold((NaiveDate::MAX, NaiveDate::MIN), |(lo, hi), d| {
        (lo.min(d), hi.max(d))
    });
    // The catalog entries of every code the rows name, in one query.
    let codes: Vec<ServiceCode> = rows
        .iter()
        .filter_map(|r| r.parsed.as_ref().ok())
        .flat_map(|r| r.day.services.iter().filter_map(|s| s.coded()))
        .map(|(code, _)| code.clone())
        .collect();
    let catalog = service_codes::of_codes(tx, &codes).await?;
    let spans = days_store::coverage_spans(tx, &clients).await?;
    let not_covered = days_store::levels_not_covered(tx, &clients).await?;
    let mut stored = if from <= to {
        days_store::stored_days(tx, &clients, from, to).await?
    } else {
        HashMap::new()
    };

    let mut creates: Vec<(Uuid, Uuid)> = Vec::new(); // (record id, client id)
    let mut pending: HashMap<Uuid, AttendedDay> = HashMap::new(); // new days, by record id
    let mut replaces: Vec<Uuid> = Vec::new();
    let mut changed: HashMap<Uuid, AttendedDay> = HashMap::new(); // replaced days, by id
    let mut created_for = HashSet::new();
    let mut replaced_for = HashSet::new();
    for row in rows {
        let new = match row.parsed {
            Ok(new) => new,
            Err(problems) => {
                report.rejected += 1;
                report
                    .errors
                    .extend(problems.into_iter().map(|p| RowError::new(row.at, p)));
                continue;
            }
        };
        let client = match &new.client {
            ClientRef::Id(id) if known_ids.contains(id) => Some(*id),
            ClientRef::External(external) => by_external.get(external.as_str()).copied(),
            ClientRef::Id(_) => None,
        };
        let refuse = |report: &mut Report, problem: RowProblem| {
            report.rejected += 1;
            report.errors.push(RowError::new(row.at, problem));
        };
        let Some(client) = client else {
            let field = match new.client {
                ClientRef::Id(_) => "client_id",
                ClientRef::External(_) => "external_id",
            };
            refuse(&mut report, RowProblem::unknown_client(field));
            continue;
        };
        let date = new.day.service_date;
        let coverages = spans.get(&client).map(Vec::as_slice).unwrap_or_default();
        let Some(coverage) = billed_coverage(coverages, date) else {
            refuse(&mut report, RowProblem::no_coverage(date));
            continue;
        };
        if let Some((verification, levels)) = not_covered.get(&coverage.id) {
            if levels.contains(&new.day.level_of_care) {
                refuse(
                    &mut report,
                    RowProblem::level_not_covered(new.day.level_of_care, *verification),
                );
                continue;
            }
        }
        let unknown = unknown_codes(&catalog, &new.day);
        if !unknown.is_empty() {
            report.rejected += 1;
            report
                .errors
                .extend(unknown.into_iter().map(|p| RowError::new(row.at, p)));
            continue;
        }
        match effect(&new.day, stored.get(&(client, date)), replace) {
            Err(problem) => refuse(&mut report, problem),
            Ok(Effect::Unchanged) => report.unchanged += 1,
            Ok(Effect::Create) => {
                let id = new_id();
                report.created += 1;
                created_for.insert(client);
                creates.push((id, client));
                pending.insert(id, new.day.clone());
                stored.insert(
                    (client, date),
                    StoredDay {
                        id,
                        day: new.day,
                        claim_id: None,
                    },
                );
            }
            Ok(Effect::Replace(id)) => {
                // A later row of the same batch may replace a day this batch creates.
                if let Some(day) = pending.get_mut(&id) {
                    *day = new.day.clone();
                } else {
                    report.replaced += 1;
                    replaced_for.insert(client);
                    if !changed.contains_key(&id) {
                        replaces.push(id);
                    }
                    changed.insert(id, new.day.clone());
                }
                if let Some(slot) = stored.get_mut(&(client, date)) {
                    slot.day = new.day;
                }
            }
        }
    }

    if atomic && !report.errors.is_empty() {
        return Ok(Recorded {
            report,
            created_for: Vec::new(),
            replaced_for: Vec::new(),
        });
    }
    let new_days: Vec<NewDay<'_>> = creates
        .iter()
        .filter_map(|(id, client)| {
            pending.get(id).map(|day| NewDay {
                id: *id,
                client_id: *client,
                day,
            })
        })
        .collect();
    days_store::insert_days(tx, &new_days, recorded_by).await?;
    let replaced: Vec<(Uuid, &AttendedDay)> = replaces
        .iter()
        .filter_map(|id| changed.get(id).map(|day| (*id, day)))
        .collect();
    days_store::replace_days(tx, &replaced, recorded_by).await?;
    let mut created_for: Vec<Uuid> = created_for.into_iter().collect();
    let mut replaced_for: Vec<Uuid> = replaced_for.into_iter().collect();
    created_for.sort();
    replaced_for.sort();
    Ok(Recorded {
        report,
        created_for,
        replaced_for,
    })
}

/// The services of `day` whose code the catalog does not know, or has no entry of in force on
/// the day (`services[i]` each).
fn unknown_codes(catalog: &[ServiceCodeEntry], day: &AttendedDay) -> Vec<RowProblem> {
    day.services
        .iter()
        .enumerate()
        .filter_map(|(i, service)| {
            let (code, _) = service.coded()?;
            if service_code::in_force(catalog, code, day.service_date).is_some() {
                return None;
            }
            let known = catalog.iter().any(|e| &e.data.code == code);
            Some(RowProblem::unknown_service_code(
                i,
                code,
                day.service_date,
                known,
            ))
        })
        .collect()
}

/// An authorization as the billable rule sees it. Expired ones still authorized the days of
/// their window; pending and denied ones authorize nothing and are never loaded.
pub fn window_of(authorization: &Authorization) -> AuthorizationWindow {
    let terms = &authorization.terms;
    let current = authorization.current();
    AuthorizationWindow {
        id: authorization.id.as_uuid(),
        number: terms.authorization_number.as_str().to_string(),
        coverage_id: terms.coverage_id,
        level_of_care: terms.level_of_care,
        start_date: terms.start_date,
        end_date: current.end_date,
        days_approved: current.days_approved,
        approved: matches!(
            terms.status,
            AuthorizationStatus::Approved
                | AuthorizationStatus::PartiallyApproved
                | AuthorizationStatus::Expired
        ),
    }
}

/// The authorizations of these clients, by client, with their windows (active ones first, so
/// that a day an expired and an active window both hold counts against the active one).
pub async fn authorizations_of(
    tx: &mut Tx,
    clients: &[Uuid],
) -> StoreResult<HashMap<Uuid, Vec<(Authorization, AuthorizationWindow)>>> {
    let mut by_client: HashMap<Uuid, Vec<(Authorization, AuthorizationWindow)>> = HashMap::new();
    for authorization in authorizations::authorizing_for_clients(tx, clients).await? {
        let window = window_of(&authorization);
        by_client
            .entry(authorization.terms.client_id)
            .or_default()
            .push((authorization, window));
    }
    for list in by_client.values_mut() {
        list.sort_by_key(|(a, w)| (!a.terms.status.is_active(), w.start_date));
    }
    Ok(by_client)
}

/// Just the windows of [`authorizations_of`].
pub fn windows(
    authorizations: &HashMap<Uuid, Vec<(Authorization, AuthorizationWindow)>>,
) -> HashMap<Uuid, Vec<AuthorizationWindow>> {
    authorizations
        .iter()
        .map(|(client, list)| (*client, list.iter().map(|(_, w)| w.clone()).collect()))
        .collect()
}

/// The configured minimums as the billable rule takes them.
pub fn minimums(settings: &BillingSettings) -> Minimums {
    Minimums {
        iop_daily: settings.iop_minimum_minutes,
        php_daily: settings.php_minimum_minutes,
        iop_weekly: settings.iop_weekly_minimum_minutes,
        php_weekly: settings.php_weekly_minimum_minutes,
    }
}

/// A stored day with its verdict, as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct AssessedRecord {
    #[serde(flatten)]
    pub record: AttendanceRecord,
    #[serde(flatten)]
    pub assessment: Assessment,
}

/// Everything the billable verdict of one client's days depends on.
pub struct ClientFacts {
    pub records: Vec<AttendanceRecord>,
    pub assessments: Vec<Assessment>,
    pub days: Vec<Day>,
}

/// Loads and assesses every day of `clients`. A day's verdict depends on the days before it
/// (they consume the authorization first), so it is always derived from the whole history.
pub async fn assess_clients(
    tx: &mut Tx,
    clients: &[Uuid],
    authorizations: &HashMap<Uuid, Vec<AuthorizationWindow>>,
    minimums: &Minimums,
) -> StoreResult<HashMap<Uuid, ClientFacts>> {
    let spans = days_store::coverage_spans(tx, clients).await?;
    let mut by_client: HashMap<Uuid, Vec<AttendanceRecord>> = HashMap::new();
    for record in days_store::for_clients(tx, clients).await? {
        by_client.entry(record.client_id).or_default().push(record);
    }
    let codes: Vec<ServiceCode> = by_client
        .values()
        .flatten()
        .flat_map(|r| r.day.services.iter().filter_map(|s| s.coded()))
        .map(|(code, _)| code.clone())
        .collect();
    let catalog = service_codes::of_codes(tx, &codes).await?;
    let mut facts = HashMap::new();
    for (client, records) in by_client {
        let days: Vec<Day> = records
            .iter()
            .map(|r| Day {
                date: r.day.service_date,
                level_of_care: r.day.level_of_care,
                minutes: r.day.minutes.get(),
                services: qualifying_services(&r.day.services, &catalog, r.day.service_date),
            })
            .collect();
        let coverages = spans.get(&client).map(Vec::as_slice).unwrap_or_default();
        let windows = authorizations
            .get(&client)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let assessments = assess(&days, coverages, windows, minimums);
        facts.insert(
            client,
            ClientFacts {
                records,
                assessments,
                days,
            },
        );
    }
    Ok(facts)
}

/// The verdicts for `records` (a page), from the facts of their clients.
pub fn verdicts_for(
    records: Vec<AttendanceRecord>,
    facts: &HashMap<Uuid, ClientFacts>,
) -> Vec<AssessedRecord> {
    let verdicts: HashMap<Uuid, &Assessment> = facts
        .values()
        .flat_map(|client| client.records.iter().map(|r| r.id).zip(&client.assessments))
        .collect();
    records
        .into_iter()
        .filter_map(|record| {
            let assessment = (*verdicts.get(&record.id)?).clone();
            Some(AssessedRecord { record, assessment })
        })
        .collect()
}

/// A client's attendance as a calendar: every day with its verdict, and each week against the
/// weekly minimum.
#[derive(Debug, Clone, Serialize)]
pub struct Calendar {
    pub client_id: Uuid,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub days: Vec<AssessedRecord>,
    pub weeks: Vec<Week>,
}

pub fn calendar(
    client_id: Uuid,
    facts: Option<&ClientFacts>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    minimums: &Minimums,
) -> Calendar {
    let inside = |date: NaiveDate| from.is_none_or(|f| f <= date) && to.is_none_or(|t| date <= t);
    let (days, week_days) = match facts {
        None => (Vec::new(), Vec::new()),
        Some(facts) => {
            let days: Vec<AssessedRecord> = facts
                .records
                .iter()
                .zip(&facts.assessments)
                .filter(|(r, _)| inside(r.day.service_date))
                .map(|(record, assessment)| AssessedRecord {
                    record: record.clone(),
                    assessment: assessment.clone(),
                })
                .collect();
            let week_days: Vec<Day> = facts
                .days
                .iter()
                .filter(|d| inside(d.date))
                .cloned()
                .collect();
            (days, week_days)
        }
    };
    Calendar {
        client_id,
        from,
        to,
        days,
        weeks: weeks(&week_days, minimums),
    }
}
// The write of a batch or an import as a request makes it, audited (the API's and the web
// app's): below the pure assessment above, through the request's audited context.

/// Audits the write and answers: 200 with the report, or — atomic with refusals — the problem
/// that says nothing was stored.
pub async fn finish(
    mut tx: Audited<'_>,
    recorded: Recorded,
    atomic: bool,
) -> Result<Report, ApiError> {
    let report = recorded.report;
    if atomic && !report.errors.is_empty() {
        // Dropping the transaction rolls it back: nothing of the batch is stored.
        drop(tx);
        return Err(ApiError::RowsRefused {
            conflict: report.only_conflicts(),
            detail: format!(
                "{} of {} rows were refused, so none was stored (atomic); fix them and send the \
                 batch again.",
                report.rejected, report.received
            ),
            errors: report.errors.iter().map(|e| e.field_error()).collect(),
        });
    }
    tx.audit_all(Action::Create, "attendance", &recorded.created_for);
    tx.audit_all(Action::Update, "attendance", &recorded.replaced_for);
    tx.commit().await?;
    Ok(report)
}

/// Imports an EHR's CSV export (the API's upload and the web app's): the rows that pass are
/// stored and the others reported by line — or, `atomic`, nothing when any is refused.
pub async fn import_file(
    ctx: &Ctx,
    bytes: &[u8],
    replace: bool,
    atomic: bool,
) -> Result<Report, ApiError> {
    let file = crate::domain::attendance::read_csv(bytes)
        .map_err(|message| ApiError::validation("body", &message))?;
    let today = chrono::Utc::now().date_naive();
    let rows: Vec<Row> = file
        .rows
        .into_iter()
        .map(|row| Row {
            at: Locator::Line(row.line),
            parsed: row.row.and_then(|input| input.parse(today, true)),
        })
        .collect();
    let mut tx = ctx.write().await?;
    let mut recorded = record(&mut tx, rows, replace, atomic, ctx.staff.id).await?;
    recorded.report.ignored_columns = file.ignored_columns;
    finish(tx, recorded, atomic).await
}
