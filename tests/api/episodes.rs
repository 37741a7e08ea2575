//! Episodes of care: recorded, read and corrected by admissions and billing; diagnoses in
//! canonical form; never two episodes of one client on the same day; every access audited.

use serde_json::{json, Value};

use crate::helpers::{client_body, logged, spawn_app, Reply, TestApp};

async fn new_client(app: &TestApp) -> String {
    let client = app.create_client(client_body()).await;
    client["id"].as_str().unwrap().to_string()
}

fn episodes_path(client_id: &str) -> String {
    format!("/api/v1/clients/{client_id}/episodes")
}

fn path(episode: &Value) -> String {
    format!(
        "{}/{}",
        episodes_path(episode["client_id"].as_str().unwrap()),
        episode["id"].as_str().unwrap()
    )
}

/// A discharged PHP-then-IOP episode, 2026-03-02 to 2026-04-24, with `changes` applied.
fn episode(changes: Value) -> Value {
    let mut body = json!({
        "admission_date": "2026-03-02",
        "discharge_date": "2026-04-24",
        "discharge_status": "01",
        "principal_diagnosis": "f331",
        "other_diagnoses": ["F41.1", "f1020"],
        "level_of_care_history": [
            {"level_of_care": "PHP", "from": "2026-03-02", "to": "2026-03-27"},
            {"level_of_care": "IOP", "from": "2026-03-30"}
        ],
        "referral_source": "Emergency department"
    });
    for (key, value) in changes.as_object().unwrap() {
        body[key] = value.clone();
    }
    body
}

async fn create(app: &TestApp, client_id: &str, body: Value, status: u16) -> Reply {
    app.post(&episodes_path(client_id))
        .token(&app.admissions)
        .json(body)
        .expect(status)
        .await
}

fn tomorrow() -> String {
    (chrono::Utc::now().date_naive() + chrono::Days::new(1)).to_string()
}

/// The 409 names the episode it overlaps, by id and dates.
fn assert_overlaps(reply: &Reply, other: &Value) {
    assert_eq!(reply.problem_type(), "urn:perdiem:problem:episode-overlap");
    let named = &reply.body["conflicting_episode"];
    assert_eq!(named["id"], other["id"]);
    assert_eq!(named["admission_date"], other["admission_date"]);
    assert_eq!(named["discharge_date"], other["discharge_date"]);
    let detail = reply.body["detail"].as_str().unwrap();
    assert!(detail.contains(other["id"].as_str().unwrap()), "{detail}");
    assert!(
        detail.contains(other["admission_date"].as_str().unwrap()),
        "{detail}"
    );
}

#[tokio::test]
async fn an_episode_is_recorded_in_canonical_form_read_and_listed() {
    let app = spawn_app().await;
    let client_id = new_client(&app).await;
    let reply = create(&app, &client_id, episode(json!({})), 201).await;
    let created = reply.body.clone();
    assert_eq!(reply.header("location").unwrap(), path(&created));
    assert_eq!(created["client_id"], client_id.as_str());
    assert_eq!(created["principal_diagnosis"], "F33.1");
    assert_eq!(created["other_diagnoses"], json!(["F41.1", "F10.20"]));
    assert_eq!(created["discharge_status"], "01");
    assert_eq!(
        created["level_of_care_history"],
        json!([
            {"level_of_care": "PHP", "from": "2026-03-02", "to": "2026-03-27"},
            {"level_of_care": "IOP", "from": "2026-03-30", "to": null}
        ])
    );
    assert_eq!(created["notes"], Value::Null);

    // Billing reads and writes them too.
    let read = app
        .get(&path(&created))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(read, created);
    let ongoing = app
        .post(&episodes_path(&client_id))
        .token(&app.billing)
        .json(
            json!({"admission_date": "2026-06-01", "principal_diagnosis": "F10.20",
                     "discharge_status": "30"}),
        )
        .expect(201)
        .await
        .body;
    assert_eq!(ongoing["discharge_date"], Value::Null);
    assert_eq!(ongoing["other_diagnoses"], json!([]));
    assert_eq!(ongoing["level_of_care_history"], json!([]));

    let page = app
        .get(&episodes_path(&client_id))
        .token(&app.admissions)
        .expect(200)
        .await
        .body;
    assert_eq!(page["total"], 2);
    let ids: Vec<&Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["id"])
        .collect();
    assert_eq!(
        ids,
        [&ongoing["id"], &created["id"]],
        "latest admission first"
    );
    let second = app
        .get(&format!("{}?limit=1&offset=1", episodes_path(&client_id)))
        .token(&app.admissions)
        .expect(200)
        .await
        .body;
    assert_eq!(second["items"][0]["id"], created["id"]);
    assert_eq!(second["limit"], 1);

    // Another client's episodes are not reached through this client.
    let other = new_client(&app).await;
    let elsewhere = format!(
        "{}/{}",
        episodes_path(&other),
        created["id"].as_str().unwrap()
    );
    app.get(&elsewhere).token(&app.billing).expect(404).await;
    let empty = app
        .get(&episodes_path(&other))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(empty["total"], 0);
}

