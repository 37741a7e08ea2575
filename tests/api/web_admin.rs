//! The admin screens without a browser: staff accounts, the audit log, roles and CSRF.

use perdiem::domain::ids::PayerId;
use perdiem::store::payers;

use crate::helpers::{secret_key, spawn_app, TestApp, PASSWORD};
use crate::payer_secrets::secret_of;
use crate::web_support::Visitor;

const ADMIN_PAGES: [&str; 4] = [
    "/admin/clinic",
    "/admin/staff",
    "/admin/payers",
    "/admin/audit",
];

#[tokio::test]
async fn billing_and_admissions_get_the_friendly_403_on_every_admin_page() {
    let app = spawn_app().await;
    for username in ["billing", "admissions"] {
        let mut visitor = Visitor::signed_in(&app, username).await;
        for path in ADMIN_PAGES {
            let page = visitor.get(path).await;
            assert_eq!(page.status, 403, "{username} on {path}");
            assert!(
                page.body.contains("<html"),
                "a page, not a problem document"
            );
            assert!(
                !page.body.contains("href=\"/admin/staff\""),
                "no admin menu"
            );
        }
        // A forged-looking but well-formed post from a signed-in non-admin changes nothing.
        let token = visitor.get("/").await.csrf_token();
        let refused = visitor
            .post(
                "/admin/staff",
                &[
                    ("csrf_token", &token),
                    ("username", "sneaky"),
                    ("password", PASSWORD),
                    ("role_admin", "on"),
                ],
            )
            .await;
        assert_eq!(refused.status, 403);
    }
    let staff = app.get("/api/v1/users").token(&app.admin).expect(200).await;
    let names: Vec<&str> = staff.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"sneaky"), "{names:?}");
}

