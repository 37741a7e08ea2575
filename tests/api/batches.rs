//! Verification batches: background work, progress, and no item lost or asked twice across a
//! payer outage and a restart of the service.

use std::time::{Duration, Instant};

use chrono::Utc;
use perdiem::domain::ids::{new_id, BatchId, ClientId, CoverageId, UserId, VerificationId};
use perdiem::domain::role::Role;
use perdiem::mock_payer::{self, MockPayer, Scenarios, X12_PATH};
use perdiem::startup::Stopper;
use perdiem::store::batches::{self, Lease, NewItem};
use perdiem::store::users;
use perdiem::store::verifications::{self, Completion, NewVerification};
use serde_json::{json, Value};

use crate::helpers::{client_body, coverage_body, fresh_db, start_on, test_settings, TestApp};

async fn payer_and_coverages(app: &TestApp, url: &str, members: &[&str]) -> Vec<(String, String)> {
    let connection = json!({"protocol": "x12", "endpoint_url": url, "timeout_seconds": 5});
    coverages_on(app, connection, members).await
}

/// A payer with `connection`, and a client covered by it for each member id.
async fn coverages_on(app: &TestApp, connection: Value, members: &[&str]) -> Vec<(String, String)> {
    app.set_up_clinic().await;
    let payer = app
        .post("/api/v1/payers")
        .token(&app.admin)
        .json(json!({"name": "Mock", "payer_id": "MOCKBATCH", "connection": connection}))
        .expect(201)
        .await
        .body;
    let mut pairs = Vec::new();
    for member in members {
        let client = app.create_client(client_body()).await;
        let client_id = client["id"].as_str().unwrap().to_string();
        let mut coverage = coverage_body(payer["id"].as_str().unwrap());
        coverage["member_id"] = json!(member);
        let coverage = app
            .post(&format!("/api/v1/clients/{client_id}/coverages"))
            .token(&app.admissions)
            .json(coverage)
            .expect(201)
            .await
            .body;
        pairs.push((client_id, coverage["id"].as_str().unwrap().to_string()));
    }
    pairs
}

fn items(pairs: &[(String, String)]) -> Value {
    Value::Array(
        pairs
            .iter()
            .map(|(client, coverage)| {
                json!({"client_id": client, "coverage_id": coverage, "levels_of_care": ["PHP"],
                       "program": "mental_health", "service_date": "2026-11-23"})
            })
            .collect(),
    )
}

async fn batch(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/api/v1/verification-batches/{id}"))
        .token(&app.billing)
        .expect(200)
        .await
        .body
}

