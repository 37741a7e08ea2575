//! Admins manage staff accounts over the API.

use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn an_admin_creates_a_user_who_can_then_sign_in() {
    let app = spawn_app().await;
    let user = app
        .post("/api/v1/users")
        .token(&app.admin)
        .json(json!({"username": "j.doe", "password": "a long enough password", "roles": ["billing", "admissions"]}))
        .expect(201)
        .await
        .body;
    assert_eq!(user["username"], "j.doe");
    assert_eq!(user["roles"], json!(["admissions", "billing"]));
    assert_eq!(user["active"], true);
    assert!(user.get("password_hash").is_none());
    let reply = app
        .post("/api/v1/auth/token")
        .json(json!({"username": "j.doe", "password": "a long enough password"}))
        .expect(200)
        .await;
    assert!(reply.body["access_token"].is_string());

    let id = user["id"].as_str().unwrap();
    let fetched = app
        .get(&format!("/api/v1/users/{id}"))
        .token(&app.admin)
        .expect(200)
        .await;
    assert_eq!(fetched.body, user);
    let list = app
        .get("/api/v1/users?limit=2")
        .token(&app.admin)
        .expect(200)
        .await;
    assert_eq!(list.body["total"], 4);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn bad_accounts_are_refused_field_by_field() {
    let app = spawn_app().await;
    let reply = app
        .post("/api/v1/users")
        .token(&app.admin)
        .json(json!({"username": "Has Space", "password": "short", "roles": ["root"]}))
        .expect(422)
        .await;
    assert_eq!(reply.error_fields(), ["username", "password", "roles"]);
    let reply = app
        .post("/api/v1/users")
        .token(&app.admin)
        .json(json!({"username": "billing", "password": "a long enough password", "roles": ["billing"]}))
        .expect(409)
        .await;
    assert_eq!(reply.error_fields(), ["username"]);
    let reply = app
        .post("/api/v1/users")
        .token(&app.admin)
        .json(json!({"username": "someone", "password": "a long enough password", "roles": []}))
        .expect(422)
        .await;
    assert_eq!(reply.error_fields(), ["roles"]);
}

#[tokio::test]
async fn an_admin_changes_roles_password_and_activity() {
    let app = spawn_app().await;
    let path = format!("/api/v1/users/{}", app.admissions_id);
    let user = app
        .patch(&path)
        .token(&app.admin)
        .json(json!({"roles": ["admissions", "billing"], "password": "a brand new password"}))
        .expect(200)
        .await
        .body;
    assert_eq!(user["roles"], json!(["admissions", "billing"]));
    app.post("/api/v1/auth/token")
        .json(json!({"username": "admissions", "password": "a brand new password"}))
        .expect(200)
        .await;
    let reply = app
        .patch(&path)
        .token(&app.admin)
        .json(json!({"active": null}))
        .expect(422)
        .await;
    assert_eq!(reply.error_fields(), ["active"]);
    let missing = "/api/v1/users/0194f1d2-6a4e-7c1b-9a53-2d2f5c9e8a10";
    app.patch(missing)
        .token(&app.admin)
        .json(json!({"active": false}))
        .expect(404)
        .await;
}

#[tokio::test]
async fn an_admin_cannot_lock_themself_out() {
    let app = spawn_app().await;
    let me = app.keys.verify(&app.admin).unwrap().sub;
    let path = format!("/api/v1/users/{me}");
    let reply = app
        .patch(&path)
        .token(&app.admin)
        .json(json!({"active": false, "roles": ["billing"]}))
        .expect(422)
        .await;
    assert_eq!(reply.error_fields(), ["active", "roles"]);
    app.get("/api/v1/users").token(&app.admin).expect(200).await;
}
