//! The estimate screen without a browser: the same figures as the API, kept and audited.

use perdiem::mock_payer::{self, Scenarios, X12_PATH};
use serde_json::json;

use crate::helpers::TestApp;
use crate::web_support::Visitor;

/// A client whose IOP and PHP benefits were verified through the web (the mock's deductible and
/// copay scenario); returns the verification's id and the signed-in admissions visitor.
async fn verified<'a>(app: &'a TestApp, mock_url: &str) -> (String, Visitor<'a>) {
    let (client, coverage, _) =
        crate::verifications::set_up(app, "x12", mock_url, "MOCK-DEDUCTIBLE-COPAY").await;
    let mut visitor = Visitor::signed_in(app, "admissions").await;
    let token = visitor
        .get(&format!("/clients/{client}"))
        .await
        .csrf_token();
    let asked = visitor
        .post(
            &format!("/clients/{client}/verify"),
            &[
                ("csrf_token", &token),
                ("coverage_id", &coverage),
                ("iop", "on"),
                ("php", "on"),
                ("program", "mental_health"),
                ("service_date", "11/23/2026"),
            ],
        )
        .await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    let id = asked
        .header("location")
        .trim_start_matches("/verifications/")
        .to_string();
    (id, visitor)
}

fn money(raw: &serde_json::Value) -> String {
    perdiem::web::format::money_text(raw.as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn an_estimate_from_a_verification_shows_the_apis_figures_day_by_day_and_is_audited() {
    let app = crate::helpers::spawn_app().await;
    let mock = mock_payer::start(Scenarios::bundled().unwrap(), "127.0.0.1", 0)
        .await
        .unwrap();
    let (verification, mut visitor) = verified(&app, &mock.url(X12_PATH)).await;
    let result = visitor.get(&format!("/verifications/{verification}")).await;
    assert!(result
        .body
        .contains(&format!("/verifications/{verification}/estimate")));
    let form = visitor
        .get(&format!("/verifications/{verification}/estimate"))
        .await;
    assert_eq!(form.status, 200, "{}", form.body);
    let token = form.csrf_token();
    let made = visitor
        .post(
            &format!("/verifications/{verification}/estimate"),
            &[
                ("csrf_token", &token),
                ("level_of_care", "IOP"),
                ("network", "in"),
                ("plan", "schedule"),
                ("start_date", "11/23/2026"),
                ("days_per_week", "3"),
                ("weeks", "2"),
                ("allowed_per_day", "$450.00"),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let location = made.header("location").to_string();
    assert!(location.starts_with("/estimates/"), "{location}");
    let shown = visitor.get(&location).await;
    assert_eq!(shown.status, 200, "{}", shown.body);

    // The API, asked the same, gives the same figures.
    let api = app
        .post("/api/v1/estimates")
        .token(&app.admissions)
        .json(json!({
            "verification_id": verification,
            "level_of_care": "IOP",
            "network": "in",
            "schedule": {"start_date": "2026-11-23", "days_per_week": 3, "weeks": 2},
            "allowed_per_day": "450.00"
        }))
        .expect(201)
        .await
        .body;
    let days = api["estimate"]["days"].as_array().unwrap();
    assert_eq!(days.len(), 6);
    for day in days {
        let date = day["date"].as_str().unwrap();
        let (y, m, d) = (&date[..4], &date[5..7], &date[8..]);
        assert!(shown.body.contains(&format!("{m}/{d}/{y}")), "{date}");
    }
    let totals = &api["estimate"]["totals"];
    assert!(totals["high"].is_object() || totals["high"].is_null());
    let patient = money(&totals["low"]["patient"]);
    let plan = money(&totals["low"]["plan"]);
    assert!(shown.body.contains(&patient), "{patient} in {}", shown.body);
    assert!(shown.body.contains(&plan), "{plan}");
    assert!(
        shown.body.contains("$400.00"),
        "the deductible left is paid first"
    );
    assert!(shown.body.contains("data-print"));

    // Both the making and the reading were audited.
    let id = location.trim_start_matches("/estimates/");
    let events = app
        .get(&format!("/api/v1/audit?entity_id={id}"))
        .token(&app.admin)
        .expect(200)
        .await
        .body;
    let actions: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"create") && actions.contains(&"read"),
        "{actions:?}"
    );

    // Billing reads the estimate but does not make one.
    let mut billing = Visitor::signed_in(&app, "billing").await;
    assert_eq!(billing.get(&location).await.status, 200);
    assert_eq!(
        billing
            .get(&format!("/verifications/{verification}/estimate"))
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn chosen_days_and_self_pay_make_a_good_faith_estimate_and_bad_input_is_said_beside_it() {
    let app = crate::helpers::spawn_app().await;
    let mock = mock_payer::start(Scenarios::bundled().unwrap(), "127.0.0.1", 0)
        .await
        .unwrap();
    let (verification, mut visitor) = verified(&app, &mock.url(X12_PATH)).await;
    let path = format!("/verifications/{verification}/estimate");
    let token = visitor.get(&path).await.csrf_token();
    let refused = visitor
        .post(
            &path,
            &[
                ("csrf_token", &token),
                ("level_of_care", "PHP"),
                ("network", "in"),
                ("plan", "days"),
                ("days", "11/23/2026, 11/31/2026"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("enter the date as MM/DD/YYYY"));
    assert!(
        refused.body.contains("11/23/2026, 11/31/2026"),
        "kept as typed"
    );
    let made = visitor
        .post(
            &path,
            &[
                ("csrf_token", &token),
                ("level_of_care", "PHP"),
                ("network", "in"),
                ("plan", "days"),
                ("days", "11/23/2026\n11/24/2026 11/25/2026"),
                ("self_pay", "on"),
                ("self_pay_rate_per_day", "300"),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let shown = visitor.get(made.header("location")).await;
    assert!(shown.body.contains("Good-faith estimate"), "{}", shown.body);
    assert!(shown.body.contains("$900.00"), "3 days at $300.00");
    assert!(shown.body.contains("11/23/2026 – 11/25/2026"));

    // Without the CSRF token nothing is made.
    let before = app
        .get("/api/v1/audit?action=create")
        .token(&app.admin)
        .expect(200)
        .await
        .body["total"]
        .clone();
    let forged = visitor
        .post(
            &path,
            &[
                ("level_of_care", "PHP"),
                ("plan", "days"),
                ("days", "11/23/2026"),
                ("self_pay", "on"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    let after = app
        .get("/api/v1/audit?action=create")
        .token(&app.admin)
        .expect(200)
        .await
        .body["total"]
        .clone();
    assert_eq!(before, after);
}