async fn until(app: &TestApp, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let current = batch(app, id).await;
        if done(&current) {
            return current;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "batch stuck: {current:#}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_batch_is_worked_in_the_background_and_reports_each_outcome() {
    let mock = mock_payer::start(Scenarios::bundled().unwrap(), "127.0.0.1", 0)
        .await
        .unwrap();
    let (app, _stop) = start_on(test_settings(), fresh_db().await, true).await;
    let mut pairs = payer_and_coverages(
        &app,
        &mock.url(X12_PATH),
        &["MOCK-COPAY", "MOCK-BADID", "MOCK-INACTIVE"],
    )
    .await;
    pairs.push((
        pairs[0].0.clone(),
        "0194f1d2-6a4e-7c1b-9a53-2d2f5c9e8a10".into(),
    ));
    let accepted = app
        .post("/api/v1/verification-batches")
        .token(&app.admissions)
        .json(json!({"items": items(&pairs)}))
        .expect(202)
        .await;
    let id = accepted.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        accepted.header("location"),
        Some(format!("/api/v1/verification-batches/{id}").as_str())
    );
    assert_eq!(accepted.body["total"], 4);
    let finished = until(&app, &id, |b| !b["finished_at"].is_null()).await;
    assert_eq!(
        (finished["done"].as_i64(), finished["failed"].as_i64()),
        (Some(3), Some(1))
    );
    let outcomes: Vec<&str> = finished["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["outcome"].as_str().unwrap_or("-"))
        .collect();
    assert_eq!(outcomes, ["verified", "rejected", "inactive", "-"]);
    assert_eq!(finished["items"][3]["error"], "coverage not found");
    let reply = app
        .post("/api/v1/verification-batches")
        .token(&app.admissions)
        .json(json!({"items": [{"client_id": "x", "levels_of_care": ["PHP"], "program": "mental_health"}]}))
        .expect(422)
        .await;
    assert_eq!(
        reply.error_fields(),
        ["items[0].client_id", "items[0].coverage_id"]
    );
    mock.stop().await;
}

#[tokio::test]
async fn a_payer_outage_and_a_restart_mid_batch_lose_and_repeat_nothing() {
    let mock = mock_payer::start(Scenarios::bundled().unwrap(), "127.0.0.1", 0)
        .await
        .unwrap();
    let db = fresh_db().await;
    let mut settings = test_settings();
    settings.verification.breaker_threshold = 1000;
    let (app, stop) = start_on(settings.clone(), db.clone(), true).await;
    // MOCK-SLOW answers after 300 ms: 4 requests per item, 4 at once per payer.
    let members = ["MOCK-SLOW"; 12];
    let pairs = payer_and_coverages(&app, &mock.url(X12_PATH), &members).await;
    let id = app
        .post("/api/v1/verification-batches")
        .token(&app.admissions)
        .json(json!({"items": items(&pairs)}))
        .expect(202)
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Some items done, others in flight: the service stops at once, as in a crash …
    until(&app, &id, |b| b["done"].as_i64() >= Some(2)).await;
    stop.stop_now().await;
    // … and the payer goes down too.
    mock.stop().await;

    // The restarted service opens its own pool, as a new process would.
    let db = db.reopen(10).await.unwrap();
    let (app, _stop) = start_on(settings, db, false).await;
    let finished = until(&app, &id, |b| !b["finished_at"].is_null()).await;
    let items = finished["items"].as_array().unwrap();
    assert_eq!(items.len(), 12);
    assert_eq!(finished["done"], 12, "{finished:#}");
    let mut ids: Vec<&str> = items
        .iter()
        .map(|i| i["verification_id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 12, "each item has its own verification");
    let mut verified = 0;
    for item in items {
        let v = app
            .get(&format!(
                "/api/v1/verifications/{}",
                item["verification_id"].as_str().unwrap()
            ))
            .token(&app.billing)
            .expect(200)
            .await
            .body;
        assert_ne!(
            v["status"], "in_progress",
            "every item ends with a stored outcome"
        );
        assert_eq!(v["status"], item["outcome"]);
        if v["status"] == "verified" {
            verified += 1;
        } else {
            assert_eq!(v["status"], "payer_error", "{v:#}");
        }
    }
    assert!(
        verified >= 2,
        "the items finished before the stop stay as they were"
    );
}

/// Two workers on one database (two instances, or one and its restart): a running item is
/// settled by another worker only once the lease of the one running it has lapsed, and the
/// first worker, late, cannot record an outcome over the one that took over.
#[tokio::test]
async fn a_running_item_is_settled_by_another_worker_only_once_its_lease_lapses() {
    let db = fresh_db().await;
    let mut tx = db.begin().await.unwrap();
    let user = users::insert(&mut tx, UserId::new(), "lease", "x", &[Role::Admissions])
        .await
        .unwrap();
    let item = NewItem {
        client_id: ClientId::new(),
        coverage_id: CoverageId::new(),
        levels_of_care: r#"["IOP"]"#.to_string(),
        program: "mental_health".to_string(),
        service_date: Utc::now().date_naive(),
        force: false,
    };
    batches::insert(&mut tx, BatchId::new(), &user.id.to_string(), &[item])
        .await
        .unwrap();
    let item = batches::pending(&mut tx, 10).await.unwrap().remove(0);
    let now = Utc::now();
    let lease = |owner, seconds| Lease {
        owner,
        until: now + chrono::Duration::seconds(seconds),
    };

    let first_verification = VerificationId::new();
    assert!(
        batches::claim(&mut tx, &item.id, first_verification, lease("a", 30))
            .await
            .unwrap()
    );
    assert!(
        !batches::claim(&mut tx, &item.id, VerificationId::new(), lease("b", 30))
            .await
            .unwrap(),
        "a running item is not claimed twice"
    );
    assert_eq!(batches::recover(&mut tx, now).await.unwrap(), 0);
    // Worker a lives on: its renewal keeps the item past its first lease.
    assert_eq!(batches::renew(&mut tx, lease("a", 60)).await.unwrap(), 1);
    assert_eq!(
        batches::recover(&mut tx, now + chrono::Duration::seconds(45))
            .await
            .unwrap(),
        0,
        "a renewed lease is respected"
    );
    // Worker a stops renewing: after the lease, the item is settled (its verification was never
    // stored, so it goes back to pending) and b takes it.
    assert_eq!(
        batches::recover(&mut tx, now + chrono::Duration::seconds(61))
            .await
            .unwrap(),
        1
    );
    let again = batches::pending(&mut tx, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].verification_id, None);
    let second_verification = VerificationId::new();
    assert!(
        batches::claim(&mut tx, &item.id, second_verification, lease("b", 30))
            .await
            .unwrap()
    );
    assert!(
        !batches::finish(&mut tx, &item.id, Some(first_verification), None, Some("a"))
            .await
            .unwrap(),
        "the worker whose lease lapsed records nothing"
    );
    assert!(batches::finish(
        &mut tx,
        &item.id,
        Some(second_verification),
        None,
        Some("b")
    )
    .await
    .unwrap());
    assert_eq!(batches::renew(&mut tx, lease("b", 90)).await.unwrap(), 0);
    let (_, items) = batches::find(&mut tx, again[0].batch_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(items[0].status, "done");
    assert_eq!(items[0].verification_id, Some(second_verification));
    tx.commit().await.unwrap();
}

/// The bundled MOCK-COPAY as member MOCK-RECOVERS, whose first `first_calls` requests meet an
/// HTTP 500: a payer down for a while that then answers.
fn recovering_payer(first_calls: u32) -> Scenarios {
    let mut file: Value =
        serde_json::from_str(include_str!("../../fixtures/mock-payer/scenarios.json")).unwrap();
    let mut scenario = file["MOCK-COPAY"].take();
    scenario["member_id"] = json!("MOCK-RECOVERS");
    scenario["fault"] = json!({"kind": "http_500", "first_calls": first_calls});
    Scenarios::parse(&json!({ "MOCK-RECOVERS": scenario }).to_string()).unwrap()
}

/// One inquiry at a time and one request per item, so the payer's calls can be counted.
fn one_at_a_time(url: &str) -> Value {
    json!({"protocol": "x12", "endpoint_url": url, "timeout_seconds": 5,
           "max_concurrent": 1, "service_types_per_request": 99})
}

fn waiting_items(batch: &Value) -> Vec<&Value> {
    batch["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["status"] == "waiting")
        .collect()
}

/// A payer failing its first `first_calls` calls (HTTP 500), a server with `tune`d settings
/// (two failures open the circuit; three attempts each), and a batch of `count` items for it.
async fn outage_batch(
    first_calls: u32,
    count: usize,
    tune: impl FnOnce(&mut perdiem::config::Settings),
) -> OutageBatch {
    let mock = mock_payer::start(recovering_payer(first_calls), "127.0.0.1", 0)
        .await
        .unwrap();
    let mut settings = test_settings();
    settings.verification.breaker_threshold = 2;
    settings.verification.retry_attempts = 3;
    tune(&mut settings);
    let (app, stop) = start_on(settings, fresh_db().await, true).await;
    let members = vec!["MOCK-RECOVERS"; count];
    let pairs = coverages_on(&app, one_at_a_time(&mock.url(X12_PATH)), &members).await;
    let id = app
        .post("/api/v1/verification-batches")
        .token(&app.admissions)
        .json(json!({"items": items(&pairs)}))
        .expect(202)
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    OutageBatch {
        mock,
        app,
        _stop: stop,
        id,
        pairs,
    }
}

struct OutageBatch {
    mock: MockPayer,
    app: TestApp,
    _stop: Stopper,
    /// The batch.
    id: String,
    /// Each item's client and coverage.
    pairs: Vec<(String, String)>,
}

#[tokio::test]
async fn items_wait_out_a_payer_outage_and_are_verified_once_a_probe_gets_through() {
    // Two failures open the circuit, so the first item's third attempt finds it open.
    let OutageBatch {
        mock,
        app,
        _stop,
        id,
        pairs,
    } = outage_batch(3, 20, |s| {
        s.verification.breaker_cooldown_seconds = 1;
    })
    .await;

    // While the circuit is open the items wait, unasked, and say when the payer is next probed.
    let outage = until(&app, &id, |b| {
        waiting_items(b)
            .iter()
            .any(|i| !i["next_probe_at"].is_null())
    })
    .await;
    assert_eq!(outage["waiting"], waiting_items(&outage).len());
    for item in waiting_items(&outage) {
        assert!(item["waiting_since"].is_string(), "{item:#}");
        assert!(item["verification_id"].is_null(), "{item:#}");
    }

    let finished = until(&app, &id, |b| !b["finished_at"].is_null()).await;
    assert_eq!(
        (&finished["done"], &finished["failed"], &finished["waiting"]),
        (&json!(20), &json!(0), &json!(0)),
        "{finished:#}"
    );
    // Two failed calls opened the circuit; the first probe failed and the second answered;
    // then the other 19 items were asked once each.
    assert_eq!(mock.requests_for("MOCK-RECOVERS"), 2 + 1 + 1 + 19);

    // Each item is answered by a verified verification; what the items in flight stored when
    // the circuit opened stays on record, the three failed calls included, and holds nothing
    // but those calls and circuit-open stops that asked nobody.
    let mut calls = Vec::new();
    for (item, (client, _)) in finished["items"].as_array().unwrap().iter().zip(&pairs) {
        assert_eq!(item["outcome"], "verified", "{item:#}");
        let stored = app
            .get(&format!("/api/v1/clients/{client}/verifications"))
            .token(&app.billing)
            .expect(200)
            .await
            .body;
        for listed in stored["items"].as_array().unwrap() {
            let v = app
                .get(&format!(
                    "/api/v1/verifications/{}",
                    listed["id"].as_str().unwrap()
                ))
                .token(&app.billing)
                .expect(200)
                .await
                .body;
            if v["id"] == item["verification_id"] {
                assert_eq!(v["status"], "verified");
            } else {
                assert_eq!(v["status"], "payer_error", "{v:#}");
                assert_eq!(v["error"]["kind"], "circuit_open", "{v:#}");
            }
            for exchange in v["exchanges"].as_array().unwrap() {
                if exchange["error_kind"] == "circuit_open" {
                    assert_eq!(exchange["request"], "", "an open circuit sends nothing");
                } else {
                    calls.push(exchange["http_status"].as_i64().unwrap());
                }
            }
        }
    }
    calls.sort_unstable();
    assert_eq!(calls, [[200; 20].as_slice(), &[500; 3]].concat());
    mock.stop().await;
}

#[tokio::test]
async fn items_fail_with_the_reason_once_they_have_waited_past_the_deadline() {
    let OutageBatch {
        mock,
        app,
        _stop,
        id,
        ..
    } = outage_batch(1000, 4, |s| {
        s.verification.breaker_cooldown_seconds = 600;
        s.verification.batch_wait_seconds = 1;
    })
    .await;
    let finished = until(&app, &id, |b| !b["finished_at"].is_null()).await;
    assert_eq!(
        (&finished["done"], &finished["failed"], &finished["waiting"]),
        (&json!(0), &json!(4), &json!(0)),
        "{finished:#}"
    );
    for item in finished["items"].as_array().unwrap() {
        assert_eq!(
            item["error"],
            "the payer's circuit stayed open for 1 s (2 consecutive failures: http_status); \
             not asked",
            "{item:#}"
        );
        assert!(item["waiting_since"].is_string());
        assert!(item["verification_id"].is_null());
    }
    assert_eq!(
        mock.requests_for("MOCK-RECOVERS"),
        2,
        "nothing was asked once the circuit opened"
    );
    mock.stop().await;
}

/// The store's transitions of a waiting item: it waits unleased, recovery leaves it alone, and
/// by its payer it resumes, expires or goes as the probe; a lapsed item whose verification
/// found the circuit open waits too.
#[tokio::test]
async fn a_waiting_item_is_leased_to_nobody_and_resumes_expires_or_probes_by_its_payer() {
    let db = fresh_db().await;
    let (app, stop) = start_on(test_settings(), db.clone(), true).await;
    let mut pairs = payer_and_coverages(&app, "http://127.0.0.1:9/x12", &["A1", "A2", "A3"]).await;
    // The worker must not take the items: the store is driven by hand.
    stop.stop_now().await;
    // Connections the stopped server's runtime opened are dead with it: a pool of our own.
    let db = db.reopen(5).await.unwrap();
    pairs.push((pairs[0].0.clone(), new_id().to_string()));
    let new_items: Vec<NewItem> = pairs
        .iter()
        .map(|(client_id, coverage_id)| NewItem {
            client_id: client_id.parse().unwrap(),
            coverage_id: coverage_id.parse().unwrap(),
            levels_of_care: "PHP".to_string(),
            program: "mental_health".to_string(),
            service_date: Utc::now().date_naive(),
            force: false,
        })
        .collect();
    let batch_id = BatchId::new();
    let now = Utc::now();
    let at = |minutes: i64| now + chrono::Duration::minutes(minutes);
    let lease = |owner| Lease {
        owner,
        until: at(1),
    };

    let mut tx = db.begin().await.unwrap();
    batches::insert(&mut tx, batch_id, &app.admissions_id, &new_items)
        .await
        .unwrap();
    let items = batches::pending(&mut tx, 10).await.unwrap();
    let payer = items[0].payer_id.clone().expect("the coverage's payer");
    assert_eq!(items[1].payer_id.as_ref(), Some(&payer));
    assert_eq!(
        items[3].payer_id, None,
        "a coverage that is not the client's"
    );
    let [first, second, third, fourth] = [0, 1, 2, 3].map(|n| items[n].id.clone());

    assert!(batches::wait(&mut tx, &first, at(-30)).await.unwrap());
    assert!(batches::wait(&mut tx, &second, at(-20)).await.unwrap());
    assert!(!batches::wait(&mut tx, &first, at(-19)).await.unwrap());
    assert!(
        !batches::claim(&mut tx, &first, VerificationId::new(), lease("a"))
            .await
            .unwrap(),
        "a waiting item is not claimed as a pending one"
    );
    // In flight when the circuit opened: only the worker holding it sets it waiting.
    assert!(
        batches::claim(&mut tx, &third, VerificationId::new(), lease("a"))
            .await
            .unwrap()
    );
    assert!(!batches::wait_held(&mut tx, &third, at(-10), "b")
        .await
        .unwrap());
    assert!(batches::wait_held(&mut tx, &third, at(-10), "a")
        .await
        .unwrap());
    assert_eq!(batches::renew(&mut tx, lease("a")).await.unwrap(), 0);
    assert_eq!(batches::recover(&mut tx, at(60)).await.unwrap(), 0);
    assert_eq!(
        batches::waiting_payers(&mut tx).await.unwrap(),
        [Some(payer.clone())]
    );

    // The probe is the item that has waited longest; it waits again if the probe fails, and
    // keeps when it first started waiting.
    let probe = batches::first_waiting(&mut tx, &payer)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(probe.id, first);
    assert!(
        batches::claim_waiting(&mut tx, &first, VerificationId::new(), lease("a"))
            .await
            .unwrap()
    );
    assert!(
        !batches::claim_waiting(&mut tx, &first, VerificationId::new(), lease("b"))
            .await
            .unwrap(),
        "one probe"
    );
    assert!(batches::wait_held(&mut tx, &first, at(-1), "a")
        .await
        .unwrap());

    // The circuit closes: they resume, still knowing when they first waited.
    assert_eq!(
        batches::resume(&mut tx, Some(&payer), at(0)).await.unwrap(),
        3
    );
    let pending = batches::pending(&mut tx, 10).await.unwrap();
    assert_eq!(pending.len(), 4);
    assert_eq!(
        pending[0].waiting_since.map(|t| t.timestamp()),
        Some(at(-30).timestamp())
    );

    // Waiting again; the one waiting since before the deadline fails with the reason.
    for item in [&first, &second, &third] {
        assert!(batches::wait(&mut tx, item, at(1)).await.unwrap());
    }
    let expired = batches::expire(&mut tx, &payer, at(-25), "stayed open", at(1))
        .await
        .unwrap();
    assert_eq!(expired, [batch_id]);
    batches::close_if_finished(&mut tx, batch_id).await.unwrap();
    let (batch, shown) = batches::find(&mut tx, batch_id).await.unwrap().unwrap();
    let counts = (batch.pending, batch.waiting, batch.failed);
    assert_eq!(counts, (1, 2, 1));
    assert_eq!(shown[0].error.as_deref(), Some("stayed open"));
    assert_eq!(batch.finished_at, None, "waiting items are not finished");
    // An item no payer holds back resumes on its own (to fail as its verification does).
    assert!(batches::wait(&mut tx, &fourth, at(1)).await.unwrap());
    let mut waiting_for = batches::waiting_payers(&mut tx).await.unwrap();
    waiting_for.sort();
    assert_eq!(waiting_for, [None, Some(payer.clone())]);
    assert_eq!(batches::resume(&mut tx, None, at(1)).await.unwrap(), 1);
    assert_eq!(
        batches::resume(&mut tx, Some(&payer), at(1)).await.unwrap(),
        2
    );
    tx.commit().await.unwrap();

    // A worker stopped after its verification found the circuit open: recovery sets the item
    // waiting, as the worker would have, and the verification stays on record.
    let verification_id = VerificationId::new();
    let mut tx = db.begin().await.unwrap();
    assert!(batches::claim(
        &mut tx,
        &second,
        verification_id,
        Lease {
            owner: "gone",
            until: at(0),
        }
    )
    .await
    .unwrap());
    tx.commit().await.unwrap();
    verifications::start(
        &db,
        &NewVerification {
            id: verification_id,
            client_id: pairs[1].0.parse().unwrap(),
            coverage_id: pairs[1].1.parse().unwrap(),
            payer_id: payer.parse().unwrap(),
            parent_id: None,
            requested_by: app.admissions_id.clone(),
            program: "mental_health".to_string(),
            levels_of_care: "PHP".to_string(),
            service_date: Utc::now().date_naive(),
        },
    )
    .await
    .unwrap();
    let mut tx = db.begin().await.unwrap();
    let stopped = Completion {
        status: "payer_error".into(),
        error_kind: Some(batches::CIRCUIT_OPEN.into()),
        error_detail: Some("circuit open".into()),
        ..Completion::default()
    };
    verifications::complete(&mut tx, verification_id, &stopped)
        .await
        .unwrap();
    assert_eq!(batches::recover(&mut tx, at(2)).await.unwrap(), 1);
    let (batch, shown) = batches::find(&mut tx, batch_id).await.unwrap().unwrap();
    assert_eq!((batch.pending, batch.waiting), (2, 1));
    assert_eq!(shown[1].status, "waiting");
    assert_eq!(shown[1].verification_id, None);
    assert_eq!(
        shown[1].waiting_since.map(|t| t.timestamp()),
        Some(at(-20).timestamp())
    );
    assert!(verifications::find(&mut tx, verification_id)
        .await
        .unwrap()
        .is_some());
    tx.commit().await.unwrap();
}
