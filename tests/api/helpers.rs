//! Test harness: fresh database per test, the app on port 0, staff tokens, and a client that
//! checks every response against `openapi.yaml`.

use std::io::Write;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use perdiem::auth::jwt::TokenKeys;
use perdiem::auth::password;
use perdiem::config::{LogFormat, LogSettings, Settings};
use perdiem::domain::ids::UserId;
use perdiem::domain::role::Role;
use perdiem::secrets::SecretKey;
use perdiem::startup::{Application, Stopper};
use perdiem::store::{users, Db};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::{json, Value};
use sqlx::postgres::PgConnectOptions;
use std::str::FromStr;

pub const PASSWORD: &str = "test-password-123";

/// Everything the app logged in this test process (all tests share it).
pub static LOGS: LazyLock<Arc<Mutex<Vec<u8>>>> = LazyLock::new(Default::default);

#[derive(Clone)]
struct LogSink;

impl Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn init_logs() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let settings = LogSettings {
            format: LogFormat::Json,
            level: "debug".into(),
        };
        let _ = perdiem::telemetry::init(&settings, || LogSink);
    });
}

pub fn logged() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap()).into_owned()
}

fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| password::hash(&SecretString::from(PASSWORD.to_string())).unwrap())
}

/// A fresh, migrated database: a new SQLite file, or a new schema in the PostgreSQL database
/// named by TEST_DATABASE_URL.
pub async fn fresh_db() -> Db {
    let db = match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => fresh_postgres(&url).await,
        _ => {
            let dir = std::env::temp_dir().join("perdiem-tests");
            std::fs::create_dir_all(&dir).unwrap();
            remove_stale_files(&dir);
            let file = dir.join(format!("{}.db", uuid::Uuid::new_v4()));
            Db::connect(&format!("sqlite://{}", file.display()), 5)
                .await
                .expect("open sqlite")
        }
    };
    db.migrate().await.expect("migrations apply");
    db
}

/// SQLite files older than two hours are left-overs of earlier runs (each test leaves its
/// file, and runs added up to gigabytes); as with the PostgreSQL schemas, tests of this run are
/// younger, so removing the old ones never disturbs a test in flight.
fn remove_stale_files(dir: &std::path::Path) {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let cutoff = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|modified| modified < cutoff);
            if stale {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    });
}

async fn fresh_postgres(url: &str) -> Db {
    let base = PgConnectOptions::from_str(url).expect("TEST_DATABASE_URL parses");
    let admin = Db::connect_postgres(base.clone(), 1)
        .await
        .expect("reach PostgreSQL");
    let Db::Postgres(pool) = &admin else {
        unreachable!()
    };
    drop_stale_schemas(pool).await;
    let stamp = chrono::Utc::now().timestamp();
    let schema = format!("perdiem_t_{stamp}_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(pool)
        .await
        .expect("create schema");
    admin.close().await;
    let options = base.options([("search_path", schema.as_str())]);
    Db::connect_postgres(options, 5)
        .await
        .expect("connect to schema")
}

/// Test schemas older than two hours are left-overs of earlier runs; tests of this run are
/// younger, so dropping the old ones never disturbs a test in flight.
async fn drop_stale_schemas(pool: &sqlx::PgPool) {
    static ONCE: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    ONCE.get_or_init(|| async {
        let cutoff = chrono::Utc::now().timestamp() - 7200;
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'perdiem\\_t\\_%'",
        )
        .fetch_all(pool)
        .await
        .unwrap_or_default();
        for name in names {
            let stamp = name
                .strip_prefix("perdiem_t_")
                .and_then(|rest| rest.split('_').next())
                .and_then(|s| s.parse::<i64>().ok());
            if stamp.is_some_and(|s| s < cutoff) {
                let _ = sqlx::query(&format!("DROP SCHEMA {name} CASCADE"))
                    .execute(pool)
                    .await;
            }
        }
    })
    .await;
}

pub struct TestApp {
    pub address: String,
    pub db: Db,
    pub keys: TokenKeys,
    pub http: reqwest::Client,
    pub admin: String,
    pub admissions: String,
    pub billing: String,
    pub admissions_id: String,
}

pub const SECRET: &str = "test-signing-key-that-is-long-enough-0123456789";

/// The key the test apps seal payer secrets with (base64 of 32 bytes). Fixed, so an app
/// restarted on the same database opens what the first one sealed, and no key file is written.
pub const SECRETS_KEY: &str = "dGVzdC1zZWNyZXRzLWtleS1vZi0zMi1ieXRlcyEhISE=";

pub fn secret_key() -> SecretKey {
    SecretKey::from_base64(SECRETS_KEY).unwrap()
}

