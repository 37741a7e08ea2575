//! The admissions screens without a browser: audit, search, enrollment, roles.

use serde_json::json;

use crate::helpers::{client_body, id_of, spawn_app, TestApp};
use crate::web_support::Visitor;

/// The audit events of `entity_id` as the admin reads them through the API.
async fn audited(app: &TestApp, entity_id: &str) -> Vec<serde_json::Value> {
    let page = app
        .get(&format!("/api/v1/audit?entity_id={entity_id}"))
        .token(&app.admin)
        .expect(200)
        .await
        .body;
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_client_page_view_writes_an_audit_row() {
    let app = spawn_app().await;
    let client = id_of(&app.create_client(client_body()).await);
    let before = audited(&app, &client).await.len();
    let mut visitor = Visitor::signed_in(&app, "billing").await;
    let page = visitor.get(&format!("/clients/{client}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Lopez"));
    let events = audited(&app, &client).await;
    assert_eq!(events.len(), before + 1, "{events:#?}");
    let read = events
        .iter()
        .find(|e| e["action"] == "read" && e["entity_type"] == "client")
        .expect("a read of the client");
    let billing = app.keys.verify(&app.billing).unwrap().sub;
    assert_eq!(read["user_id"], json!(billing));
    // Billing reads, but does not ask payers or enroll.
    assert!(!page.body.contains("/verify\""));
    assert_eq!(visitor.get("/clients/new").await.status, 403);
}

#[tokio::test]
async fn a_search_by_name_is_posted_and_audits_what_it_lists() {
    let app = spawn_app().await;
    let client = id_of(&app.create_client(client_body()).await);
    let mut visitor = Visitor::signed_in(&app, "admissions").await;
    let token = visitor.get("/clients").await.csrf_token();
    let found = visitor
        .post(
            "/clients/search",
            &[
                ("csrf_token", &token),
                ("name", "lop"),
                ("date_of_birth", "04/12/1988"),
            ],
        )
        .await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert!(found.body.contains(&format!("/clients/{client}")));
    assert!(found.body.contains("04/12/1988"));
    assert!(audited(&app, &client)
        .await
        .iter()
        .any(|e| e["action"] == "read"));
    let none = visitor
        .post("/clients/search", &[("csrf_token", &token), ("name", "zz")])
        .await;
    assert!(none.body.contains("No client matches"));
    let empty = visitor
        .post("/clients/search", &[("csrf_token", &token)])
        .await;
    assert_eq!(empty.status, 422);
    assert!(empty
        .body
        .contains("enter a name, a record number or a birth date"));
}

#[tokio::test]
async fn enrollment_keeps_what_was_typed_and_puts_each_error_beside_its_field() {
    let app = spawn_app().await;
    let payer = id_of(&app.create_payer().await);
    let mut visitor = Visitor::signed_in(&app, "admissions").await;
    let form = visitor.get("/clients/new").await;
    assert!(
        form.body.contains("Blue Plan of Texas"),
        "the payer pick list"
    );
    let token = form.csrf_token();
    let refused = visitor
        .post(
            "/clients/new",
            &[
                ("csrf_token", &token),
                ("first_name", "Ana"),
                ("last_name", "Lopez"),
                ("date_of_birth", "13/45/1988"),
                ("sex", "F"),
                ("payer_id", &payer),
                ("member_id", "XYZ 123!"),
                ("relationship", "child"),
                ("priority", "primary"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains(r#"value="Ana""#),
        "keeps what was typed"
    );
    assert!(refused.body.contains(r#"value="XYZ 123!""#));
    for field in ["date_of_birth", "member_id"] {
        assert!(
            refused.body.contains(&format!(r#"id="f-{field}-error""#)),
            "{field} error beside the field"
        );
    }
    assert!(refused
        .body
        .contains("is required when the client is not the subscriber"));
    assert!(refused.body.contains("enter the date as MM/DD/YYYY"));

    let enrolled = visitor
        .post(
            "/clients/new",
            &[
                ("csrf_token", &token),
                ("first_name", "Ana"),
                ("last_name", "Lopez"),
                ("date_of_birth", "04/12/1988"),
                ("sex", "F"),
                ("payer_id", &payer),
                ("member_id", "XYZ123456789"),
                ("relationship", "self"),
                ("priority", "primary"),
            ],
        )
        .await;
    assert_eq!(enrolled.status, 303, "{}", enrolled.body);
    let location = enrolled.header("location").to_string();
    let client = location.strip_prefix("/clients/").unwrap();
    let coverages = app
        .get(&format!("/api/v1/clients/{client}/coverages"))
        .token(&app.admissions)
        .expect(200)
        .await
        .body;
    assert_eq!(coverages["items"][0]["member_id"], "XYZ123456789");
    let page = visitor.get(&location).await;
    assert!(page.body.contains("Verify with the payer"));
    assert!(audited(&app, client)
        .await
        .iter()
        .any(|e| e["action"] == "create"));
}

#[tokio::test]
async fn a_verification_without_a_payer_connection_is_explained_beside_the_form() {
    let app = spawn_app().await;
    app.set_up_clinic().await;
    let payer = id_of(&app.create_payer().await);
    let client = id_of(&app.create_client(client_body()).await);
    let coverage = id_of(&app.create_coverage(&client, &payer).await);
    let mut visitor = Visitor::signed_in(&app, "admissions").await;
    let page = visitor.get(&format!("/clients/{client}")).await;
    let token = page.csrf_token();
    let refused = visitor
        .post(
            &format!("/clients/{client}/verify"),
            &[
                ("csrf_token", &token),
                ("coverage_id", &coverage),
                ("iop", "on"),
                ("program", "mental_health"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("has no eligibility connection"),
        "{}",
        refused.body
    );
}

#[tokio::test]
async fn a_rejected_verification_says_what_to_do_next_and_joins_the_history() {
    let app = spawn_app().await;
    let mock = perdiem::mock_payer::start(
        perdiem::mock_payer::Scenarios::bundled().unwrap(),
        "127.0.0.1",
        0,
    )
    .await
    .unwrap();
    let (client, coverage, _) = crate::verifications::set_up(
        &app,
        "x12",
        &mock.url(perdiem::mock_payer::X12_PATH),
        "MOCK-BADID",
    )
    .await;
    let mut visitor = Visitor::signed_in(&app, "admissions").await;
    let token = visitor
        .get(&format!("/clients/{client}"))
        .await
        .csrf_token();
    let asked = visitor
        .post(
            &format!("/clients/{client}/verify"),
            &[
                ("csrf_token", &token),
                ("coverage_id", &coverage),
                ("iop", "on"),
                ("php", "on"),
                ("program", "mental_health"),
                ("service_date", "11/23/2026"),
            ],
        )
        .await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    let result = visitor.get(asked.header("location")).await;
    assert_eq!(result.status, 200);
    assert!(result.body.contains("Rejected by payer"), "{}", result.body);
    assert!(result.body.contains("Check the member id on the caller"));
    assert!(result.body.contains("(code 72)"));
    let page = visitor.get(&format!("/clients/{client}")).await;
    let id = asked
        .header("location")
        .strip_prefix("/verifications/")
        .unwrap();
    assert!(
        page.body.contains(&format!("/verifications/{id}")),
        "in the history"
    );
    // The verification was asked through the service, audited with its completion.
    assert!(audited(&app, id)
        .await
        .iter()
        .any(|e| e["action"] == "create"));
}

#[tokio::test]
async fn a_recent_answer_is_reused_unless_staff_ask_the_payer_again() {
    let app = spawn_app().await;
    let mock = perdiem::mock_payer::start(
        perdiem::mock_payer::Scenarios::bundled().unwrap(),
        "127.0.0.1",
        0,
    )
    .await
    .unwrap();
    let (client, coverage, _) = crate::verifications::set_up(
        &app,
        "x12",
        &mock.url(perdiem::mock_payer::X12_PATH),
        "MOCK-COPAY",
    )
    .await;
    let mut visitor = Visitor::signed_in(&app, "admissions").await;
    let token = visitor
        .get(&format!("/clients/{client}"))
        .await
        .csrf_token();
    let path = format!("/clients/{client}/verify");
    let fields = |fresh: &'static str| {
        [
            ("csrf_token", token.clone()),
            ("coverage_id", coverage.clone()),
            ("php", "on".to_string()),
            ("program", "mental_health".to_string()),
            ("fresh", fresh.to_string()),
        ]
    };
    let mut ask = async |fresh: &'static str| {
        let fields = fields(fresh);
        // An unchecked box is not sent at all.
        let sent: Vec<(&str, &str)> = fields
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        let reply = visitor.post(&path, &sent).await;
        assert_eq!(reply.status, 303, "{}", reply.body);
        reply.header("location").to_string()
    };
    let first = ask("").await;
    let again = ask("").await;
    assert_eq!(first, again, "the stored answer");
    let fresh = ask("on").await;
    assert_ne!(first, fresh, "asked again");
}

#[tokio::test]
async fn an_enrollment_posted_without_its_csrf_token_stores_nothing() {
    let app = spawn_app().await;
    let payer = id_of(&app.create_payer().await);
    let mut visitor = Visitor::signed_in(&app, "admissions").await;
    let fields = [
        ("first_name", "Ana"),
        ("last_name", "Lopez"),
        ("date_of_birth", "04/12/1988"),
        ("sex", "F"),
        ("payer_id", payer.as_str()),
        ("member_id", "XYZ123456789"),
        ("relationship", "self"),
        ("priority", "primary"),
    ];
    let refused = visitor.post("/clients/new", &fields).await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("Nothing was changed"));
    let clients = app
        .get("/api/v1/clients?name=lopez")
        .token(&app.admissions)
        .expect(200)
        .await
        .body;
    assert_eq!(clients["total"], 0);
}
