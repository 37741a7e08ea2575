//! What the bench binaries share: a fresh database.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Mutex;

use perdiem::config::Settings;
use perdiem::domain::ids::PayerId;
use perdiem::domain::payer::PayerInput;
use perdiem::domain::role::Role;
use perdiem::secrets::SecretKey;
use perdiem::startup::Application;
use perdiem::store::payers::{self, Payer};
use perdiem::store::{Db, Tx};
use secrecy::SecretString;

/// The key payer secrets are sealed with, by the bench's set-up and by the served API alike.
const SECRETS_KEY: &str = "YmVuY2gtc2VjcmV0cy1rZXktMzItYnl0ZXMtbG9uZyE=";

fn secret_key() -> SecretKey {
    SecretKey::from_base64(SECRETS_KEY).unwrap()
}

/// Stores a payer, its secrets sealed with the key the served API opens them with.
pub async fn insert_payer(tx: &mut Tx, payer: PayerInput) -> Payer {
    payers::insert(tx, &secret_key(), PayerId::new(), &payer.parse().unwrap())
        .await
        .unwrap()
}

/// The SQLite files this bench made, removed by [`remove_files`].
static FILES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Removes the bench's SQLite files (with their -wal and -shm): a run leaves about 80 MB.
/// `PERDIEM_BENCH_KEEP=1` keeps them, named on stderr, for a look at the queries afterwards.
pub fn remove_files() {
    if std::env::var_os("PERDIEM_BENCH_KEEP").is_some() {
        for file in FILES.lock().unwrap().iter() {
            eprintln!("kept {}", file.display());
        }
        return;
    }
    for file in FILES.lock().unwrap().drain(..) {
        for suffix in ["", "-wal", "-shm"] {
            let mut name = file.clone().into_os_string();
            name.push(suffix);
            let _ = std::fs::remove_file(name);
        }
    }
}

/// A fresh, migrated database: a SQLite file in the temp directory, or a new schema on the
/// PostgreSQL server that TEST_DATABASE_URL names.
pub async fn database() -> Db {
    let db = match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            let options = sqlx::postgres::PgConnectOptions::from_str(&url).unwrap();
            let admin = Db::connect_postgres(options.clone(), 1).await.unwrap();
            let Db::Postgres(pool) = &admin else {
                unreachable!()
            };
            let schema = format!("perdiem_bench_{}", uuid::Uuid::new_v4().simple());
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(pool)
                .await
                .unwrap();
            Db::connect_postgres(options.options([("search_path", schema.as_str())]), 50)
                .await
                .unwrap()
        }
        _ => {
            let file =
                std::env::temp_dir().join(format!("perdiem-bench-{}.db", uuid::Uuid::new_v4()));
            FILES.lock().unwrap().push(file.clone());
            Db::connect(&format!("sqlite://{}", file.display()), 10)
                .await
                .unwrap()
        }
    };
    db.migrate().await.unwrap();
    db
}

/// Starts the API on a random port over `db`; returns its base URL and a token for `user`.
pub async fn serve(db: Db, user: uuid::Uuid, role: Role) -> (String, String) {
    let secret = "bench-signing-key-that-is-long-enough-0123456789";
    let mut settings = Settings::defaults();
    settings.server.port = 0;
    settings.auth.jwt_secret = Some(SecretString::from(secret.to_string()));
    settings.secrets.key = Some(SecretString::from(SECRETS_KEY));
    settings.log.level = "warn".into();
    let keys = perdiem::auth::jwt::TokenKeys::new(
        &SecretString::from(secret.to_string()),
        &settings.auth.issuer,
        &settings.auth.audience,
        3600,
    );
    let token = keys.issue(user, &[role], 0).unwrap();
    let app = Application::build_with_db(settings, db).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    (base, token)
}