pub fn test_settings() -> Settings {
    let mut settings = Settings::defaults();
    settings.server.port = 0;
    settings.auth.jwt_secret = Some(SecretString::from(SECRET.to_string()));
    settings.secrets.key = Some(SecretString::from(SECRETS_KEY));
    settings.server.max_body_bytes = 64 * 1024;
    settings.verification.retry_backoff_ms = 5;
    // A restarted app takes over what the stopped one left running once its lease lapses.
    settings.verification.batch_lease_seconds = 3;
    settings
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(test_settings()).await
}

pub async fn spawn_app_with(settings: Settings) -> TestApp {
    init_logs();
    let db = fresh_db().await;
    let (app, _) = start_on(settings, db, true).await;
    app
}

/// Starts the app on `db`; with `new_staff`, creates the three staff accounts first. Returns the
/// app and what stops it abruptly.
pub async fn start_on(settings: Settings, db: Db, new_staff: bool) -> (TestApp, Stopper) {
    init_logs();
    let keys = TokenKeys::new(
        &SecretString::from(SECRET.to_string()),
        &settings.auth.issuer,
        &settings.auth.audience,
        settings.auth.token_ttl_seconds,
    );
    let mut tx = db.begin().await.unwrap();
    let mut staff = Vec::new();
    for (name, role) in [
        ("admin", Role::Admin),
        ("admissions", Role::Admissions),
        ("billing", Role::Billing),
    ] {
        let user = match users::find_by_username(&mut tx, name).await.unwrap() {
            Some(user) if !new_staff => user,
            _ => users::insert(&mut tx, UserId::new(), name, password_hash(), &[role])
                .await
                .unwrap(),
        };
        let token = keys.issue(user.id.as_uuid(), &[role], 0).unwrap();
        staff.push((user.id.to_string(), token));
    }
    tx.commit().await.unwrap();
    let app = Application::build_with_db(settings, db.clone())
        .await
        .expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let stopper = app.stopper();
    tokio::spawn(app.run_until_stopped());
    let [(_, admin), (admissions_id, admissions), (_, billing)] =
        <[(String, String); 3]>::try_from(staff).unwrap();
    let app = TestApp {
        address,
        db,
        keys,
        http: reqwest::Client::new(),
        admin,
        admissions,
        billing,
        admissions_id,
    };
    (app, stopper)
}

/// A response, already checked against the contract.
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The field names of a problem's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| e["field"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn problem_type(&self) -> &str {
        self.body["type"].as_str().unwrap_or_default()
    }
}

pub struct Call<'a> {
    app: &'a TestApp,
    method: Method,
    path: String,
    token: Option<String>,
    body: Option<Vec<u8>>,
    content_type: Option<String>,
    headers: Vec<(String, String)>,
}

impl<'a> Call<'a> {
    pub fn token(mut self, token: &str) -> Self {
        self.token = Some(token.to_string());
        self
    }

    pub fn json(mut self, body: Value) -> Self {
        self.body = Some(serde_json::to_vec(&body).unwrap());
        self.content_type = Some("application/json".into());
        self
    }

