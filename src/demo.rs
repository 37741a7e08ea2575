//! Demo data for a first look (`perdiem serve --demo`): staff accounts with a published
//! password, the clinic, payers reached through the in-process mock payer (one per protocol,
//! plus a behavioral-health administrator for carve-outs), and clients whose member ids pick
//! mock scenarios, from `fixtures/demo.json`. Development only: the published password would be
//! an open door in production.

use chrono::{Datelike, Duration, NaiveDate, Utc};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use crate::auth::password;
use crate::domain::attendance::{AttendanceInput, CodedInput, ServiceInput};
use crate::domain::authorization::AuthorizationInput;
use crate::domain::client::ClientInput;
use crate::domain::coverage::CoverageInput;
use crate::domain::day_rate::DayRateInput;
use crate::domain::episode::EpisodeInput;
use crate::domain::fee_schedule::FeeScheduleInput;
use crate::domain::ids::{
    AuthorizationId, ClientId, CoverageId, DayRateId, EpisodeId, FeeScheduleId, PayerId,
    ServiceCodeId, UserId,
};
use crate::domain::organization::OrganizationInput;
use crate::domain::payer::ConnectionInput;
use crate::domain::payer::{BillingRulesInput, ClaimStyle, PayerInput};
use crate::domain::role::{parse_roles, Role};
use crate::domain::service_code::ServiceCodeInput;
use crate::mock_payer::{FHIR_PATH, JSON_PATH, X12_PATH};
use crate::secrets::SecretKey;
use crate::services::attendance::{self, Locator, Row};
use crate::store::{
    authorizations, clients, coverages, day_rates, episodes, fee_schedules, organization, payers,
    service_codes, users, Db, Tx,
};

/// The password of every demo account. Printed in the README; refused in production.
pub const DEMO_PASSWORD: &str = "perdiem-demo-password";

const DEMO: &str = include_str!("../fixtures/demo.json");

#[derive(Deserialize)]
struct Demo {
    staff: Vec<DemoStaff>,
    organization: OrganizationInput,
    payers: Vec<DemoPayer>,
    clients: Vec<DemoClient>,
}

#[derive(Deserialize)]
struct DemoPayer {
    name: String,
    payer_id: String,
    /// Which of the mock payer's protocols this payer is reached over.
    protocol: String,
    /// How the payer is billed, where it departs from the defaults.
    #[serde(default)]
    billing: Option<BillingRulesInput>,
}

#[derive(Deserialize)]
struct DemoStaff {
    username: String,
    roles: Vec<String>,
}

#[derive(Deserialize)]
struct DemoClient {
    client: ClientInput,
    coverages: Vec<Value>,
}

