//! The `perdiem` command line: migrate, create the first admin, rotate the secrets key and
//! forget a payer's credentials.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use perdiem::domain::ids::{new_id, PayerId};
use perdiem::domain::payer::Credentials;
use perdiem::secrets::SecretKey;
use perdiem::store::{payers, Db};

use crate::payer_secrets::{basic, payer, raw_connection, secret_of, PASSWORD};

fn perdiem(dir: &Path, args: &[&str], stdin: &str) -> std::process::Output {
    perdiem_with_key(dir, args, stdin, None)
}

/// `perdiem` with `PERDIEM__SECRETS__KEY` set to `key`, or with no key configured (the
/// development key file beside the database is then used).
fn perdiem_with_key(
    dir: &Path,
    args: &[&str],
    stdin: &str,
    key: Option<&str>,
) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_perdiem"));
    command.env_remove("PERDIEM__SECRETS__KEY");
    if let Some(key) = key {
        command.env("PERDIEM__SECRETS__KEY", key);
    }
    let mut child = command
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("PERDIEM__LOG__LEVEL", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("perdiem runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn migrate_and_user_add_work_on_a_fresh_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = perdiem(dir.path(), &["migrate"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        dir.path().join("perdiem.db").exists(),
        "SQLite file created in the working directory"
    );

    let out = perdiem(
        dir.path(),
        &[
            "user",
            "add",
            "--username",
            "boss",
            "--role",
            "admin",
            "--role",
            "billing",
            "--password-stdin",
        ],
        "correct horse battery\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("admin, billing"), "{said}");
    assert!(
        !said.contains("correct horse"),
        "the password is never printed"
    );

    let again = perdiem(
        dir.path(),
        &[
            "user",
            "add",
            "--username",
            "boss",
            "--role",
            "admin",
            "--password-stdin",
        ],
        "correct horse battery\n",
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("taken"));

    let short = perdiem(
        dir.path(),
        &[
            "user",
            "add",
            "--username",
            "other",
            "--role",
            "admin",
            "--password-stdin",
        ],
        "short\n",
    );
    assert!(!short.status.success());
}

const CONFIGURED_KEY: &str = "qkpaJfZ0LE2hFN7I0cO9Gm5vXx3sQ8bT1uYrW4eA6dM=";

/// The SQLite database `perdiem migrate` made in `dir`.
async fn database_in(dir: &Path) -> Db {
    let url = format!("sqlite://{}", dir.join("perdiem.db").display());
    Db::connect(&url, 1).await.unwrap()
}

/// The development key `perdiem migrate` generated beside the database in `dir`, as text.
fn development_key_in(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("perdiem.db.secrets-key"))
        .unwrap()
        .trim()
        .to_string()
}

