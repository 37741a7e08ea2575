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
