//! Benchmark (a bench binary, not a timed test): `cargo bench --bench attendance`.
//!
//! Imports a 100,000-row attendance CSV — 1,000 clients × 100 days, as an EHR exports it —
//! through `POST /api/v1/attendance/import`, end to end over HTTP, then the same file again
//! (every row unchanged), then every day changed with `replace=true`. SQLite by default; set
//! TEST_DATABASE_URL to measure on PostgreSQL.

use std::fmt::Write as _;
use std::time::Instant;

use chrono::{Duration, NaiveDate};
use perdiem::domain::client::ClientInput;
use perdiem::domain::coverage::CoverageInput;
use perdiem::domain::ids::{ClientId, CoverageId, UserId};
use perdiem::domain::payer::PayerInput;
use perdiem::domain::role::Role;
use perdiem::store::{clients, coverages, users};

mod support;
use support::{database, serve};

const CLIENTS: usize = 1_000;
const DAYS: usize = 100;

/// The service binary's allocator (src/main.rs), so the figures are the service's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(import());
    support::remove_files();
}

async fn import() {
    let db = database().await;
    let today = chrono::Utc::now().date_naive();
    let mut tx = db.begin().await.unwrap();
    let user = users::insert(&mut tx, UserId::new(), "bench", "x", &[Role::Billing])
        .await
        .unwrap();
    let payer = PayerInput {
        name: Some("Bench Payer".into()),
        payer_id: Some("BENCH1".into()),
        connection: None,
        billing: None,
    };
    let payer = support::insert_payer(&mut tx, payer).await;
    for n in 0..CLIENTS {
        let client = ClientInput {
            first_name: Some("Bench".into()),
            last_name: Some(format!("Client{n}")),
            date_of_birth: Some("1990-01-01".into()),
            sex: Some("F".into()),
            external_id: Some(format!("MRN-{n:05}")),
            ..ClientInput::default()
        };
        let client = clients::insert(&mut tx, ClientId::new(), &client.parse(today).unwrap())
            .await
            .unwrap();
        let coverage = CoverageInput {
            payer_id: Some(payer.id.to_string()),
            member_id: Some(format!("M{n:08}")),
            relationship: Some("self".into()),
            priority: Some("primary".into()),
            effective_date: Some("2020-01-01".into()),
            ..CoverageInput::default()
        };
        coverages::insert(
            &mut tx,
            CoverageId::new(),
            client.id,
            &coverage.parse(today).unwrap(),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();

    // 100 consecutive days ending a week ago; PHP for even clients, IOP for odd ones.
    let first = today - Duration::days((DAYS + 7) as i64);
    let mut file = String::from("external_id,service_date,level_of_care,minutes,services,source\n");
    for n in 0..CLIENTS {
        let (level, minutes) = if n % 2 == 0 {
            ("PHP", 330)
        } else {
            ("IOP", 190)
        };
        for d in 0..DAYS {
            let date: NaiveDate = first + Duration::days(d as i64);
            writeln!(
                file,
                "MRN-{n:05},{date},{level},{minutes},group therapy;individual therapy,ehr"
            )
            .unwrap();
        }
    }
    let (base, token) = serve(db.clone(), user.id.as_uuid(), Role::Billing).await;
    let http = reqwest::Client::new();
    let backend = db.backend();
    // The same days with ten more minutes each, sent with replace.
    let longer = file.replace(",330,", ",340,").replace(",190,", ",200,");
    let send = |label: &'static str, query: &'static str, body: &String| {
        let http = http.clone();
        let url = format!("{base}/api/v1/attendance/import{query}");
        let token = token.clone();
        let body = body.clone();
        let megabytes = body.len() as f64 / 1_000_000.0;
        async move {
            let started = Instant::now();
            let response = http
                .post(url)
                .bearer_auth(token)
                .header("content-type", "text/csv")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 200);
            let report: serde_json::Value = response.json().await.unwrap();
            let seconds = started.elapsed().as_secs_f64();
            assert_eq!(report["rejected"], 0, "{report}");
            println!(
                "attendance import, {label} ({}): {} rows ({:.1} MB) in {:.2} s — {} created, \
                 {} unchanged, {} replaced",
                backend,
                CLIENTS * DAYS,
                megabytes,
                seconds,
                report["created"],
                report["unchanged"],
                report["replaced"]
            );
        }
    };
    send("first import", "", &file).await;
    send("same file again", "", &file).await;
    send("every day changed, replace", "?replace=true", &longer).await;
}
