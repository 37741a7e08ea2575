//! `openapi.yaml` is a contract: it parses, every `$ref` resolves, its paths and methods are
//! exactly the app's route table, its patterns are the server's, and every response any test
//! receives is checked against it (`check_response`, called by the test client).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, LazyLock, Mutex};

use perdiem::domain::patterns;
use perdiem::domain::text::SafeText;
use regex::Regex;
use reqwest::Method;
use serde_json::Value;

use crate::helpers::spawn_app;

const SPEC_TEXT: &str = include_str!("../../openapi.yaml");

static SPEC: LazyLock<Value> =
    LazyLock::new(|| serde_yaml::from_str(SPEC_TEXT).expect("openapi.yaml parses as YAML"));

static PATHS: LazyLock<Vec<(String, Regex)>> = LazyLock::new(|| {
    SPEC["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .map(|template| {
            let pattern = Regex::new(r"\{[^}]+\}")
                .unwrap()
                .replace_all(template, "[^/]+");
            (
                template.clone(),
                Regex::new(&format!("^{pattern}$")).unwrap(),
            )
        })
        .collect()
});

static VALIDATORS: LazyLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> =
    LazyLock::new(Default::default);

fn resolve(pointer: &str) -> &'static Value {
    let pointer = pointer.strip_prefix('#').expect("local $ref");
    SPEC.pointer(pointer)
        .unwrap_or_else(|| panic!("$ref {pointer} does not resolve"))
}

fn deref(value: &'static Value) -> &'static Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(pointer) => deref(resolve(pointer)),
        None => value,
    }
}

fn validator(key: &str, schema: &Value) -> Arc<jsonschema::Validator> {
    let mut cache = VALIDATORS.lock().unwrap();
    if let Some(found) = cache.get(key) {
        return found.clone();
    }
    // The schema is validated as the root of a document that also holds the spec's components,
    // so its `#/components/...` references resolve.
    let mut root = schema.as_object().cloned().unwrap_or_default();
    root.insert("components".into(), SPEC["components"].clone());
    let built = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&Value::Object(root))
        .unwrap_or_else(|e| panic!("schema for {key} compiles: {e}"));
    let built = Arc::new(built);
    cache.insert(key.to_string(), built.clone());
    built
}

/// Asserts that the spec documents this status for the operation and that the body matches
/// the documented schema for its content type.
pub fn check_response(method: &Method, path: &str, status: u16, content_type: &str, body: &Value) {
    let path = path.split('?').next().unwrap_or(path);
    let Some((template, _)) = PATHS.iter().find(|(_, re)| re.is_match(path)) else {
        assert_eq!(
            status, 404,
            "{method} {path} is not in the spec but answered {status}"
        );
        return;
    };
    let verb = method.as_str().to_ascii_lowercase();
    let Some(operation) = SPEC["paths"][template].get(&verb) else {
        assert_eq!(
            status, 405,
            "{method} {template} is not in the spec but answered {status}"
        );
        return;
    };
    let responses = &operation["responses"];
    let response = responses
        .get(status.to_string())
        .or_else(|| responses.get("default"))
        .unwrap_or_else(|| panic!("{method} {template}: status {status} is not documented"));
    let response = deref(response);
    let essence = content_type.split(';').next().unwrap_or("").trim();
    let Some(content) = response.get("content") else {
        assert!(
            body.as_str().is_some_and(str::is_empty),
            "{method} {template} {status}: undocumented body"
        );
        return;
    };
    let media = content.get(essence).unwrap_or_else(|| {
        panic!("{method} {template} {status}: content type {essence} is not documented")
    });
    if let Some(schema) = media.get("schema") {
        let key = format!("{verb} {template} {status} {essence}");
        let validator = validator(&key, schema);
        let errors: Vec<String> = validator
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {path} {status}: body does not match the spec: {errors:#?}\n{body:#}"
        );
    }
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(pointer)) = map.get("$ref") {
                out.push(pointer.clone());
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

fn collect_patterns(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(pattern)) = map.get("pattern") {
                out.insert(pattern.clone());
            }
            map.values().for_each(|v| collect_patterns(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_patterns(v, out)),
        _ => {}
    }
}

