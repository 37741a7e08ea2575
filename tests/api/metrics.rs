//! `GET /metrics`: admin only, Prometheus text, the named series with plausible values, and no
//! PHI in any of it.

use perdiem::mock_payer::{self, Scenarios, X12_PATH};
use serde_json::json;

use crate::helpers::{client_body, coverage_body, id_of, spawn_app, TestApp};
use crate::verifications::{set_up, verify};

/// One sample line: its name, labels and value.
struct Sample {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
}

/// The samples of an exposition (comments skipped). Label values are unescaped.
fn samples(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
            let value: f64 = value.parse().expect("the value is a number");
            let Some((name, labels)) = series.split_once('{') else {
                return Sample {
                    name: series.to_string(),
                    labels: Vec::new(),
                    value,
                };
            };
            let labels = labels.strip_suffix('}').expect("labels close");
            Sample {
                name: name.to_string(),
                labels: parse_labels(labels),
                value,
            }
        })
        .collect()
}

fn parse_labels(mut rest: &str) -> Vec<(String, String)> {
    let mut labels = Vec::new();
    while !rest.is_empty() {
        let (key, after) = rest.split_once("=\"").expect("key=\"value\"");
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next().expect("the value closes") {
                (i, '"') => break i,
                (_, '\\') => match chars.next().expect("an escape").1 {
                    'n' => value.push('\n'),
                    c => value.push(c),
                },
                (_, c) => value.push(c),
            }
        };
        labels.push((key.to_string(), value));
        rest = after[end + 1..].trim_start_matches(',');
    }
    labels
}

/// The value of the series `name` with exactly `labels`, if it is there.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| {
            s.name == name
                && s.labels.len() == labels.len()
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.iter().any(|(sk, sv)| sk == k && sv == v))
        })
        .map(|s| s.value)
}

async fn scrape(app: &TestApp) -> String {
    let reply = app.get("/metrics").token(&app.admin).expect(200).await;
    reply.body.as_str().unwrap().to_string()
}

#[tokio::test]
async fn metrics_are_for_admins_only_in_the_prometheus_text_format() {
    let app = spawn_app().await;
    let reply = app.get("/metrics").expect(401).await;
    assert_eq!(reply.problem_type(), "urn:perdiem:problem:unauthorized");
    for token in [&app.admissions, &app.billing] {
        let reply = app.get("/metrics").token(token).expect(403).await;
        assert_eq!(reply.problem_type(), "urn:perdiem:problem:forbidden");
    }
    let reply = app.get("/metrics").token(&app.admin).expect(200).await;
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = reply.body.as_str().unwrap();
    assert!(
        text.contains("# TYPE perdiem_http_requests_total counter\n"),
        "{text}"
    );
    // The refused scrapes above were counted like any request, under the route pattern.
    let samples = samples(text);
    let refused = |status| {
        let labels = [("method", "GET"), ("route", "/metrics"), ("status", status)];
        value(&samples, "perdiem_http_requests_total", &labels)
    };
    assert_eq!(refused("401"), Some(1.0), "{text}");
    assert_eq!(refused("403"), Some(2.0), "{text}");
}