    pub fn raw(mut self, body: &[u8], content_type: Option<&str>) -> Self {
        self.body = Some(body.to_vec());
        self.content_type = content_type.map(str::to_string);
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Sends the request, checks the response against the contract, and asserts its status.
    pub async fn expect(self, status: u16) -> Reply {
        let method = self.method.clone();
        let path = self.path.clone();
        let reply = self.send().await;
        if reply.status != status {
            // For a surprise 5xx, the cause is in the log under the request id.
            let cause: Vec<String> = reply
                .header("x-request-id")
                .map(|id| {
                    logged()
                        .lines()
                        .filter(|line| line.contains(id) && line.contains("cause"))
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            panic!(
                "{method} {path}: expected {status}, got {} with {}\n{}",
                reply.status,
                reply.body,
                cause.join("\n")
            );
        }
        reply
    }

    pub async fn send(self) -> Reply {
        let url = format!("{}{}", self.app.address, self.path);
        let mut request = self.app.http.request(self.method.clone(), url);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(content_type) = &self.content_type {
            request = request.header("content-type", content_type);
        }
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        if let Some(body) = self.body {
            request = request.body(body);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let content_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        assert!(
            headers.contains_key("x-request-id"),
            "{} {}: no X-Request-Id",
            self.method,
            self.path
        );
        let body = if content_type.contains("json") {
            serde_json::from_str(&text).expect("JSON body parses")
        } else {
            Value::String(text)
        };
        crate::contract::check_response(&self.method, &self.path, status, &content_type, &body);
        if status >= 400 {
            assert_eq!(content_type, "application/problem+json", "{}", self.path);
            assert!(body["type"]
                .as_str()
                .unwrap()
                .starts_with("urn:perdiem:problem:"));
            assert_eq!(body["status"], status);
            assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
        }
        Reply {
            status,
            headers,
            body,
        }
    }
}

impl TestApp {
    pub fn call(&self, method: Method, path: &str) -> Call<'_> {
        Call {
            app: self,
            method,
            path: path.to_string(),
            token: None,
            body: None,
            content_type: None,
            headers: Vec::new(),
        }
    }

    pub fn get(&self, path: &str) -> Call<'_> {
        self.call(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> Call<'_> {
        self.call(Method::POST, path)
    }

    pub fn patch(&self, path: &str) -> Call<'_> {
        self.call(Method::PATCH, path)
    }

    /// Sets up the clinic (`PUT /api/v1/organization`): verifications need its NPI and name.
    pub async fn set_up_clinic(&self) {
        self.call(reqwest::Method::PUT, "/api/v1/organization")
            .token(&self.admin)
            .json(crate::organization::organization_body())
            .expect(200)
            .await;
    }

    pub async fn create_payer(&self) -> Value {
        let edi = format!("P{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        self.post("/api/v1/payers")
            .token(&self.admin)
            .json(json!({"name": "Blue Plan of Texas", "payer_id": edi}))
            .expect(201)
            .await
            .body
    }

    pub async fn create_client(&self, body: Value) -> Value {
        self.post("/api/v1/clients")
            .token(&self.admissions)
            .json(body)
            .expect(201)
            .await
            .body
    }

    /// A coverage of `client_id` with `payer_id` under member id `member` (which picks the mock
    /// payer's scenario).
    pub async fn create_coverage_for_member(
        &self,
        client_id: &str,
        payer_id: &str,
        member: &str,
    ) -> Value {
        let mut coverage = coverage_body(payer_id);
        coverage["member_id"] = json!(member);
        self.post(&format!("/api/v1/clients/{client_id}/coverages"))
            .token(&self.admissions)
            .json(coverage)
            .expect(201)
            .await
            .body
    }

    /// A stored verification as `token` reads it.
    pub async fn read_verification(&self, id: &Value, token: &str) -> Value {
        self.get(&format!("/api/v1/verifications/{}", id.as_str().unwrap()))
            .token(token)
            .expect(200)
            .await
            .body
    }

    pub async fn create_coverage(&self, client_id: &str, payer_id: &str) -> Value {
        self.post(&format!("/api/v1/clients/{client_id}/coverages"))
            .token(&self.admissions)
            .json(coverage_body(payer_id))
            .expect(201)
            .await
            .body
    }
}

pub fn client_body() -> Value {
    json!({
        "first_name": "Ana",
        "last_name": "Lopez",
        "date_of_birth": "1988-04-12",
        "sex": "F",
        "address": {"line1": "12 Oak Street", "city": "Austin", "state": "TX", "postal_code": "78701-1234"},
        "phone": "(512) 555-0142",
        "email": "ana.lopez@example.org"
    })
}

pub fn coverage_body(payer_id: &str) -> Value {
    json!({
        "payer_id": payer_id,
        "member_id": "XYZ123456789",
        "group_number": "GRP-100",
        "plan_name": "Gold PPO",
        "relationship": "self",
        "priority": "primary",
        "effective_date": "2026-01-01",
        "end_date": "2026-12-31"
    })
}

/// The `id` of a resource as the API returned it.
/// A kind of dated terms (fee schedules, day rates, the service catalog) as its tests drive
/// it: billing records and changes, admissions lists. Holds the collection's path.
pub struct Terms(pub &'static str);

impl Terms {
    /// Billing's `POST` of `body`, expecting `status`.
    pub async fn create(&self, app: &TestApp, body: Value, status: u16) -> Reply {
        app.post(self.0)
            .token(&app.billing)
            .json(body)
            .expect(status)
            .await
    }

    /// Billing's `POST` of `body`, which must be recorded (201): the record.
    pub async fn record(&self, app: &TestApp, body: Value) -> Value {
        self.create(app, body, 201).await.body
    }

    pub fn path(&self, record: &Value) -> String {
        format!("{}/{}", self.0, record["id"].as_str().unwrap())
    }

    /// Billing's `PATCH` of `record` with `body`, expecting `status`.
    pub async fn patch(&self, app: &TestApp, record: &Value, body: Value, status: u16) -> Reply {
        app.patch(&self.path(record))
            .token(&app.billing)
            .json(body)
            .expect(status)
            .await
    }

    /// The ids admissions is listed for `query`.
    pub async fn ids(&self, app: &TestApp, query: &str) -> Vec<String> {
        listed_ids(app, &format!("{}?{query}", self.0), &app.admissions).await
    }
}

/// `body` with `changes` applied member by member; a null removes the member.
pub fn changed(mut body: Value, changes: Value) -> Value {
    for (key, value) in changes.as_object().unwrap() {
        if value.is_null() {
            body.as_object_mut().unwrap().remove(key);
        } else {
            body[key] = value.clone();
        }
    }
    body
}

pub fn id_of(resource: &Value) -> String {
    resource["id"].as_str().unwrap().to_string()
}

/// The ids of the items of the list page at `path` (query included), in order.
pub async fn listed_ids(app: &TestApp, path: &str, token: &str) -> Vec<String> {
    let page = app.get(path).token(token).expect(200).await.body;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect()
}