#[tokio::test]
async fn an_admin_adds_an_account_who_then_signs_in_with_its_roles() {
    let app = spawn_app().await;
    let mut admin = Visitor::signed_in(&app, "admin").await;
    let list = admin.get("/admin/staff").await;
    assert_eq!(list.status, 200, "{}", list.body);
    for name in ["admin", "admissions", "billing"] {
        assert!(list.body.contains(&format!("<td>{name}</td>")), "{name}");
    }
    let token = list.csrf_token();
    let created = admin
        .post(
            "/admin/staff",
            &[
                ("csrf_token", &token),
                ("username", "rosa.intake"),
                ("password", "a long first password"),
                ("role_admissions", "on"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let account = created.header("location").to_string();
    assert!(account.starts_with("/admin/staff/"), "{account}");
    let page = admin.get(&account).await;
    assert!(page.body.contains("rosa.intake"));
    assert!(
        !page.body.contains("a long first password"),
        "never shown back"
    );

    let mut rosa = Visitor::new(&app);
    let signed = rosa
        .post(
            "/signin",
            &[
                ("username", "rosa.intake"),
                ("password", "a long first password"),
            ],
        )
        .await;
    assert_eq!(signed.status, 303, "{}", signed.body);
    assert_eq!(rosa.get("/clients").await.status, 200);
    assert_eq!(rosa.get("/admin/staff").await.status, 403);

    // The creation and Rosa's sign-in are in the audit log, each under its staff member.
    let id = account.trim_start_matches("/admin/staff/");
    let log = admin.get(&format!("/admin/audit?entity_id={id}")).await;
    assert_eq!(log.status, 200, "{}", log.body);
    assert!(log.body.contains("2 events"), "{}", log.body);
    assert!(log.body.contains("<td>admin</td><td>Created</td>"));
    assert!(log.body.contains("<td>rosa.intake</td><td>Signed in</td>"));

    // Deactivated: Rosa's live session ends at her next page.
    let token = page.csrf_token();
    let done = admin
        .post(
            &format!("{account}/standing"),
            &[("csrf_token", &token), ("active", "false")],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(admin.get(&account).await.body.contains("Deactivated"));
    let after = rosa.get("/clients").await;
    assert_eq!(after.status, 303);
    assert!(after.header("location").starts_with("/signin"));
}

#[tokio::test]
async fn a_refused_account_keeps_what_was_typed_and_says_why_beside_each_field() {
    let app = spawn_app().await;
    let mut admin = Visitor::signed_in(&app, "admin").await;
    let token = admin.get("/admin/staff").await.csrf_token();
    let refused = admin
        .post(
            "/admin/staff",
            &[
                ("csrf_token", &token),
                ("username", "Bad Name"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains(r#"value="Bad Name""#));
    assert!(refused.body.contains("3 fields need attention"));
    assert!(refused.body.contains("must name at least one role"));
    assert!(
        !refused.body.contains("value=\"short\""),
        "passwords are not echoed"
    );
    let taken = admin
        .post(
            "/admin/staff",
            &[
                ("csrf_token", &token),
                ("username", "billing"),
                ("password", PASSWORD),
                ("role_billing", "on"),
            ],
        )
        .await;
    assert_eq!(taken.status, 422);
    assert!(taken.body.contains("this username is taken"));
}

#[tokio::test]
async fn admin_forms_without_their_csrf_token_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let mut admin = Visitor::signed_in(&app, "admin").await;
    let list = admin.get("/admin/staff").await;
    let billing = list
        .body
        .split("href=\"/admin/staff/")
        .nth(1)
        .map(|rest| rest.split('"').next().unwrap().to_string())
        .unwrap();
    let forged = [
        (
            "/admin/staff".to_string(),
            vec![
                ("username", "forged"),
                ("password", PASSWORD),
                ("role_admin", "on"),
            ],
        ),
        (
            format!("/admin/staff/{billing}"),
            vec![("role_admin", "on")],
        ),
        (
            format!("/admin/staff/{billing}/standing"),
            vec![("active", "false")],
        ),
    ];
    for (path, fields) in &forged {
        let reply = admin.post(path, fields).await;
        assert_eq!(reply.status, 403, "{path}");
        let mut with_bad = fields.clone();
        with_bad.push(("csrf_token", "not-the-token"));
        assert_eq!(admin.post(path, &with_bad).await.status, 403, "{path}");
    }
    let users = app.get("/api/v1/users").token(&app.admin).expect(200).await;
    let items = users.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{items:#?}");
    assert!(items.iter().all(|u| u["active"] == true));
}

#[tokio::test]
async fn an_admin_cannot_lock_themself_out() {
    let app = spawn_app().await;
    let mut admin = Visitor::signed_in(&app, "admin").await;
    let own = app.keys.verify(&app.admin).unwrap().sub;
    let path = format!("/admin/staff/{own}");
    let page = admin.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        !page.body.contains("/standing"),
        "no deactivate button on one's own account"
    );
    let token = page.csrf_token();
    let refused = admin
        .post(&path, &[("csrf_token", &token), ("role_billing", "on")])
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused
        .body
        .contains("you cannot remove the admin role from your own account"));
    let refused = admin
        .post(
            &format!("{path}/standing"),
            &[("csrf_token", &token), ("active", "false")],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused
        .body
        .contains("you cannot deactivate your own account"));
    assert_eq!(admin.get("/admin/staff").await.status, 200);
}

#[tokio::test]
async fn the_audit_log_filters_by_action_and_dates_and_explains_a_bad_date() {
    let app = spawn_app().await;
    let mut admin = Visitor::signed_in(&app, "admin").await;
    let signins = admin.get("/admin/audit?action=login").await;
    assert_eq!(signins.status, 200, "{}", signins.body);
    assert!(signins.body.contains("<td>Signed in</td>"));
    assert!(!signins.body.contains("<td>Created</td>"));
    let bad = admin.get("/admin/audit?from=13%2F45%2F2026").await;
    assert_eq!(bad.status, 200);
    assert!(bad.body.contains("enter the date as MM/DD/YYYY"));
    let future = admin
        .get("/admin/audit?from=01%2F01%2F2099&to=01%2F02%2F2099")
        .await;
    assert!(future.body.contains("0 events"), "{}", future.body);
}

#[tokio::test]
async fn the_payers_page_shows_the_connection_and_circuit_but_never_a_secret() {
    let app = spawn_app().await;
    app.post("/api/v1/payers")
        .token(&app.admin)
        .json(serde_json::json!({
            "name": "Secretive Health",
            "payer_id": "SECRET1",
            "connection": {
                "protocol": "json",
                "endpoint_url": "http://127.0.0.1:9/eligibility",
                "credentials": {"kind": "bearer", "token": "tok-never-shown-123"}
            }
        }))
        .expect(201)
        .await;
    let mut admin = Visitor::signed_in(&app, "admin").await;
    let page = admin.get("/admin/payers").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Secretive Health"));
    assert!(page.body.contains("http://127.0.0.1:9/eligibility"));
    assert!(page.body.contains("bearer token (set)"));
    assert!(page.body.contains("Answering"));
    assert!(!page.body.contains("tok-never-shown-123"));
}

/// The payer form's fields for a payer named `name` with EDI id `edi`, not connected.
fn payer_fields<'a>(token: &'a str, name: &'a str, edi: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf_token", token),
        ("name", name),
        ("payer_id", edi),
        ("billing.php_minimum_minutes", "300"),
        ("billing.authorization_required", "on"),
        ("billing.claim_filing_indicator", "BL"),
        ("billing.claim_style", "per_service"),
        ("billing.minimum_services_per_day", "3"),
        ("billing.days_below_minimum", "leave_out"),
    ]
}

/// The payer's stored record, secrets opened, as the store hands it back.
async fn stored(app: &TestApp, id: &str) -> payers::Payer {
    let mut tx = app.db.begin_read().await.unwrap();
    let payer = payers::find(&mut tx, &secret_key(), id.parse::<PayerId>().unwrap())
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
    payer
}

#[tokio::test]
async fn an_admin_adds_a_payer_and_sets_a_secret_that_is_never_shown_and_kept_when_left_blank() {
    let app = spawn_app().await;
    let mut admin = Visitor::signed_in(&app, "admin").await;
    let token = admin.get("/admin/payers").await.csrf_token();
    let created = admin
        .post(
            "/admin/payers",
            &payer_fields(&token, "Bluebonnet Health", "BLUE01"),
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let path = created.header("location").to_string();
    let id = path.trim_start_matches("/admin/payers/").to_string();
    let api = app
        .get(&format!("/api/v1/payers/{id}"))
        .token(&app.admin)
        .expect(200)
        .await;
    assert_eq!(api.body["name"], "Bluebonnet Health");
    assert_eq!(api.body["billing"]["claim_filing_indicator"], "BL");
    assert_eq!(api.body["billing"]["claim_style"], "per_service");
    assert_eq!(api.body["billing"]["php_minimum_minutes"], 300);
    assert!(api.body["connection"].is_null());

    // Connected with a bearer token.
    let secret = "tok-typed-in-the-form-987";
    let page = admin.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let token = page.csrf_token();
    let mut connected = payer_fields(&token, "Bluebonnet Health", "BLUE01");
    connected.extend([
        ("connection.protocol", "json"),
        ("connection.endpoint_url", "http://127.0.0.1:9/eligibility"),
        ("connection.timeout_seconds", "20"),
        ("connection.credentials.kind", "bearer"),
        ("connection.credentials.token", secret),
    ]);
    let saved = admin.post(&path, &connected).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let first = stored(&app, &id).await;
    assert_eq!(secret_of(&first), secret);
    assert_eq!(first.data.connection.as_ref().unwrap().timeout_seconds, 20);

    // Never rendered back, on any page.
    for page in ["/admin/payers", path.as_str(), "/admin/audit"] {
        let body = admin.get(page).await.body;
        assert!(!body.contains(secret), "{page}");
    }

    // Edited with the token left blank: the stored token is kept, the rest changes.
    let mut blank = payer_fields(&token, "Bluebonnet Health Plan", "BLUE01");
    blank.extend([
        ("connection.protocol", "json"),
        (
            "connection.endpoint_url",
            "http://127.0.0.1:9/v2/eligibility",
        ),
        ("connection.credentials.kind", "bearer"),
        ("connection.credentials.token", ""),
    ]);
    let saved = admin.post(&path, &blank).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let second = stored(&app, &id).await;
    assert_eq!(second.data.name.as_str(), "Bluebonnet Health Plan");
    let connection = second.data.connection.as_ref().unwrap();
    assert_eq!(connection.endpoint_url, "http://127.0.0.1:9/v2/eligibility");
    assert_eq!(secret_of(&second), secret, "kept");
    assert!(!admin.get(&path).await.body.contains(secret));

    // A new kind needs its own secret: basic without a password is refused beside the field.
    let mut basic = blank.clone();
    basic.retain(|(k, _)| !k.starts_with("connection.credentials"));
    basic.extend([
        ("connection.credentials.kind", "basic"),
        ("connection.credentials.username", "clinic"),
    ]);
    let refused = admin.post(&path, &basic).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused
        .body
        .contains("f-connection-credentials-password-error"));
    assert!(!refused.body.contains(secret));
    assert_eq!(secret_of(&stored(&app, &id).await), secret);

    // "Not connected" removes the connection and its credentials.
    let removed = admin
        .post(
            &path,
            &payer_fields(&token, "Bluebonnet Health Plan", "BLUE01"),
        )
        .await;
    assert_eq!(removed.status, 303, "{}", removed.body);
    assert!(stored(&app, &id).await.data.connection.is_none());

    // Audited as the API audits payers: a creation and three changes.
    let log = admin.get(&format!("/admin/audit?entity_id={id}")).await;
    assert!(log.body.contains("4 events"), "{}", log.body);
}

#[tokio::test]
async fn a_refused_payer_says_why_beside_each_field_and_a_taken_edi_id_is_a_conflict() {
    let app = spawn_app().await;
    let mut admin = Visitor::signed_in(&app, "admin").await;
    let token = admin.get("/admin/payers").await.csrf_token();
    let mut bad = payer_fields(&token, "Typo Health", "!!");
    bad.retain(|(k, _)| *k != "billing.php_minimum_minutes");
    bad.extend([
        ("billing.php_minimum_minutes", "lots"),
        ("connection.protocol", "json"),
        ("connection.endpoint_url", "ftp://nowhere"),
        ("connection.credentials.kind", "bearer"),
        ("connection.credentials.token", "tok-refused-never-echoed"),
    ]);
    let refused = admin.post("/admin/payers", &bad).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("f-billing-php_minimum_minutes-error"));
    assert!(refused.body.contains(r#"value="Typo Health""#));
    assert!(!refused.body.contains("tok-refused-never-echoed"));
    bad.retain(|(k, _)| *k != "billing.php_minimum_minutes");
    let refused = admin.post("/admin/payers", &bad).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("f-payer_id-error"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("f-connection-endpoint_url-error"));
    assert!(!refused.body.contains("tok-refused-never-echoed"));

    let first = admin
        .post(
            "/admin/payers",
            &payer_fields(&token, "First Health", "TAKEN1"),
        )
        .await;
    assert_eq!(first.status, 303, "{}", first.body);
    let again = admin
        .post(
            "/admin/payers",
            &payer_fields(&token, "Second Health", "TAKEN1"),
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(again
        .body
        .contains("Another payer already has this EDI payer id."));
    assert!(again.body.contains("f-payer_id-error"));
    let listed = app
        .get("/api/v1/payers")
        .token(&app.admin)
        .expect(200)
        .await;
    assert_eq!(listed.body["total"], 1, "{}", listed.body);
}

#[tokio::test]
async fn only_admins_edit_payers_and_payer_forms_need_their_csrf_token() {
    let app = spawn_app().await;
    let mut admin = Visitor::signed_in(&app, "admin").await;
    let token = admin.get("/admin/payers").await.csrf_token();
    let created = admin
        .post(
            "/admin/payers",
            &payer_fields(&token, "Guarded Health", "GUARD1"),
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let path = created.header("location").to_string();

    let mut billing = Visitor::signed_in(&app, "billing").await;
    let page = billing.get(&path).await;
    assert_eq!(page.status, 403);
    assert!(page.body.contains("<html"), "the friendly page");
    let theirs = billing.get("/").await.csrf_token();
    let posted = billing
        .post(&path, &payer_fields(&theirs, "Renamed", "GUARD1"))
        .await;
    assert_eq!(posted.status, 403);
    let posted = billing
        .post("/admin/payers", &payer_fields(&theirs, "Sneaky", "SNEAK1"))
        .await;
    assert_eq!(posted.status, 403);

    for target in ["/admin/payers", path.as_str()] {
        let mut forged = payer_fields("not-the-token", "Forged", "FORGE1");
        assert_eq!(admin.post(target, &forged).await.status, 403, "{target}");
        forged.retain(|(k, _)| *k != "csrf_token");
        assert_eq!(admin.post(target, &forged).await.status, 403, "{target}");
    }
    let listed = app
        .get("/api/v1/payers")
        .token(&app.admin)
        .expect(200)
        .await;
    assert_eq!(listed.body["total"], 1, "{}", listed.body);
    assert_eq!(listed.body["items"][0]["name"], "Guarded Health");
}
