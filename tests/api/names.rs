//! Names as people have them: stored and sent to JSON and FHIR payers as typed, spelled in the
//! X12 basic character set in 270s and 837s, refused where they are entered when X12 cannot
//! carry them, and — stored before that rule — refused where they would be sent.

use std::time::{Duration, Instant};

use perdiem::mock_payer::{self, MockPayer, Scenarios, FHIR_PATH, JSON_PATH, X12_PATH};
use perdiem::store::Db;
use serde_json::{json, Value};

use crate::helpers::{client_body, coverage_body, id_of, spawn_app, TestApp};

const MEMBER: &str = "MOCK-COPAY";

fn accented_client() -> Value {
    let mut body = client_body();
    body["first_name"] = json!("José");
    body["last_name"] = json!("Núñez");
    body
}

/// A policy holder whose names need a ligature, a stroke, a sharp s and a diaeresis.
fn accented_holder() -> Value {
    json!({"first_name": "Zoë", "last_name": "Ærøskøbing-Strauß",
           "date_of_birth": "1970-05-06", "sex": "F"})
}

async fn mock() -> MockPayer {
    mock_payer::start(Scenarios::bundled().unwrap(), "127.0.0.1", 0)
        .await
        .unwrap()
}

async fn payer(app: &TestApp, protocol: &str, url: &str) -> String {
    let edi = format!("P{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    id_of(
        &app.post("/api/v1/payers")
            .token(&app.admin)
            .json(json!({
                "name": format!("Mock {protocol}"), "payer_id": edi,
                "connection": {"protocol": protocol, "endpoint_url": url, "timeout_seconds": 10}
            }))
            .expect(201)
            .await
            .body,
    )
}

/// A coverage of `client` with `payer`; the client is the policy holder unless `holder` is given.
async fn coverage(app: &TestApp, client: &str, payer: &str, holder: Option<Value>) -> String {
    let mut body = coverage_body(payer);
    body["member_id"] = json!(MEMBER);
    if let Some(holder) = holder {
        body["relationship"] = json!("child");
        body["subscriber"] = holder;
    }
    id_of(
        &app.post(&format!("/api/v1/clients/{client}/coverages"))
            .token(&app.admissions)
            .json(body)
            .expect(201)
            .await
            .body,
    )
}

fn request(client: &str, coverage: &str) -> Value {
    json!({"client_id": client, "coverage_id": coverage, "levels_of_care": ["PHP"],
           "program": "mental_health", "service_date": "2026-11-23"})
}

async fn verify(app: &TestApp, client: &str, coverage: &str, status: u16) -> crate::helpers::Reply {
    app.post("/api/v1/verifications")
        .token(&app.admissions)
        .json(request(client, coverage))
        .expect(status)
        .await
}

/// The requests sent for a verification, as stored with its exchanges (billing sees them).
async fn sent(app: &TestApp, verification: &Value) -> Vec<String> {
    let stored = app
        .get(&format!("/api/v1/verifications/{}", id_of(verification)))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    let requests: Vec<String> = stored["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["request"].as_str().unwrap().to_string())
        .collect();
    assert!(!requests.is_empty());
    requests
}

fn segments(x12: &str) -> Vec<&str> {
    x12.split('~')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

fn oracle_accepts(name: &str, x12: &str) {
    let Some((ok, report)) = perdiem::oracles::check("x12-check", name, x12) else {
        return;
    };
    assert!(ok && report.trim_end().ends_with(": OK"), "{report}\n{x12}");
}

/// Runs `sql` (with `$1` the id) on the test database, as a row written before names were
/// checked at entry would be.
async fn write_raw(db: &Db, sql: &str, id: &str) {
    let changed = perdiem::with_db!(db, |pool| sqlx::query(sql)
        .bind(id)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))
    .unwrap();
    assert_eq!(changed, 1, "{sql}");
}

fn message_of<'a>(reply: &'a crate::helpers::Reply, field: &str) -> &'a str {
    reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == field)
        .and_then(|e| e["message"].as_str())
        .unwrap_or_else(|| panic!("no error on {field}: {}", reply.body))
}

