//! Sign-in, tokens, roles, deactivation and throttling.

use base64::Engine;
use perdiem::auth::jwt::TokenKeys;
use perdiem::domain::role::Role;
use reqwest::Method;
use secrecy::SecretString;
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with, test_settings, TestApp, PASSWORD};

async fn login(app: &TestApp, username: &str, password: &str) -> crate::helpers::Reply {
    app.post("/api/v1/auth/token")
        .json(json!({"username": username, "password": password}))
        .send()
        .await
}

#[tokio::test]
async fn the_right_password_gets_a_bearer_token_that_works() {
    let app = spawn_app().await;
    let reply = login(&app, "admissions", PASSWORD).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["token_type"], "Bearer");
    assert_eq!(reply.body["expires_in"], 3600);
    let token = reply.body["access_token"].as_str().unwrap();
    let claims = app.keys.verify(token).unwrap();
    assert_eq!(claims.roles, vec![Role::Admissions]);
    assert_eq!(claims.iss, "perdiem");
    assert_eq!(claims.aud, "perdiem-api");
    app.get("/api/v1/clients").token(token).expect(200).await;
}

#[tokio::test]
async fn a_wrong_password_or_unknown_user_is_a_401_that_does_not_say_which() {
    let app = spawn_app().await;
    let wrong = login(&app, "admissions", "not-the-password").await;
    let unknown = login(&app, "nobody", PASSWORD).await;
    for reply in [&wrong, &unknown] {
        assert_eq!(reply.status, 401);
        assert_eq!(
            reply.problem_type(),
            "urn:perdiem:problem:invalid-credentials"
        );
        assert!(reply
            .header("www-authenticate")
            .unwrap()
            .starts_with("Bearer"));
    }
    assert_eq!(wrong.body["detail"], unknown.body["detail"]);
}

#[tokio::test]
async fn a_token_request_without_fields_is_a_422_naming_them() {
    let app = spawn_app().await;
    let reply = app
        .post("/api/v1/auth/token")
        .json(json!({}))
        .expect(422)
        .await;
    assert_eq!(reply.error_fields(), ["username", "password"]);
}

#[tokio::test]
async fn repeated_failures_lock_the_username_with_retry_after() {
    let mut settings = test_settings();
    settings.auth.login_max_failures = 3;
    settings.auth.login_lockout_seconds = 120;
    let app = spawn_app_with(settings).await;
    for _ in 0..3 {
        assert_eq!(login(&app, "billing", "wrong-password-1").await.status, 401);
    }
    // Locked now: even the right password is refused until the lock ends.
    let reply = login(&app, "billing", PASSWORD).await;
    assert_eq!(reply.status, 429, "{}", reply.body);
    assert_eq!(
        reply.problem_type(),
        "urn:perdiem:problem:too-many-requests"
    );
    let retry: u64 = reply.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=120).contains(&retry), "{retry}");
    // Other usernames are not affected.
    assert_eq!(login(&app, "admissions", PASSWORD).await.status, 200);
}

#[tokio::test]
async fn a_successful_sign_in_forgets_earlier_failures() {
    let mut settings = test_settings();
    settings.auth.login_max_failures = 3;
    let app = spawn_app_with(settings).await;
    for _ in 0..2 {
        assert_eq!(login(&app, "billing", "wrong-password-1").await.status, 401);
    }
    assert_eq!(login(&app, "billing", PASSWORD).await.status, 200);
    for _ in 0..2 {
        assert_eq!(login(&app, "billing", "wrong-password-1").await.status, 401);
    }
    assert_eq!(login(&app, "billing", PASSWORD).await.status, 200);
}