#[test]
fn the_spec_is_openapi_3_1_and_every_ref_resolves() {
    assert_eq!(SPEC["openapi"], "3.1.0");
    let mut refs = Vec::new();
    collect_refs(&SPEC, &mut refs);
    assert!(refs.len() > 50, "the spec reuses its components");
    for pointer in refs {
        resolve(&pointer);
    }
}

#[test]
fn the_route_table_and_the_spec_paths_are_the_same_both_ways() {
    let served: BTreeSet<(String, String)> = perdiem::routes::endpoints()
        .iter()
        .map(|e| (e.path.to_string(), e.method.as_str().to_ascii_lowercase()))
        .collect();
    let methods = ["get", "put", "post", "patch", "delete", "head", "options"];
    let documented: BTreeSet<(String, String)> = SPEC["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            methods
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(move |m| (path.clone(), m.to_string()))
        })
        .collect();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "served but not in openapi.yaml: {undocumented:?}"
    );
    assert!(
        unserved.is_empty(),
        "in openapi.yaml but not served: {unserved:?}"
    );
}

#[test]
fn the_published_patterns_are_exactly_the_ones_the_server_applies() {
    let mut published = BTreeSet::new();
    collect_patterns(&SPEC, &mut published);
    let applied: BTreeSet<String> = [
        patterns::USERNAME,
        patterns::EDI_PAYER_ID,
        patterns::MEMBER_ID,
        patterns::GROUP_NUMBER,
        patterns::EXTERNAL_ID,
        patterns::STATE,
        patterns::POSTAL_CODE,
        patterns::PHONE,
        patterns::EMAIL,
        patterns::SAFE_TEXT,
        patterns::NPI,
        patterns::TAX_ID,
        patterns::TAXONOMY,
        patterns::PARTNER_ID,
        patterns::SERVICE_TYPE_CODE,
        patterns::MONEY,
        patterns::PAYER_REFERENCE,
        patterns::AMOUNT,
        patterns::REVENUE_CODE,
        patterns::HCPCS,
        patterns::MODIFIER,
        patterns::CONDITION_CODE,
        patterns::PLACE_OF_SERVICE,
        patterns::TYPE_OF_BILL,
        patterns::ICD10_CM,
        patterns::ICD10_CM_CANONICAL,
        patterns::PATIENT_STATUS,
        patterns::IDEMPOTENCY_KEY,
    ]
    .into_iter()
    .map(str::to_string)
    .collect();
    assert_eq!(published, applied);
}

#[test]
fn the_safe_text_rule_gives_the_published_patterns_answers() {
    let re = Regex::new(patterns::SAFE_TEXT).unwrap();
    for sample in [
        "Ana",
        " Ana ",
        "O'Brien-Núñez",
        "St. Mary's",
        "",
        " ",
        "\t",
        "A*B",
        "A~B",
        "A:B",
        "A^B",
        "A|B",
        "A\u{7}B",
        "A\u{7f}",
        "\u{85}",
        "A\nB",
        "12 Oak Street, Apt 4",
    ] {
        assert_eq!(
            SafeText::parse(sample, 100).is_ok(),
            re.is_match(sample),
            "{sample:?}"
        );
    }
}

#[tokio::test]
async fn the_served_contract_is_the_file() {
    let app = spawn_app().await;
    let reply = app.get("/openapi.yaml").expect(200).await;
    assert_eq!(reply.body.as_str().unwrap(), SPEC_TEXT);
    assert!(reply
        .header("content-type")
        .unwrap()
        .starts_with("application/yaml"));
}

#[test]
#[should_panic(expected = "body does not match the spec")]
fn a_body_that_breaks_the_contract_is_caught() {
    let client = serde_json::json!({"id": "0194f1d2-6a4e-7c1b-9a53-2d2f5c9e8a10", "first_name": 7});
    check_response(
        &Method::GET,
        "/api/v1/clients/0194f1d2-6a4e-7c1b-9a53-2d2f5c9e8a10",
        200,
        "application/json",
        &client,
    );
}

#[test]
#[should_panic(expected = "is not documented")]
fn an_undocumented_status_is_caught() {
    check_response(
        &Method::GET,
        "/health",
        418,
        "application/json",
        &Value::Null,
    );
}
