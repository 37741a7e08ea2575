//! Payer records: admins write, every role reads.

use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn an_admin_keeps_the_payer_list() {
    let app = spawn_app().await;
    let aetna = app
        .post("/api/v1/payers")
        .token(&app.admin)
        .json(json!({"name": "Aetna", "payer_id": "60054"}))
        .expect(201)
        .await
        .body;
    app.post("/api/v1/payers")
        .token(&app.admin)
        .json(json!({"name": "Cigna Behavioral Health", "payer_id": "62308"}))
        .expect(201)
        .await;
    let reply = app
        .post("/api/v1/payers")
        .token(&app.admin)
        .json(json!({"name": "Duplicate", "payer_id": "60054"}))
        .expect(409)
        .await;
    assert_eq!(reply.error_fields(), ["payer_id"]);
    let reply = app
        .post("/api/v1/payers")
        .token(&app.admin)
        .json(json!({"name": "", "payer_id": "60-054"}))
        .expect(422)
        .await;
    assert_eq!(reply.error_fields(), ["name", "payer_id"]);

    for token in [&app.admissions, &app.billing] {
        let list = app
            .get("/api/v1/payers?name=BEHAV")
            .token(token)
            .expect(200)
            .await
            .body;
        assert_eq!(list["total"], 1);
        assert_eq!(list["items"][0]["payer_id"], "62308");
    }
    let path = format!("/api/v1/payers/{}", aetna["id"].as_str().unwrap());
    let renamed = app
        .patch(&path)
        .token(&app.admin)
        .json(json!({"name": "Aetna Better Health"}))
        .expect(200)
        .await
        .body;
    assert_eq!(renamed["name"], "Aetna Better Health");
    assert_eq!(renamed["payer_id"], "60054");
    let read = app.get(&path).token(&app.billing).expect(200).await.body;
    assert_eq!(read, renamed);
    app.patch(&path)
        .token(&app.billing)
        .json(json!({"name": "Nope"}))
        .expect(403)
        .await;
    let reply = app
        .patch(&path)
        .token(&app.admin)
        .json(json!({"payer_id": "62308"}))
        .expect(409)
        .await;
    assert_eq!(reply.error_fields(), ["payer_id"]);
}

#[tokio::test]
async fn a_payers_connection_keeps_its_secrets_to_itself() {
    let app = spawn_app().await;
    let payer = app
        .post("/api/v1/payers")
        .token(&app.admin)
        .json(json!({
            "name": "Aetna",
            "payer_id": "60054",
            "connection": {
                "protocol": "x12",
                "endpoint_url": "https://core.payer.example/x12",
                "credentials": {"kind": "basic", "username": "clinic01", "password": "pa55-w0rd-secret"},
                "service_types": ["30", "MH", "BB"],
                "sender_id": "CLINIC01",
                "receiver_id": "AETNA"
            }
        }))
        .expect(201)
        .await;
    let text = payer.body.to_string();
    assert!(!text.contains("pa55-w0rd-secret"), "{text}");
    let connection = &payer.body["connection"];
    assert_eq!(connection["credentials"]["kind"], "basic");
    assert_eq!(connection["credentials"]["username"], "clinic01");
    assert_eq!(connection["credentials"]["secret_set"], true);
    assert_eq!(connection["timeout_seconds"], 30);
    assert_eq!(connection["service_types_per_request"], 1);

    // A patch that does not mention the connection keeps it, secret included.
    let path = format!("/api/v1/payers/{}", payer.body["id"].as_str().unwrap());
    let renamed = app
        .patch(&path)
        .token(&app.admin)
        .json(json!({"name": "Aetna Inc"}))
        .expect(200)
        .await;
    assert_eq!(renamed.body["connection"], *connection);
    let reply = app
        .patch(&path)
        .token(&app.admin)
        .json(json!({"connection": {"protocol": "soap", "endpoint_url": "https://x.example", "credentials": {"kind": "bearer"}}}))
        .expect(422)
        .await;
    assert_eq!(
        reply.error_fields(),
        ["connection.protocol", "connection.credentials.token"]
    );
    let cleared = app
        .patch(&path)
        .token(&app.admin)
        .json(json!({"connection": null}))
        .expect(200)
        .await;
    assert_eq!(cleared.body["connection"], json!(null));
}