#[tokio::test]
async fn requests_without_a_valid_token_are_401_with_www_authenticate() {
    let app = spawn_app().await;
    let user = uuid::Uuid::parse_str(&app.admissions_id).unwrap();
    let now = chrono::Utc::now().timestamp() as u64;
    let expired = app
        .keys
        .issue_at(user, &[Role::Admissions], now - 7200, now - 3600)
        .unwrap();
    let other_key = TokenKeys::new(
        &SecretString::from("a-different-key-of-sufficient-length-000".to_string()),
        "perdiem",
        "perdiem-api",
        3600,
    )
    .issue(user, &[Role::Admissions], 0)
    .unwrap();
    let other_audience = TokenKeys::new(
        &SecretString::from(crate::helpers::SECRET.to_string()),
        "perdiem",
        "somebody-else",
        3600,
    )
    .issue(user, &[Role::Admissions], 0)
    .unwrap();
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let unsigned = format!(
        "{}.{}.",
        engine.encode(r#"{"alg":"none","typ":"JWT"}"#),
        engine.encode(format!(
            r#"{{"sub":"{user}","roles":["admissions"],"iss":"perdiem","aud":"perdiem-api","iat":{now},"exp":{}}}"#,
            now + 600
        ))
    );
    for token in [
        None,
        Some("garbage".to_string()),
        Some(expired),
        Some(other_key),
        Some(other_audience),
        Some(unsigned),
    ] {
        let mut call = app.get("/api/v1/clients");
        if let Some(token) = &token {
            call = call.token(token);
        }
        let reply = call.expect(401).await;
        assert_eq!(reply.problem_type(), "urn:perdiem:problem:unauthorized");
        assert!(reply
            .header("www-authenticate")
            .unwrap()
            .starts_with("Bearer"));
    }
}

#[tokio::test]
async fn a_deactivated_users_tokens_stop_working_and_they_cannot_sign_in() {
    let app = spawn_app().await;
    app.get("/api/v1/clients")
        .token(&app.admissions)
        .expect(200)
        .await;
    app.patch(&format!("/api/v1/users/{}", app.admissions_id))
        .token(&app.admin)
        .json(json!({"active": false}))
        .expect(200)
        .await;
    app.get("/api/v1/clients")
        .token(&app.admissions)
        .expect(401)
        .await;
    assert_eq!(login(&app, "admissions", PASSWORD).await.status, 401);
}

#[tokio::test]
async fn a_token_from_before_a_password_change_is_refused() {
    let app = spawn_app().await;
    let before = login(&app, "admissions", PASSWORD).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    app.get("/api/v1/clients").token(&before).expect(200).await;
    app.patch(&format!("/api/v1/users/{}", app.admissions_id))
        .token(&app.admin)
        .json(json!({"password": "a brand new password"}))
        .expect(200)
        .await;
    // In the same second as the change: an exact refusal, not one by issue time.
    let refused = app.get("/api/v1/clients").token(&before).expect(401).await;
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("password was changed"),
        "{}",
        refused.body
    );
    app.get("/api/v1/clients")
        .token(&app.admissions)
        .expect(401)
        .await;
    let after = login(&app, "admissions", "a brand new password").await.body["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    app.get("/api/v1/clients").token(&after).expect(200).await;
}

/// A change made outside this process (another instance, the CLI: here, straight in the
/// database) is seen within the account check's lifetime (one second; at most two promised).
#[tokio::test]
async fn a_deactivation_made_elsewhere_takes_effect_within_the_bound() {
    let app = spawn_app().await;
    app.get("/api/v1/clients")
        .token(&app.admissions)
        .expect(200)
        .await;
    let mut tx = app.db.begin().await.unwrap();
    perdiem::store::users::update(
        &mut tx,
        app.admissions_id.parse().unwrap(),
        perdiem::store::users::UserChanges {
            active: Some(false),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .unwrap();
    tx.commit().await.unwrap();
    let changed = std::time::Instant::now();
    loop {
        let status = app
            .get("/api/v1/clients")
            .token(&app.admissions)
            .send()
            .await
            .status;
        if status == 401 {
            break;
        }
        assert_eq!(status, 200);
        assert!(
            changed.elapsed() < std::time::Duration::from_secs(2),
            "the deactivated account still works after {:?}",
            changed.elapsed()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_role_removed_from_an_account_is_gone_from_its_live_tokens() {
    let app = spawn_app().await;
    app.patch(&format!("/api/v1/users/{}", app.admissions_id))
        .token(&app.admin)
        .json(json!({"roles": ["billing"]}))
        .expect(200)
        .await;
    app.post("/api/v1/clients")
        .token(&app.admissions)
        .json(json!({}))
        .expect(403)
        .await;
}

/// Each route with the roles allowed on it; every other role gets a 403 before its input is
/// even read.
#[tokio::test]
async fn each_role_reaches_exactly_its_routes() {
    let app = spawn_app().await;
    let some = "0194f1d2-6a4e-7c1b-9a53-2d2f5c9e8a10";
    let clients = format!("/api/v1/clients/{some}");
    let coverages = format!("/api/v1/clients/{some}/coverages");
    let coverage = format!("/api/v1/clients/{some}/coverages/{some}");
    let users = format!("/api/v1/users/{some}");
    let payers = format!("/api/v1/payers/{some}");
    let payer_health = format!("/api/v1/payers/{some}/health");
    let verification = format!("/api/v1/verifications/{some}");
    let batch = format!("/api/v1/verification-batches/{some}");
    let client_verifications = format!("/api/v1/clients/{some}/verifications");
    let client_attendance = format!("/api/v1/clients/{some}/attendance");
    let authorization = format!("/api/v1/authorizations/{some}");
    let extensions = format!("/api/v1/authorizations/{some}/extensions");
    let client_authorizations = format!("/api/v1/clients/{some}/authorizations");
    let fee_schedule = format!("/api/v1/fee-schedules/{some}");
    let day_rate = format!("/api/v1/day-rates/{some}");
    let service_code = format!("/api/v1/service-codes/{some}");
    let episodes = format!("/api/v1/clients/{some}/episodes");
    let episode = format!("/api/v1/clients/{some}/episodes/{some}");
    let claim = format!("/api/v1/claims/{some}");
    let claim_status = format!("/api/v1/claims/{some}/status");
    let claim_void = format!("/api/v1/claims/{some}/void");
    let claim_replace = format!("/api/v1/claims/{some}/replace");
    let claim_x12 = format!("/api/v1/claims/{some}/x12");
    let estimate = format!("/api/v1/estimates/{some}");
    let remittance = format!("/api/v1/remittances/{some}");
    let client_balance = format!("/api/v1/clients/{some}/balance");
    let acknowledgment = format!("/api/v1/acknowledgments/{some}");
    use Role::*;
    let table: Vec<(Method, &str, Vec<Role>)> = vec![
        (Method::GET, "/api/v1/users", vec![Admin]),
        (Method::POST, "/api/v1/users", vec![Admin]),
        (Method::GET, &users, vec![Admin]),
        (Method::PATCH, &users, vec![Admin]),
        (
            Method::GET,
            "/api/v1/payers",
            vec![Admin, Admissions, Billing],
        ),
        (Method::GET, &payers, vec![Admin, Admissions, Billing]),
        (Method::GET, &payer_health, vec![Admin, Admissions, Billing]),
        (Method::POST, "/api/v1/payers", vec![Admin]),
        (Method::PATCH, &payers, vec![Admin]),
        (Method::GET, "/api/v1/clients", vec![Admissions, Billing]),
        (Method::GET, &clients, vec![Admissions, Billing]),
        (Method::POST, "/api/v1/clients", vec![Admissions]),
        (Method::PATCH, &clients, vec![Admissions]),
        (Method::GET, &coverages, vec![Admissions, Billing]),
        (Method::GET, &coverage, vec![Admissions, Billing]),
        (Method::POST, &coverages, vec![Admissions]),
        (Method::PATCH, &coverage, vec![Admissions]),
        (Method::GET, "/api/v1/audit", vec![Admin]),
        (Method::GET, "/metrics", vec![Admin]),
        (
            Method::GET,
            "/api/v1/organization",
            vec![Admin, Admissions, Billing],
        ),
        (Method::PUT, "/api/v1/organization", vec![Admin]),
        (Method::POST, "/api/v1/verifications", vec![Admissions]),
        (
            Method::POST,
            "/api/v1/verification-batches",
            vec![Admissions],
        ),
        (Method::GET, &batch, vec![Admin, Admissions, Billing]),
        (Method::GET, &verification, vec![Admin, Admissions, Billing]),
        (
            Method::GET,
            &client_verifications,
            vec![Admissions, Billing],
        ),
        (Method::POST, "/api/v1/attendance", vec![Billing]),
        (Method::GET, "/api/v1/attendance", vec![Billing]),
        (Method::POST, "/api/v1/attendance/import", vec![Billing]),
        (Method::GET, &client_attendance, vec![Billing]),
        (Method::GET, "/api/v1/alerts", vec![Billing]),
        (
            Method::GET,
            "/api/v1/authorizations",
            vec![Admissions, Billing],
        ),
        (Method::POST, "/api/v1/authorizations", vec![Billing]),
        (Method::GET, &authorization, vec![Admissions, Billing]),
        (Method::PATCH, &authorization, vec![Billing]),
        (Method::POST, &extensions, vec![Billing]),
        (
            Method::GET,
            &client_authorizations,
            vec![Admissions, Billing],
        ),
        (
            Method::GET,
            "/api/v1/fee-schedules",
            vec![Admissions, Billing],
        ),
        (Method::POST, "/api/v1/fee-schedules", vec![Billing]),
        (Method::GET, &fee_schedule, vec![Admissions, Billing]),
        (Method::PATCH, &fee_schedule, vec![Billing]),
        (Method::GET, "/api/v1/day-rates", vec![Admissions, Billing]),
        (Method::POST, "/api/v1/day-rates", vec![Billing]),
        (Method::GET, &day_rate, vec![Admissions, Billing]),
        (Method::PATCH, &day_rate, vec![Billing]),
        (
            Method::GET,
            "/api/v1/service-codes",
            vec![Admissions, Billing],
        ),
        (Method::POST, "/api/v1/service-codes", vec![Billing]),
        (Method::GET, &service_code, vec![Admissions, Billing]),
        (Method::PATCH, &service_code, vec![Billing]),
        (Method::GET, &episodes, vec![Admissions, Billing]),
        (Method::POST, &episodes, vec![Admissions, Billing]),
        (Method::GET, &episode, vec![Admissions, Billing]),
        (Method::PATCH, &episode, vec![Admissions, Billing]),
        (Method::POST, "/api/v1/claims/generate", vec![Billing]),
        (Method::GET, "/api/v1/claims", vec![Billing]),
        (Method::GET, &claim, vec![Billing]),
        (Method::POST, &claim_status, vec![Billing]),
        (Method::POST, &claim_void, vec![Billing]),
        (Method::POST, &claim_replace, vec![Billing]),
        (Method::GET, &claim_x12, vec![Billing]),
        (Method::POST, "/api/v1/claims/x12", vec![Billing]),
        (Method::GET, "/api/v1/reports/unbilled", vec![Billing]),
        (Method::GET, "/api/v1/reports/underpayments", vec![Billing]),
        (Method::GET, "/api/v1/reports/denials", vec![Billing]),
        (Method::POST, "/api/v1/remittances", vec![Billing]),
        (Method::GET, "/api/v1/remittances", vec![Billing]),
        (Method::GET, &remittance, vec![Billing]),
        (Method::GET, &client_balance, vec![Billing]),
        (Method::POST, "/api/v1/acknowledgments", vec![Billing]),
        (Method::GET, "/api/v1/acknowledgments", vec![Billing]),
        (Method::GET, &acknowledgment, vec![Billing]),
        (Method::POST, "/api/v1/estimates", vec![Admissions]),
        (Method::GET, &estimate, vec![Admissions, Billing]),
    ];
    // Every route but the public ones is in the table.
    let public = ["/health", "/ready", "/openapi.yaml", "/api/v1/auth/token"];
    for endpoint in perdiem::routes::endpoints() {
        if public.contains(&endpoint.path) {
            continue;
        }
        let concrete = endpoint
            .path
            .replace("{coverage_id}", some)
            .replace("{episode_id}", some)
            .replace("{id}", some);
        assert!(
            table
                .iter()
                .any(|(m, p, _)| m.as_str() == endpoint.method.as_str() && *p == concrete),
            "{} {} is missing from the role table",
            endpoint.method,
            endpoint.path
        );
    }
    let tokens = [
        (Admin, app.admin.clone()),
        (Admissions, app.admissions.clone()),
        (Billing, app.billing.clone()),
    ];
    for (method, path, allowed) in &table {
        for (role, token) in &tokens {
            let mut call = app.call(method.clone(), path).token(token);
            if *method != Method::GET {
                call = call.json(json!({}));
            }
            let reply = call.send().await;
            if allowed.contains(role) {
                assert!(
                    ![401, 403].contains(&reply.status),
                    "{role} should reach {method} {path}: {}",
                    reply.body
                );
            } else {
                assert_eq!(reply.status, 403, "{role} must not reach {method} {path}");
                assert_eq!(reply.problem_type(), "urn:perdiem:problem:forbidden");
            }
        }
    }
}
