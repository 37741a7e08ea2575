//! The staff web app without a browser: headers, sessions, CSRF, roles.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with, test_settings};
use crate::web_support::Visitor;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

#[tokio::test]
async fn pages_carry_the_security_headers_and_the_cookie_is_http_only_and_strict() {
    let app = spawn_app().await;
    let mut visitor = Visitor::new(&app);
    let signin = visitor.get("/signin").await;
    assert_eq!(signin.status, 200);
    let reply = visitor
        .post(
            "/signin",
            &[
                ("username", "admin"),
                ("password", crate::helpers::PASSWORD),
            ],
        )
        .await;
    assert_eq!(reply.status, 303);
    assert_eq!(reply.header("location"), "/");
    let cookie = reply.header("set-cookie");
    assert!(cookie.starts_with("perdiem_session="), "{cookie}");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP in tests: {cookie}");
    let home = visitor.get("/").await;
    assert_eq!(home.status, 200, "{}", home.body);
    for page in [&signin, &home] {
        assert_eq!(page.header("content-security-policy"), CSP);
        assert_eq!(page.header("x-content-type-options"), "nosniff");
        assert_eq!(page.header("referrer-policy"), "no-referrer");
        assert_eq!(page.header("cache-control"), "no-store");
        assert!(page.header("content-type").starts_with("text/html"));
        assert!(!page.body.contains("style=\""), "no inline style");
        assert!(!page.body.contains("<script>"), "no inline script");
    }
    // The stylesheet the page links is served, hashed and kept for a year.
    let css = home.body.split("href=\"/assets/").nth(1).unwrap();
    let css = format!("/assets/{}", css.split('"').next().unwrap());
    let asset = visitor.get(&css).await;
    assert_eq!(asset.status, 200);
    assert!(asset.header("cache-control").contains("immutable"));
    assert!(asset.header("content-type").starts_with("text/css"));
    assert_eq!(visitor.get("/assets/app.0000.css").await.status, 404);
}

#[tokio::test]
async fn a_secure_cookie_is_set_when_the_settings_say_so() {
    let mut settings = test_settings();
    settings.web.secure_cookies = true;
    let app = spawn_app_with(settings).await;
    let mut visitor = Visitor::new(&app);
    let reply = visitor
        .post(
            "/signin",
            &[
                ("username", "admin"),
                ("password", crate::helpers::PASSWORD),
            ],
        )
        .await;
    assert!(reply.header("set-cookie").contains("; Secure"));
}

