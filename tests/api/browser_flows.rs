//! The staff web app in real Chromium (see `browser`).

use perdiem::mock_payer::{self, Scenarios, X12_PATH};
use serde_json::json;

use crate::browser::Browser;
use crate::helpers::spawn_app;

#[tokio::test]
async fn a_signed_out_visit_lands_on_sign_in_and_signing_in_returns_to_the_page() {
    let app = spawn_app().await;
    let Some(mut browser) = Browser::start(&app, "signin").await else {
        return;
    };
    browser.visit("/admin/clinic").await;
    assert_eq!(browser.path().await, "/signin");
    assert!(browser.text().await.contains("Please sign in to continue."));
    browser.screen("signin").await;
    browser.fill("#username", "admin").await;
    browser.fill("#password", "not-the-password").await;
    browser.submit("button[type=submit]").await;
    assert!(browser
        .text_of("#signin-error")
        .await
        .contains("The username or password is wrong."));
    browser.screen("signin-refused").await;
    browser.sign_in("admin").await;
    assert_eq!(browser.path().await, "/admin/clinic");
    assert!(browser.text_of("h1").await.contains("Clinic"));
    browser.screen("clinic").await;
    browser.submit(".who button[type=submit]").await;
    assert_eq!(browser.path().await, "/signin");
    browser.close().await;
}

