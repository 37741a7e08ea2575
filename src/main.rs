use clap::Parser;

use perdiem::cli::{run, Cli};
use perdiem::config::Settings;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Logging follows the same settings the command will load; a bad file is reported by `run`.
    if let Ok(settings) = Settings::load(cli.config.as_deref()) {
        perdiem::telemetry::init(&settings.log, std::io::stderr)?;
    }
    run(cli).await
}
