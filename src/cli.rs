//! The `perdiem` command line.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use crate::domain::ids::{PayerId, UserId};

use crate::auth::password;
use crate::config::{Environment, Settings};
use crate::domain::role::parse_roles;
use crate::domain::user::{parse_password, Username};
use crate::secrets::SecretKey;
use crate::startup::{self, Application};
use crate::store::payers::{self, Forgotten};
use crate::store::{users, Db};

#[derive(Parser)]
#[command(
    name = "perdiem",
    version,
    about = "IOP/PHP benefits, authorizations, attendance and per-diem claims"
)]
pub struct Cli {
    /// A TOML settings file (default: $PERDIEM_CONFIG, else ./perdiem.toml when present).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Runs the HTTP API (migrating the database first).
    Serve {
        #[arg(long)]
        host: Option<String>,
        #[arg(long)]
        port: Option<u16>,
        /// Seed demo staff (password `perdiem-demo-password`), payers and clients on first
        /// start. Development only.
        #[arg(long)]
        demo: bool,
    },
    /// Applies pending database migrations and exits.
    Migrate,
    /// Manages staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manages the payer secrets sealed at rest (key rotation, a lost key).
    Secrets {
        #[command(subcommand)]
        command: SecretsCommand,
    },
}

#[derive(Subcommand)]
pub enum SecretsCommand {
    /// Re-seals under the current key (secrets.key, else the development key file) every payer
    /// secret sealed under an old key, in one transaction. Secrets that already open with the
    /// current key are left alone; one that opens with neither key changes nothing. Run it with
    /// the server stopped.
    #[command(group(
        clap::ArgGroup::new("old_key")
            .required(true)
            .args(["from_key_file", "from_key_stdin"])
    ))]
    Rotate {
        /// A file holding the old key (base64), such as a development `*.secrets-key` file.
        #[arg(long)]
        from_key_file: Option<PathBuf>,
        /// Read the old key (base64) from standard input, so it never reaches a command line.
        #[arg(long)]
        from_key_stdin: bool,
    },
    /// Sets one payer's credentials to none, keeping the rest of its connection, without opening
    /// them: for a lost key. Enter them again with `PATCH /api/v1/payers/{id}`.
    Forget {
        /// The payer's id (a UUID).
        #[arg(long)]
        payer_id: String,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Creates a staff account; the password is read from standard input.
    Add {
        #[arg(long)]
        username: String,
        /// admin, admissions or billing; repeat for several.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Read the password from standard input (required: passwords never go on a command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut settings = Settings::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve { host, port, demo } => {
            if let Some(host) = host {
                settings.server.host = host;
            }
            if let Some(port) = port {
                settings.server.port = port;
            }
            // Kept alive while the API serves: the demo payers point at it.
            let mut mock = None;
            if demo {
                if settings.environment == Environment::Production {
                    anyhow::bail!("--demo is refused in production: its password is public");
                }
                let db = connect(&settings).await?;
                let secrets = startup::secret_key(&settings)?;
                if crate::demo::seed(&db, &secrets).await? {
                    println!(
                        "demo data loaded: staff admin, admissions and billing, password {}",
                        crate::demo::DEMO_PASSWORD
                    );
                }
                let payer = crate::mock_payer::start(
                    crate::mock_payer::Scenarios::bundled()?,
                    "127.0.0.1",
                    0,
                )
                .await?;
                let base = payer.url("");
                crate::demo::attach_mock_payer(&db, &secrets, &base).await?;
                tracing::info!(mock_payer = %base, "demo payers answer from the mock payer");
                db.close().await;
                mock = Some(payer);
            }
            let app = Application::build(settings).await?;
            app.run_until_stopped().await?;
            if let Some(mock) = mock {
                mock.stop().await;
            }
        }
        Command::Migrate => {
            let db = connect(&settings).await?;
            println!("migrations applied ({})", db.backend());
        }
        Command::User {
            command:
                UserCommand::Add {
                    username,
                    roles,
                    password_stdin: _,
                },
        } => {
            let username =
                Username::parse(username).map_err(|m| anyhow::anyhow!("username {m}"))?;
            let roles = parse_roles(roles).map_err(|m| anyhow::anyhow!("role {m}"))?;
            let mut raw = String::new();
            std::io::stdin().read_to_string(&mut raw)?;
            let line = raw.lines().next().unwrap_or_default().to_string();
            let secret = parse_password(line).map_err(|m| anyhow::anyhow!("password {m}"))?;
            let hash =
                password::hash_blocking(SecretString::from(secret.expose_secret().to_string()))
                    .await?;
            let db = connect(&settings).await?;
            let mut tx = db.begin().await?;
            let user = users::insert(&mut tx, UserId::new(), username.as_str(), &hash, &roles)
                .await
                .map_err(|e| {
                    if e.is_unique_violation() {
                        anyhow::anyhow!("the username {} is taken", username.as_str())
                    } else {
                        anyhow::anyhow!(e)
                    }
                })?;
            tx.commit().await?;
            let roles: Vec<&str> = user.roles.iter().map(|r| r.as_str()).collect();
            println!(
                "created user {} ({}) with roles {}",
                user.username,
                user.id,
                roles.join(", ")
            );
        }
        Command::Secrets {
            command:
                SecretsCommand::Rotate {
                    from_key_file,
                    from_key_stdin: _,
                },
        } => rotate_secrets(&settings, from_key_file).await?,
        Command::Secrets {
            command: SecretsCommand::Forget { payer_id },
        } => forget_credentials(&settings, &payer_id).await?,
    }
    Ok(())
}