#[tokio::test]
async fn an_unknown_client_is_a_404() {
    let app = spawn_app().await;
    let nobody = "0194f1d2-6a4e-7c1b-9a53-2d2f5c9e8a10";
    let reply = create(&app, nobody, episode(json!({})), 404).await;
    assert_eq!(reply.problem_type(), "urn:perdiem:problem:not-found");
    app.get(&episodes_path(nobody))
        .token(&app.billing)
        .expect(404)
        .await;
    app.get(&format!("{}/{nobody}", episodes_path(nobody)))
        .token(&app.billing)
        .expect(404)
        .await;
    app.patch(&format!("{}/{nobody}", episodes_path(nobody)))
        .token(&app.billing)
        .json(json!({"notes": "x"}))
        .expect(404)
        .await;
}

#[tokio::test]
async fn each_broken_rule_is_a_422_naming_its_field() {
    let app = spawn_app().await;
    let client_id = new_client(&app).await;
    let future = tomorrow();
    let cases = [
        (
            json!({"principal_diagnosis": "F3"}),
            vec!["principal_diagnosis"],
        ),
        (
            json!({"other_diagnoses": ["F41.1", "33.1"]}),
            vec!["other_diagnoses[1]"],
        ),
        (json!({"admission_date": future}), vec!["admission_date"]),
        (
            json!({"discharge_date": future, "level_of_care_history": []}),
            vec!["discharge_date"],
        ),
        (
            json!({"discharge_date": "2026-03-01", "level_of_care_history": []}),
            vec!["discharge_date"],
        ),
        (
            json!({"level_of_care_history": [
                {"level_of_care": "PHP", "from": "2026-03-02", "to": "2026-03-27"},
                {"level_of_care": "IOP", "from": "2026-03-20"}
            ]}),
            vec!["level_of_care_history[1].from"],
        ),
        (
            json!({"level_of_care_history": [
                {"level_of_care": "PHP", "from": "2026-03-02", "to": "2026-05-01"}
            ]}),
            vec!["level_of_care_history[0].to"],
        ),
        (
            json!({"other_diagnoses": ["F41.1", "f411"]}),
            vec!["other_diagnoses[1]"],
        ),
        (
            json!({"other_diagnoses": ["F33.1"]}),
            vec!["other_diagnoses[0]"],
        ),
        (json!({"discharge_status": "30"}), vec!["discharge_status"]),
        (
            json!({"principal_diagnosis": "F3", "admission_date": future,
                   "other_diagnoses": ["bad"], "level_of_care_history": []}),
            vec![
                "admission_date",
                "principal_diagnosis",
                "other_diagnoses[0]",
            ],
        ),
    ];
    for (changes, fields) in cases {
        let reply = create(&app, &client_id, episode(changes.clone()), 422).await;
        assert_eq!(reply.problem_type(), "urn:perdiem:problem:validation-error");
        assert_eq!(reply.error_fields(), fields, "{changes}");
    }
    let missing = create(&app, &client_id, json!({}), 422).await;
    assert_eq!(
        missing.error_fields(),
        ["admission_date", "principal_diagnosis"]
    );
    let total = app
        .get(&episodes_path(&client_id))
        .token(&app.billing)
        .expect(200)
        .await
        .body["total"]
        .clone();
    assert_eq!(total, 0, "nothing was stored");
}

#[tokio::test]
async fn an_overlapping_episode_is_refused_naming_the_other() {
    let app = spawn_app().await;
    let client_id = new_client(&app).await;
    let march = create(&app, &client_id, episode(json!({})), 201).await.body;
    // The discharge day is still in the episode.
    let reply = create(
        &app,
        &client_id,
        json!({"admission_date": "2026-04-24", "principal_diagnosis": "F33.1"}),
        409,
    )
    .await;
    assert_overlaps(&reply, &march);
    // The day after is free; an open (ongoing) episode then blocks anything later.
    let ongoing = create(
        &app,
        &client_id,
        json!({"admission_date": "2026-04-25", "principal_diagnosis": "F33.1"}),
        201,
    )
    .await
    .body;
    let later = create(
        &app,
        &client_id,
        json!({"admission_date": "2026-09-01", "discharge_date": "2026-09-30",
               "principal_diagnosis": "F33.1"}),
        409,
    )
    .await;
    assert_overlaps(&later, &ongoing);
    assert_eq!(
        later.body["conflicting_episode"]["discharge_date"],
        Value::Null
    );
    // An earlier stay ending the day before admission is fine; another client never conflicts.
    create(
        &app,
        &client_id,
        json!({"admission_date": "2026-01-05", "discharge_date": "2026-03-01",
               "principal_diagnosis": "F33.1"}),
        201,
    )
    .await;
    let other = new_client(&app).await;
    create(&app, &other, episode(json!({})), 201).await;
}

