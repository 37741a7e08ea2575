//! Benchmarks (a bench binary, not timed tests): `cargo bench --bench verification`.
//!
//! 1. 271 parse throughput: the fixtures under `fixtures/x12/` parsed again and again, in MB/s.
//! 2. Added latency of verification: 200 verifications at once against a mock payer that
//!    answers in 100 ms; what perdiem adds on top of the payer's 100 ms, p50 and p99.
//!    SQLite by default; set TEST_DATABASE_URL to measure on PostgreSQL.
//!
//! `BENCH_ONLY_PARSE=1 cargo bench --bench verification` runs part 1 only.

use std::time::{Duration, Instant};

use perdiem::domain::client::ClientInput;
use perdiem::domain::coverage::CoverageInput;
use perdiem::domain::eligibility::{Inquiry, InquiryPerson, LevelOfCare, Program};
use perdiem::domain::ids::{ClientId, CoverageId, UserId};
use perdiem::domain::organization::OrganizationInput;
use perdiem::domain::payer::{ConnectionInput, PayerInput};
use perdiem::domain::role::Role;
use perdiem::mock_payer::{self, Scenarios, X12_PATH};
use perdiem::payers::{adapter, Transport};
use perdiem::store::{clients, coverages, organization, users};

mod support;
use serde_json::json;
use support::{database, serve};

const FIXTURES: [&str; 7] = [
    include_str!("../fixtures/x12/271_active_ppo.x12"),
    include_str!("../fixtures/x12/271_carveout.x12"),
    include_str!("../fixtures/x12/271_dependent.x12"),
    include_str!("../fixtures/x12/271_domain_example.x12"),
    include_str!("../fixtures/x12/271_domain_rejection.x12"),
    include_str!("../fixtures/x12/271_payer_unavailable.x12"),
    include_str!("../fixtures/x12/271_subscriber_not_found.x12"),
];

/// MB/s of `work` over every fixture, measured for about two seconds.
fn throughput(work: impl Fn(&[u8])) -> f64 {
    let bytes_per_round: usize = FIXTURES.iter().map(|f| f.len()).sum();
    let started = Instant::now();
    let mut rounds = 0u64;
    while started.elapsed() < Duration::from_secs(2) {
        for fixture in FIXTURES {
            work(std::hint::black_box(fixture.as_bytes()));
        }
        rounds += 1;
    }
    (bytes_per_round as f64 * rounds as f64) / 1_000_000.0 / started.elapsed().as_secs_f64()
}

