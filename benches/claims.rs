//! Benchmark (a bench binary, not a timed test): `cargo bench --bench claims`.
//!
//! Claim generation at scale: 100,000 attended IOP days across 1,000 clients (100 weekdays
//! each) become claims through `POST /api/v1/claims/generate`, end to end over HTTP. Timed: a
//! dry run of everything, the real generation (period month), and the same generation again
//! (every day already billed, nothing new). The target is ≤ 1 s for the real generation on
//! SQLite. SQLite by default; set TEST_DATABASE_URL to measure on PostgreSQL.
//!
//! The scene is set untimed through the store modules (payer requiring authorizations, per
//! client a coverage, an approved authorization covering every day, an episode with its
//! principal diagnosis; one IOP fee schedule) and the attendance through the CSV import.

use std::fmt::Write as _;
use std::time::Instant;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use perdiem::domain::role::Role;
use serde_json::{json, Value};

mod support;
use support::{database, serve};

const CLIENTS: usize = 1_000;
const DAYS: usize = 100;
/// The fee schedule's charge a day, in cents: 333.33.
const CHARGE_CENTS: u64 = 33_333;

/// The service binary's allocator (src/main.rs), so the figures are the service's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(generate());
    support::remove_files();
}

/// `DAYS` weekdays, oldest first, the last of them at least a week ago.
fn weekdays(today: NaiveDate) -> Vec<NaiveDate> {
    let mut day = today - Duration::days(7);
    let mut days = Vec::with_capacity(DAYS);
    while days.len() < DAYS {
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            days.push(day);
        }
        day -= Duration::days(1);
    }
    days.reverse();
    days
}

async fn generate() {
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
            writeln!(
                file,
                "MRN-{n:05},{date},IOP,190,group therapy;individual therapy,ehr"
            )
            .unwrap();
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
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["created"], CLIENTS * DAYS, "{report}");
    // The import's write-ahead log is copied into the database now, not during the timed part
    // (the server checkpoints in the background).
    db.checkpoint().await.unwrap();
    println!(
        "claims bench ({backend}): setup of {CLIENTS} clients × {DAYS} attended days \
         ({first} to {last}) in {:.2} s (untimed)",
        setup.elapsed().as_secs_f64()
    );

    let body = json!({
        "from_date": first.to_string(), "through_date": last.to_string(), "period": "month"
    });
    // Timed from the request to the last byte of the answer; the answer is parsed after.
    let send = |label: &'static str, query: &'static str, status: u16| {
        let http = http.clone();
        let url = format!("{base}/api/v1/claims/generate{query}");
        let token = token.clone();
        let body = body.clone();
        async move {
            let started = Instant::now();
            let response = http
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let code = response.status().as_u16();
            let bytes = response.bytes().await.unwrap();
            let seconds = started.elapsed().as_secs_f64();
            assert_eq!(code, status, "{}", String::from_utf8_lossy(&bytes));
            let generated: Value = serde_json::from_slice(&bytes).unwrap();
            let summary = &generated["summary"];
            println!(
                "claims generate, {label} ({backend}): {:.3} s — {} claims, {} lines, total \
                 charge {}, {} days left out ({:.1} MB answer)",
                seconds,
                summary["claims"],
                summary["lines"],
                summary["total_charge"],
                summary["days_left_out"],
                bytes.len() as f64 / 1_000_000.0
            );
            (generated, seconds)
        }
    };

    let total = format!(
        "{}.{:02}",
        CHARGE_CENTS * (CLIENTS * DAYS) as u64 / 100,
        CHARGE_CENTS * (CLIENTS * DAYS) as u64 % 100
    );
    assert_eq!(total, "33333000.00");

    // (1) A dry run of everything: the same answer, nothing stored.
    let (dry, _) = send("dry run, month", "?dry_run=true", 200).await;
    assert_eq!(
        dry["summary"]["lines"],
        CLIENTS * DAYS,
        "{}",
        dry["summary"]
    );
    assert_eq!(dry["summary"]["total_charge"], total.as_str());
    assert_eq!(dry["summary"]["days_left_out"], 0);

    // (2) The real generation.
    let (generated, generation_seconds) = send("real generation, month", "", 201).await;
    let summary = &generated["summary"];
    assert_eq!(summary["lines"], CLIENTS * DAYS, "{summary}");
    assert_eq!(summary["total_charge"], total.as_str(), "{summary}");
    assert_eq!(summary["days_left_out"], 0, "{summary}");
    let lines: usize = generated["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["lines"].as_array().unwrap().len())
        .sum();
    assert_eq!(lines, CLIENTS * DAYS);
    println!(
        "claims generate: asserted {} lines and total charge {total} (= {} × 333.33)",
        CLIENTS * DAYS,
        CLIENTS * DAYS
    );

    // (3) Again: every day is already billed, nothing new.
    let (again, _) = send("again, nothing new", "", 200).await;
    assert_eq!(again["summary"]["claims"], 0, "{}", again["summary"]);
    assert_eq!(again["summary"]["days_left_out"], CLIENTS * DAYS);

    // (4) The 837I file of every claim made: one interchange of 5,000 claims.
    let ids: Vec<&str> = generated["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    let started = Instant::now();
    let response = http
        .post(format!("{base}/api/v1/claims/x12"))
        .bearer_auth(&token)
        .json(&json!({ "claim_ids": ids }))
        .send()
        .await
        .unwrap();
    let code = response.status().as_u16();
    let file = response.text().await.unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(code, 200, "{file}");
    // What the background checkpoint still has to copy of these writes, counted too.
    let started = Instant::now();
    db.checkpoint().await.unwrap();
    let checkpoint = started.elapsed().as_secs_f64();
    let segments: Vec<&str> = file.split('~').collect();
    let service_lines = segments.iter().filter(|s| s.starts_with("SV2*")).count();
    let charged: rust_decimal::Decimal = segments
        .iter()
        .filter(|s| s.starts_with("CLM*"))
        .map(|s| {
            s.split('*')
                .nth(2)
                .unwrap()
                .parse::<rust_decimal::Decimal>()
                .unwrap()
        })
        .sum();
    assert_eq!(service_lines, CLIENTS * DAYS);
    assert_eq!(format!("{charged:.2}"), total);
    println!(
        "claims 837I file ({backend}): {seconds:.3} s — {} claims, {service_lines} service \
         lines, CLM02 total {charged:.2} ({:.1} MB)",
        ids.len(),
        file.len() as f64 / 1_000_000.0
    );
    println!(
        "claims bench ({backend}): {} attended days → claims and their 837I file in {:.3} s \
         (generation {generation_seconds:.3} s, file {seconds:.3} s, then the checkpoint left \
         {checkpoint:.3} s)",
        CLIENTS * DAYS,
        generation_seconds + seconds + checkpoint
    );
}
