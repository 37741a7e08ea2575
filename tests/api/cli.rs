//! The `perdiem` command line: migrate, and create the first admin.

use std::io::Write;
use std::process::{Command, Stdio};

fn perdiem(dir: &std::path::Path, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_perdiem"))
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
        let file = client
            .get(format!(
                "{base}/api/v1/claims/{}/x12",
                generated["claims"][0]["id"].as_str().unwrap_or_default()
            ))
            .bearer_auth(&billing)
            .send()
            .unwrap();
        let file = (file.status().as_u16(), file.text().unwrap());
        (get("/api/v1/clients".into()), verification, generated, file)
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(up, "the demo server started");
    let (clients, verification, generated, file) =
        found.expect("the demo admissions account signs in");
    assert_eq!(generated["summary"]["claims"], 1, "{generated:#}");
    assert_eq!(file.0, 200, "{}", file.1);
    assert!(file.1.starts_with("ISA*"), "{}", file.1);
    assert_eq!(clients["total"], 3);
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