#[tokio::test]
async fn requests_verifications_circuits_pool_and_batch_items_are_measured() {
    let app = spawn_app().await;
    let mock = mock_payer::start(Scenarios::bundled().unwrap(), "127.0.0.1", 0)
        .await
        .unwrap();
    let (client_id, coverage_id, payer_id) =
        set_up(&app, "x12", &mock.url(X12_PATH), "MOCK-COPAY").await;

    let before = samples(&scrape(&app).await);
    let client_reads = [
        ("method", "GET"),
        ("route", "/api/v1/clients/{id}"),
        ("status", "200"),
    ];
    let reads_before = value(&before, "perdiem_http_requests_total", &client_reads).unwrap_or(0.0);
    for _ in 0..3 {
        app.get(&format!("/api/v1/clients/{client_id}"))
            .token(&app.billing)
            .expect(200)
            .await;
    }
    let verified = verify(&app, &client_id, &coverage_id, json!(["PHP"]), 201).await;
    assert_eq!(verified["status"], "verified", "{verified:#}");
    let cached = verify(&app, &client_id, &coverage_id, json!(["PHP"]), 200).await;
    assert_eq!(cached["cached"], true);
    // A batch item whose coverage is not the client's fails without asking anyone: whatever
    // state the worker has it in when scraped, it is one item.
    app.post("/api/v1/verification-batches")
        .token(&app.admissions)
        .json(json!({"items": [{
            "client_id": client_id, "coverage_id": "0194f1d2-6a4e-7c1b-9a53-2d2f5c9e8a10",
            "levels_of_care": ["PHP"], "program": "mental_health", "service_date": "2026-11-23"
        }]}))
        .expect(202)
        .await;

    let text = scrape(&app).await;
    let after = samples(&text);
    let reads_after = value(&after, "perdiem_http_requests_total", &client_reads).unwrap();
    assert_eq!(reads_after - reads_before, 3.0, "{text}");
    let timed = [("method", "GET"), ("route", "/api/v1/clients/{id}")];
    let count = value(
        &after,
        "perdiem_http_request_duration_seconds_count",
        &timed,
    )
    .unwrap();
    let inf = [timed[0], timed[1], ("le", "+Inf")];
    let all = value(&after, "perdiem_http_request_duration_seconds_bucket", &inf).unwrap();
    assert_eq!(count, reads_after);
    assert_eq!(all, count);
    let sum = value(&after, "perdiem_http_request_duration_seconds_sum", &timed).unwrap();
    assert!(sum > 0.0, "{text}");

    let outcome = |outcome| {
        let labels = [("payer_id", payer_id.as_str()), ("outcome", outcome)];
        value(&after, "perdiem_verifications_total", &labels)
    };
    assert_eq!(outcome("verified"), Some(1.0), "{text}");
    assert_eq!(outcome("cached"), Some(1.0), "{text}");
    let circuit = |state| {
        let labels = [("payer_id", payer_id.as_str()), ("state", state)];
        value(&after, "perdiem_payer_circuit_state", &labels)
    };
    assert_eq!(circuit("closed"), Some(1.0), "{text}");
    assert_eq!(circuit("open"), Some(0.0), "{text}");
    assert_eq!(circuit("half_open"), Some(0.0), "{text}");

    let items: f64 = ["pending", "running", "waiting", "done", "failed"]
        .iter()
        .map(|state| value(&after, "perdiem_batch_items", &[("state", *state)]).unwrap())
        .sum();
    assert_eq!(items, 1.0, "{text}");

    let idle = value(&after, "perdiem_db_pool_connections", &[("state", "idle")]).unwrap();
    let in_use = value(
        &after,
        "perdiem_db_pool_connections",
        &[("state", "in_use")],
    )
    .unwrap();
    let max = value(&after, "perdiem_db_pool_max_connections", &[]).unwrap();
    assert_eq!(max, 5.0, "the test pools open five");
    assert!(idle + in_use >= 1.0 && idle + in_use <= max, "{text}");
    // Nothing is queued for the writer once the requests are answered.
    assert_eq!(
        value(&after, "perdiem_db_writer_queue_depth", &[]),
        Some(0.0)
    );
    let commits = value(&after, "perdiem_db_commit_batch_size_count", &[]).unwrap();
    let writes = value(&after, "perdiem_db_commit_batch_size_sum", &[]).unwrap();
    if matches!(app.db, perdiem::store::Db::Sqlite(_)) {
        // The client, the coverage, the verification and the reads' audit rows went through
        // SQLite's one writer.
        assert!(commits >= 1.0 && writes >= commits, "{text}");
    } else {
        assert_eq!(
            (commits, writes),
            (0.0, 0.0),
            "PostgreSQL has no single writer"
        );
    }
    mock.stop().await;
}

#[tokio::test]
async fn no_name_birth_date_member_id_or_client_path_reaches_the_metrics() {
    let app = spawn_app().await;
    let mock = mock_payer::start(Scenarios::bundled().unwrap(), "127.0.0.1", 0)
        .await
        .unwrap();
    let (_, _, payer_id) = set_up(&app, "x12", &mock.url(X12_PATH), "MOCK-COPAY").await;
    // Values no other test uses.
    let (first, last, birth, member) = ("Zephyrine", "Quorblewick", "1963-07-29", "QZW5518823");
    let mut body = client_body();
    body["first_name"] = json!(first);
    body["last_name"] = json!(last);
    body["date_of_birth"] = json!(birth);
    let client = app.create_client(body).await;
    let id = id_of(&client);
    let mut coverage = coverage_body(&payer_id);
    coverage["member_id"] = json!(member);
    let coverage = app
        .post(&format!("/api/v1/clients/{id}/coverages"))
        .token(&app.admissions)
        .json(coverage)
        .expect(201)
        .await
        .body;
    let coverage_id = id_of(&coverage);
    for page in [
        format!("/api/v1/clients/{id}"),
        format!("/api/v1/clients/{id}/coverages"),
        format!("/api/v1/clients/{id}/coverages/{coverage_id}"),
        format!("/api/v1/clients/{id}/verifications"),
        format!("/api/v1/clients?name={last}"),
        format!("/api/v1/clients?date_of_birth={birth}"),
    ] {
        app.get(&page).token(&app.billing).expect(200).await;
    }
    // Through the payer too: the mock does not know the member and rejects the inquiry.
    let asked = verify(&app, &id, &coverage_id, json!(["IOP"]), 201).await;
    assert_eq!(asked["status"], "rejected", "{asked:#}");
    // A path no route matches, naming the client, is counted as `unmatched`.
    app.get(&format!("/api/v1/clients/{id}/{first}"))
        .token(&app.billing)
        .expect(404)
        .await;

    let text = scrape(&app).await;
    for phi in [
        first,
        last,
        birth,
        member,
        id.as_str(),
        coverage_id.as_str(),
    ] {
        assert!(!text.contains(phi), "{phi} appeared in the metrics");
    }
    assert!(
        !text.contains(&format!("/api/v1/clients/{id}")),
        "a raw client path appeared in the metrics"
    );
    // The requests were counted all the same, under their patterns.
    assert!(
        text.contains("route=\"/api/v1/clients/{id}\""),
        "the client's reads should be counted: {text}"
    );
    assert!(text.contains("route=\"unmatched\""), "{text}");
    let rejected = [("payer_id", payer_id.as_str()), ("outcome", "rejected")];
    assert_eq!(
        value(&samples(&text), "perdiem_verifications_total", &rejected),
        Some(1.0),
        "{text}"
    );
    mock.stop().await;
}
