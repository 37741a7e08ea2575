//! Benchmark (a bench binary, not a timed test): `cargo bench --bench remittances`.
//!
//! Posting an 835 at scale: 10,000 claims of 5 lines each (2,000 clients, 25 attended weekdays
//! each, billed by week), submitted, then remitted by the mock payer under
//! `contractual_deductible_coinsurance` (CO-45, PR-1 and PR-2 adjustments, AMT*B6 per line).
//! Timed: `POST /api/v1/remittances` of that file, from the request to the last byte of the
//! answer, `RUNS` times with a new trace number each (the later runs post the same claims
//! again, as a payer's correction would); the median is the figure. The target is ≤ 1 s on
//! SQLite. SQLite by default; set TEST_DATABASE_URL to measure on PostgreSQL.

use std::fmt::Write as _;
use std::time::Instant;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use perdiem::domain::role::Role;
use perdiem::mock_payer::{self, Scenarios};
use serde_json::{json, Value};

mod support;
use support::{database, serve};

const CLIENTS: usize = 2_000;
/// Five weeks of weekdays: five claims of five lines per client.
const DAYS: usize = 25;
const RUNS: usize = 5;

/// The service binary's allocator (src/main.rs), so the figures are the service's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(post());
    support::remove_files();
}

/// `DAYS` weekdays of whole Monday-to-Friday weeks, oldest first, ending at least a week ago.
fn weekdays(today: NaiveDate) -> Vec<NaiveDate> {
    let mut friday = today - Duration::days(7);
    while friday.weekday() != Weekday::Fri {
        friday -= Duration::days(1);
    }
    let monday = friday - Duration::days(4 + 7 * (DAYS as i64 / 5 - 1));
    (0..)
        .map(|n| monday + Duration::days(n))
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .take(DAYS)
        .collect()
}

async fn post() {
    let db = database().await;
    let backend = db.backend();
    let today = chrono::Utc::now().date_naive();
    let days = weekdays(today);
    let (first, last) = (days[0], days[DAYS - 1]);
    let setup = Instant::now();
    let user = support::billing_scene(&db, CLIENTS, first, last, today).await;
    let mut file = String::from("external_id,service_date,level_of_care,minutes,services,source\n");
    for n in 0..CLIENTS {
        for date in &days {
            writeln!(file, "MRN-{n:05},{date},IOP,190,group therapy,ehr").unwrap();
        }
    }
    let (base, token) = serve(db.clone(), user.id.into(), Role::Billing).await;
    let http = reqwest::Client::new();
    let response = http
        .post(format!("{base}/api/v1/attendance/import"))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(file)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let generated: Value = http
        .post(format!("{base}/api/v1/claims/generate"))
        .bearer_auth(&token)
        .json(&json!({
            "from_date": first.to_string(), "through_date": last.to_string(), "period": "week"
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let claims = generated["claims"].as_array().unwrap().clone();
    assert_eq!(claims.len(), CLIENTS * DAYS / 5, "{}", generated["summary"]);
    assert!(claims
        .iter()
        .all(|c| c["lines"].as_array().unwrap().len() == 5));
    // Sent: draft → ready → submitted, straight in the database (untimed, not the point).
    let mut tx = db.begin().await.unwrap();
    perdiem::with_tx!(&mut tx, |conn| sqlx::query(
        "UPDATE claims SET status = 'submitted'"
    )
    .execute(conn)
    .await
    .map(|_| ()))
    .unwrap();
    tx.commit().await.unwrap();
    db.checkpoint().await.unwrap();

    let mock = mock_payer::start(Scenarios::bundled().unwrap(), "127.0.0.1", 0)
        .await
        .unwrap();
    println!(
        "remittances bench ({backend}): setup of {} claims × 5 lines in {:.1} s (untimed)",
        claims.len(),
        setup.elapsed().as_secs_f64()
    );

    let mut seconds = Vec::with_capacity(RUNS);
    for run in 0..RUNS {
        let remittance = http
            .post(format!(
                "{}?scenario=contractual_deductible_coinsurance&payee_npi=1234567893\
                 &payee_name=BENCH%20CLINIC&trace=BENCH{run:04}",
                mock.url("/remittances/835")
            ))
            .json(&claims)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(remittance.starts_with("ISA"), "{remittance}");
        let started = Instant::now();
        let response = http
            .post(format!("{base}/api/v1/remittances"))
            .bearer_auth(&token)
            .header("content-type", "application/edi-x12")
            .body(remittance.clone())
            .send()
            .await
            .unwrap();
        let code = response.status().as_u16();
        let body = response.bytes().await.unwrap();
        let elapsed = started.elapsed().as_secs_f64();
        assert_eq!(code, 201, "{}", String::from_utf8_lossy(&body));
        let answer: Value = serde_json::from_slice(&body).unwrap();
        let set = &answer["remittances"][0];
        assert_eq!(set["status"], "posted", "{set}");
        assert_eq!(set["claims"], claims.len());
        assert_eq!(set["claims_posted"], claims.len());
        assert_eq!(set["unmatched_lines"].as_array().unwrap().len(), 0);
        db.checkpoint().await.unwrap();
        println!(
            "remittances bench ({backend}): run {}: posted {} claims, {} lines ({:.1} MB 835) in \
             {elapsed:.3} s",
            run + 1,
            claims.len(),
            claims.len() * 5,
            remittance.len() as f64 / 1_000_000.0
        );
        seconds.push(elapsed);
    }
    seconds.sort_by(f64::total_cmp);
    println!(
        "remittances bench ({backend}): an 835 of {} claims × 5 lines posted in {:.3} s \
         (median of {RUNS}; fastest {:.3} s, slowest {:.3} s)",
        claims.len(),
        seconds[RUNS / 2],
        seconds[0],
        seconds[RUNS - 1]
    );
}
