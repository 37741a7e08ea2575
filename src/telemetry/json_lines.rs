//! The JSON log line, written directly.
//!
//! tracing-subscriber's JSON formatter stores each span's fields as a JSON object, then parses
//! that text back into a map for every event logged inside the span, once for the current span
//! and once for the span list, and reformats a span's whole object whenever a field is recorded
//! on it later (the request's `user_id`). Each request logs one line and opens one span, so
//! that was about a tenth of the CPU of an audited read (`perf`, `GET /clients/{id}`). Here a
//! span keeps its fields as ready-written JSON members (`"k":v,…`), which a line copies and a
//! later field extends.
//!
//! A line: `{"timestamp":…,"level":…,"target":…,<the event's fields>,"span":{"name":…,<its
//! fields>},"spans":[<every span from the root, the same way>]}` — the shape of
//! tracing-subscriber's JSON with `flatten_event` and the current span, so log shippers see no
//! change.

use std::fmt::{self, Write};

use chrono::{SecondsFormat, Utc};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// Formats events as JSON lines (see the module's documentation).
pub struct JsonLines;

/// Formats fields as JSON object members without the braces: `"a":1,"b":"x"`.
pub struct JsonMembers;

impl<'w> FormatFields<'w> for JsonMembers {
    fn format_fields<R: RecordFields>(&self, mut writer: Writer<'w>, fields: R) -> fmt::Result {
        let mut members = Members::new(&mut writer, true);
        fields.record(&mut members);
        members.result
    }

    fn add_fields(
        &self,
        current: &mut FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> fmt::Result {
        let first = current.fields.is_empty();
        let mut members = Members::new(&mut current.fields, first);
        fields.record(&mut members);
        members.result
    }
}

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'w> FormatFields<'w> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        writer.write_str("{\"timestamp\":\"")?;
        writer.write_str(&Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true))?;
        writer.write_str("\",\"level\":\"")?;
        writer.write_str(meta.level().as_str())?;
        writer.write_str("\",\"target\":")?;
        string(&mut writer, meta.target())?;
        let mut members = Members::new(&mut writer, false);
        event.record(&mut members);
        members.result?;
        if let Some(scope) = ctx.event_scope() {
            let spans: Vec<_> = scope.from_root().collect();
            if let Some(current) = spans.last() {
                writer.write_str(",\"span\":")?;
                span_object(&mut writer, current.name(), &current.extensions())?;
                writer.write_str(",\"spans\":[")?;
                for (n, span) in spans.iter().enumerate() {
                    if n > 0 {
                        writer.write_char(',')?;
                    }
                    span_object(&mut writer, span.name(), &span.extensions())?;
                }
                writer.write_char(']')?;
            }
        }
        writer.write_str("}\n")
    }
}

/// `{"name":…,<fields>}` of one span. Its fields are there only when this formatter's
/// [`JsonMembers`] wrote them.
fn span_object(
    out: &mut impl Write,
    name: &str,
    extensions: &tracing_subscriber::registry::Extensions<'_>,
) -> fmt::Result {
    out.write_str("{\"name\":")?;
    string(out, name)?;
    if let Some(fields) = extensions.get::<FormattedFields<JsonMembers>>() {
        if !fields.fields.is_empty() {
            out.write_char(',')?;
            out.write_str(&fields.fields)?;
        }
    }
    out.write_char('}')
}

/// Writes each field as `"name":value`, a comma before each but (when `first`) the first.
struct Members<'a, W: Write> {
    out: &'a mut W,
    first: bool,
    result: fmt::Result,
}

impl<'a, W: Write> Members<'a, W> {
    fn new(out: &'a mut W, first: bool) -> Self {
        Members {
            out,
            first,
            result: Ok(()),
        }
    }

    fn member(&mut self, field: &Field, value: impl FnOnce(&mut W) -> fmt::Result) {
        if self.result.is_err() {
            return;
        }
        self.result = (|| {
            if !std::mem::take(&mut self.first) {
                self.out.write_char(',')?;
            }
            string(self.out, field.name())?;
            self.out.write_char(':')?;
            value(self.out)
        })();
    }
}

