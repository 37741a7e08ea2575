//! A client's insurance, as read off the card.

use serde_json::json;

use crate::helpers::{client_body, coverage_body, spawn_app, TestApp};

async fn client_and_payer(app: &TestApp) -> (String, String) {
    let client = app.create_client(client_body()).await;
    let payer = app.create_payer().await;
    (
        client["id"].as_str().unwrap().to_string(),
        payer["id"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn a_coverage_is_created_listed_read_and_updated() {
    let app = spawn_app().await;
    let (client_id, payer_id) = client_and_payer(&app).await;
    let primary = app.create_coverage(&client_id, &payer_id).await;
    assert_eq!(primary["client_id"], client_id.as_str());
    assert_eq!(primary["subscriber"], json!(null));
    let mut body = coverage_body(&payer_id);
    body["priority"] = json!("secondary");
    body["relationship"] = json!("child");
    body["member_id"] = json!("PARENT-778");
    body["subscriber"] = json!({"first_name": "Maria", "last_name": "Lopez", "date_of_birth": "1960-02-01", "sex": "F"});
    let secondary = app
        .post(&format!("/api/v1/clients/{client_id}/coverages"))
        .token(&app.admissions)
        .json(body)
        .expect(201)
        .await
        .body;
    assert_eq!(secondary["subscriber"]["last_name"], "Lopez");

    let list = app
        .get(&format!("/api/v1/clients/{client_id}/coverages"))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(list["total"], 2);
    assert_eq!(list["items"][0]["priority"], "primary");
    assert_eq!(list["items"][1]["priority"], "secondary");

    let path = format!(
        "/api/v1/clients/{client_id}/coverages/{}",
        primary["id"].as_str().unwrap()
    );
    let read = app.get(&path).token(&app.billing).expect(200).await.body;
    assert_eq!(read, primary);
    let updated = app
        .patch(&path)
        .token(&app.admissions)
        .json(json!({"end_date": "2026-06-30", "group_number": null}))
        .expect(200)
        .await
        .body;
    assert_eq!(updated["end_date"], "2026-06-30");
    assert_eq!(updated["group_number"], json!(null));
    assert_eq!(updated["member_id"], primary["member_id"]);
}

#[tokio::test]
async fn each_bad_coverage_field_is_refused_with_its_name() {
    let app = spawn_app().await;
    let (client_id, payer_id) = client_and_payer(&app).await;
    let cases = [
        (json!({"member_id": ""}), "member_id"),
        (json!({"member_id": "ABC 123"}), "member_id"),
        (json!({"member_id": "ABC/123"}), "member_id"),
        (json!({"end_date": "2025-12-31"}), "end_date"),
        (json!({"relationship": "parent"}), "relationship"),
        (json!({"priority": "first"}), "priority"),
        (json!({"relationship": "spouse"}), "subscriber"),
        (
            json!({"subscriber": {"first_name": "X", "last_name": "Y", "date_of_birth": "1970-01-01"}}),
            "subscriber",
        ),
        (
            json!({"payer_id": "0194f1d2-6a4e-7c1b-9a53-2d2f5c9e8a10"}),
            "payer_id",
        ),
        (json!({"payer_id": "60054"}), "payer_id"),
        (json!({"group_number": "GRP#1"}), "group_number"),
    ];
    for (change, field) in cases {
        let mut body = coverage_body(&payer_id);
        for (key, value) in change.as_object().unwrap() {
            body[key] = value.clone();
        }
        let reply = app
            .post(&format!("/api/v1/clients/{client_id}/coverages"))
            .token(&app.admissions)
            .json(body)
            .expect(422)
            .await;
        assert_eq!(reply.error_fields(), [field], "{change}");
    }
    let mut body = coverage_body(&payer_id);
    body["relationship"] = json!("child");
    body["subscriber"] =
        json!({"first_name": "Maria", "last_name": "", "date_of_birth": "2999-01-01"});
    let reply = app
        .post(&format!("/api/v1/clients/{client_id}/coverages"))
        .token(&app.admissions)
        .json(body)
        .expect(422)
        .await;
    assert_eq!(
        reply.error_fields(),
        ["subscriber.last_name", "subscriber.date_of_birth"]
    );
}

#[tokio::test]
async fn coverages_belong_to_their_client() {
    let app = spawn_app().await;
    let (client_id, payer_id) = client_and_payer(&app).await;
    let coverage = app.create_coverage(&client_id, &payer_id).await;
    let other = app.create_client(client_body()).await;
    let other_id = other["id"].as_str().unwrap();
    let path = format!(
        "/api/v1/clients/{other_id}/coverages/{}",
        coverage["id"].as_str().unwrap()
    );
    app.get(&path).token(&app.admissions).expect(404).await;
    app.patch(&path)
        .token(&app.admissions)
        .json(json!({"priority": "secondary"}))
        .expect(404)
        .await;
    let missing = "/api/v1/clients/0194f1d2-6a4e-7c1b-9a53-2d2f5c9e8a10/coverages";
    app.post(missing)
        .token(&app.admissions)
        .json(coverage_body(&payer_id))
        .expect(404)
        .await;
    app.get(missing).token(&app.admissions).expect(404).await;
}

#[tokio::test]
async fn a_patch_that_breaks_the_subscriber_rule_is_refused() {
    let app = spawn_app().await;
    let (client_id, payer_id) = client_and_payer(&app).await;
    let coverage = app.create_coverage(&client_id, &payer_id).await;
    let path = format!(
        "/api/v1/clients/{client_id}/coverages/{}",
        coverage["id"].as_str().unwrap()
    );
    let reply = app
        .patch(&path)
        .token(&app.admissions)
        .json(json!({"relationship": "spouse"}))
        .expect(422)
        .await;
    assert_eq!(reply.error_fields(), ["subscriber"]);
    let updated = app
        .patch(&path)
        .token(&app.admissions)
        .json(json!({"relationship": "spouse", "subscriber": {"first_name": "Luis", "last_name": "Lopez", "date_of_birth": "1985-03-03"}}))
        .expect(200)
        .await
        .body;
    assert_eq!(updated["relationship"], "spouse");
    assert_eq!(updated["subscriber"]["sex"], json!(null));
}
