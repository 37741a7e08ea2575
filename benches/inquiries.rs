//! The floor under the verification CPU ratio (a bench binary, not a timed test):
//! `cargo bench --bench inquiries`.
//!
//! `scripts/bench-http` compares perdiem's CPU per verification with the `mock-payer`'s. A
//! verification of IOP and PHP, mental health, at a payer answering one service type per
//! request (the default) is seven inquiries, and perdiem's side of each — the 270, the CORE
//! multipart request, the HTTP client, reading the multipart 271 — mirrors the mock's side
//! (reading the 270, writing the 271, the HTTP server). This bench measures that part alone:
//! the same seven inquiries per verification, through perdiem's own X12 adapter, against the
//! `mock-payer` binary in its own process, with no database, no incoming request and no
//! response. Both processes' CPU comes from `/proc/PID/stat`; the inquiries run on one
//! current-thread runtime, the cheapest way to drive them (no wake-ups across threads).
//!
//! The figure is a lower bound of what the ratio can be: a verification is also an incoming,
//! authenticated request with its reads, its stored exchanges and audit row, and its answer,
//! each at least the cost of the audited read that `scripts/bench-http` prints beside it.
//!
//! `BENCH_VERIFICATIONS=N` (default 3000), `BENCH_IN_FLIGHT=N` (default 16).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use futures_util::stream::{self, StreamExt};
use perdiem::domain::client::{ClientInput, NewClient};
use perdiem::domain::coverage::{CoverageInput, NewCoverage};
use perdiem::domain::eligibility::{Inquiry, LevelOfCare, Program};
use perdiem::domain::ids::{PayerId, VerificationId};
use perdiem::domain::organization::{Organization, OrganizationInput};
use perdiem::domain::payer::{ConnectionInput, PayerInput};
use perdiem::payers::{adapter, PayerAdapter, Transport};
use perdiem::services::verification::{inquiries, Parties};

/// The service binary's allocator (src/main.rs), so the figures are the service's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// utime + stime of a process, in milliseconds (`/proc/PID/stat` fields 14 and 15, in clock
/// ticks of `USER_HZ`, which Linux fixes at 100 on x86 and ARM).
fn cpu_ms(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc is readable");
    // The command name (field 2) may hold spaces; the fields after it are counted from its ')'.
    let after = &stat[stat.rfind(')').expect("a stat line") + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks * 10.0
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct MockPayer {
    child: Child,
    port: u16,
}

impl MockPayer {
    fn start() -> MockPayer {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let child = Command::new(env!("CARGO_BIN_EXE_mock-payer"))
            .args(["--port", &port.to_string()])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the mock-payer binary starts");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "mock-payer did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        MockPayer { child, port }
    }
}

impl Drop for MockPayer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The records `scripts/bench-http` stores before it verifies (its clinic, its client, the
/// client's coverage: the mock's active PPO with per-day copays), as the service reads them.
fn bench_records(payer_id: PayerId) -> (Organization, NewClient, NewCoverage) {
    let today = chrono::Utc::now().date_naive();
    let clinic = serde_json::from_value::<OrganizationInput>(serde_json::json!({
        "legal_name": "Sunrise Behavioral Health LLC", "npi": "1234567893",
        "tax_id": "12-3456789", "taxonomy_code": "261QM0801X",
        "address": {"line1": "100 Congress Ave", "city": "Austin", "state": "TX",
                    "postal_code": "78701"},
        "phone": "512-555-0100"
    }))
    .unwrap()
    .parse()
    .expect("the bench clinic parses");
    let client = serde_json::from_value::<ClientInput>(serde_json::json!({
        "first_name": "Ana", "last_name": "Lopez", "date_of_birth": "1988-04-12", "sex": "F"
    }))
    .unwrap()
    .parse(today)
    .expect("the bench client parses");
    let coverage = serde_json::from_value::<CoverageInput>(serde_json::json!({
        "payer_id": payer_id.to_string(), "member_id": "MOCK-COPAY", "group_number": "GRP-100",
        "relationship": "self", "priority": "primary"
    }))
    .unwrap()
    .parse(today)
    .expect("the bench coverage parses");
    (clinic, client, coverage)
}

async fn verify_by_inquiries(adapter: &dyn PayerAdapter, inquiries: Vec<Inquiry>) {
    let attempts = join_all(inquiries.iter().map(|i| adapter.inquire(i))).await;
    for attempt in attempts {
        assert!(
            attempt.outcome.is_ok(),
            "the mock payer answers: {:?}",
            attempt.outcome.err()
        );
    }
}

fn main() {
    let verifications = env_number("BENCH_VERIFICATIONS", 3000);
    let in_flight = env_number("BENCH_IN_FLIGHT", 16);
    let mock = MockPayer::start();
    let payer = PayerInput {
        name: Some("Mock Health Plan".into()),
        payer_id: Some("MOCKBENCH".into()),
        connection: Some(ConnectionInput {
            protocol: Some("x12".into()),
            envelope: Some("multipart".into()),
            endpoint_url: Some(format!("http://127.0.0.1:{}/x12", mock.port)),
            timeout_seconds: Some(10),
            ..ConnectionInput::default()
        }),
        billing: None,
    }
    .parse()
    .expect("the bench payer parses");
    let connection = payer.connection.clone().expect("a connection");
    let codes = connection.codes_for(&[LevelOfCare::Iop, LevelOfCare::Php], Program::MentalHealth);
    let per_request = usize::try_from(connection.service_types_per_request).unwrap_or(1);
    let groups: Vec<Vec<String>> = codes.chunks(per_request).map(<[String]>::to_vec).collect();
    let (clinic, client, coverage) = bench_records(PayerId::new());
    let parties = Parties {
        payer: &payer,
        clinic: &clinic,
        client: &client,
        coverage: &coverage,
    };
    let today = chrono::Utc::now().date_naive();
    // What `services::verification` sends: its own builder, fresh control numbers each time.
    let inquiries_of = |verification: usize| {
        let control_numbers: Vec<u32> = (0..groups.len())
            .map(|seq| u32::try_from(verification * 8 + seq + 1).unwrap_or(1))
            .collect();
        inquiries(
            VerificationId::new(),
            &parties,
            &groups,
            &control_numbers,
            today,
        )
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let transport = Transport::new().unwrap();
    let adapter = adapter(&connection, &transport);
    let adapter = &*adapter;
    let inquiries_each = groups.len();
    let run = |count: usize, offset: usize| {
        runtime.block_on(
            stream::iter(0..count)
                .map(|n| verify_by_inquiries(adapter, inquiries_of(offset + n)))
                .buffer_unordered(in_flight)
                .collect::<Vec<()>>(),
        );
    };
    // Warm-up: connections, the allocator's pages, the mock's.
    run(verifications / 10 + 1, 0);

    let mock_pid = mock.child.id().to_string();
    let (own_before, mock_before) = (cpu_ms("self"), cpu_ms(&mock_pid));
    let started = Instant::now();
    run(verifications, verifications);
    let wall = started.elapsed();
    let (own, mock_cpu) = (
        (cpu_ms("self") - own_before) / verifications as f64,
        (cpu_ms(&mock_pid) - mock_before) / verifications as f64,
    );
    println!(
        "inquiries alone: {verifications} IOP + PHP verifications of {inquiries_each} inquiries \
         each ({in_flight} in flight, {:.0} per second): CPU per verification perdiem's side \
         {own:.3} ms, mock-payer {mock_cpu:.3} ms, ratio {:.2}",
        verifications as f64 / wall.as_secs_f64(),
        own / mock_cpu
    );
}