fn parse_throughput() {
    println!(
        "  of which: tokenize {:.1} MB/s, envelope {:.1} MB/s",
        throughput(|bytes| {
            std::hint::black_box(perdiem::x12::tokenize(bytes).ok());
        }),
        throughput(|bytes| {
            std::hint::black_box(perdiem::x12::Interchange::parse(bytes).ok());
        })
    );
    let bytes_per_round: usize = FIXTURES.iter().map(|f| f.len()).sum();
    // Warm up, then measure for about two seconds.
    for fixture in FIXTURES {
        perdiem::x12::parse_271(fixture.as_bytes()).expect("fixture parses");
    }
    let started = Instant::now();
    let mut rounds = 0u64;
    while started.elapsed() < Duration::from_secs(2) {
        for fixture in FIXTURES {
            std::hint::black_box(
                perdiem::x12::parse_271(std::hint::black_box(fixture.as_bytes())).ok(),
            );
        }
        rounds += 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    let megabytes = (bytes_per_round as f64 * rounds as f64) / 1_000_000.0;
    println!(
        "271 parse: {:.1} MB/s ({} interchanges of {} bytes on average, {:.0} per second)",
        megabytes / seconds,
        rounds * FIXTURES.len() as u64,
        bytes_per_round / FIXTURES.len(),
        (rounds * FIXTURES.len() as u64) as f64 / seconds
    );
}

const PAYER_LATENCY_MS: u64 = 100;
const CONCURRENT: usize = 200;
const ALONE: usize = 100;

/// Latencies less the payer's own time, sorted.
struct Added(Vec<Duration>);

impl Added {
    fn of(mut latencies: Vec<Duration>, payer: Duration) -> Added {
        latencies.sort();
        Added(
            latencies
                .into_iter()
                .map(|l| l.saturating_sub(payer))
                .collect(),
        )
    }

    /// The `q` quantile in milliseconds.
    fn at(&self, q: f64) -> f64 {
        let index = ((self.0.len() as f64 * q).ceil() as usize).clamp(1, self.0.len()) - 1;
        self.0[index].as_secs_f64() * 1000.0
    }
}

async fn added_latency() {
    let scenarios = Scenarios::parse(&format!(
            r#"{{"BENCH-100MS": {{"member_id": "BENCH-100MS", "description": "answers in {PAYER_LATENCY_MS} ms",
                "plan": {{"name": "BENCH PPO", "begin": "2026-01-01", "end": "2026-12-31", "insurance_type": "PR"}},
                "benefits": [
                  {{"code": "1", "service_types": ["30", "MH", "BB"], "coverage_level": "IND"}},
                  {{"code": "B", "service_types": ["BB"], "coverage_level": "IND", "time_period": "7", "amount": "100.00", "network": "Y"}}
                ],
                "fault": {{"kind": "latency", "latency_ms": {PAYER_LATENCY_MS}}}}}}}"#
        ))
    .expect("bench scenario parses");
    let mock = mock_payer::start(scenarios, "127.0.0.1", 0).await.unwrap();

    let db = database().await;
    let mut tx = db.begin().await.unwrap();
    let user = users::insert(&mut tx, UserId::new(), "bench", "x", &[Role::Admissions])
        .await
        .unwrap();
    let org = OrganizationInput {
        legal_name: Some("Bench Clinic".into()),
        npi: Some("1234567893".into()),
        tax_id: Some("123456789".into()),
        taxonomy_code: Some("261QM0801X".into()),
        address: Some(perdiem::domain::person::AddressInput {
            line1: Some("1 Main St".into()),
            line2: None,
            city: Some("Austin".into()),
            state: Some("TX".into()),
            postal_code: Some("78701".into()),
        }),
        phone: Some("5125550100".into()),
        ..OrganizationInput::default()
    };
    organization::put(&mut tx, &org.parse().unwrap())
        .await
        .unwrap();
    let payer = PayerInput {
        name: Some("Bench Payer".into()),
        payer_id: Some("BENCH1".into()),
        connection: Some(ConnectionInput {
            protocol: Some("x12".into()),
            endpoint_url: Some(mock.url(X12_PATH)),
            max_concurrent: Some(1000),
            // One request per verification: all the service types in one 270.
            service_types_per_request: Some(99),
            ..ConnectionInput::default()
        }),
        billing: None,
    };
    let payer = support::insert_payer(&mut tx, payer).await;
    let connection = payer
        .data
        .connection
        .clone()
        .expect("the bench payer has a connection");
    let today = chrono::Utc::now().date_naive();
    let client = ClientInput {
        first_name: Some("Bench".into()),
        last_name: Some("Client".into()),
        date_of_birth: Some("1990-01-01".into()),
        sex: Some("F".into()),
        ..ClientInput::default()
    };
    let client = clients::insert(&mut tx, ClientId::new(), &client.parse(today).unwrap())
        .await
        .unwrap();
    let coverage = CoverageInput {
        payer_id: Some(payer.id.to_string()),
        member_id: Some("BENCH-100MS".into()),
        relationship: Some("self".into()),
        priority: Some("primary".into()),
        ..CoverageInput::default()
    };
    let coverage = coverages::insert(
        &mut tx,
        CoverageId::new(),
        client.id,
        &coverage.parse(today).unwrap(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let (base, token) = serve(db.clone(), user.id.into(), Role::Admissions).await;

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENT)
        .build()
        .unwrap();
    let body = json!({
        "client_id": client.id,
        "coverage_id": coverage.id,
        "levels_of_care": ["PHP"],
        "program": "mental_health",
        "force": true
    });
    let one = |http: reqwest::Client, body: serde_json::Value| {
        let url = format!("{base}/api/v1/verifications");
        let token = token.clone();
        async move {
            let started = Instant::now();
            let response = http
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 201);
            let verification: serde_json::Value = response.json().await.unwrap();
            assert_eq!(verification["status"], "verified", "{verification}");
            started.elapsed()
        }
    };
    // Warm-up: connections, prepared statements.
    for _ in 0..10 {
        one(http.clone(), body.clone()).await;
    }
    let payer = Duration::from_millis(PAYER_LATENCY_MS);
    // The same inquiry straight to the payer through perdiem's own payer adapter: the payer's
    // 100 ms plus the mock's timer slack and the HTTP round trip, which are not perdiem's.
    let transport = Transport::new().unwrap();
    let direct = adapter(&connection, &transport);
    let direct = &*direct;
    let inquiry = Inquiry {
        trace: "BENCH".into(),
        control_number: 1,
        payer_name: "Bench Payer".into(),
        payer_edi_id: "BENCH1".into(),
        provider_name: "Bench Clinic".into(),
        provider_npi: "1234567893".into(),
        provider_tax_id: "123456789".into(),
        member_id: "BENCH-100MS".into(),
        group_number: None,
        subscriber: InquiryPerson {
            first_name: "Bench".into(),
            last_name: "Client".into(),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1990, 1, 1).unwrap(),
            sex: Some("F".into()),
        },
        dependent: None,
        service_types: connection.codes_for(&[LevelOfCare::Php], Program::MentalHealth),
        service_date: today,
    };
    let ask = || async {
        let started = Instant::now();
        let attempt = direct.inquire(&inquiry).await;
        assert!(attempt.outcome.is_ok(), "the bench payer answers");
        started.elapsed()
    };
    let mut baseline = Vec::with_capacity(ALONE);
    for _ in 0..ALONE {
        baseline.push(ask().await);
    }
    let baseline = Added::of(baseline, payer);
    let burst_baseline = Added::of(
        futures_util::future::join_all((0..CONCURRENT).map(|_| ask())).await,
        payer,
    );

    // Through perdiem, one at a time.
    let mut alone = Vec::with_capacity(ALONE);
    for _ in 0..ALONE {
        alone.push(one(http.clone(), body.clone()).await);
    }
    let alone = Added::of(alone, payer);
    println!(
        "verification, one at a time ({ALONE} in a row), payer answering in {PAYER_LATENCY_MS} ms \
         ({}): over the payer's 100 ms p50 {:.2} ms, p99 {:.2} ms; calling the payer directly \
         p50 {:.2} ms, p99 {:.2} ms; added by perdiem p50 {:.2} ms, p99 {:.2} ms",
        db.backend(),
        alone.at(0.50),
        alone.at(0.99),
        baseline.at(0.50),
        baseline.at(0.99),
        alone.at(0.50) - baseline.at(0.50),
        alone.at(0.99) - baseline.at(0.99),
    );
    // All at once: every request arrives in the same instant, so the last one also waits for
    // the CPU work of the ones before it (on this machine the mock payer and the client share
    // the same cores as perdiem).
    let started = Instant::now();
    let handles: Vec<_> = (0..CONCURRENT)
        .map(|_| tokio::spawn(one(http.clone(), body.clone())))
        .collect();
    let mut latencies = Vec::with_capacity(CONCURRENT);
    for handle in handles {
        latencies.push(handle.await.unwrap());
    }
    let wall = started.elapsed();
    let burst = Added::of(latencies, payer);
    println!(
        "verification, {CONCURRENT} at once, payer answering in {PAYER_LATENCY_MS} ms ({}): \
         over the payer's 100 ms p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (all done in {:.0} ms); \
         {CONCURRENT} direct calls at once p50 {:.1} ms, p99 {:.1} ms; added by perdiem p50 \
         {:.1} ms, p99 {:.1} ms",
        db.backend(),
        burst.at(0.50),
        burst.at(0.99),
        burst.at(1.0),
        wall.as_secs_f64() * 1000.0,
        burst_baseline.at(0.50),
        burst_baseline.at(0.99),
        burst.at(0.50) - burst_baseline.at(0.50),
        burst.at(0.99) - burst_baseline.at(0.99),
    );
    mock.stop().await;
}

/// The service binary's allocator (src/main.rs), so the figures are the service's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    parse_throughput();
    // BENCH_ONLY_PARSE=1: the parse figures only (the latency part needs a database and is slow).
    if std::env::var_os("BENCH_ONLY_PARSE").is_some_and(|v| !v.is_empty()) {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(added_latency());
    support::remove_files();
}