#[tokio::test]
async fn a_patch_discharges_clears_and_is_checked_for_overlap() {
    let app = spawn_app().await;
    let client_id = new_client(&app).await;
    let march = create(&app, &client_id, episode(json!({})), 201).await.body;
    let june = create(
        &app,
        &client_id,
        json!({"admission_date": "2026-06-01", "principal_diagnosis": "F10.20",
               "discharge_status": "30"}),
        201,
    )
    .await
    .body;
    let discharged = app
        .patch(&path(&june))
        .token(&app.billing)
        .json(
            json!({"discharge_date": "2026-06-26", "discharge_status": "07",
                     "other_diagnoses": ["f1120"], "notes": "Left AMA."}),
        )
        .expect(200)
        .await
        .body;
    assert_eq!(discharged["discharge_date"], "2026-06-26");
    assert_eq!(discharged["discharge_status"], "07");
    assert_eq!(discharged["other_diagnoses"], json!(["F11.20"]));
    assert_eq!(discharged["principal_diagnosis"], "F10.20", "kept");
    let cleared = app
        .patch(&path(&june))
        .token(&app.admissions)
        .json(json!({"other_diagnoses": null, "notes": null}))
        .expect(200)
        .await
        .body;
    assert_eq!(cleared["other_diagnoses"], json!([]));
    assert_eq!(cleared["notes"], Value::Null);

    // Moving the admission into the March episode is a 409 naming it; nothing changes.
    let reply = app
        .patch(&path(&june))
        .token(&app.admissions)
        .json(json!({"admission_date": "2026-04-20"}))
        .expect(409)
        .await;
    assert_overlaps(&reply, &march);
    // Its own dates never conflict with itself.
    app.patch(&path(&march))
        .token(&app.admissions)
        .json(json!({"admission_date": "2026-03-02"}))
        .expect(200)
        .await;
    // Rules of a new episode hold for the merged one.
    let reply = app
        .patch(&path(&june))
        .token(&app.admissions)
        .json(json!({"discharge_date": "2026-05-01", "principal_diagnosis": null}))
        .expect(422)
        .await;
    assert_eq!(reply.error_fields(), ["principal_diagnosis"]);
    let reply = app
        .patch(&path(&june))
        .token(&app.admissions)
        .json(json!({"discharge_date": "2026-05-01"}))
        .expect(422)
        .await;
    assert_eq!(reply.error_fields(), ["discharge_date"]);
    let unchanged = app
        .get(&path(&june))
        .token(&app.admissions)
        .expect(200)
        .await
        .body;
    assert_eq!(unchanged, cleared);
}

#[tokio::test]
async fn every_access_to_an_episode_is_audited_and_nothing_of_it_is_logged() {
    let app = spawn_app().await;
    let client_id = new_client(&app).await;
    // A note no other test uses, so any occurrence in the shared log is from this test.
    let note = "Quorvelline family session";
    let created = create(
        &app,
        &client_id,
        episode(json!({"notes": note, "principal_diagnosis": "Z63.8"})),
        201,
    )
    .await
    .body;
    let episode_id = created["id"].as_str().unwrap();
    app.get(&path(&created))
        .token(&app.admissions)
        .expect(200)
        .await;
    app.get(&episodes_path(&client_id))
        .token(&app.billing)
        .expect(200)
        .await;
    app.patch(&path(&created))
        .token(&app.billing)
        .json(json!({"referral_source": "Self"}))
        .expect(200)
        .await;
    // A refused write leaves nothing behind.
    app.patch(&path(&created))
        .token(&app.billing)
        .json(json!({"principal_diagnosis": "bad"}))
        .expect(422)
        .await;

    let events = app
        .get(&format!("/api/v1/audit?entity_id={episode_id}"))
        .token(&app.admin)
        .expect(200)
        .await
        .body;
    let items = events["items"].as_array().unwrap();
    let actions: Vec<&str> = items
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["update", "read", "read", "create"],
        "newest first"
    );
    assert!(items.iter().all(|e| e["entity_type"] == "episode"));
    assert_eq!(items[2]["user_id"], app.admissions_id.as_str());

    let logs = logged();
    assert!(
        logs.contains(episode_id),
        "this test's lines are in the log"
    );
    for secret in [note, "Z63.8", "Z638"] {
        assert!(!logs.contains(secret), "{secret} appeared in the log");
    }
}

#[tokio::test]
async fn concurrent_overlapping_episodes_cannot_both_be_recorded() {
    let app = spawn_app().await;
    let client_id = new_client(&app).await;
    let attempts = (0..6).map(|n| {
        app.post(&episodes_path(&client_id))
            .token(&app.admissions)
            .json(json!({"admission_date": format!("2026-03-0{}", n + 1),
                         "principal_diagnosis": "F33.1"}))
            .send()
    });
    let replies = futures_util::future::join_all(attempts).await;
    let mut statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409]);
}