#[tokio::test]
async fn an_accented_client_verifies_over_x12_with_the_name_spelled_in_the_basic_set() {
    let app = spawn_app().await;
    let mock = mock().await;
    app.set_up_clinic().await;
    let payer = payer(&app, "x12", &mock.url(X12_PATH)).await;
    let client = app.create_client(accented_client()).await;
    // Stored and answered as typed.
    assert_eq!(
        (&client["first_name"], &client["last_name"]),
        (&json!("José"), &json!("Núñez"))
    );
    let client = id_of(&client);

    let own = coverage(&app, &client, &payer, None).await;
    let made = verify(&app, &client, &own, 201).await.body;
    assert_eq!(made["status"], "verified", "{made:#}");
    let requests = sent(&app, &made).await;
    for request in &requests {
        assert!(
            segments(request).contains(&"NM1*IL*1*NUNEZ*JOSE****MI*MOCK-COPAY"),
            "{request}"
        );
    }
    oracle_accepts("accented-subscriber.270", &requests[0]);

    // As a dependent of an accented policy holder: both loops spelled, 2100C and 2100D.
    let dependent = coverage(&app, &client, &payer, Some(accented_holder())).await;
    let made = verify(&app, &client, &dependent, 201).await.body;
    assert_eq!(made["status"], "verified", "{made:#}");
    let requests = sent(&app, &made).await;
    let segs = segments(&requests[0]);
    assert!(
        segs.contains(&"NM1*IL*1*AEROSKOBING-STRAUSS*ZOE****MI*MOCK-COPAY"),
        "{}",
        requests[0]
    );
    assert!(segs.contains(&"NM1*03*1*NUNEZ*JOSE"), "{}", requests[0]);
    oracle_accepts("accented-dependent.270", &requests[0]);
    mock.stop().await;
}

#[tokio::test]
async fn json_and_fhir_payers_are_sent_the_name_as_typed() {
    let app = spawn_app().await;
    let mock = mock().await;
    app.set_up_clinic().await;
    let client = id_of(&app.create_client(accented_client()).await);
    for (protocol, path, first, last) in [
        (
            "json",
            JSON_PATH,
            "\"firstName\":\"José\"",
            "\"lastName\":\"Núñez\"",
        ),
        (
            "fhir",
            FHIR_PATH,
            "\"given\":[\"José\"]",
            "\"family\":\"Núñez\"",
        ),
    ] {
        let payer = payer(&app, protocol, &mock.url(path)).await;
        let coverage = coverage(&app, &client, &payer, None).await;
        let made = verify(&app, &client, &coverage, 201).await.body;
        assert_eq!(made["status"], "verified", "{protocol}: {made:#}");
        for request in sent(&app, &made).await {
            let compact = serde_json::from_str::<Value>(&request).unwrap().to_string();
            assert!(
                compact.contains(first) && compact.contains(last),
                "{protocol}: {compact}"
            );
        }
    }
    mock.stop().await;
}

