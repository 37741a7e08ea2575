//! Every read and write of client data leaves an audit event an admin can find.

use serde_json::{json, Value};

use crate::helpers::{client_body, spawn_app, TestApp};

async fn events(app: &TestApp, query: &str) -> Value {
    app.get(&format!("/api/v1/audit?{query}"))
        .token(&app.admin)
        .expect(200)
        .await
        .body
}

#[tokio::test]
async fn each_access_to_a_client_is_recorded_with_who_what_when_and_request() {
    let app = spawn_app().await;
    let created = app
        .post("/api/v1/clients")
        .token(&app.admissions)
        .json(client_body())
        .expect(201)
        .await;
    let id = created.body["id"].as_str().unwrap().to_string();
    let read = app
        .get(&format!("/api/v1/clients/{id}"))
        .token(&app.billing)
        .expect(200)
        .await;
    app.get("/api/v1/clients?name=lop")
        .token(&app.admissions)
        .expect(200)
        .await;
    app.patch(&format!("/api/v1/clients/{id}"))
        .token(&app.admissions)
        .json(json!({"phone": null}))
        .expect(200)
        .await;

    let found = events(&app, &format!("entity_id={id}")).await;
    let actions: Vec<&str> = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["update", "read", "read", "create"],
        "newest first"
    );
    let create = &found["items"][3];
    assert_eq!(create["user_id"], app.admissions_id.as_str());
    assert_eq!(create["entity_type"], "client");
    assert_eq!(create["ip"], "127.0.0.1");
    assert_eq!(
        create["request_id"],
        created.header("x-request-id").unwrap()
    );
    assert_eq!(
        found["items"][2]["request_id"],
        read.header("x-request-id").unwrap()
    );

    let by_user = events(&app, &format!("user_id={}&action=read", app.admissions_id)).await;
    assert_eq!(by_user["total"], 1);
}

#[tokio::test]
async fn coverage_reads_and_sign_ins_are_recorded_too() {
    let app = spawn_app().await;
    let client = app.create_client(client_body()).await;
    let payer = app.create_payer().await;
    let client_id = client["id"].as_str().unwrap();
    let coverage = app
        .create_coverage(client_id, payer["id"].as_str().unwrap())
        .await;
    let coverage_id = coverage["id"].as_str().unwrap();
    app.get(&format!(
        "/api/v1/clients/{client_id}/coverages/{coverage_id}"
    ))
    .token(&app.billing)
    .expect(200)
    .await;
    let found = events(&app, &format!("entity_id={coverage_id}")).await;
    assert_eq!(found["total"], 2);

    app.post("/api/v1/auth/token")
        .json(json!({"username": "billing", "password": "wrong password!"}))
        .expect(401)
        .await;
    let failed = events(&app, "action=login_failed").await;
    assert_eq!(failed["total"], 1);
    assert_eq!(failed["items"][0]["user_id"], json!(null));
}

#[tokio::test]
async fn the_audit_log_filters_by_time_and_pages() {
    let app = spawn_app().await;
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    for _ in 0..3 {
        app.create_client(client_body()).await;
    }
    let after = chrono::Utc::now() + chrono::Duration::seconds(1);
    let fmt =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let window = events(
        &app,
        &format!("action=create&from={}&to={}", fmt(before), fmt(after)),
    )
    .await;
    assert_eq!(window["total"], 3);
    let later = events(&app, &format!("action=create&from={}", fmt(after))).await;
    assert_eq!(later["total"], 0);
    let page = events(&app, "action=create&limit=2&offset=2").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let reply = app
        .get("/api/v1/audit?from=yesterday")
        .token(&app.admin)
        .expect(400)
        .await;
    assert_eq!(reply.error_fields(), ["from"]);
}

#[tokio::test]
async fn only_admins_read_the_audit_log_and_nobody_changes_it() {
    let app = spawn_app().await;
    app.get("/api/v1/audit")
        .token(&app.admissions)
        .expect(403)
        .await;
    app.get("/api/v1/audit")
        .token(&app.billing)
        .expect(403)
        .await;
    for method in [
        reqwest::Method::DELETE,
        reqwest::Method::PATCH,
        reqwest::Method::POST,
    ] {
        app.call(method, "/api/v1/audit")
            .token(&app.admin)
            .json(json!({}))
            .expect(405)
            .await;
    }
}