#[tokio::test]
async fn a_signed_out_visit_lands_on_sign_in_and_returns_afterwards() {
    let app = spawn_app().await;
    let mut visitor = Visitor::new(&app);
    let page = visitor.get("/admin/clinic").await;
    assert_eq!(page.status, 303);
    assert_eq!(page.header("location"), "/signin?next=%2Fadmin%2Fclinic");
    let form = visitor.get("/signin?next=%2Fadmin%2Fclinic").await;
    assert!(form.body.contains(r#"name="next" value="/admin/clinic""#));
    let reply = visitor
        .post(
            "/signin",
            &[
                ("username", "admin"),
                ("password", crate::helpers::PASSWORD),
                ("next", "/admin/clinic"),
            ],
        )
        .await;
    assert_eq!(reply.header("location"), "/admin/clinic");
    assert_eq!(visitor.get("/admin/clinic").await.status, 200);
    // Elsewhere is never a place to return to.
    let mut other = Visitor::new(&app);
    let reply = other
        .post(
            "/signin",
            &[
                ("username", "admin"),
                ("password", crate::helpers::PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(reply.header("location"), "/");
}

#[tokio::test]
async fn a_wrong_password_shows_the_form_again_without_a_session() {
    let app = spawn_app().await;
    let mut visitor = Visitor::new(&app);
    let reply = visitor
        .post(
            "/signin",
            &[("username", "admissions"), ("password", "not-it")],
        )
        .await;
    assert_eq!(reply.status, 401);
    assert!(reply.body.contains("The username or password is wrong."));
    assert!(
        reply.body.contains(r#"value="admissions""#),
        "keeps what was typed"
    );
    assert!(reply.headers.get("set-cookie").is_none());
    assert_eq!(visitor.get("/").await.status, 303);
}

#[tokio::test]
async fn a_form_without_its_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let mut visitor = Visitor::signed_in(&app, "admissions").await;
    let home = visitor.get("/").await;
    let token = home.csrf_token();
    for fields in [vec![], vec![("csrf_token", "forged")]] {
        let refused = visitor.post("/signout", &fields).await;
        assert_eq!(refused.status, 403);
        assert!(
            refused.body.contains("Nothing was changed"),
            "{}",
            refused.body
        );
        assert_eq!(refused.header("content-security-policy"), CSP);
    }
    // The right token from another site's page is refused too.
    let refused = visitor
        .post_with(
            "/signout",
            &[("csrf_token", &token)],
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(visitor.get("/").await.status, 200, "still signed in");
}

#[tokio::test]
async fn signing_out_ends_the_session_for_good() {
    let app = spawn_app().await;
    let mut visitor = Visitor::signed_in(&app, "admissions").await;
    let cookie = visitor.cookie.clone();
    let token = visitor.get("/").await.csrf_token();
    let out = visitor.post("/signout", &[("csrf_token", &token)]).await;
    assert_eq!(out.status, 303);
    assert_eq!(out.header("location"), "/signin");
    assert!(out.header("set-cookie").contains("Max-Age=0"));
    // The old cookie, kept by hand, no longer signs anyone in.
    visitor.cookie = cookie;
    assert_eq!(visitor.get("/").await.status, 303);
}

#[tokio::test]
async fn an_idle_session_expires() {
    let mut settings = test_settings();
    settings.web.session_idle_seconds = 1;
    let app = spawn_app_with(settings).await;
    let mut visitor = Visitor::signed_in(&app, "admissions").await;
    assert_eq!(visitor.get("/").await.status, 200);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let page = visitor.get("/").await;
    assert_eq!(page.status, 303);
    assert_eq!(page.header("location"), "/signin?next=%2F");
}

#[tokio::test]
async fn a_password_change_or_deactivation_ends_web_sessions_as_it_does_tokens() {
    let app = spawn_app().await;
    let mut visitor = Visitor::signed_in(&app, "admissions").await;
    assert_eq!(visitor.get("/").await.status, 200);
    app.patch(&format!("/api/v1/users/{}", app.admissions_id))
        .token(&app.admin)
        .json(json!({"password": "a brand new password"}))
        .expect(200)
        .await;
    assert_eq!(visitor.get("/").await.status, 303);

    let mut visitor = Visitor::new(&app);
    let reply = visitor
        .post(
            "/signin",
            &[
                ("username", "admissions"),
                ("password", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(reply.status, 303);
    assert_eq!(visitor.get("/").await.status, 200);
    app.patch(&format!("/api/v1/users/{}", app.admissions_id))
        .token(&app.admin)
        .json(json!({"active": false}))
        .expect(200)
        .await;
    assert_eq!(visitor.get("/").await.status, 303);
}

#[tokio::test]
async fn billing_gets_the_friendly_403_on_an_admin_page() {
    let app = spawn_app().await;
    let mut visitor = Visitor::signed_in(&app, "billing").await;
    let page = visitor.get("/admin/clinic").await;
    assert_eq!(page.status, 403);
    assert!(page.header("content-type").starts_with("text/html"));
    assert!(
        page.body.contains("Not available to your role"),
        "{}",
        page.body
    );
    assert!(
        !visitor.get("/").await.body.contains("/admin/clinic"),
        "not in billing's menu"
    );
    let mut admin = Visitor::signed_in(&app, "admin").await;
    assert_eq!(admin.get("/admin/clinic").await.status, 200);
}

#[tokio::test]
async fn unknown_pages_are_pages_and_unknown_api_paths_stay_problems() {
    let app = spawn_app().await;
    let mut visitor = Visitor::new(&app);
    let page = visitor.get("/no/such/page").await;
    assert_eq!(page.status, 404);
    assert!(page.header("content-type").starts_with("text/html"));
    let api = visitor.get("/api/v1/no-such-thing").await;
    assert_eq!(api.status, 404);
    assert_eq!(api.header("content-type"), "application/problem+json");
}

#[tokio::test]
async fn a_role_change_applies_to_a_live_session_at_once() {
    let app = spawn_app().await;
    let mut visitor = Visitor::signed_in(&app, "admissions").await;
    assert_eq!(visitor.get("/admin/clinic").await.status, 403);
    app.patch(&format!("/api/v1/users/{}", app.admissions_id))
        .token(&app.admin)
        .json(json!({"roles": ["admin"]}))
        .expect(200)
        .await;
    assert_eq!(visitor.get("/admin/clinic").await.status, 200);
    assert_eq!(
        visitor.get("/clients").await.status,
        403,
        "admissions taken away"
    );
}
