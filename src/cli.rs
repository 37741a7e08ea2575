//! The `perdiem` command line.

use std::io::Read;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use secrecy::{ExposeSecret, SecretString};

use crate::auth::password;
use crate::config::{Environment, Settings};
use crate::domain::ids::new_id;
use crate::domain::role::parse_roles;
use crate::domain::user::{parse_password, Username};
use crate::startup::{self, Application};
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
            let user = users::insert(&mut tx, new_id(), username.as_str(), &hash, &roles)
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
