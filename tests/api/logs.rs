//! Application logs carry ids, never names, birth dates or member ids.

use serde_json::json;

use crate::helpers::{client_body, coverage_body, logged, spawn_app};

#[tokio::test]
async fn no_client_name_or_member_id_reaches_the_log() {
    let app = spawn_app().await;
    // Names no other test uses, so any occurrence in the shared log is from this test.
    let first = "Quillonette";
    let last = "Vandersnoot";
    let member = "ZQX9981772";
    let mut body = client_body();
    body["first_name"] = json!(first);
    body["last_name"] = json!(last);
    let client = app.create_client(body).await;
    let id = client["id"].as_str().unwrap();
    let payer = app.create_payer().await;
    let mut coverage = coverage_body(payer["id"].as_str().unwrap());
    coverage["member_id"] = json!(member);
    app.post(&format!("/api/v1/clients/{id}/coverages"))
        .token(&app.admissions)
        .json(coverage)
        .expect(201)
        .await;
    app.get(&format!("/api/v1/clients?name={last}"))
        .token(&app.billing)
        .expect(200)
        .await;
    app.get(&format!("/api/v1/clients/{id}"))
        .token(&app.billing)
        .expect(200)
        .await;
    // A refused request echoes nothing either.
    app.post("/api/v1/clients")
        .token(&app.admissions)
        .json(json!({"first_name": first, "last_name": last, "sex": "Q"}))
        .expect(422)
        .await;

    let logs = logged();
    assert!(
        logs.contains(id),
        "the test should see this request's log lines"
    );
    for secret in [first, last, member] {
        assert!(
            !logs.contains(secret),
            "{secret} appeared in the application log"
        );
    }
}
