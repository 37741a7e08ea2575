//! The billing desk without a browser: roles, audit, CSRF on every form, the import's refused
//! lines, a confirmed generation billed once however often it is sent, the 837 file, void and
//! replace.

use serde_json::Value;

use crate::claims::{billed_march, oracle_accepts, scene};
use crate::helpers::{client_body, id_of, spawn_app, TestApp};
use crate::web_support::Visitor;
use serde_json::json;

const PAGES: &[&str] = &[
    "/billing",
    "/billing/attendance",
    "/billing/generate",
    "/billing/claims",
    "/billing/unbilled",
];

/// Three IOP days of one week (545 minutes, over the weekly minimum) and a line whose level
/// of care is not one (line 5).
pub(crate) fn week_csv(client: &str) -> String {
    format!(
        "client_id,service_date,level_of_care,minutes\n\
         {client},2026-03-03,IOP,180\n\
         {client},2026-03-04,IOP,185\n\
         {client},2026-03-05,IOP,180\n\
         {client},2026-03-06,XOP,180\n"
    )
}

async fn audited(app: &TestApp, entity_id: &str) -> Vec<Value> {
    let page = app
        .get(&format!("/api/v1/audit?entity_id={entity_id}"))
        .token(&app.admin)
        .expect(200)
        .await
        .body;
    page["items"].as_array().unwrap().clone()
}

async fn claims_of(app: &TestApp) -> Vec<Value> {
    app.get("/api/v1/claims")
        .token(&app.billing)
        .expect(200)
        .await
        .body["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn billing_pages_open_for_billing_only_and_the_claims_list_audits_what_it_shows() {
    let (app, _, ids) = billed_march().await;
    let mut admissions = Visitor::signed_in(&app, "admissions").await;
    for path in PAGES {
        let page = admissions.get(path).await;
        assert_eq!(page.status, 403, "{path}");
        assert!(page.body.contains("Not available to your role"), "{path}");
    }
    let mut billing = Visitor::signed_in(&app, "billing").await;
    for path in PAGES {
        let page = billing.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert!(page.body.contains("Billing desk"), "{path}: the menu");
    }
    let before = audited(&app, &ids[0]).await.len();
    let list = billing.get("/billing/claims").await;
    for id in &ids {
        assert!(list.body.contains(&format!("/billing/claims/{id}/void")));
    }
    assert!(list.body.contains("$"), "charges as money");
    let events = audited(&app, &ids[0]).await;
    assert_eq!(events.len(), before + 1, "{events:#?}");
    let billing_id = app.keys.verify(&app.billing).unwrap().sub;
    assert_eq!(events[0]["user_id"].as_str(), Some(billing_id.as_str()));
    // A filter no claim matches.
    let none = billing.get("/billing/claims?status=paid").await;
    assert!(none.body.contains("No claim matches."));
    let unbilled = billing.get("/billing/unbilled?through=03/31/2026").await;
    assert!(unbilled.body.contains("03/31/2026"), "{}", unbilled.body);
    assert_eq!(
        billing
            .get("/billing/unbilled?through=31/03/2026")
            .await
            .status,
        422
    );
}

#[tokio::test]
async fn every_billing_form_refuses_a_post_without_its_token_and_changes_nothing() {
    let (app, s, ids) = billed_march().await;
    let mut billing = Visitor::signed_in(&app, "billing").await;
    let csv = week_csv(&s.client);
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/billing/attendance".into(), vec![("csv", csv.as_str())]),
        (
            "/billing/generate/preview".into(),
            vec![("through_date", "03/31/2026"), ("period", "month")],
        ),
        (
            "/billing/generate".into(),
            vec![
                ("through_date", "03/31/2026"),
                ("period", "month"),
                ("key", "k-1"),
            ],
        ),
        (
            format!("/billing/claims/{}/status", ids[0]),
            vec![("status", "ready")],
        ),
        (format!("/billing/claims/{}/void", ids[0]), vec![]),
        (format!("/billing/claims/{}/replace", ids[0]), vec![]),
        (format!("/billing/claims/{}/837", ids[0]), vec![]),
        (
            format!("/billing/authorizations/{}/extensions", s.authorization),
            vec![("effective_date", "03/15/2026"), ("days_added", "5")],
        ),
    ];
    let before = claims_of(&app).await;
    for (path, fields) in &forms {
        let refused = billing.post(path, fields).await;
        assert_eq!(refused.status, 403, "{path}");
        assert!(
            refused.body.contains("The form could not be accepted"),
            "{path}"
        );
    }
    assert_eq!(claims_of(&app).await, before, "nothing changed");
    let authorization = app
        .get(&format!("/api/v1/authorizations/{}", s.authorization))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(authorization["days_approved"], 10, "no extension recorded");
}