#[tokio::test]
async fn names_in_other_scripts_or_with_symbols_are_refused_where_they_are_entered() {
    let app = spawn_app().await;
    for (first, last, fields) in [
        ("Иван", "Petrov", vec!["first_name"]),
        ("Wei", "王", vec!["last_name"]),
        ("Γιώργος", "محمد", vec!["first_name", "last_name"]),
        ("Ana 😀", "Lopez", vec!["first_name"]),
        ("Ana", "Lopez#2", vec!["last_name"]),
    ] {
        let mut body = client_body();
        body["first_name"] = json!(first);
        body["last_name"] = json!(last);
        let refused = app
            .post("/api/v1/clients")
            .token(&app.admissions)
            .json(body)
            .expect(422)
            .await;
        assert_eq!(refused.error_fields(), fields, "{first} {last}");
        let message = message_of(&refused, fields[0]);
        assert!(
            message.starts_with("must be written in Latin letters; '"),
            "{message}"
        );
    }

    // Accents, ligatures, typographic apostrophes, hyphens, periods: kept exactly as typed.
    let mut body = client_body();
    body["first_name"] = json!("Mary-Kate Łucja");
    body["last_name"] = json!("O’Brien-Nørgaard St. Æbeltoft");
    let client = app.create_client(body).await;
    assert_eq!(client["first_name"], "Mary-Kate Łucja");
    assert_eq!(client["last_name"], "O’Brien-Nørgaard St. Æbeltoft");
    let client = id_of(&client);
    let read = app
        .get(&format!("/api/v1/clients/{client}"))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(read["last_name"], "O’Brien-Nørgaard St. Æbeltoft");

    // Every write of a name, a change included.
    let refused = app
        .patch(&format!("/api/v1/clients/{client}"))
        .token(&app.admissions)
        .json(json!({"last_name": "Петрова"}))
        .expect(422)
        .await;
    assert_eq!(refused.error_fields(), ["last_name"]);

    // The policy holder's names.
    let payer = id_of(&app.create_payer().await);
    let mut body = coverage_body(&payer);
    body["relationship"] = json!("spouse");
    body["subscriber"] = json!({"first_name": "Даниил", "last_name": "Novak",
                                "date_of_birth": "1970-05-06"});
    let refused = app
        .post(&format!("/api/v1/clients/{client}/coverages"))
        .token(&app.admissions)
        .json(body)
        .expect(422)
        .await;
    assert_eq!(refused.error_fields(), ["subscriber.first_name"]);

    // The clinic's clinician and billing contact travel on every claim.
    let mut org = crate::organization::organization_body();
    org["billing_contact_name"] = json!("דוד כהן");
    org["attending_provider"] =
        json!({"first_name": "Maya", "last_name": "岡田", "npi": "1987654328"});
    let refused = app
        .call(reqwest::Method::PUT, "/api/v1/organization")
        .token(&app.admin)
        .json(org)
        .expect(422)
        .await;
    assert_eq!(
        refused.error_fields(),
        ["billing_contact_name", "attending_provider.last_name"]
    );
}

