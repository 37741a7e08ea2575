use clap::Parser;

use perdiem::cli::{run, Cli};
use perdiem::config::Settings;

/// mimalloc, not the system allocator: parsing a 271 or writing a claims answer allocates a
/// string per field, and glibc's malloc and free were a third of the 271 parse
/// (benches/verification.rs; the benches use the same allocator). Built without transparent
/// huge pages (feature `no_thp`: mimalloc does not ask for them): zeroing a fresh 2 MiB page on
/// first touch was 30 % of the claims bench's samples, and the bench (100,000 days → claims and
/// their 837I) took 1.45 s instead of 1.03 s (benches/claims.rs, alternated runs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Logging follows the same settings the command will load; a bad file is reported by `run`.
    let output = perdiem::telemetry::Batched::new(std::io::stderr());
    if let Ok(settings) = Settings::load(cli.config.as_deref()) {
        perdiem::telemetry::init(&settings.log, output.clone())?;
    }
    let panicking = output.clone();
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        panicking.flush();
        report(info);
    }));
    let outcome = run(cli).await;
    output.flush();
    outcome
}
