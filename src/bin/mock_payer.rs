//! `mock-payer`: the payer simulator as a process, for the demo and manual testing.
//!
//! ```text
//! mock-payer [--host 127.0.0.1] [--port 8099] [--scenarios fixtures/mock-payer/scenarios.json]
//!            [--basic USERNAME:PASSWORD]
//! ```
//!
//! It answers eligibility inquiries (270/271 over CORE, JSON, FHIR) and writes 835 remittances
//! for claims posted to `/remittances/835` (see the `mock_payer` module docs).
//!
//! Without `--scenarios` it serves the bundled scenarios. With `--basic` every request must carry
//! those credentials (HTTP Basic, or a WS-Security UsernameToken in a SOAP envelope). `--port 0` picks a free port; the
//! chosen address is printed on the first line. Stops on SIGINT or SIGTERM.

use std::process::ExitCode;

use perdiem::mock_payer::{start_with, BasicCredentials, Scenarios};

const USAGE: &str =
    "usage: mock-payer [--host HOST] [--port PORT] [--scenarios FILE] [--basic USERNAME:PASSWORD]";

struct Args {
    host: String,
    port: u16,
    scenarios: Option<String>,
    basic: Option<BasicCredentials>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        host: "127.0.0.1".into(),
        port: 8099,
        scenarios: None,
        basic: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--host" => args.host = value()?,
            "--port" => {
                args.port = value()?
                    .parse()
                    .map_err(|_| "--port must be a number from 0 to 65535".to_string())?
            }
            "--scenarios" => args.scenarios = Some(value()?),
            "--basic" => {
                let pair = value()?;
                let (username, password) = pair
                    .split_once(':')
                    .ok_or("--basic must be USERNAME:PASSWORD")?;
                args.basic = Some(BasicCredentials {
                    username: username.to_string(),
                    password: password.to_string(),
                });
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let scenarios = match &args.scenarios {
        Some(path) => Scenarios::load(path),
        None => Scenarios::bundled(),
    };
    let scenarios = match scenarios {
        Ok(scenarios) => scenarios,
        Err(error) => {
            eprintln!("mock-payer: {error}");
            return ExitCode::FAILURE;
        }
    };
    let payer = match start_with(scenarios, &args.host, args.port, args.basic.clone()).await {
        Ok(payer) => payer,
        Err(error) => {
            eprintln!(
                "mock-payer: cannot listen on {}:{}: {error}",
                args.host, args.port
            );
            return ExitCode::FAILURE;
        }
    };
    println!("mock payer listening on {}", payer.url(""));
    println!(
        "  POST {}  POST {}  POST {}",
        payer.url(perdiem::mock_payer::X12_PATH),
        payer.url(perdiem::mock_payer::JSON_PATH),
        payer.url(perdiem::mock_payer::FHIR_PATH)
    );
    println!(
        "  POST {}?scenario=…&payee_npi=…&payee_name=…  (claims JSON in, 835 out)",
        payer.url(perdiem::mock_payer::REMITTANCE_835_PATH)
    );
    wait_for_signal().await;
    payer.stop().await;
    ExitCode::SUCCESS
}

/// SIGINT (Ctrl-C) or, on Unix, SIGTERM.
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