/// The old key of a rotation: from the file when one is named, else from standard input (clap
/// requires one of the two). The key itself never appears in an error.
fn old_key(from_key_file: Option<PathBuf>) -> anyhow::Result<SecretKey> {
    let (text, source) = match from_key_file {
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading the old key from {}", path.display()))?;
            (Zeroizing::new(text), format!("in {}", path.display()))
        }
        None => {
            let mut text = Zeroizing::new(String::new());
            std::io::stdin().read_to_string(&mut text)?;
            (text, "on standard input".to_string())
        }
    };
    SecretKey::from_base64(&text).map_err(|e| anyhow::anyhow!("the old key {source} {e}"))
}

async fn rotate_secrets(settings: &Settings, from_key_file: Option<PathBuf>) -> anyhow::Result<()> {
    let old = old_key(from_key_file)?;
    let current = startup::secret_key(settings)?;
    let db = connect(settings).await?;
    let mut tx = db.begin().await?;
    // On an error the transaction is dropped, not committed: nothing is re-sealed.
    let resealed = payers::reseal_secrets(&mut tx, &old, &current)
        .await
        .map_err(|e| anyhow::anyhow!("{e}; nothing was changed"))?;
    tx.commit().await?;
    println!("re-sealed {resealed} payer secrets under the current key");
    Ok(())
}

async fn forget_credentials(settings: &Settings, payer_id: &str) -> anyhow::Result<()> {
    // Ids are stored in their canonical form; parsing also refuses a typo outright.
    let id = PayerId::from_uuid(
        Uuid::parse_str(payer_id)
            .map_err(|_| anyhow::anyhow!("--payer-id must be a payer's id (a UUID)"))?,
    );
    let db = connect(settings).await?;
    let mut tx = db.begin().await?;
    let outcome = payers::forget_credentials(&mut tx, id).await?;
    tx.commit().await?;
    match outcome {
        Forgotten::NoSuchPayer => anyhow::bail!("no payer has the id {id}"),
        Forgotten::NoConnection => println!("payer {id} has no connection: nothing to forget"),
        Forgotten::Forgotten => println!(
            "payer {id}: credentials forgotten; enter them again with PATCH /api/v1/payers/{id}"
        ),
    }
    Ok(())
}

/// Connects and brings the database up to date (migrations, then any payer secrets sealed), as
/// `serve` does, so every command sees the same database.
async fn connect(settings: &Settings) -> anyhow::Result<Db> {
    let db = Db::connect(
        settings.database.url.expose_secret(),
        settings.database.max_connections,
    )
    .await?;
    startup::migrate(&db, &startup::secret_key(settings)?).await?;
    Ok(db)
}