#[tokio::test]
async fn admissions_enrolls_a_caller_verifies_benefits_and_prints_the_vob() {
    let app = spawn_app().await;
    let mock = mock_payer::start(Scenarios::bundled().unwrap(), "127.0.0.1", 0)
        .await
        .unwrap();
    app.set_up_clinic().await;
    app.post("/api/v1/payers")
        .token(&app.admin)
        .json(json!({
            "name": "Mock Health Plan",
            "payer_id": "MOCKWEB1",
            "connection": {"protocol": "x12", "endpoint_url": mock.url(X12_PATH), "timeout_seconds": 5}
        }))
        .expect(201)
        .await;
    let Some(mut browser) = Browser::start(&app, "admissions").await else {
        return;
    };
    browser.visit("/").await;
    browser.sign_in("admissions").await;
    browser.visit("/clients").await;
    browser.screen("find").await;
    browser.click("a[href='/clients/new']").await;
    assert_eq!(browser.path().await, "/clients/new");
    browser.screen("enroll").await;
    browser.fill("#f-first_name", "Ana").await;
    browser.fill("#f-last_name", "Lopez").await;
    browser.fill("#f-date_of_birth", "04/31/1988").await;
    browser.choose("#f-sex", "Female").await;
    browser.choose("#f-payer_id", "Mock Health Plan").await;
    browser.fill("#f-member_id", "MOCK-DEDUCTIBLE-COPAY").await;
    browser.fill("#f-group_number", "GRP-100").await;
    browser
        .submit("form[action='/clients/new'] button[type=submit]")
        .await;
    // No April 31st: the error sits beside the field, and what was typed stays.
    assert_eq!(
        browser.text_of("#f-date_of_birth-error").await,
        "not a day on the calendar; enter the date as MM/DD/YYYY"
    );
    browser.screen("enroll-refused").await;
    browser.fill("#f-date_of_birth", "04/12/1988").await;
    browser
        .submit("form[action='/clients/new'] button[type=submit]")
        .await;
    assert!(
        browser.path().await.starts_with("/clients/"),
        "{}",
        browser.text().await
    );
    assert_eq!(browser.text_of("h1").await, "Ana Lopez");
    browser.screen("client").await;

    browser
        .submit("form[action$='/verify'] button[type=submit]")
        .await;
    assert!(
        browser.path().await.starts_with("/verifications/"),
        "{}",
        browser.text().await
    );
    // The mock scenario: $400 of the $1,000 in-network deductible left; $75 per PHP day.
    assert_eq!(
        browser.text_of("#IOP-in-ded-ind-remaining").await,
        "$400.00"
    );
    assert_eq!(browser.text_of("#IOP-in-ded-ind-total").await, "$1,000.00");
    assert_eq!(browser.text_of("#PHP-in-copay").await, "$75.00");
    assert_eq!(browser.text_of("#IOP-in-copay").await, "$40.00");
    assert_eq!(browser.text_of("#PHP-status").await, "Active");
    let text = browser.text().await;
    assert!(
        text.contains("not stated by payer"),
        "unstated figures say so"
    );
    browser.screen("result").await;

    browser.click("a[href$='/print']").await;
    assert!(browser.path().await.ends_with("/print"));
    let vob = browser.text().await;
    for expected in [
        "Verification of benefits",
        "Ana Lopez",
        "Mock Health Plan",
        "MOCK-DEDUCTIBLE-COPAY",
        "admissions",
        "$400.00",
        "$75.00",
    ] {
        assert!(vob.contains(expected), "{expected} on the VOB: {vob}");
    }
    browser.screen("print").await;
    let pdf = browser.pdf().await;
    let pages = pdf
        .windows(b"/Type /Page".len() + 1)
        .filter(|w| w.starts_with(b"/Type /Page") && w[b"/Type /Page".len()] != b's')
        .count();
    assert_eq!(pages, 1, "the VOB prints on one page");

    // Tomorrow's list: Ana is matched, Ben entered, the third line names no payer we know.
    browser.click("a[href='/batches']").await;
    assert_eq!(browser.path().await, "/batches");
    browser
        .fill(
            "#f-csv",
            "First name,Last name,Birth date,Payer,Member id\n\
             Ana,Lopez,04/12/1988,Mock Health Plan,MOCK-DEDUCTIBLE-COPAY\n\
             Ben,Diaz,02/03/1975,Mock Health Plan,MOCK-COPAY\n\
             Cy,Ng,05/06/1990,Nobody Health,MOCK-COPAY\n",
        )
        .await;
    browser.screen("batch-list").await;
    browser
        .submit("form[action='/batches'] button[type=submit]")
        .await;
    assert!(browser
        .text_of("#intake-outcome")
        .await
        .contains("1 matched to a client and coverage on file, 1 entered as new clients"));
    assert!(browser
        .text_of("#line-4")
        .await
        .contains("no payer is named \"Nobody Health\""));
    browser.screen("batch-started").await;
    // The answer shows the batch's own address: a reload shows the batch, and starts none.
    let batch = browser.path().await;
    assert!(batch.starts_with("/batches/"), "{batch}");
    browser.reload().await;
    assert_eq!(browser.path().await, batch);
    assert!(browser.text_of("#batch-results").await.contains("Ben Diaz"));
    let mut tx = app.db.read_each().await.unwrap();
    let batches = perdiem::store::batches::recent(&mut tx, 10).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(batches.len(), 1, "the reload started no second batch");
    // The page's script polls the progress and moves to the results once the batch is done.
    let begun = std::time::Instant::now();
    while !(browser.path().await.starts_with("/batches/")
        && browser.text().await.contains("Finished"))
    {
        assert!(
            begun.elapsed() < std::time::Duration::from_secs(60),
            "{}",
            browser.text().await
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(browser.text_of("#item-1").await.contains("Active"));
    assert!(browser.text_of("#item-2").await.contains("Ben Diaz"));
    browser.screen("batch-results").await;
    browser.click("#item-1 a.chip-link").await;
    assert!(browser.path().await.starts_with("/verifications/"));
    browser.close().await;
}

#[tokio::test]
async fn an_admin_adds_a_staff_member_who_then_signs_in() {
    let app = spawn_app().await;
    app.create_payer().await;
    let Some(mut browser) = Browser::start(&app, "admin").await else {
        return;
    };
    browser.visit("/admin/staff").await;
    browser.sign_in("admin").await;
    assert_eq!(browser.path().await, "/admin/staff");
    browser.screen("staff").await;
    browser.fill("#f-username", "rosa.intake").await;
    browser.fill("#f-password", "a long first password").await;
    browser.click("input[name=role_admissions]").await;
    browser
        .submit("form[action='/admin/staff'] button[type=submit]")
        .await;
    assert!(
        browser.path().await.starts_with("/admin/staff/"),
        "{}",
        browser.text().await
    );
    assert!(browser.text_of("h1").await.contains("rosa.intake"));
    browser.screen("account").await;
    browser.visit("/admin/audit").await;
    assert!(browser.text().await.contains("Created"));
    browser.screen("audit").await;
    browser.visit("/admin/payers").await;
    assert!(browser.text().await.contains("Answering"));
    browser.screen("payers").await;
    browser.submit(".who button[type=submit]").await;
    assert_eq!(browser.path().await, "/signin");
    browser.fill("#username", "rosa.intake").await;
    browser.fill("#password", "a long first password").await;
    browser.submit("button[type=submit]").await;
    assert!(
        browser.text().await.contains("Signed in as rosa.intake"),
        "{}",
        browser.text().await
    );
    browser.visit("/admin/staff").await;
    assert!(browser.text().await.contains("Not available to your role"));
    browser.close().await;
}

#[tokio::test]
async fn an_estimate_from_a_verification_shows_the_days_and_totals_and_prints() {
    let app = spawn_app().await;
    let mock = mock_payer::start(Scenarios::bundled().unwrap(), "127.0.0.1", 0)
        .await
        .unwrap();
    let (client, _, _) =
        crate::verifications::set_up(&app, "x12", &mock.url(X12_PATH), "MOCK-DEDUCTIBLE-COPAY")
            .await;
    let Some(mut browser) = Browser::start(&app, "estimate").await else {
        return;
    };
    browser.visit(&format!("/clients/{client}")).await;
    browser.sign_in("admissions").await;
    browser
        .submit("form[action$='/verify'] button[type=submit]")
        .await;
    assert!(browser.path().await.starts_with("/verifications/"));
    browser.click("a[href$='/estimate']").await;
    assert!(browser.path().await.ends_with("/estimate"));
    browser.fill("#f-start_date", "11/23/2026").await;
    browser.fill("#f-days_per_week", "5").await;
    browser.fill("#f-weeks", "2").await;
    browser.fill("#f-allowed_per_day", "450.00").await;
    browser.screen("form").await;
    browser
        .submit("form[action$='/estimate'] button[type=submit]")
        .await;
    assert!(
        browser.path().await.starts_with("/estimates/"),
        "{}",
        browser.text().await
    );
    let text = browser.text().await;
    for expected in [
        "Estimate for Ana Lopez",
        "11/23/2026",
        "12/04/2026",
        "$400.00",
        "Total",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    browser.screen("result").await;
    let pdf = browser.pdf().await;
    assert!(pdf.starts_with(b"%PDF"), "printable");
    browser.close().await;
}

#[tokio::test]
async fn billing_imports_attendance_previews_generates_and_the_837i_passes_the_oracle() {
    let app = spawn_app().await;
    crate::claims::set_up_clinic(&app).await;
    let s = crate::claims::scene(&app).await;
    // A second authorization, ending in three days: the desk's alert.
    let coverages = app
        .get(&format!("/api/v1/clients/{}/coverages", s.client))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    let today = chrono::Utc::now().date_naive();
    app.post("/api/v1/authorizations")
        .token(&app.billing)
        .json(json!({
            "client_id": s.client, "coverage_id": coverages["items"][0]["id"],
            "level_of_care": "IOP", "program": "mental_health",
            "authorization_number": "PA-8120", "status": "approved",
            "start_date": (today - chrono::Duration::days(10)).to_string(),
            "end_date": (today + chrono::Duration::days(3)).to_string(), "days_approved": 10
        }))
        .expect(201)
        .await;
    let Some(mut browser) = Browser::start(&app, "billing").await else {
        return;
    };
    browser.visit("/").await;
    browser.sign_in("billing").await;
    browser.visit("/billing").await;
    assert!(browser.text().await.contains("Authorization ending"));
    browser.screen("desk").await;
    browser.visit("/billing/attendance").await;
    // The week, its bad line, and a 60-minute day the preview leaves out.
    let csv = format!(
        "{}{},2026-03-09,IOP,60\n",
        crate::web_billing::week_csv(&s.client),
        s.client
    );
    browser.fill("#f-csv", &csv).await;
    browser.screen("import").await;
    browser
        .submit("form[action='/billing/attendance'] button[type=submit]")
        .await;
    assert!(browser
        .text_of("#import-outcome")
        .await
        .contains("4 recorded"));
    let refused = browser.text_of("#line-5").await;
    assert!(refused.contains("2026-03-06,XOP,180"), "{refused}");
    assert!(refused.contains("level_of_care"), "{refused}");
    browser.screen("import-refused").await;

    browser.visit("/billing/generate").await;
    browser.fill("#f-from_date", "03/01/2026").await;
    browser.fill("#f-through_date", "03/31/2026").await;
    browser.choose("#f-period", "A claim a month").await;
    browser.screen("generate").await;
    browser
        .submit("form[action='/billing/generate/preview'] button[type=submit]")
        .await;
    assert!(browser
        .text_of("#generation-summary")
        .await
        .contains("$999.99"));
    assert!(browser.text_of("#left-out").await.contains("03/09/2026"));
    browser.screen("preview").await;
    browser.submit("#confirm-generate").await;
    assert_eq!(browser.text_of("h1").await, "Claims generated");
    browser.screen("generated").await;

    browser.visit("/billing/claims").await;
    browser.screen("claims").await;
    // The claim's own page: its lines by day.
    browser
        .click("#claim-PD00000001 a[href^='/billing/claims/']")
        .await;
    assert_eq!(browser.text_of("h1").await, "Claim PD00000001");
    assert!(browser.text_of("#claim-lines").await.contains("03/03/2026"));
    browser.screen("claim").await;
    browser.visit("/billing/claims").await;
    // The 837 file as the download button posts it, in this browser session.
    let file = browser.post_form("#claims form[action$='/837']").await;
    assert!(file.starts_with("ISA*"), "{file}");
    crate::claims::oracle_accepts("browser-837i", &file);
    // Sent to the payer (ready, then submitted), replaced, and the replacement voided.
    for status in ["Ready", "Submitted"] {
        browser.choose("#status-PD00000001", status).await;
        browser
            .submit("#claim-PD00000001 form[action$='/status'] button")
            .await;
    }
    browser.accept_confirms().await;
    browser
        .submit("#claim-PD00000001 form[action$='/replace'] button")
        .await;
    assert_eq!(browser.path().await, "/billing/claims");
    assert!(browser
        .text_of("#claim-PD00000001")
        .await
        .contains("Replaced"));
    browser.accept_confirms().await;
    browser
        .submit("#claim-PD00000002 form[action$='/void'] button")
        .await;
    let text = browser.text_of("#claim-PD00000002").await;
    assert!(text.contains("Void"), "{text}");
    browser.screen("claims-after").await;
    browser
        .visit(&format!("/billing/clients/{}?month=2026-03", s.client))
        .await;
    assert!(browser
        .text_of("#day-2026-03-03")
        .await
        .contains("Billable"));
    browser.screen("client").await;
    browser.visit("/billing/unbilled?through=03/31/2026").await;
    browser.screen("unbilled").await;
    browser.close().await;
}