/// A migrated database in `dir` with one payer whose password is sealed under `key`.
async fn database_with_a_payer(dir: &Path, key: &SecretKey) -> String {
    let out = perdiem(dir, &["migrate"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let db = database_in(dir).await;
    let mut tx = db.begin().await.unwrap();
    let stored = payers::insert(&mut tx, key, PayerId::new(), &payer("CLI01", basic()))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    db.close().await;
    stored.id.to_string()
}

async fn find_with(dir: &Path, key: &SecretKey, id: &str) -> Option<payers::Payer> {
    let db = database_in(dir).await;
    let mut tx = db.begin_read().await.unwrap();
    let found = payers::find(&mut tx, key, id.parse::<PayerId>().unwrap())
        .await
        .ok()
        .flatten();
    tx.commit().await.unwrap();
    db.close().await;
    found
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Neither output of a command carries a secret or a key.
fn assert_says_nothing_of(out: &std::process::Output, secrets: &[&str]) {
    for said in [text(&out.stdout), text(&out.stderr)] {
        for secret in secrets {
            assert!(!said.contains(secret), "{said}");
        }
    }
}

#[tokio::test]
async fn secrets_rotate_reseals_under_the_configured_key_and_is_safe_to_rerun() {
    let dir = tempfile::tempdir().unwrap();
    let out = perdiem(dir.path(), &["migrate"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let old_text = development_key_in(dir.path());
    let old = SecretKey::from_base64(&old_text).unwrap();
    let id = database_with_a_payer(dir.path(), &old).await;
    let new = SecretKey::from_base64(CONFIGURED_KEY).unwrap();
    let secrets = [PASSWORD, old_text.as_str(), CONFIGURED_KEY];

    // From the development key file to a configured key.
    let args = [
        "secrets",
        "rotate",
        "--from-key-file",
        "perdiem.db.secrets-key",
    ];
    let out = perdiem_with_key(dir.path(), &args, "", Some(CONFIGURED_KEY));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("re-sealed 1 "),
        "{}",
        text(&out.stdout)
    );
    assert_says_nothing_of(&out, &secrets);
    let found = find_with(dir.path(), &new, &id)
        .await
        .expect("opens with the new key");
    assert_eq!(secret_of(&found), PASSWORD);
    assert!(find_with(dir.path(), &old, &id).await.is_none());

    // Again, the old key on standard input this time: nothing is left to re-seal.
    let args = ["secrets", "rotate", "--from-key-stdin"];
    let stdin = format!("{old_text}\n");
    let out = perdiem_with_key(dir.path(), &args, &stdin, Some(CONFIGURED_KEY));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("re-sealed 0 "),
        "{}",
        text(&out.stdout)
    );
    assert_says_nothing_of(&out, &secrets);
}

#[tokio::test]
async fn secrets_rotate_fails_whole_when_a_secret_opens_with_neither_key() {
    let dir = tempfile::tempdir().unwrap();
    let sealed_under = SecretKey::from_base64(CONFIGURED_KEY).unwrap();
    let id = database_with_a_payer(dir.path(), &sealed_under).await;
    let before = raw_connection(&database_in(dir.path()).await, &id).await;
    // Neither the current key (the development key file) nor the old one opens the password.
    let unrelated = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [9u8; 32]);
    let args = ["secrets", "rotate", "--from-key-stdin"];
    let out = perdiem(dir.path(), &args, &unrelated);
    assert!(!out.status.success());
    let said = text(&out.stderr);
    assert!(said.contains(&id) && said.contains("password"), "{said}");
    assert!(said.contains("nothing was changed"), "{said}");
    assert_says_nothing_of(&out, &[PASSWORD, unrelated.as_str(), CONFIGURED_KEY]);
    assert_eq!(
        raw_connection(&database_in(dir.path()).await, &id).await,
        before
    );

    // An old key that is not a key, or none named at all, is refused before anything is read.
    let out = perdiem(dir.path(), &args, "not-a-key-at-all\n");
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("old key on standard input"),
        "{}",
        text(&out.stderr)
    );
    assert_says_nothing_of(&out, &["not-a-key-at-all"]);
    assert!(!perdiem(dir.path(), &["secrets", "rotate"], "")
        .status
        .success());
}

#[tokio::test]
async fn secrets_forget_makes_a_payer_of_a_lost_key_readable_again() {
    let dir = tempfile::tempdir().unwrap();
    let lost = SecretKey::generate();
    let id = database_with_a_payer(dir.path(), &lost).await;
    let current = SecretKey::from_base64(&development_key_in(dir.path())).unwrap();
    assert!(find_with(dir.path(), &current, &id).await.is_none());

    let out = perdiem(dir.path(), &["secrets", "forget", "--payer-id", &id], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(&id), "{}", text(&out.stdout));
    assert_says_nothing_of(&out, &[PASSWORD]);
    let found = find_with(dir.path(), &current, &id)
        .await
        .expect("readable again");
    let connection = found.data.connection.unwrap();
    assert!(matches!(connection.credentials, Credentials::None));
    assert_eq!(connection.endpoint_url, "https://core.payer.example/x12");

    let unknown = new_id().to_string();
    let out = perdiem(
        dir.path(),
        &["secrets", "forget", "--payer-id", &unknown],
        "",
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no payer"),
        "{}",
        text(&out.stderr)
    );
    let out = perdiem(
        dir.path(),
        &["secrets", "forget", "--payer-id", "CLI01"],
        "",
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("UUID"), "{}", text(&out.stderr));
}

#[test]
fn production_refuses_to_start_without_a_signing_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_perdiem"))
        .args(["serve", "--port", "0"])
        .current_dir(dir.path())
        .env("PERDIEM__ENVIRONMENT", "production")
        .env_remove("PERDIEM__AUTH__JWT_SECRET")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success());
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(err.contains("JWT_SECRET"), "{err}");
}

