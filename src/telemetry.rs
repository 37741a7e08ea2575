//! Tracing set-up.
//!
//! The rule that no PHI reaches the application log lives here and in the request middleware
//! (`startup::request_context`): spans and events carry internal ids (request id, user id,
//! entity ids), the HTTP method, the *route pattern* (never the raw path or query string, which
//! could hold a name or a birth date) and the status. Handlers instrument with `skip_all`.

mod batched;
mod json_lines;

pub use batched::Batched;

use std::io::Write;

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, LogSettings};

/// Installs the global subscriber writing to `sink`. Returns an error if one is already set.
pub fn init<W>(settings: &LogSettings, sink: W) -> anyhow::Result<()>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(&settings.level)?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(sink)
        .with_target(true);
    match settings.format {
        LogFormat::Json => builder
            .fmt_fields(json_lines::JsonMembers)
            .event_format(json_lines::JsonLines)
            .try_init(),
        LogFormat::Pretty => builder.try_init(),
    }
    .map_err(|error| anyhow::anyhow!(error))
}

/// Writes the cause chain of an error, one cause a line, for the log of a 5xx.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = Vec::new();
    let _ = write!(out, "{error}");
    let mut cause = error.source();
    while let Some(inner) = cause {
        let _ = write!(out, "\n  caused by: {inner}");
        cause = inner.source();
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What a test's subscriber wrote, kept in memory (the telemetry modules' unit tests).
#[cfg(test)]
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

#[cfg(test)]
impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[cfg(test)]
impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
