//! Verification batches: background work, progress, and no item lost or asked twice across a
//! payer outage and a restart of the service.

use std::time::{Duration, Instant};

use chrono::Utc;
use perdiem::domain::ids::new_id;
use perdiem::domain::role::Role;
use perdiem::mock_payer::{self, Scenarios, X12_PATH};
use perdiem::store::batches::{self, Lease, NewItem};
use perdiem::store::users;
use serde_json::{json, Value};

use crate::helpers::{client_body, coverage_body, fresh_db, start_on, test_settings, TestApp};

async fn payer_and_coverages(app: &TestApp, url: &str, members: &[&str]) -> Vec<(String, String)> {
    app.set_up_clinic().await;
    let payer = app
        .post("/api/v1/payers")
        .token(&app.admin)
        .json(json!({"name": "Mock", "payer_id": "MOCKBATCH", "connection": {"protocol": "x12", "endpoint_url": url, "timeout_seconds": 5}}))
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
    let user = users::insert(&mut tx, new_id(), "lease", "x", &[Role::Admissions])
        .await
        .unwrap();
    let item = NewItem {
        client_id: new_id().to_string(),
        coverage_id: new_id().to_string(),
        levels_of_care: r#"["IOP"]"#.to_string(),
        program: "mental_health".to_string(),
        service_date: Utc::now().date_naive(),
        force: false,
    };
    batches::insert(&mut tx, new_id(), &user.id.to_string(), &[item])
        .await
        .unwrap();
    let item = batches::pending(&mut tx, 10).await.unwrap().remove(0);
    let now = Utc::now();
    let lease = |owner, seconds| Lease {
        owner,
        until: now + chrono::Duration::seconds(seconds),
    };

    let first_verification = new_id().to_string();
    assert!(
        batches::claim(&mut tx, &item.id, &first_verification, lease("a", 30))
            .await
            .unwrap()
    );
    assert!(
        !batches::claim(&mut tx, &item.id, &new_id().to_string(), lease("b", 30))
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
    let second_verification = new_id().to_string();
    assert!(
        batches::claim(&mut tx, &item.id, &second_verification, lease("b", 30))
            .await
            .unwrap()
    );
    assert!(
        !batches::finish(
            &mut tx,
            &item.id,
            Some(&first_verification),
            None,
            Some("a")
        )
        .await
        .unwrap(),
        "the worker whose lease lapsed records nothing"
    );
    assert!(batches::finish(
        &mut tx,
        &item.id,
        Some(&second_verification),
        None,
        Some("b")
    )
    .await
    .unwrap());
    assert_eq!(batches::renew(&mut tx, lease("b", 90)).await.unwrap(), 0);
    let (_, items) = batches::find(&mut tx, &again[0].batch_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(items[0].status, "done");
    assert_eq!(
        items[0].verification_id.as_deref(),
        Some(second_verification.as_str())
    );
    tx.commit().await.unwrap();
}