impl<W: Write> Visit for Members<'_, W> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.member(field, |out| string(out, value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.member(field, |out| write!(out, "{value}"));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.member(field, |out| write!(out, "{value}"));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.member(field, |out| write!(out, "{value}"));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        // JSON has no NaN or infinity: those travel as strings.
        if value.is_finite() {
            self.member(field, |out| write!(out, "{value}"));
        } else {
            self.member(field, |out| string(out, &value.to_string()));
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.member(field, |out| {
            out.write_char('"')?;
            write!(Escaped(out), "{value}")?;
            out.write_char('"')
        });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.member(field, |out| {
            out.write_char('"')?;
            write!(Escaped(out), "{value:?}")?;
            out.write_char('"')
        });
    }
}

/// `text` as a JSON string.
fn string(out: &mut impl Write, text: &str) -> fmt::Result {
    out.write_char('"')?;
    Escaped(&mut *out).write_str(text)?;
    out.write_char('"')
}

/// Escapes what passes through it for the inside of a JSON string.
struct Escaped<'a, W: Write>(&'a mut W);

impl<W: Write> Write for Escaped<'_, W> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let mut plain = 0;
        for (at, c) in text.char_indices() {
            let escape = match c {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                c if (c as u32) < 0x20 => "",
                _ => continue,
            };
            self.0.write_str(&text[plain..at])?;
            if escape.is_empty() {
                write!(self.0, "\\u{:04x}", c as u32)?;
            } else {
                self.0.write_str(escape)?;
            }
            plain = at + c.len_utf8();
        }
        self.0.write_str(&text[plain..])
    }
}

#[cfg(test)]
mod tests {
    use std::io;

    use serde_json::{json, Value};

    use super::*;
    use crate::telemetry::Captured;

    fn logged(work: impl FnOnce()) -> Vec<Value> {
        let lines = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer({
                let lines = lines.clone();
                move || lines.clone()
            })
            .fmt_fields(JsonMembers)
            .event_format(JsonLines)
            .finish();
        tracing::subscriber::with_default(subscriber, work);
        let text = lines.text();
        text.lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
            .collect()
    }

    #[test]
    fn a_line_carries_the_event_its_span_and_fields_recorded_later() {
        let lines = logged(|| {
            let outer =
                tracing::info_span!("request", route = "/x", user_id = tracing::field::Empty);
            outer.record("user_id", "u-1");
            let _outer = outer.enter();
            let inner = tracing::info_span!("step", n = 2_u64);
            let _inner = inner.enter();
            tracing::warn!(status = 503_i64, ok = false, ratio = 0.5, "served \"it\"");
        });
        let line = &lines[0];
        assert!(line["timestamp"].as_str().unwrap().ends_with('Z'));
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["message"], "served \"it\"");
        assert_eq!(line["status"], 503);
        assert_eq!(line["ok"], false);
        assert_eq!(line["ratio"], 0.5);
        assert_eq!(line["span"], json!({"name": "step", "n": 2}));
        assert_eq!(
            line["spans"],
            json!([{"name": "request", "route": "/x", "user_id": "u-1"}, {"name": "step", "n": 2}])
        );
    }

    #[test]
    fn text_is_escaped_and_a_line_outside_spans_has_none() {
        let lines = logged(|| {
            let cause = io::Error::other("a \"quoted\"\nline\u{1}");
            tracing::error!(cause = %cause, debug = ?"tab\there", "plain");
        });
        let line = &lines[0];
        assert_eq!(line["cause"], "a \"quoted\"\nline\u{1}");
        assert_eq!(line["debug"], "\"tab\\there\"");
        assert!(line.get("span").is_none());
        assert!(line.get("spans").is_none());
    }

    #[test]
    fn a_field_recorded_on_a_span_without_fields_starts_its_members() {
        let lines = logged(|| {
            let span = tracing::info_span!("bare", later = tracing::field::Empty);
            span.record("later", 7_i64);
            let _entered = span.enter();
            tracing::info!("inside");
        });
        assert_eq!(lines[0]["span"], json!({"name": "bare", "later": 7}));
    }
}