#[tokio::test]
async fn a_stored_name_x12_cannot_carry_refuses_the_verification_naming_the_field() {
    let app = spawn_app().await;
    let mock = mock().await;
    app.set_up_clinic().await;
    let x12 = payer(&app, "x12", &mock.url(X12_PATH)).await;
    let client = id_of(&app.create_client(client_body()).await);
    let own = coverage(&app, &client, &x12, None).await;
    write_raw(
        &app.db,
        "UPDATE clients SET first_name = 'Иван' WHERE id = $1",
        &client,
    )
    .await;
    // Still readable, as stored.
    let read = app
        .get(&format!("/api/v1/clients/{client}"))
        .token(&app.admissions)
        .expect(200)
        .await
        .body;
    assert_eq!(read["first_name"], "Иван");

    let refused = verify(&app, &client, &own, 422).await;
    assert_eq!(refused.error_fields(), ["client.first_name"]);
    assert_eq!(
        refused.problem_type(),
        "urn:perdiem:problem:validation-error"
    );
    assert!(message_of(&refused, "client.first_name")
        .starts_with("must be written in Latin letters; 'И' cannot be sent to payers in X12"));
    // Refused before anything was asked or stored: not a payer error.
    assert_eq!(mock.requests_for(MEMBER), 0);
    let listed = app
        .get(&format!("/api/v1/clients/{client}/verifications"))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(listed["total"], 0);

    // A policy holder's name stored the same way.
    let dependent = coverage(&app, &client, &x12, Some(accented_holder())).await;
    write_raw(
        &app.db,
        "UPDATE coverages SET subscriber_last_name = '王' WHERE id = $1",
        &dependent,
    )
    .await;
    let refused = verify(&app, &client, &dependent, 422).await;
    assert_eq!(
        refused.error_fields(),
        ["client.first_name", "coverage.subscriber.last_name"]
    );

    // In a batch the item fails with the same reason.
    let accepted = app
        .post("/api/v1/verification-batches")
        .token(&app.admissions)
        .json(json!({"items": [request(&client, &own)]}))
        .expect(202)
        .await;
    let started = Instant::now();
    let finished = loop {
        let batch = app
            .get(&format!(
                "/api/v1/verification-batches/{}",
                id_of(&accepted.body)
            ))
            .token(&app.billing)
            .expect(200)
            .await
            .body;
        if !batch["finished_at"].is_null() {
            break batch;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{batch:#}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(finished["failed"], 1);
    let error = finished["items"][0]["error"].as_str().unwrap();
    assert!(
        error.starts_with("client.first_name: must be written in Latin letters"),
        "{error}"
    );
    assert_eq!(mock.requests_for(MEMBER), 0);

    // JSON carries the name as stored: the same client verifies there.
    let json_payer = payer(&app, "json", &mock.url(JSON_PATH)).await;
    let over_json = coverage(&app, &client, &json_payer, None).await;
    let made = verify(&app, &client, &over_json, 201).await.body;
    assert_eq!(made["status"], "verified", "{made:#}");
    mock.stop().await;
}

/// The clinic with an accented clinician and billing contact, and a client José Núñez-O’Brien
/// covered as the child of an accented policy holder, with three authorized IOP days in March
/// 2026 under a fee schedule on `form`. Returns the app, the client, the coverage and the first claim.
async fn billed(form: &str) -> (TestApp, String, String, String) {
    let app = spawn_app().await;
    let mut org = crate::organization::organization_body();
    org["submitter_id"] = json!("SUNRISE01");
    // 2010AA N403: a billing provider's ZIP has nine digits.
    org["address"]["postal_code"] = json!("78701-1234");
    org["billing_contact_name"] = json!("Seán Ó Briain");
    org["attending_provider"] =
        json!({"first_name": "Zoë", "last_name": "Ødegård", "npi": "1987654328"});
    app.call(reqwest::Method::PUT, "/api/v1/organization")
        .token(&app.admin)
        .json(org)
        .expect(200)
        .await;
    let payer = id_of(&app.create_payer().await);
    let mut body = accented_client();
    body["last_name"] = json!("Núñez-O’Brien");
    let client = id_of(&app.create_client(body).await);
    let coverage = coverage(&app, &client, &payer, Some(accented_holder())).await;
    app.post("/api/v1/authorizations")
        .token(&app.billing)
        .json(json!({
            "client_id": client, "coverage_id": coverage, "level_of_care": "IOP",
            "program": "mental_health", "authorization_number": "PA-7781",
            "status": "approved", "start_date": "2026-03-02", "end_date": "2026-03-20",
            "days_approved": 10
        }))
        .expect(201)
        .await;
    app.post(&format!("/api/v1/clients/{client}/episodes"))
        .token(&app.billing)
        .json(json!({"admission_date": "2026-03-01", "principal_diagnosis": "F33.1"}))
        .expect(201)
        .await;
    let mut schedule = json!({
        "payer_id": payer, "level_of_care": "IOP", "program": "mental_health",
        "revenue_code": "0905", "hcpcs": "S9480", "charge_per_day": "333.33",
        "effective_from": "2026-03-01", "claim_form": form
    });
    if form == "837P" {
        schedule["place_of_service"] = json!("52");
    } else {
        schedule["type_of_bill"] = json!("0131");
    }
    app.post("/api/v1/fee-schedules")
        .token(&app.billing)
        .json(schedule)
        .expect(201)
        .await;
    let rows: Vec<Value> = ["2026-03-02", "2026-03-03", "2026-03-04"]
        .iter()
        .map(|date| {
            json!({"client_id": client, "service_date": date, "level_of_care": "IOP",
                   "minutes": 180})
        })
        .collect();
    app.post("/api/v1/attendance")
        .token(&app.billing)
        .json(json!({"rows": rows}))
        .expect(200)
        .await;
    let generated = app
        .post("/api/v1/claims/generate")
        .token(&app.billing)
        .json(json!({"from_date": "2026-03-01", "through_date": "2026-03-31", "period": "month"}))
        .expect(201)
        .await
        .body;
    let claim = id_of(&generated["claims"][0]);
    (app, client, coverage, claim)
}

#[tokio::test]
async fn claims_for_accented_names_are_spelled_in_the_basic_set_and_pass_the_oracle() {
    for (form, provider) in [("837I", "NM1*71"), ("837P", "NM1*82")] {
        let (app, _, _, claim) = billed(form).await;
        let file = app
            .get(&format!("/api/v1/claims/{claim}/x12"))
            .token(&app.billing)
            .expect(200)
            .await;
        let text = file.body.as_str().unwrap().to_string();
        oracle_accepts(&format!("accented-names.{form}"), &text);
        let segs = segments(&text);
        for expected in [
            "PER*IC*SEAN O BRIAIN*TE*5125550100".to_string(),
            "NM1*IL*1*AEROSKOBING-STRAUSS*ZOE****MI*MOCK-COPAY".to_string(),
            "NM1*QC*1*NUNEZ-O'BRIEN*JOSE".to_string(),
            format!("{provider}*1*ODEGARD*ZOE****XX*1987654328"),
        ] {
            assert!(
                segs.contains(&expected.as_str()),
                "{form}: {expected}\n{text}"
            );
        }
    }
}

#[tokio::test]
async fn a_stored_name_x12_cannot_carry_refuses_the_claim_file_naming_the_field() {
    let (app, client, coverage, claim) = billed("837I").await;
    write_raw(
        &app.db,
        "UPDATE clients SET first_name = 'Иван' WHERE id = $1",
        &client,
    )
    .await;
    write_raw(
        &app.db,
        "UPDATE coverages SET subscriber_last_name = '王' WHERE id = $1",
        &coverage,
    )
    .await;
    write_raw(
        &app.db,
        "UPDATE organization SET attending_first_name = 'Σοφία' WHERE id = $1",
        "clinic",
    )
    .await;
    let expected = [
        "organization.attending_provider.first_name",
        "client.first_name",
        "coverage.subscriber.last_name",
    ];
    let one = app
        .get(&format!("/api/v1/claims/{claim}/x12"))
        .token(&app.billing)
        .expect(422)
        .await;
    assert_eq!(one.error_fields(), expected);
    let message = message_of(&one, "client.first_name");
    assert!(
        message.starts_with("claim ") && message.contains("must be written in Latin letters; 'И'"),
        "{message}"
    );
    let many = app
        .post("/api/v1/claims/x12")
        .token(&app.billing)
        .json(json!({"claim_ids": [claim]}))
        .expect(422)
        .await;
    assert_eq!(many.error_fields(), expected);

    // Corrected where they are kept, the names are sent.
    app.patch(&format!("/api/v1/clients/{client}"))
        .token(&app.admissions)
        .json(json!({"first_name": "Ivan"}))
        .expect(200)
        .await;
    let mut holder = accented_holder();
    holder["last_name"] = json!("Wáng");
    app.patch(&format!("/api/v1/clients/{client}/coverages/{coverage}"))
        .token(&app.admissions)
        .json(json!({ "subscriber": holder }))
        .expect(200)
        .await;
    let mut org = app
        .get("/api/v1/organization")
        .token(&app.admin)
        .expect(200)
        .await
        .body;
    org["attending_provider"]["first_name"] = json!("Sofía");
    let org: serde_json::Map<String, Value> = org
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, v)| k.as_str() != "updated_at" && !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    app.call(reqwest::Method::PUT, "/api/v1/organization")
        .token(&app.admin)
        .json(Value::Object(org))
        .expect(200)
        .await;
    let file = app
        .get(&format!("/api/v1/claims/{claim}/x12"))
        .token(&app.billing)
        .expect(200)
        .await;
    let text = file.body.as_str().unwrap();
    let segs = segments(text);
    assert!(segs.contains(&"NM1*QC*1*NUNEZ-O'BRIEN*IVAN"), "{text}");
    assert!(
        segs.contains(&"NM1*IL*1*WANG*ZOE****MI*MOCK-COPAY"),
        "{text}"
    );
    assert!(
        segs.contains(&"NM1*71*1*ODEGARD*SOFIA****XX*1987654328"),
        "{text}"
    );
}