#[test]
fn the_demo_seeds_staff_payers_and_clients_once_and_never_in_production() {
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_perdiem"))
        .args(["serve", "--demo", "--port", &port.to_string()])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env("PERDIEM__LOG__LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::blocking::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..100 {
        if client.get(format!("{base}/health")).send().is_ok() {
            up = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let token = up.then(|| {
        client
            .post(format!("{base}/api/v1/auth/token"))
            .json(&serde_json::json!({"username": "admissions", "password": perdiem::demo::DEMO_PASSWORD}))
            .send()
            .unwrap()
            .json::<serde_json::Value>()
            .unwrap()["access_token"]
            .as_str()
            .map(str::to_string)
    });
    let found = token.flatten().map(|token| {
        let get = |path: String| {
            client
                .get(format!("{base}{path}"))
                .bearer_auth(&token)
                .send()
                .unwrap()
                .json::<serde_json::Value>()
                .unwrap()
        };
        let clients = get("/api/v1/clients?external_id=MRN-10001".into());
        let id = clients["items"][0]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let coverages = get(format!("/api/v1/clients/{id}/coverages"));
        // Benefits from the in-process mock payer, over X12.
        let verification = client
            .post(format!("{base}/api/v1/verifications"))
            .bearer_auth(&token)
            .json(&serde_json::json!({
                "client_id": id,
                "coverage_id": coverages["items"][0]["id"],
                "levels_of_care": ["PHP"],
                "program": "mental_health"
            }))
            .send()
            .unwrap()
            .json::<serde_json::Value>()
            .unwrap();
        // Billing: the demo's attendance becomes a claim, and the claim an 837I.
        let billing = client
            .post(format!("{base}/api/v1/auth/token"))
            .json(&serde_json::json!({"username": "billing", "password": perdiem::demo::DEMO_PASSWORD}))
            .send()
            .unwrap()
            .json::<serde_json::Value>()
            .unwrap()["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let today = chrono::Utc::now().date_naive();
        let generated = client
            .post(format!("{base}/api/v1/claims/generate"))
            .bearer_auth(&billing)
            .json(&serde_json::json!({"through_date": today, "period": "range"}))
            .send()
            .unwrap()
            .json::<serde_json::Value>()
            .unwrap();
        let files: Vec<(u16, String)> = generated["claims"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|claim| {
                let file = client
                    .get(format!(
                        "{base}/api/v1/claims/{}/x12",
                        claim["id"].as_str().unwrap_or_default()
                    ))
                    .bearer_auth(&billing)
                    .send()
                    .unwrap();
                (file.status().as_u16(), file.text().unwrap())
            })
            .collect();
        (get("/api/v1/clients".into()), verification, generated, files)
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(up, "the demo server started");
    let (clients, verification, generated, files) =
        found.expect("the demo admissions account signs in");
    // A per-day PHP claim for the commercial client and a per-service one for Medicare.
    assert_eq!(generated["summary"]["claims"], 2, "{generated:#}");
    for (status, file) in &files {
        assert_eq!(*status, 200, "{file}");
        assert!(file.starts_with("ISA*"), "{file}");
        crate::claims::oracle_accepts("demo.x12", file);
    }
    let per_service = files
        .iter()
        .map(|(_, file)| file)
        .find(|file| file.contains("SBR*P*18*******MA"))
        .expect("the demo bills Medicare per service");
    assert!(per_service.contains("HI*BG:41"), "{per_service}");
    assert!(
        per_service.contains("SV2*0915*HC:G0410*420*UN*2"),
        "{per_service}"
    );
    assert!(
        per_service.contains("SV2*0914*HC:90837*300*UN*1"),
        "{per_service}"
    );
    let medicare = generated["claims"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["lines"].as_array().unwrap().len() > 10)
        .expect("the per-service claim");
    // The 2-service day is billed with a warning and expected 0.00.
    assert!(
        medicare["warnings"].to_string().contains("fewer_services"),
        "{medicare:#}"
    );
    // The stay goes on: the first interim bill (frequency 2), patient status 30.
    assert_eq!(medicare["frequency"], "2", "{medicare:#}");
    assert!(per_service.contains("*13:A:2*"), "{per_service}");
    assert!(per_service.contains("CL1***30"), "{per_service}");
    // Every day's rate is known, so the claim's expected amount is.
    assert!(
        medicare["expected_reimbursement"].is_string(),
        "{medicare:#}"
    );
    assert_eq!(clients["total"], 4);
    assert_eq!(verification["status"], "verified", "{verification:#}");
    let deductible = &verification["levels"][0]["in_network"]["deductible"]["individual"];
    assert_eq!(deductible["remaining"]["value"], "900.00");

    let refused = Command::new(env!("CARGO_BIN_EXE_perdiem"))
        .args(["serve", "--demo", "--port", "0"])
        .current_dir(dir.path())
        .env("PERDIEM__ENVIRONMENT", "production")
        .env("PERDIEM__AUTH__JWT_SECRET", "x".repeat(40))
        .env(
            "PERDIEM__SECRETS__KEY",
            "qkpaJfZ0LE2hFN7I0cO9Gm5vXx3sQ8bT1uYrW4eA6dM=",
        )
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--demo is refused"));
}

#[test]
fn sigterm_stops_the_server_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_perdiem"))
        .args(["serve", "--port", &port.to_string()])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env("PERDIEM__LOG__LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::blocking::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if client
            .get(format!("http://127.0.0.1:{port}/health"))
            .send()
            .is_ok()
        {
            up = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let signalled = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(up, "the server started");
    assert!(signalled.success());
    assert!(
        status.success(),
        "a SIGTERM ends the process cleanly: {status:?}"
    );
}
