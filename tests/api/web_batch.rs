//! Tomorrow's assessments without a browser: a list matched, entered or refused line by line,
//! the batch it starts worked to the end, the roles and the CSRF check; and a coverage added to
//! a client on file.

use std::time::{Duration, Instant};

use perdiem::mock_payer::{self, Scenarios, X12_PATH};
use serde_json::{json, Value};

use crate::helpers::{client_body, id_of, spawn_app, TestApp};
use crate::web_support::{Visitor, WebPage};

/// The audit events of `entity_id` as the admin reads them through the API.
async fn audited(app: &TestApp, entity_id: &str) -> Vec<Value> {
    let page = app
        .get(&format!("/api/v1/audit?entity_id={entity_id}"))
        .token(&app.admin)
        .expect(200)
        .await
        .body;
    page["items"].as_array().unwrap().clone()
}

fn actions(events: &[Value], entity_type: &str) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["entity_type"] == entity_type)
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

/// The clients the API finds by `name`.
async fn clients_named(app: &TestApp, name: &str) -> Vec<Value> {
    app.get(&format!("/api/v1/clients?name={name}"))
        .token(&app.admissions)
        .expect(200)
        .await
        .body["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn coverages_of(app: &TestApp, client: &str) -> Vec<Value> {
    app.get(&format!("/api/v1/clients/{client}/coverages"))
        .token(&app.admissions)
        .expect(200)
        .await
        .body["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// The text of the element with `id` (its opening tag to the next closing `</tr>`).
fn row<'a>(page: &'a WebPage, id: &str) -> &'a str {
    let at = page
        .body
        .find(&format!(r#"id="{id}""#))
        .unwrap_or_else(|| panic!("no {id} in {}", page.body));
    let rest = &page.body[at..];
    &rest[..rest.find("</tr>").unwrap_or(rest.len())]
}

/// The batch a page links to.
fn batch_path(page: &WebPage) -> String {
    let marker = r#"data-poll-done=""#;
    let at = page.body.find(marker).expect("a batch being worked") + marker.len();
    page.body[at..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn a_list_is_matched_entered_or_refused_by_line_and_its_batch_runs_to_the_end() {
    let app = spawn_app().await;
    let mock = mock_payer::start(Scenarios::bundled().unwrap(), "127.0.0.1", 0)
        .await
        .unwrap();
    // Ana Lopez (04/12/1988) on file with her Mock Health Plan card.
    let (ana, ana_coverage, _) =
        crate::verifications::set_up(&app, "x12", &mock.url(X12_PATH), "MOCK-COPAY").await;
    // Two clients named Sam Twin born the same day: an ambiguity.
    for _ in 0..2 {
        let mut twin = client_body();
        twin["first_name"] = json!("Sam");
        twin["last_name"] = json!("Twin");
        twin["date_of_birth"] = json!("1990-01-01");
        app.create_client(twin).await;
    }
    let mut visitor = Visitor::signed_in(&app, "admissions").await;
    let form = visitor.get("/batches").await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains("No batch yet."));
    let token = form.csrf_token();
    let key = form.field("submission");
    let csv = "First Name , LAST_NAME,DOB,Payer,Member ID,Levels,Program\n\
               ana , LOPEZ,04/12/1988,Mock Health Plan,mock-copay,PHP,\n\
               Ben,Diaz,1975-02-03,mock health plan,MOCK-INACTIVE,IOP,substance use\n\
               Sam,Twin,01/01/1990,Mock Health Plan,MOCK-COPAY,,\n\
               Cy,Ng,01/02/1899,Mock Health Plan,MOCK-COPAY,,\n\
               Dee,Ray,02/02/1980,Nobody Health,MOCK-COPAY,,\n\
               Eve,Fox,02/02/1980,Mock Health Plan,,,\n";
    let started = visitor
        .post(
            "/batches",
            &[
                ("csrf_token", &token),
                ("submission", &key),
                ("csv", csv),
                ("service_date", "11/23/2026"),
            ],
        )
        .await;
    assert_eq!(started.status, 200, "{}", started.body);
    let notice = row(&started, "intake-outcome");
    assert!(
        notice.contains(
            "6 callers listed: 1 matched to a client and coverage on file, 1 entered as new \
             clients, 0 new coverages for clients on file; 4 not verified."
        ),
        "{notice}"
    );
    assert!(row(&started, "line-4").contains("2 clients have this name and birth date"));
    assert!(row(&started, "line-4").contains("Sam,Twin,01/01/1990"));
    assert!(row(&started, "line-5").contains("must not be before 1900-01-01"));
    assert!(row(&started, "line-6").contains("no payer is named"));
    assert!(row(&started, "line-7").contains("member id: missing"));
    assert!(!started.body.contains(r#"id="line-2""#));

    // Ana was matched, not entered again; Ben was entered with his coverage, as the holder.
    assert_eq!(clients_named(&app, "lopez").await.len(), 1);
    assert_eq!(coverages_of(&app, &ana).await.len(), 1);
    assert_eq!(clients_named(&app, "twin").await.len(), 2);
    assert!(clients_named(&app, "ng").await.is_empty());
    assert!(clients_named(&app, "ray").await.is_empty());
    let ben = clients_named(&app, "diaz").await;
    assert_eq!(ben.len(), 1);
    assert_eq!(ben[0]["sex"], "U");
    let ben = ben[0]["id"].as_str().unwrap().to_string();
    let ben_coverages = coverages_of(&app, &ben).await;
    assert_eq!(ben_coverages.len(), 1);
    assert_eq!(ben_coverages[0]["member_id"], "MOCK-INACTIVE");
    assert_eq!(ben_coverages[0]["relationship"], "self");
    assert_eq!(ben_coverages[0]["priority"], "primary");
    let ben_coverage = id_of(&ben_coverages[0]);

    // Audited: Ben's records created, Ana's read, by the admissions user.
    let admissions = app.keys.verify(&app.admissions).unwrap().sub;
    let events = audited(&app, &ben).await;
    assert!(actions(&events, "client").contains(&"create".to_string()));
    assert!(events.iter().all(|e| e["user_id"] == json!(admissions)));
    assert!(actions(&audited(&app, &ben_coverage).await, "coverage").contains(&"create".into()));
    assert!(actions(&audited(&app, &ana).await, "client").contains(&"read".into()));
    assert!(actions(&audited(&app, &ana_coverage).await, "coverage").contains(&"read".into()));

    // The progress fragment, until the worker is done; then the results, a chip per caller.
    let path = batch_path(&started);
    let batch_id = path.strip_prefix("/batches/").unwrap().to_string();
    assert!(
        actions(&audited(&app, &batch_id).await, "verification_batch").contains(&"create".into())
    );
    let begun = Instant::now();
    loop {
        let progress = visitor.get(&format!("{path}/progress")).await;
        assert_eq!(progress.status, 200, "{}", progress.body);
        assert!(progress.body.contains("<progress"), "{}", progress.body);
        assert!(!progress.body.contains("<html"), "a fragment, not a page");
        assert!(!progress.body.contains("Lopez"), "counts only");
        if progress.body.contains("data-finished") {
            assert!(progress.body.contains(r#"value="2""#), "{}", progress.body);
            break;
        }
        assert!(
            begun.elapsed() < Duration::from_secs(60),
            "batch stuck: {}",
            progress.body
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let results = visitor.get(&path).await;
    assert_eq!(results.status, 200, "{}", results.body);
    assert!(
        !results.body.contains("data-poll="),
        "finished: no more polling"
    );
    let first = row(&results, "item-1");
    assert!(
        first.contains("Ana Lopez") && first.contains("PHP"),
        "{first}"
    );
    assert!(
        first.contains(r#"<span class="chip ok">Active</span>"#),
        "{first}"
    );
    assert!(first.contains(r#"href="/verifications/"#), "{first}");
    let second = row(&results, "item-2");
    assert!(
        second.contains("Ben Diaz") && second.contains("Substance use"),
        "{second}"
    );
    assert!(
        second.contains(r#"<span class="chip bad">Inactive</span>"#),
        "{second}"
    );
    // The chip opens the verification's result page.
    let result = second.split(r#"href="/verifications/"#).nth(1).unwrap();
    let result = format!("/verifications/{}", result.split('"').next().unwrap());
    let page = visitor.get(&result).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Inactive"), "{}", page.body);
    // Listed among the recent batches, finished.
    let form = visitor.get("/batches").await;
    assert!(form.body.contains(&format!(r#"href="{path}""#)));
    assert!(form.body.contains("2 of 2 answered"));

    // The same list again matches everyone it entered the first time: nobody twice.
    let token = form.csrf_token();
    let key = form.field("submission");
    let again = visitor
        .post(
            "/batches",
            &[("csrf_token", &token), ("submission", &key), ("csv", csv)],
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert!(
        row(&again, "intake-outcome").contains("2 matched to a client and coverage on file, 0"),
        "{}",
        row(&again, "intake-outcome")
    );
    assert_eq!(clients_named(&app, "diaz").await.len(), 1);
    assert_eq!(coverages_of(&app, &ben).await.len(), 1);
    mock.stop().await;
}

#[tokio::test]
async fn a_list_without_its_csrf_token_or_its_header_changes_nothing() {
    let app = spawn_app().await;
    app.create_payer().await;
    let mut visitor = Visitor::signed_in(&app, "admissions").await;
    let csv = "first name,last name,birth date,payer,member id\n\
               Ben,Diaz,02/03/1975,Blue Plan of Texas,XYZ123\n";
    let forged = visitor
        .post("/batches", &[("csv", csv), ("csrf_token", "forged")])
        .await;
    assert_eq!(forged.status, 403);
    assert!(forged.body.contains("Nothing was changed"));
    assert!(clients_named(&app, "diaz").await.is_empty());

    let token = visitor.get("/batches").await.csrf_token();
    let headless = visitor
        .post(
            "/batches",
            &[
                ("csrf_token", &token),
                ("csv", "Ben,Diaz,02/03/1975,Blue Plan of Texas,XYZ123\n"),
            ],
        )
        .await;
    assert_eq!(headless.status, 422, "{}", headless.body);
    assert!(headless.body.contains(r#"id="f-csv-error""#));
    assert!(headless.body.contains("lacks: first name, last name"));
    let undated = visitor
        .post(
            "/batches",
            &[
                ("csrf_token", &token),
                ("csv", csv),
                ("service_date", "04/31/2026"),
            ],
        )
        .await;
    assert_eq!(undated.status, 422);
    assert!(undated.body.contains(r#"id="f-service_date-error""#));
    assert!(clients_named(&app, "diaz").await.is_empty());
}

#[tokio::test]
async fn billing_cannot_start_a_batch_but_reads_one() {
    let app = spawn_app().await;
    let payer = id_of(&app.create_payer().await);
    let client = id_of(&app.create_client(client_body()).await);
    let coverage = id_of(&app.create_coverage(&client, &payer).await);
    let batch = app
        .post("/api/v1/verification-batches")
        .token(&app.admissions)
        .json(
            json!({"items": [{"client_id": client, "coverage_id": coverage,
                     "levels_of_care": ["IOP"], "program": "mental_health"}]}),
        )
        .expect(202)
        .await
        .body;
    let mut visitor = Visitor::signed_in(&app, "billing").await;
    let refused = visitor.get("/batches").await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("Not available to your role"));
    let home = visitor.get("/").await;
    assert!(
        !home.body.contains("Tomorrow&#39;s assessments")
            && !home.body.contains("Tomorrow's assessments")
    );
    let token = home.csrf_token();
    let posted = visitor
        .post("/batches", &[("csrf_token", &token), ("csv", "x")])
        .await;
    assert_eq!(posted.status, 403);
    // A batch an API client started is shown to billing, with the caller's name audited.
    let shown = visitor
        .get(&format!("/batches/{}", batch["id"].as_str().unwrap()))
        .await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert!(shown.body.contains("Ana Lopez"));
    let billing = app.keys.verify(&app.billing).unwrap().sub;
    assert!(audited(&app, &client)
        .await
        .iter()
        .any(|e| e["action"] == "read" && e["user_id"] == json!(billing)));
    let unknown = visitor
        .get("/batches/0194f1d2-6a4e-7c1b-9a53-2d2f5c9e8a10")
        .await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn a_coverage_is_added_to_a_client_on_file_with_each_error_beside_its_field() {
    let app = spawn_app().await;
    let payer = id_of(&app.create_payer().await);
    let client = id_of(&app.create_client(client_body()).await);
    let mut visitor = Visitor::signed_in(&app, "admissions").await;
    let page = visitor.get(&format!("/clients/{client}")).await;
    assert!(page.body.contains("Add a coverage"));
    assert!(
        page.body.contains("Blue Plan of Texas"),
        "the payer pick list"
    );
    let token = page.csrf_token();
    let path = format!("/clients/{client}/coverages");
    let refused = visitor
        .post(
            &path,
            &[
                ("csrf_token", &token),
                ("payer_id", &payer),
                ("member_id", "XYZ 123!"),
                ("group_number", "GRP-7"),
                ("relationship", "spouse"),
                ("priority", "primary"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains(r#"id="f-member_id-error""#));
    assert!(
        refused.body.contains(r#"value="XYZ 123!""#),
        "keeps what was typed"
    );
    assert!(refused
        .body
        .contains("is required when the client is not the subscriber"));
    assert!(refused
        .body
        .contains(r#"<details class="card" id="add-coverage" open>"#));
    assert!(coverages_of(&app, &client).await.is_empty());

    let added = visitor
        .post(
            &path,
            &[
                ("csrf_token", &token),
                ("payer_id", &payer),
                ("member_id", "XYZ123456789"),
                ("group_number", "GRP-7"),
                ("relationship", "self"),
                ("priority", "primary"),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    assert_eq!(
        added.header("location"),
        format!("/clients/{client}#insurance")
    );
    let coverages = coverages_of(&app, &client).await;
    assert_eq!(coverages.len(), 1);
    assert_eq!(coverages[0]["group_number"], "GRP-7");
    assert!(
        actions(&audited(&app, &id_of(&coverages[0])).await, "coverage")
            .contains(&"create".to_string())
    );
    let page = visitor.get(&format!("/clients/{client}")).await;
    assert!(
        page.body.contains("Verify with the payer"),
        "verifiable now"
    );

    // Billing reads the page but adds nothing.
    let mut billing = Visitor::signed_in(&app, "billing").await;
    let read = billing.get(&format!("/clients/{client}")).await;
    assert!(!read.body.contains("Add a coverage"));
    let token = read.csrf_token();
    let refused = billing
        .post(
            &path,
            &[
                ("csrf_token", &token),
                ("payer_id", &payer),
                ("member_id", "XYZ999"),
                ("relationship", "self"),
                ("priority", "secondary"),
            ],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(coverages_of(&app, &client).await.len(), 1);
}

/// The batches on file, newest first, as the store lists them.
async fn batch_ids(app: &TestApp) -> Vec<String> {
    let mut tx = app.db.read_each().await.unwrap();
    let recent = perdiem::store::batches::recent(&mut tx, 100).await.unwrap();
    tx.commit().await.unwrap();
    recent
        .iter()
        .map(|(batch, _)| batch.id.to_string())
        .collect()
}

#[tokio::test]
async fn the_same_list_form_posted_twice_starts_one_batch_and_both_answers_lead_to_it() {
    let app = spawn_app().await;
    app.create_payer().await;
    let mut visitor = Visitor::signed_in(&app, "admissions").await;
    let csv = "first name,last name,birth date,payer,member id\n\
               Ben,Diaz,02/03/1975,Blue Plan of Texas,XYZ123\n";
    let form = visitor.get("/batches").await;
    let (token, key) = (form.csrf_token(), form.field("submission"));
    assert!(!key.is_empty());
    let fields = [("csrf_token", &*token), ("submission", &*key), ("csv", csv)];

    let first = visitor.post("/batches", &fields).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let path = batch_path(&first);
    assert!(
        first.body.contains(&format!(r#"data-address="{path}""#)),
        "the answer names its own address for the script"
    );
    // The same form again (a reload of the answer, a second click): the first batch.
    let second = visitor.post("/batches", &fields).await;
    assert_eq!(second.status, 303, "{}", second.body);
    assert_eq!(second.header("location"), path);
    let shown = visitor.get(second.header("location")).await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert!(shown.body.contains("Ben Diaz"));
    assert_eq!(batch_ids(&app).await.len(), 1);
    assert_eq!(clients_named(&app, "diaz").await.len(), 1);

    // Two posts of one form at once: one batch, and both answers lead to it.
    let form = visitor.get("/batches").await;
    let (token, key) = (form.csrf_token(), form.field("submission"));
    let fields = [("csrf_token", &*token), ("submission", &*key), ("csv", csv)];
    let mut twin = Visitor::new(&app);
    twin.cookie = visitor.cookie.clone();
    let (a, b) = tokio::join!(
        visitor.post("/batches", &fields),
        twin.post("/batches", &fields)
    );
    let batches = batch_ids(&app).await;
    assert_eq!(batches.len(), 2, "one new batch for the form posted twice");
    let newest = format!("/batches/{}", batches[0]);
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 303], "{} / {}", a.body, b.body);
    for answer in [&a, &b] {
        match answer.status {
            200 => assert_eq!(batch_path(answer), newest),
            _ => assert_eq!(answer.header("location"), newest),
        }
    }
    assert_eq!(clients_named(&app, "diaz").await.len(), 1);

    // A fresh form: a new batch.
    let form = visitor.get("/batches").await;
    let fresh = form.field("submission");
    assert_ne!(fresh, key);
    let third = visitor
        .post(
            "/batches",
            &[
                ("csrf_token", &form.csrf_token()),
                ("submission", &fresh),
                ("csv", csv),
            ],
        )
        .await;
    assert_eq!(third.status, 200, "{}", third.body);
    assert_ne!(batch_path(&third), path);
    assert_eq!(batch_ids(&app).await.len(), 3);

    // A form without its key starts nothing; it comes back with the list and a key.
    let keyless = visitor
        .post(
            "/batches",
            &[("csrf_token", &form.csrf_token()), ("csv", csv)],
        )
        .await;
    assert_eq!(keyless.status, 422, "{}", keyless.body);
    assert!(keyless.body.contains("out of date"), "{}", keyless.body);
    assert!(keyless.body.contains("Ben,Diaz,02/03/1975"));
    assert!(!keyless.field("submission").is_empty());
    assert_eq!(batch_ids(&app).await.len(), 3);
}

#[tokio::test]
async fn ended_sessions_and_old_form_keys_are_swept_without_a_sign_in() {
    use perdiem::web::session::Lifetime;
    use perdiem::web::sweep;

    let app = spawn_app().await;
    app.create_payer().await;
    let mut visitor = Visitor::signed_in(&app, "admissions").await;
    let form = visitor.get("/batches").await;
    let started = visitor
        .post(
            "/batches",
            &[
                ("csrf_token", &form.csrf_token()),
                ("submission", &form.field("submission")),
                (
                    "csv",
                    "first name,last name,birth date,payer,member id\n\
                     Ben,Diaz,02/03/1975,Blue Plan of Texas,XYZ123\n",
                ),
            ],
        )
        .await;
    assert_eq!(started.status, 200, "{}", started.body);
    let lifetime = Lifetime {
        idle: chrono::Duration::minutes(30),
        absolute: chrono::Duration::hours(12),
    };
    let now = chrono::Utc::now();
    let kept = sweep::once(&app.db, lifetime, now).await.unwrap();
    assert_eq!(
        kept.submission_keys, 0,
        "a key as young as its session stays"
    );
    assert_eq!(visitor.get("/batches").await.status, 200, "still signed in");

    // An hour idle: the session goes; half a day on, the form's key goes too.
    let swept = sweep::once(&app.db, lifetime, now + chrono::Duration::hours(1))
        .await
        .unwrap();
    assert!(swept.sessions >= 1, "{swept:?}");
    assert_eq!(swept.submission_keys, 0);
    let gone = visitor.get("/batches").await;
    assert_eq!(gone.status, 303, "signed out by the sweep");
    let swept = sweep::once(&app.db, lifetime, now + chrono::Duration::hours(13))
        .await
        .unwrap();
    assert_eq!(swept.submission_keys, 1, "{swept:?}");
}
