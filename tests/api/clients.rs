//! Admissions enters clients while the caller is on the phone; billing reads them.

use serde_json::json;

use crate::helpers::{client_body, spawn_app};

#[tokio::test]
async fn a_client_is_created_read_and_normalised() {
    let app = spawn_app().await;
    let client = app.create_client(client_body()).await;
    assert_eq!(client["phone"], "5125550142");
    assert_eq!(client["address"]["postal_code"], "787011234");
    assert_eq!(client["external_id"], json!(null));
    let id = client["id"].as_str().unwrap();
    for token in [&app.admissions, &app.billing] {
        let read = app
            .get(&format!("/api/v1/clients/{id}"))
            .token(token)
            .expect(200)
            .await;
        assert_eq!(read.body, client);
    }
    let missing = "/api/v1/clients/0194f1d2-6a4e-7c1b-9a53-2d2f5c9e8a10";
    app.get(missing).token(&app.admissions).expect(404).await;
    app.post("/api/v1/clients")
        .token(&app.billing)
        .json(client_body())
        .expect(403)
        .await;
}

#[tokio::test]
async fn each_bad_field_is_refused_with_its_name() {
    let app = spawn_app().await;
    let cases = [
        (json!({"first_name": "   "}), "first_name"),
        (json!({"first_name": null}), "first_name"),
        (json!({"last_name": "Smith*Jones"}), "last_name"),
        (json!({"date_of_birth": "2099-01-01"}), "date_of_birth"),
        (json!({"date_of_birth": "04/12/1988"}), "date_of_birth"),
        (json!({"sex": "X"}), "sex"),
        (json!({"phone": "555-0142"}), "phone"),
        (json!({"email": "not-an-email"}), "email"),
        (json!({"external_id": "MRN 123"}), "external_id"),
        (json!({"nickname": "Annie"}), "nickname"),
        (
            json!({"address": {"line1": "1 Main", "city": "Austin", "state": "tx", "postal_code": "78701"}}),
            "address.state",
        ),
        (
            json!({"address": {"line1": "1 Main", "city": "Austin", "state": "TX", "postal_code": "7870"}}),
            "address.postal_code",
        ),
    ];
    for (change, field) in cases {
        let mut body = client_body();
        for (key, value) in change.as_object().unwrap() {
            body[key] = value.clone();
        }
        let reply = app
            .post("/api/v1/clients")
            .token(&app.admissions)
            .json(body)
            .expect(422)
            .await;
        assert_eq!(reply.problem_type(), "urn:perdiem:problem:validation-error");
        assert_eq!(reply.error_fields(), [field], "{change}");
    }
    let reply = app
        .post("/api/v1/clients")
        .token(&app.admissions)
        .json(json!({}))
        .expect(422)
        .await;
    assert_eq!(
        reply.error_fields(),
        ["first_name", "last_name", "date_of_birth", "sex"]
    );
}

#[tokio::test]
async fn clients_are_found_by_name_prefix_birth_date_and_record_number() {
    let app = spawn_app().await;
    let mut body = client_body();
    body["external_id"] = json!("MRN-001");
    let ana = app.create_client(body).await;
    let mut body = client_body();
    body["first_name"] = json!("Lorena");
    body["last_name"] = json!("Smith");
    body["date_of_birth"] = json!("1975-09-30");
    let lorena = app.create_client(body).await;
    let mut body = client_body();
    body["first_name"] = json!("Bob");
    body["last_name"] = json!("Jones");
    app.create_client(body).await;

    let search = |query: &'static str| {
        let app = &app;
        async move {
            app.get(&format!("/api/v1/clients?{query}"))
                .token(&app.billing)
                .expect(200)
                .await
                .body
        }
    };
    let found = search("name=lo").await;
    assert_eq!(
        found["total"], 2,
        "Lopez by last name, Lorena by first name"
    );
    let found = search("name=LOP").await;
    assert_eq!(found["items"][0]["id"], ana["id"]);
    let found = search("date_of_birth=1975-09-30").await;
    assert_eq!(found["total"], 1);
    assert_eq!(found["items"][0]["id"], lorena["id"]);
    let found = search("external_id=MRN-001").await;
    assert_eq!(found["items"][0]["id"], ana["id"]);
    let found = search("name=lo&date_of_birth=1988-04-12").await;
    assert_eq!(found["total"], 1);
    let found = search("name=%25").await;
    assert_eq!(found["total"], 0, "LIKE wildcards in a search are literal");
    let page = search("limit=2&offset=2").await;
    assert_eq!(page["total"], 3);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["limit"], 2);
    assert_eq!(page["offset"], 2);
}

#[tokio::test]
async fn a_patch_changes_only_what_it_names_and_null_clears() {
    let app = spawn_app().await;
    let client = app.create_client(client_body()).await;
    let path = format!("/api/v1/clients/{}", client["id"].as_str().unwrap());
    let updated = app
        .patch(&path)
        .token(&app.admissions)
        .json(json!({"phone": "512.555.0199", "email": null, "external_id": "EHR-77"}))
        .expect(200)
        .await
        .body;
    assert_eq!(updated["phone"], "5125550199");
    assert_eq!(updated["email"], json!(null));
    assert_eq!(updated["external_id"], "EHR-77");
    assert_eq!(updated["last_name"], client["last_name"]);
    assert_eq!(updated["address"], client["address"]);
    assert_ne!(updated["updated_at"], client["updated_at"]);
    assert_eq!(updated["created_at"], client["created_at"]);

    let reply = app
        .patch(&path)
        .token(&app.admissions)
        .json(json!({"last_name": null, "date_of_birth": "2999-01-01"}))
        .expect(422)
        .await;
    assert_eq!(reply.error_fields(), ["last_name", "date_of_birth"]);
    let unchanged = app.get(&path).token(&app.admissions).expect(200).await.body;
    assert_eq!(unchanged, updated, "a refused patch changes nothing");
}

#[tokio::test]
async fn an_ehr_record_number_belongs_to_one_client() {
    let app = spawn_app().await;
    let mut body = client_body();
    body["external_id"] = json!("MRN-42");
    app.create_client(body.clone()).await;
    let reply = app
        .post("/api/v1/clients")
        .token(&app.admissions)
        .json(body)
        .expect(409)
        .await;
    assert_eq!(reply.problem_type(), "urn:perdiem:problem:conflict");
    assert_eq!(reply.error_fields(), ["external_id"]);
    let other = app.create_client(client_body()).await;
    let reply = app
        .patch(&format!(
            "/api/v1/clients/{}",
            other["id"].as_str().unwrap()
        ))
        .token(&app.admissions)
        .json(json!({"external_id": "MRN-42"}))
        .expect(409)
        .await;
    assert_eq!(reply.error_fields(), ["external_id"]);
}