/// Loads the demo data once: when an `admin` account already exists nothing is added.
pub async fn seed(db: &Db, secrets: &SecretKey) -> anyhow::Result<bool> {
    let demo: Demo = serde_json::from_str(DEMO)?;
    let mut tx = db.begin().await?;
    if users::find_by_username(&mut tx, "admin").await?.is_some() {
        return Ok(false);
    }
    let hash = password::hash_blocking(SecretString::from(DEMO_PASSWORD.to_string())).await?;
    let mut billing_user = None;
    for staff in demo.staff {
        let roles = parse_roles(staff.roles).map_err(anyhow::Error::msg)?;
        let user = users::insert(&mut tx, UserId::new(), &staff.username, &hash, &roles).await?;
        if roles.contains(&Role::Billing) {
            billing_user = Some(user.id.as_uuid());
        }
    }
    organization::put(&mut tx, &demo.organization.parse()?).await?;
    let mut payer_ids: Vec<(String, PayerId)> = Vec::new();
    let mut per_service_payers: Vec<PayerId> = Vec::new();
    for demo_payer in demo.payers {
        let payer = PayerInput {
            name: Some(demo_payer.name),
            payer_id: Some(demo_payer.payer_id),
            connection: None,
            billing: demo_payer.billing,
        }
        .parse()?;
        let stored = payers::insert(&mut tx, secrets, PayerId::new(), &payer).await?;
        if payer.billing.claim_style == ClaimStyle::PerService {
            per_service_payers.push(stored.id);
        }
        payer_ids.push((payer.payer_id.as_str().to_string(), stored.id));
    }
    let today = Utc::now().date_naive();
    let mut first_coverage = None;
    let mut per_service_client = None;
    for entry in demo.clients {
        let client = clients::insert(&mut tx, ClientId::new(), &entry.client.parse(today)?).await?;
        for mut coverage in entry.coverages {
            // The fixture names payers by EDI id; the API takes the payer record's id.
            let edi = coverage
                .as_object_mut()
                .and_then(|c| c.remove("payer"))
                .and_then(|p| p.as_str().map(str::to_string))
                .unwrap_or_default();
            let payer = payer_ids
                .iter()
                .find(|(id, _)| *id == edi)
                .map(|(_, record)| *record)
                .ok_or_else(|| anyhow::anyhow!("demo coverage names unknown payer {edi}"))?;
            coverage["payer_id"] = Value::String(payer.to_string());
            let input: CoverageInput = serde_json::from_value(coverage)?;
            let stored =
                coverages::insert(&mut tx, CoverageId::new(), client.id, &input.parse(today)?)
                    .await?;
            if per_service_payers.contains(&payer) {
                per_service_client.get_or_insert((client.id, payer));
            } else {
                first_coverage.get_or_insert((client.id, stored.id));
            }
        }
    }
    if let (Some((client, coverage)), Some(user)) = (first_coverage, billing_user) {
        seed_billing(&mut tx, client, coverage, user, today).await?;
        seed_claim_setup(&mut tx, client, coverage, today).await?;
    }
    if let (Some((client, payer)), Some(user)) = (per_service_client, billing_user) {
        seed_per_service(&mut tx, client, payer, user, today).await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// A PHP authorization for the first demo client and three weeks of attendance, so that the
/// billing side (ledger, billable days, alerts) has something to show: ten days approved, a
/// few more attended, one short day, the end and the review close.
async fn seed_billing(
    tx: &mut Tx,
    client: ClientId,
    coverage: CoverageId,
    user: Uuid,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let start = today - Duration::days(20);
    let authorization = AuthorizationInput {
        client_id: Some(client.to_string()),
        coverage_id: Some(coverage.to_string()),
        level_of_care: Some("PHP".into()),
        program: Some("mental_health".into()),
        authorization_number: Some("DEMO-PA-1001".into()),
        start_date: Some(start.to_string()),
        end_date: Some((today + Duration::days(4)).to_string()),
        days_approved: Some(10),
        status: Some("approved".into()),
        next_review_date: Some((today + Duration::days(2)).to_string()),
        care_manager_name: Some("Dana Whitfield".into()),
        care_manager_phone: Some("800-555-0199".into()),
        notes: None,
    }
    .parse_new()?;
    authorizations::insert(tx, AuthorizationId::new(), user, &authorization).await?;
    let rows = (0..20)
        .map(|back| today - Duration::days(20 - back))
        .filter(|day| day.weekday().num_days_from_monday() < 5)
        .enumerate()
        .map(|(n, day)| Row {
            at: Locator::Row(n),
            parsed: AttendanceInput {
                client_id: Some(client.to_string()),
                service_date: Some(day.to_string()),
                level_of_care: Some("PHP".into()),
                // One short day: below the PHP minimum, not billable.
                minutes: Some(if n == 3 { 240 } else { 330 }),
                services: Some(vec!["group therapy".into(), "individual therapy".into()]),
                source: Some("demo".into()),
                ..AttendanceInput::default()
            }
            .parse(today, false),
        })
        .collect();
    // Days the demo coverage does not cover (around a new year) are simply refused.
    attendance::record(tx, rows, false, false, user).await?;
    Ok(())
}

/// What claims need besides attendance, for the first demo client: an episode of care with
/// its diagnoses, and a PHP fee schedule of the coverage's payer, so that `POST
/// /api/v1/claims/generate` and the 837 files work on the demo data.
async fn seed_claim_setup(
    tx: &mut Tx,
    client: ClientId,
    coverage: CoverageId,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let admission = today - Duration::days(21);
    let episode = EpisodeInput {
        admission_date: Some(admission.to_string()),
        principal_diagnosis: Some("F33.1".into()),
        other_diagnoses: Some(vec!["F41.1".into()]),
        ..EpisodeInput::default()
    }
    .parse(today)?;
    episodes::insert(tx, EpisodeId::new(), client, &episode).await?;
    let payer = coverages::find(tx, client, coverage)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo coverage is gone"))?
        .data
        .coverage
        .payer_id;
    let schedule = FeeScheduleInput {
        payer_id: Some(payer.to_string()),
        level_of_care: Some("PHP".into()),
        program: Some("mental_health".into()),
        revenue_code: Some("0913".into()),
        hcpcs: Some("H0035".into()),
        charge_per_day: Some("1450.00".into()),
        allowed_per_day: Some("980.00".into()),
        effective_from: Some((admission - Duration::days(365)).to_string()),
        type_of_bill: Some("0131".into()),
        condition_codes: Some(vec!["41".into()]),
        ..FeeScheduleInput::default()
    }
    .parse()?;
    fee_schedules::insert(tx, FeeScheduleId::new(), &schedule).await?;
    Ok(())
}

/// A Medicare-style PHP stay billed per service: the clinic's service catalog, the payer's
/// 3-service and 4+-service day rates, a hospital outpatient fee schedule (type of bill 013x,
/// condition code 41), an episode, and two weeks of attended days with 2, 3 and 4 services, so
/// that generation shows a per-service claim with a `fewer_services` day.
async fn seed_per_service(
    tx: &mut Tx,
    client: ClientId,
    payer: PayerId,
    user: Uuid,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let admission = today - Duration::days(14);
    let since = (admission - Duration::days(365)).to_string();
    // Charges are the clinic's (illustrative); Medicare pays the day, not these.
    let catalog = [
        ("G0410", "Group psychotherapy", "0915", "210.00"),
        (
            "90837",
            "Individual psychotherapy, 60 minutes",
            "0914",
            "300.00",
        ),
        (
            "90847",
            "Family psychotherapy with the patient",
            "0916",
            "275.50",
        ),
        ("G0176", "Activity therapy", "0904", "120.00"),
        ("G0177", "Training and education", "0942", "95.00"),
    ];
    for (code, description, revenue_code, charge) in catalog {
        let entry = ServiceCodeInput {
            code: Some(code.into()),
            description: Some(description.into()),
            revenue_code: Some(revenue_code.into()),
            hcpcs: Some(code.into()),
            charge: Some(charge.into()),
            effective_from: Some(since.clone()),
            ..ServiceCodeInput::default()
        }
        .parse()?;
        service_codes::insert(tx, ServiceCodeId::new(), &entry).await?;
    }
    // Roughly CY2024 hospital-based PHP per diems (domain reference §4.3); not wage-adjusted.
    for (tier, amount) in [("3", "260.00"), ("4+", "370.00")] {
        let rate = DayRateInput {
            payer_id: Some(payer.to_string()),
            level_of_care: Some("PHP".into()),
            services: Some(tier.into()),
            amount: Some(amount.into()),
            effective_from: Some(since.clone()),
            effective_to: None,
        }
        .parse()?;
        day_rates::insert(tx, DayRateId::new(), &rate).await?;
    }
    let schedule = FeeScheduleInput {
        payer_id: Some(payer.to_string()),
        level_of_care: Some("PHP".into()),
        program: Some("mental_health".into()),
        revenue_code: Some("0912".into()),
        // No charge per day and no HCPCS: a per-service claim's lines are coded and priced by
        // the service catalog; the schedule gives the claim its type of bill and codes.
        effective_from: Some(since),
        type_of_bill: Some("0131".into()),
        condition_codes: Some(vec!["41".into()]),
        ..FeeScheduleInput::default()
    }
    .parse()?;
    fee_schedules::insert(tx, FeeScheduleId::new(), &schedule).await?;
    let episode = EpisodeInput {
        admission_date: Some(admission.to_string()),
        principal_diagnosis: Some("F33.2".into()),
        other_diagnoses: Some(vec!["F41.1".into()]),
        ..EpisodeInput::default()
    }
    .parse(today)?;
    episodes::insert(tx, EpisodeId::new(), client, &episode).await?;
    let coded = |code: &str, units: i64| {
        ServiceInput::Coded(CodedInput {
            code: code.into(),
            units: Some(units),
        })
    };
    let rows = (0..14)
        .map(|n| admission + Duration::days(n))
        .filter(|day| day.weekday().num_days_from_monday() < 5 && *day < today)
        .enumerate()
        .map(|(n, day)| {
            // Mostly 4 services; every fourth day 3, and one day only 2 (billed, paid 0.00).
            let services = match n {
                2 => vec![coded("G0410", 1), coded("90837", 1)],
                n if n % 4 == 3 => vec![coded("G0410", 2), coded("90847", 1)],
                _ => vec![coded("G0410", 2), coded("90837", 1), coded("G0176", 1)],
            };
            Row {
                at: Locator::Row(n),
                parsed: AttendanceInput {
                    client_id: Some(client.to_string()),
                    service_date: Some(day.to_string()),
                    level_of_care: Some("PHP".into()),
                    minutes: Some(330),
                    services: Some(services),
                    source: Some("demo".into()),
                    ..AttendanceInput::default()
                }
                .parse(today, false),
            }
        })
        .collect();
    attendance::record(tx, rows, false, false, user).await?;
    Ok(())
}

/// Points the demo payers at the mock payer listening at `base` (its port changes with every
/// start, so this runs at every `serve --demo`).
pub async fn attach_mock_payer(db: &Db, secrets: &SecretKey, base: &str) -> anyhow::Result<()> {
    let demo: Demo = serde_json::from_str(DEMO)?;
    let mut tx = db.begin().await?;
    for demo_payer in demo.payers {
        let Some(payer) = payers::find_by_edi_id(&mut tx, secrets, &demo_payer.payer_id).await?
        else {
            continue;
        };
        let path = match demo_payer.protocol.as_str() {
            "json" => JSON_PATH,
            "fhir" => FHIR_PATH,
            _ => X12_PATH,
        };
        let mut input = PayerInput::from(&payer.data);
        input.connection = Some(ConnectionInput {
            protocol: Some(demo_payer.protocol.clone()),
            endpoint_url: Some(format!("{base}{path}")),
            timeout_seconds: Some(10),
            ..ConnectionInput::default()
        });
        payers::update(&mut tx, secrets, payer.id, &input.parse()?).await?;
    }
    tx.commit().await?;
    Ok(())
}
