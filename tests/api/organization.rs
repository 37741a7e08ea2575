//! The clinic's own record.

use serde_json::json;

use crate::helpers::spawn_app;

pub fn organization_body() -> serde_json::Value {
    json!({
        "legal_name": "Sunrise Behavioral Health LLC",
        "npi": "1234567893",
        "tax_id": "12-3456789",
        "taxonomy_code": "261QM0801X",
        "address": {"line1": "100 Congress Ave", "city": "Austin", "state": "TX", "postal_code": "78701"},
        "phone": "512-555-0100"
    })
}

#[tokio::test]
async fn an_admin_sets_the_clinic_and_everyone_reads_it() {
    let app = spawn_app().await;
    app.get("/api/v1/organization")
        .token(&app.admissions)
        .expect(404)
        .await;
    let mut body = organization_body();
    body["npi"] = json!("1234567890");
    body["taxonomy_code"] = json!("261QM0801");
    let reply = app
        .call(reqwest::Method::PUT, "/api/v1/organization")
        .token(&app.admin)
        .json(body)
        .expect(422)
        .await;
    assert_eq!(reply.error_fields(), ["npi", "taxonomy_code"]);
    app.call(reqwest::Method::PUT, "/api/v1/organization")
        .token(&app.billing)
        .json(organization_body())
        .expect(403)
        .await;
    let stored = app
        .call(reqwest::Method::PUT, "/api/v1/organization")
        .token(&app.admin)
        .json(organization_body())
        .expect(200)
        .await
        .body;
    assert_eq!(stored["tax_id"], "123456789");
    assert_eq!(stored["phone"], "5125550100");
    for token in [&app.admissions, &app.billing, &app.admin] {
        let read = app
            .get("/api/v1/organization")
            .token(token)
            .expect(200)
            .await
            .body;
        assert_eq!(read, stored);
    }
}
