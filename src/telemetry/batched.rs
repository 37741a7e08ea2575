//! Log output that gathers lines and writes them a batch at a time.
//!
//! Every request logs a line, and writing each line with its own `write` (standard error is
//! unbuffered, and its lock taken per line) was about a tenth of the CPU of `GET /health`
//! (`perf`, `wrk -c64`). Here lines below WARN wait in memory and are written together every
//! [`PERIOD`], or at once when [`LIMIT`] bytes have gathered. A WARN or ERROR line is written
//! at once, after the lines gathered before it, so the output keeps its order and what is
//! logged before a failure is out before the failure is. What waits is written when the
//! process ends normally or panics ([`Batched::flush`]); only a process killed outright loses
//! the last [`PERIOD`] of INFO lines.

use std::io::{self, Write};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;

/// How long an INFO line may wait.
pub const PERIOD: Duration = Duration::from_millis(100);
/// How much may gather before it is written without waiting.
pub const LIMIT: usize = 64 * 1024;

/// Batched output to a writer (standard error in the server). Cheap to clone.
#[derive(Clone)]
pub struct Batched {
    shared: Arc<Shared>,
}

struct Shared {
    /// Gathered lines and where they go: one lock, so that batches leave in order.
    state: Mutex<State>,
}

struct State {
    gathered: Vec<u8>,
    sink: Box<dyn Write + Send>,
}

impl Batched {
    /// Output to `sink`, flushed every `PERIOD` (100 ms) by a thread of its own for as long as a
    /// clone of it lives.
    pub fn new(sink: impl Write + Send + 'static) -> Batched {
        Batched::with_period(sink, PERIOD)
    }

    fn with_period(sink: impl Write + Send + 'static, period: Duration) -> Batched {
        let batched = Batched {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    gathered: Vec::with_capacity(LIMIT),
                    sink: Box::new(sink),
                }),
            }),
        };
        let weak = Arc::downgrade(&batched.shared);
        let _ = std::thread::Builder::new()
            .name("log-flush".into())
            .spawn(move || flush_every(weak, period));
        batched
    }

    /// Writes whatever has gathered.
    pub fn flush(&self) {
        let mut state = self.shared.lock();
        let _ = state.write_gathered();
    }
}

fn flush_every(shared: Weak<Shared>, period: Duration) {
    loop {
        std::thread::sleep(period);
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let _ = shared.lock().write_gathered();
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while logging leaves bytes, still writable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl State {
    fn write_gathered(&mut self) -> io::Result<()> {
        if self.gathered.is_empty() {
            return Ok(());
        }
        let written = self.sink.write_all(&self.gathered);
        self.gathered.clear();
        written.and_then(|()| self.sink.flush())
    }
}

/// One line's writer: gathered, or (WARN and ERROR) written at once.
pub struct Line<'a> {
    shared: &'a Shared,
    at_once: bool,
}

impl Write for Line<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut state = self.shared.lock();
        state.gathered.extend_from_slice(buf);
        if self.at_once || state.gathered.len() >= LIMIT {
            state.write_gathered()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Batched {
    type Writer = Line<'a>;

    fn make_writer(&'a self) -> Line<'a> {
        Line {
            shared: &self.shared,
            at_once: true,
        }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Line<'a> {
        Line {
            shared: &self.shared,
            at_once: *meta.level() <= Level::WARN,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::Captured as Out;

    fn logged(batched: &Batched, level: Level, text: &str) {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(batched.clone())
            .without_time()
            .with_target(false)
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || match level {
            Level::ERROR => tracing::error!("{text}"),
            Level::WARN => tracing::warn!("{text}"),
            _ => tracing::info!("{text}"),
        });
    }

    #[test]
    fn info_lines_wait_and_a_warning_takes_them_out_first() {
        let out = Out::default();
        // No timed flush during the test.
        let batched = Batched::with_period(out.clone(), Duration::from_secs(3600));
        logged(&batched, Level::INFO, "first");
        logged(&batched, Level::INFO, "second");
        assert_eq!(out.text(), "", "INFO lines wait");
        logged(&batched, Level::WARN, "third");
        let text = out.text();
        let order: Vec<usize> = ["first", "second", "third"]
            .iter()
            .map(|word| text.find(word).expect(word))
            .collect();
        assert!(order.windows(2).all(|pair| pair[0] < pair[1]), "{text}");
    }

    #[test]
    fn waiting_lines_go_out_within_the_period_and_on_flush() {
        let out = Out::default();
        let batched = Batched::new(out.clone());
        logged(&batched, Level::INFO, "later");
        let deadline = std::time::Instant::now() + PERIOD * 20;
        while !out.text().contains("later") {
            assert!(std::time::Instant::now() < deadline, "never written");
            std::thread::sleep(PERIOD / 4);
        }
        logged(&batched, Level::INFO, "now");
        batched.flush();
        assert!(out.text().contains("now"));
    }

    #[test]
    fn a_full_buffer_is_written_without_waiting() {
        let out = Out::default();
        let batched = Batched::new(out.clone());
        let long = "x".repeat(LIMIT);
        logged(&batched, Level::INFO, &long);
        assert!(out.text().contains(&long));
    }
}