#[tokio::test]
async fn a_clients_ledger_and_calendar_are_audited_and_an_extension_is_recorded_beside_it() {
    let (app, s, _) = billed_march().await;
    let path = format!("/billing/clients/{}?month=2026-03", s.client);
    let mut admissions = Visitor::signed_in(&app, "admissions").await;
    assert_eq!(admissions.get(&path).await.status, 403);
    let mut billing = Visitor::signed_in(&app, "billing").await;
    let before = audited(&app, &s.client).await.len();
    let page = billing.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("PA-7781"));
    assert!(page.body.contains("Attendance, March 2026"));
    // 10 approved, all used; the 13th attended day (03/17) is beyond them.
    let remaining = page
        .body
        .split(r#"class="ledger-remaining">"#)
        .nth(1)
        .unwrap();
    assert!(remaining.starts_with("0 days"), "{remaining}");
    let short = page.body.split(r#"id="day-2026-03-09""#).nth(1).unwrap();
    let short = short.split("</td>").next().unwrap();
    assert!(short.contains("Not billable"), "a 120-minute day: {short}");
    let full = page.body.split(r#"id="day-2026-03-02""#).nth(1).unwrap();
    assert!(full.split("</td>").next().unwrap().contains("Billable"));
    let events = audited(&app, &s.client).await;
    assert!(
        events.len() >= before + 2,
        "client and attendance reads: {events:#?}"
    );
    assert!(events
        .iter()
        .any(|e| e["entity_type"] == "client" && e["action"] == "read"));
    assert!(events
        .iter()
        .any(|e| e["entity_type"] == "attendance" && e["action"] == "read"));

    let token = page.csrf_token();
    let action = format!("/billing/authorizations/{}/extensions", s.authorization);
    let refused = billing
        .post(
            &action,
            &[
                ("csrf_token", &token),
                ("effective_date", "03/15/2026"),
                ("days_added", "0"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains(r#"id="f-days_added-error""#),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains(r#"value="03/15/2026""#),
        "keeps what was typed"
    );
    let recorded = billing
        .post(
            &action,
            &[
                ("csrf_token", &token),
                ("effective_date", "03/15/2026"),
                ("days_added", "5"),
                ("new_end_date", "03/27/2026"),
                ("reference", "REV-2"),
            ],
        )
        .await;
    assert_eq!(recorded.status, 303, "{}", recorded.body);
    assert_eq!(
        recorded.header("location"),
        format!("/billing/clients/{}", s.client)
    );
    let authorization = app
        .get(&format!("/api/v1/authorizations/{}", s.authorization))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(authorization["days_approved"], 15);
    assert_eq!(authorization["end_date"], "2026-03-27");
    let page = billing.get(&path).await;
    assert!(page.body.contains("REV-2"));
}

#[tokio::test]
async fn an_import_shows_its_refused_line_and_a_confirmed_generation_bills_once() {
    let app = spawn_app().await;
    crate::claims::set_up_clinic(&app).await;
    let s = scene(&app).await;
    let mut billing = Visitor::signed_in(&app, "billing").await;
    let token = billing.get("/billing/attendance").await.csrf_token();
    let csv = week_csv(&s.client);
    let imported = billing
        .post(
            "/billing/attendance",
            &[("csrf_token", &token), ("csv", &csv)],
        )
        .await;
    assert_eq!(imported.status, 200, "{}", imported.body);
    assert!(imported.body.contains("3 recorded"), "{}", imported.body);
    let row = imported
        .body
        .split(r#"<tr id="line-5">"#)
        .nth(1)
        .expect("line 5 refused");
    let row = row.split("</tr>").next().unwrap();
    assert!(
        row.contains("2026-03-06,XOP,180"),
        "the line beside its error: {row}"
    );
    assert!(row.contains("level_of_care"), "{row}");
    let empty = billing
        .post(
            "/billing/attendance",
            &[("csrf_token", &token), ("csv", "  ")],
        )
        .await;
    assert_eq!(empty.status, 422);
    assert!(empty.body.contains(r#"id="f-csv-error""#));

    let month = [
        ("from_date", "03/01/2026"),
        ("through_date", "03/31/2026"),
        ("period", "month"),
    ];
    let mut fields = vec![("csrf_token", token.as_str())];
    fields.extend(month);
    let preview = billing.post("/billing/generate/preview", &fields).await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(
        preview.body.contains("Generate 1 claim"),
        "{}",
        preview.body
    );
    assert!(preview.body.contains("$999.99"), "3 days at $333.33");
    assert!(claims_of(&app).await.is_empty(), "a preview bills nothing");
    let key = preview.body.split(r#"name="key" value=""#).nth(1).unwrap();
    let key = key.split('"').next().unwrap().to_string();
    let mut confirm = fields.clone();
    confirm.push(("key", &key));
    let first = billing.post("/billing/generate", &confirm).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first.body.contains("Claims generated"));
    let again = billing.post("/billing/generate", &confirm).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert!(again.body.contains("already confirmed"), "{}", again.body);
    let claims = claims_of(&app).await;
    assert_eq!(claims.len(), 1, "a double submit bills once: {claims:#?}");
    let bad = billing
        .post(
            "/billing/generate/preview",
            &[
                ("csrf_token", &token),
                ("through_date", "02/30/2026"),
                ("period", "month"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains(r#"id="f-through_date-error""#),
        "{}",
        bad.body
    );

    // The 837 file, then void and replace from the list.
    let id = claims[0]["id"].as_str().unwrap().to_string();
    let file = billing
        .post(
            &format!("/billing/claims/{id}/837"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(file.status, 200, "{}", file.body);
    assert!(file.header("content-disposition").contains("attachment"));
    oracle_accepts("web-837i", &file.body);
    // Sent (ready, then submitted) through the status form: only then is it replaced.
    for status in ["ready", "submitted"] {
        let moved = billing
            .post(
                &format!("/billing/claims/{id}/status"),
                &[("csrf_token", &token), ("status", status)],
            )
            .await;
        assert_eq!(moved.status, 303, "{status}: {}", moved.body);
    }
    let skipped = billing
        .post(
            &format!("/billing/claims/{id}/status"),
            &[("csrf_token", &token), ("status", "paid")],
        )
        .await;
    assert_eq!(skipped.status, 409, "submitted cannot be paid at once");
    let replaced = billing
        .post(
            &format!("/billing/claims/{id}/replace"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(replaced.status, 303, "{}", replaced.body);
    let after = claims_of(&app).await;
    let original = after.iter().find(|c| c["id"] == id.as_str()).unwrap();
    assert_eq!(original["status"], "replaced");
    let replacement = after.iter().find(|c| c["frequency"] == "7").unwrap();
    let rid = replacement["id"].as_str().unwrap();
    let voided = billing
        .post(
            &format!("/billing/claims/{rid}/void"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(voided.status, 303, "{}", voided.body);
    let replacement = claims_of(&app)
        .await
        .into_iter()
        .find(|c| c["id"] == rid)
        .unwrap();
    assert_eq!(
        replacement["status"], "void",
        "a draft replacement is voided at home"
    );
    // Voiding the replaced claim is refused in words, beside the list.
    let twice = billing
        .post(
            &format!("/billing/claims/{id}/void"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(twice.status, 409, "{}", twice.body);
    assert!(twice.body.contains("notice bad"));
}

#[tokio::test]
async fn the_desk_shows_an_authorization_ending_soon_and_audits_the_client_it_names() {
    let app = spawn_app().await;
    let payer = id_of(&app.create_payer().await);
    let client = id_of(&app.create_client(client_body()).await);
    let coverage = id_of(&app.create_coverage(&client, &payer).await);
    let today = chrono::Utc::now().date_naive();
    app.post("/api/v1/authorizations")
        .token(&app.billing)
        .json(json!({
            "client_id": client, "coverage_id": coverage, "level_of_care": "IOP",
            "program": "mental_health", "authorization_number": "PA-END",
            "status": "approved", "start_date": (today - chrono::Duration::days(10)).to_string(),
            "end_date": (today + chrono::Duration::days(3)).to_string(), "days_approved": 10
        }))
        .expect(201)
        .await;
    let mut billing = Visitor::signed_in(&app, "billing").await;
    let desk = billing.get("/billing").await;
    assert_eq!(desk.status, 200, "{}", desk.body);
    assert!(desk.body.contains("Authorization ending"), "{}", desk.body);
    assert!(desk.body.contains("PA-END"));
    // The alert's words carry the end date as the pages write dates (the API keeps ISO).
    let end = today + chrono::Duration::days(3);
    assert!(
        desk.body.contains(&end.format("%m/%d/%Y").to_string()),
        "{}",
        desk.body
    );
    assert!(!desk.body.contains(&end.to_string()), "{}", desk.body);
    assert!(desk.body.contains(&format!("/billing/clients/{client}")));
    let events = audited(&app, &client).await;
    assert!(
        events
            .iter()
            .any(|e| e["entity_type"] == "alerts" && e["action"] == "read"),
        "{events:#?}"
    );
}

/// A month of a mid-sized clinic's attendance is more than actix's default 256 KB form body:
/// the import page takes what the API's import takes.
#[tokio::test]
async fn an_import_larger_than_256_kb_is_read_whole() {
    let app = spawn_app().await;
    crate::claims::set_up_clinic(&app).await;
    let s = scene(&app).await;
    let mut billing = Visitor::signed_in(&app, "billing").await;
    let token = billing.get("/billing/attendance").await.csrf_token();
    let mut csv = week_csv(&s.client);
    let refused_line = format!("{},2026-03-06,XOP,180\n", s.client);
    while csv.len() < 300 * 1024 {
        csv.push_str(&refused_line);
    }
    let last_line = csv.lines().count();
    let imported = billing
        .post(
            "/billing/attendance",
            &[("csrf_token", &token), ("csv", &csv)],
        )
        .await;
    assert_eq!(
        imported.status,
        200,
        "{}",
        &imported.body[..imported.body.len().min(2000)]
    );
    assert!(imported.body.contains("3 recorded"));
    assert!(
        imported
            .body
            .contains(&format!(r#"<tr id="line-{last_line}">"#)),
        "the last line is read and reported"
    );
}

/// The value of the preview's confirm key.
fn confirm_key(preview: &str) -> String {
    let key = preview.split(r#"name="key" value=""#).nth(1).unwrap();
    key.split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn per_service_claims_show_their_lines_by_day_their_warnings_and_held_interims_in_words() {
    use crate::per_service::{attendance, march_catalog, medicare_php, php_march};

    let app = spawn_app().await;
    crate::claims::set_up_clinic(&app).await;
    march_catalog(&app).await;
    let (_, client) = medicare_php(&app, "bill", "MRN-WEB-PS").await;
    let mut days = php_march(&client);
    // April days, held until March's interim bill is sent.
    for date in ["2026-04-06", "2026-04-07"] {
        days.push(
            json!({"client_id": client, "service_date": date, "level_of_care": "PHP",
                         "minutes": 330, "services": [{"code": "G0410", "units": 3}]}),
        );
    }
    assert_eq!(attendance(&app, "", days, 200).await["created"], 8);
    let mut billing = Visitor::signed_in(&app, "billing").await;
    let token = billing.get("/billing/generate").await.csrf_token();
    let march = [
        ("csrf_token", token.as_str()),
        ("from_date", "03/01/2026"),
        ("through_date", "03/31/2026"),
        ("period", "month"),
    ];

    // The dry run: each service on its line, under its day; the short day's warning in words.
    let preview = billing.post("/billing/generate/preview", &march).await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    let lines = preview
        .body
        .split(r#"id="generated-lines-1""#)
        .nth(1)
        .expect("the claim's lines");
    let lines = &lines[..lines.find("</table>").unwrap()];
    assert_eq!(
        lines.matches(r#"<tbody class="day">"#).count(),
        6,
        "{lines}"
    );
    assert_eq!(lines.matches(">G0410<").count(), 6, "{lines}");
    let short = lines
        .split("<th scope=\"rowgroup\">03/04/2026</th>")
        .nth(1)
        .expect("the 4th, with its own total row");
    let short = &short[..short.find("</tbody>").unwrap()];
    assert!(short.contains("3 lines"), "{short}");
    assert!(short.contains("$550.00"), "G0410 + 90837 + 99211: {short}");
    assert!(
        short.contains("Only 2 qualifying services this day"),
        "{short}"
    );
    assert!(
        !preview.body.contains("2026-03-04"),
        "no ISO date on the page"
    );

    let mut confirm = march.to_vec();
    let key = confirm_key(&preview.body);
    confirm.push(("key", &key));
    let made = billing.post("/billing/generate", &confirm).await;
    assert_eq!(made.status, 200, "{}", made.body);
    let claim = app
        .get("/api/v1/claims")
        .token(&app.billing)
        .expect(200)
        .await
        .body["items"][0]
        .clone();
    let (id, number) = (id_of(&claim), claim["claim_number"].as_str().unwrap());

    // The list flags the claim's warning and opens the claim.
    let list = billing.get("/billing/claims").await;
    let row = list
        .body
        .split(&format!(r#"id="claim-{number}""#))
        .nth(1)
        .unwrap();
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("1 warning"), "{row}");
    assert!(
        row.contains(&format!(r#"href="/billing/claims/{id}""#)),
        "{row}"
    );
    let page = billing.get(&format!("/billing/claims/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(r#"id="claim-lines""#));
    assert!(page.body.contains("$4,126.50"), "the claim's charge");
    assert!(page.body.contains("6 (15 lines)"), "{}", page.body);
    assert!(page.body.contains("Condition codes"));
    assert!(
        page.body.contains("Only 2 qualifying services this day"),
        "{}",
        page.body
    );
    let billing_user = app.keys.verify(&app.billing).unwrap().sub;
    let audit = app
        .get(&format!("/api/v1/audit?entity_id={id}"))
        .token(&app.admin)
        .expect(200)
        .await
        .body;
    assert!(audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "read" && e["user_id"] == json!(billing_user)));
    assert_eq!(
        billing
            .get("/billing/claims/0194f1d2-6a4e-7c1b-9a53-2d2f5c9e8a10")
            .await
            .status,
        404
    );

    // April waits for March's interim to be sent: the reason names it by number and period.
    let april = [
        ("csrf_token", token.as_str()),
        ("from_date", "04/01/2026"),
        ("through_date", "04/30/2026"),
        ("period", "month"),
    ];
    let held = billing.post("/billing/generate/preview", &april).await;
    assert_eq!(held.status, 200, "{}", held.body);
    let left = held.body.split(r#"id="left-out""#).nth(1).unwrap();
    assert!(
        left.contains(&format!(
            "the previous one, claim {number} (03/02/2026 – 03/17/2026), has not been sent yet"
        )),
        "{left}"
    );
    assert!(!left.contains(&id), "no raw claim id: {left}");
}
