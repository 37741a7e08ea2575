//! Every failure is a problem+json body with a stable type, a detail and, where it applies,
//! the offending field.

use serde_json::json;

use crate::helpers::{client_body, spawn_app};

#[tokio::test]
async fn malformed_json_is_a_400_naming_the_body() {
    let app = spawn_app().await;
    let reply = app
        .post("/api/v1/clients")
        .token(&app.admissions)
        .raw(b"{\"first_name\": ", Some("application/json"))
        .expect(400)
        .await;
    assert_eq!(
        reply.problem_type(),
        "urn:perdiem:problem:malformed-request"
    );
    assert_eq!(reply.error_fields(), ["body"]);
}

#[tokio::test]
async fn a_body_that_is_not_declared_json_is_a_415() {
    let app = spawn_app().await;
    let body = serde_json::to_vec(&client_body()).unwrap();
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let reply = app
            .post("/api/v1/clients")
            .token(&app.admissions)
            .raw(&body, content_type)
            .expect(415)
            .await;
        assert_eq!(
            reply.problem_type(),
            "urn:perdiem:problem:unsupported-media-type"
        );
    }
}

#[tokio::test]
async fn a_wrongly_typed_field_is_a_422_naming_it() {
    let app = spawn_app().await;
    let mut body = client_body();
    body["address"]["city"] = json!(42);
    let reply = app
        .post("/api/v1/clients")
        .token(&app.admissions)
        .json(body)
        .expect(422)
        .await;
    assert_eq!(reply.error_fields(), ["address.city"]);
    let reply = app
        .post("/api/v1/clients")
        .token(&app.admissions)
        .json(json!([1, 2]))
        .expect(422)
        .await;
    assert_eq!(reply.error_fields(), ["body"]);
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413() {
    let app = spawn_app().await;
    let mut body = client_body();
    body["last_name"] = json!("x".repeat(100 * 1024));
    let reply = app
        .post("/api/v1/clients")
        .token(&app.admissions)
        .json(body)
        .expect(413)
        .await;
    assert_eq!(
        reply.problem_type(),
        "urn:perdiem:problem:payload-too-large"
    );
}

#[tokio::test]
async fn bad_path_and_query_parameters_are_400s_naming_the_parameter() {
    let app = spawn_app().await;
    let reply = app
        .get("/api/v1/clients/not-a-uuid")
        .token(&app.admissions)
        .expect(400)
        .await;
    assert_eq!(reply.error_fields(), ["id"]);
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("offset=-1", "offset"),
        ("date_of_birth=12%2F01%2F1990", "date_of_birth"),
        ("nmae=Lopez", "nmae"),
    ] {
        let reply = app
            .get(&format!("/api/v1/clients?{query}"))
            .token(&app.admissions)
            .expect(400)
            .await;
        assert_eq!(reply.error_fields(), [field], "{query}");
    }
}

#[tokio::test]
async fn unknown_paths_are_404_and_unknown_methods_405_as_problems() {
    let app = spawn_app().await;
    let reply = app.get("/api/v1/nothing-here").expect(404).await;
    assert_eq!(reply.problem_type(), "urn:perdiem:problem:not-found");
    let reply = app
        .call(reqwest::Method::DELETE, "/api/v1/clients")
        .token(&app.admissions)
        .expect(405)
        .await;
    assert_eq!(
        reply.problem_type(),
        "urn:perdiem:problem:method-not-allowed"
    );
}

#[tokio::test]
async fn the_request_id_is_echoed_in_the_header_and_the_problem() {
    let app = spawn_app().await;
    let reply = app
        .get("/api/v1/clients/not-a-uuid")
        .token(&app.admissions)
        .header("X-Request-Id", "trace-abc-123")
        .expect(400)
        .await;
    assert_eq!(reply.header("x-request-id"), Some("trace-abc-123"));
    assert_eq!(reply.body["request_id"], "trace-abc-123");
    // An id that could smuggle text into logs is replaced, not echoed.
    let reply = app
        .get("/health")
        .header("X-Request-Id", "bad id with spaces")
        .expect(200)
        .await;
    assert_ne!(reply.header("x-request-id"), Some("bad id with spaces"));
}

#[tokio::test]
async fn a_database_failure_is_an_opaque_500_or_503_with_the_request_id() {
    let app = spawn_app().await;
    app.get("/ready").expect(200).await;
    app.db.close().await;
    let reply = app.get("/ready").expect(503).await;
    assert_eq!(reply.problem_type(), "urn:perdiem:problem:unavailable");
    let reply = app
        .get("/api/v1/clients")
        .token(&app.admissions)
        .expect(500)
        .await;
    assert_eq!(reply.problem_type(), "urn:perdiem:problem:internal");
    let detail = reply.body["detail"].as_str().unwrap();
    assert!(!detail.to_lowercase().contains("pool"), "{detail}");
    assert!(!detail.to_lowercase().contains("sql"), "{detail}");
    assert_eq!(
        reply.body["request_id"],
        reply.header("x-request-id").unwrap()
    );
}

#[tokio::test]
async fn health_answers_without_a_token() {
    let app = spawn_app().await;
    let reply = app.get("/health").expect(200).await;
    assert_eq!(reply.body["status"], "ok");
    let reply = app.get("/ready").expect(200).await;
    assert_eq!(reply.body["status"], "ready");
}
