//! Sign-in under load: the lockout holds whatever the concurrency, and the password hashes run
//! at once are bounded (each holds 19 MiB).

use std::process::{Child, Command, Stdio};

use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::{spawn_app_with, test_settings, Reply, TestApp, PASSWORD};

async fn login(app: &TestApp, username: &str, password: &str) -> Reply {
    app.post("/api/v1/auth/token")
        .json(json!({"username": username, "password": password}))
        .send()
        .await
}

/// Sends every password of `passwords` for `username` at once.
async fn burst(app: &TestApp, username: &str, passwords: &[&str]) -> Vec<Reply> {
    join_all(passwords.iter().map(|p| login(app, username, p))).await
}

fn count(replies: &[&Reply], status: u16) -> usize {
    replies.iter().filter(|r| r.status == status).count()
}

fn assert_retry_after(reply: &Reply) {
    let retry: u64 = reply
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("Retry-After in seconds");
    assert!(retry >= 1, "{retry}");
}

/// Room for the whole burst in the hashing queue, so that only the lockout turns attempts away.
fn settings_without_load_refusals() -> perdiem::config::Settings {
    let mut settings = test_settings();
    settings.auth.password_hash_queue = Some(64);
    settings
}

#[tokio::test]
async fn thirty_wrong_passwords_at_once_check_five_and_lock_out_the_right_one() {
    let settings = settings_without_load_refusals();
    assert_eq!(settings.auth.login_max_failures, 5);
    let app = spawn_app_with(settings).await;
    let replies = burst(&app, "billing", &["wrong-password-1"; 30]).await;
    let replies: Vec<&Reply> = replies.iter().collect();
    assert_eq!(count(&replies, 401), 5, "checked: at most the allowance");
    assert_eq!(count(&replies, 429), 25);
    for reply in replies.iter().filter(|r| r.status == 429) {
        assert_eq!(
            reply.problem_type(),
            "urn:perdiem:problem:too-many-requests"
        );
        assert_retry_after(reply);
    }

    let right = login(&app, "billing", PASSWORD).await;
    assert_eq!(right.status, 429, "{}", right.body);
    assert_retry_after(&right);
}

#[tokio::test]
async fn the_right_password_inside_a_burst_is_checked_only_within_the_allowance() {
    let app = spawn_app_with(settings_without_load_refusals()).await;
    let mut passwords = vec!["wrong-password-1"; 30];
    passwords.insert(15, PASSWORD);
    let replies = burst(&app, "billing", &passwords).await;
    let right = &replies[15];
    let wrong: Vec<&Reply> = replies
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 15)
        .map(|(_, r)| r)
        .collect();
    assert_eq!(count(&wrong, 401) + count(&wrong, 429), 30);
    match right.status {
        // The allowance was used up before it was reached: nothing after that was checked.
        429 => assert!(count(&wrong, 401) <= 5, "{} checked", count(&wrong, 401)),
        // It came within the allowance, and a success forgets the failures before it: at most
        // four before it and five after.
        200 => assert!(count(&wrong, 401) <= 9, "{} checked", count(&wrong, 401)),
        other => panic!("the right password got {other}: {}", right.body),
    }
}

#[tokio::test]
async fn a_sign_in_turned_away_for_load_is_a_503_with_retry_after_and_is_not_counted() {
    let mut settings = test_settings();
    settings.auth.login_max_failures = 3;
    settings.auth.password_hashes_at_once = Some(1);
    settings.auth.password_hash_queue = Some(0);
    let app = spawn_app_with(settings).await;
    let replies = burst(&app, "billing", &["wrong-password-1"; 20]).await;
    let replies: Vec<&Reply> = replies.iter().collect();
    let busy: Vec<&&Reply> = replies.iter().filter(|r| r.status == 503).collect();
    // One hash at a time and no queue: whatever arrives while a hash runs is turned away.
    assert!(!busy.is_empty(), "no sign-in was turned away");
    for reply in &busy {
        assert_eq!(reply.problem_type(), "urn:perdiem:problem:busy");
        assert_retry_after(reply);
    }
    let checked = count(&replies, 401);
    assert!((1..=3).contains(&checked), "{checked} checked");
    assert_eq!(checked + count(&replies, 429) + busy.len(), 20);

    // Only the checked ones count: the rest of the allowance is still there, one by one.
    for _ in checked..3 {
        assert_eq!(login(&app, "billing", "wrong-password-1").await.status, 401);
    }
    assert_eq!(login(&app, "billing", PASSWORD).await.status, 429);
}

/// Kills the server when the test ends, passed or not.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Peak resident memory of a process in kB (`VmHWM`), from /proc.
fn peak_resident_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc status")
}

#[tokio::test]
async fn a_hundred_sign_ins_at_once_keep_the_server_under_200_mb() {
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let server = Server(
        Command::new(env!("CARGO_BIN_EXE_perdiem"))
            .args(["serve", "--port", &port.to_string()])
            .current_dir(dir.path())
            .env_remove("DATABASE_URL")
            // Two hashes at once, as on a two-core machine, whatever the machine running this.
            .env("PERDIEM__AUTH__PASSWORD_HASHES_AT_ONCE", "2")
            .env_remove("PERDIEM__AUTH__PASSWORD_HASH_QUEUE")
            .env("PERDIEM__LOG__LEVEL", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("perdiem serve runs"),
    );
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if http.get(format!("{base}/health")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(up, "the server started");

    // A hundred usernames, so that the lockout of one does not spare any hash: an unknown name
    // is checked against a decoy hash, which costs what a known one does.
    let statuses = join_all((0..100).map(|i| {
        let http = http.clone();
        let url = format!("{base}/api/v1/auth/token");
        async move {
            let reply = http
                .post(url)
                .json(&json!({"username": format!("robin-{i}"), "password": PASSWORD}))
                .send()
                .await
                .expect("an answer");
            let retry_after = reply.headers().contains_key("retry-after");
            (reply.status().as_u16(), retry_after)
        }
    }))
    .await;
    let peak_mb = peak_resident_kb(server.0.id()) / 1024;
    drop(server);

    assert!(
        statuses
            .iter()
            .all(|(status, retry_after)| *status == 401 || (*status == 503 && *retry_after)),
        "{statuses:?}"
    );
    assert!(statuses.iter().any(|(status, _)| *status == 401));
    assert!(peak_mb <= 200, "peak resident memory {peak_mb} MB");
}
