//! The process's metrics and their Prometheus text exposition (format 0.0.4).
//!
//! Hand-rolled: a handful of counters and histograms with fixed label sets needs no crate.
//! Recording sits on every request, so it takes one short lock and, once a label set has been
//! seen, allocates nothing. What only the database or the payers' breakers know (pool sizes,
//! batch items, circuit states) is read at scrape time and handed to [`Metrics::render`] as a
//! [`Scrape`].
//!
//! No label carries PHI: routes are patterns (`/api/v1/clients/{id}`), never paths; payer ids
//! are the payers' UUIDs; everything else is a fixed word.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use uuid::Uuid;

use crate::payers::breaker::State as CircuitState;

/// The `Content-Type` of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A histogram's upper bound: as written in the `le` label, and in the unit observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    pub le: &'static str,
    pub at_most: u64,
}

const fn seconds(le: &'static str, nanos: u64) -> Bound {
    Bound { le, at_most: nanos }
}

/// Prometheus' default buckets: from a cached read to a payer's slow answer.
const DURATION_BOUNDS: [Bound; 11] = [
    seconds("0.005", 5_000_000),
    seconds("0.01", 10_000_000),
    seconds("0.025", 25_000_000),
    seconds("0.05", 50_000_000),
    seconds("0.1", 100_000_000),
    seconds("0.25", 250_000_000),
    seconds("0.5", 500_000_000),
    seconds("1", 1_000_000_000),
    seconds("2.5", 2_500_000_000),
    seconds("5", 5_000_000_000),
    seconds("10", 10_000_000_000),
];

const fn writes(le: &'static str, n: u64) -> Bound {
    Bound { le, at_most: n }
}

/// Powers of two up to the writer's largest group (`store::writer::MAX_GROUP`): whether group
/// commit gathers a few writes or many.
pub const BATCH_BOUNDS: [Bound; 8] = [
    writes("1", 1),
    writes("2", 2),
    writes("4", 4),
    writes("8", 8),
    writes("16", 16),
    writes("32", 32),
    writes("64", 64),
    writes("128", 128),
];

/// What a histogram's observations count, for writing its `_sum`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Observed in nanoseconds, written in seconds (integers keep the sum exact).
    Seconds,
    /// Observed and written as whole numbers.
    Count,
}

/// Observations per bucket (not cumulative; [`render`] accumulates), their sum and count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Histogram {
    pub bounds: &'static [Bound],
    pub unit: Unit,
    pub buckets: Vec<u64>,
    pub sum: u64,
    pub count: u64,
}

impl Histogram {
    pub fn new(bounds: &'static [Bound], unit: Unit) -> Histogram {
        Histogram {
            bounds,
            unit,
            buckets: vec![0; bounds.len()],
            sum: 0,
            count: 0,
        }
    }

    pub fn observe(&mut self, value: u64) {
        // Above the last bound, only `+Inf` (the count) holds it.
        if let Some(i) = self.bounds.iter().position(|b| value <= b.at_most) {
            self.buckets[i] += 1;
        }
        self.sum = self.sum.saturating_add(value);
        self.count += 1;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Number(u64),
    Histogram(Histogram),
}

/// One labelled series of a family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    pub labels: Vec<(&'static str, String)>,
    pub value: Value,
}

/// A metric name with its help text, type and series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Family {
    pub name: &'static str,
    pub help: &'static str,
    pub kind: Kind,
    pub series: Vec<Series>,
}

/// What is read at scrape time, outside this module.
#[derive(Debug, Clone, Default)]
pub struct Scrape {
    pub pool: PoolSizes,
    /// The SQLite writer's queue and group commits (zero on PostgreSQL, which has none).
    pub writer: WriterFigures,
    /// Per payer asked since the process started: its circuit's state.
    pub circuits: Vec<(Uuid, CircuitState)>,
    /// Verification-batch items per state, as counted in the database.
    pub batch_items: Vec<(String, i64)>,
}

/// The single SQLite writer as of now: writes queued, and commits by group size.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriterFigures {
    pub queued: u64,
    /// Commits per bucket of [`BATCH_BOUNDS`] (not cumulative).
    pub commits_by_size: Vec<u64>,
    /// Writes committed in all.
    pub writes: u64,
}

impl WriterFigures {
    fn commit_batches(&self) -> Histogram {
        let mut histogram = Histogram::new(&BATCH_BOUNDS, Unit::Count);
        for (bucket, commits) in histogram.buckets.iter_mut().zip(&self.commits_by_size) {
            *bucket = *commits;
        }
        histogram.count = self.commits_by_size.iter().sum();
        histogram.sum = self.writes;
        histogram
    }
}

/// The database pool's connections.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolSizes {
    pub idle: u64,
    pub in_use: u64,
    pub max: u64,
}

/// One route and method's requests: their durations and their count per status.
struct RouteMethod {
    method: &'static str,
    durations: Histogram,
    statuses: Vec<(u16, u64)>,
}

/// The metrics this process records as it runs.
pub struct Metrics {
    /// Keyed by route pattern; each holds its few methods, looked up by a short scan.
    requests: Mutex<HashMap<String, Vec<RouteMethod>>>,
    verifications: Mutex<HashMap<(Uuid, String), u64>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves counts that are still counts.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The method as a label: the standard ones by name, any other as `other`, so a caller cannot
/// grow the label set with invented methods.
pub fn method_label(method: &str) -> &'static str {
    const KNOWN: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT",
    ];
    KNOWN
        .into_iter()
        .find(|known| *known == method)
        .unwrap_or("other")
}

impl Metrics {
    pub fn new() -> Metrics {
        Metrics {
            requests: Mutex::default(),
            verifications: Mutex::default(),
        }
    }

    /// One HTTP request served. `route` is the matched pattern (or `unmatched`), never the path.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let method = method_label(method);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        let mut requests = locked(&self.requests);
        let methods = match requests.get_mut(route) {
            Some(methods) => methods,
            None => requests.entry(route.to_string()).or_default(),
        };
        let at = match methods.iter().position(|m| m.method == method) {
            Some(at) => at,
            None => {
                methods.push(RouteMethod {
                    method,
                    durations: Histogram::new(&DURATION_BOUNDS, Unit::Seconds),
                    statuses: Vec::new(),
                });
                methods.len() - 1
            }
        };
        let series = &mut methods[at];
        series.durations.observe(nanos);
        match series.statuses.iter_mut().find(|(s, _)| *s == status) {
            Some((_, count)) => *count += 1,
            None => series.statuses.push((status, 1)),
        }
    }

    /// One verification finished with `outcome` (its status, or `cached` for a stored answer).
    pub fn count_verification(&self, payer_id: Uuid, outcome: &str) {
        *locked(&self.verifications)
            .entry((payer_id, outcome.to_string()))
            .or_insert(0) += 1;
    }

    /// Every family, its series in a stable order, with `scrape`'s values.
    pub fn families(&self, scrape: &Scrape) -> Vec<Family> {
        let (request_counts, request_durations) = self.request_series();
        let mut verifications: Vec<Series> = locked(&self.verifications)
            .iter()
            .map(|((payer, outcome), count)| Series {
                labels: vec![
                    ("payer_id", payer.to_string()),
                    ("outcome", outcome.clone()),
                ],
                value: Value::Number(*count),
            })
            .collect();
        verifications.sort_by(|a, b| a.labels.cmp(&b.labels));
        let commit_batches = scrape.writer.commit_batches();
        vec![
            Family {
                name: "perdiem_http_requests_total",
                help: "HTTP requests served, by method, route pattern and status.",
                kind: Kind::Counter,
                series: request_counts,
            },
            Family {
                name: "perdiem_http_request_duration_seconds",
                help: "Time to serve an HTTP request, by method and route pattern.",
                kind: Kind::Histogram,
                series: request_durations,
            },
            Family {
                name: "perdiem_db_pool_connections",
                help: "Database pool connections, by state.",
                kind: Kind::Gauge,
                series: vec![
                    gauge(vec![("state", "idle".into())], scrape.pool.idle),
                    gauge(vec![("state", "in_use".into())], scrape.pool.in_use),
                ],
            },
            Family {
                name: "perdiem_db_pool_max_connections",
                help: "The most connections the database pool opens.",
                kind: Kind::Gauge,
                series: vec![gauge(Vec::new(), scrape.pool.max)],
            },
            Family {
                name: "perdiem_db_writer_queue_depth",
                help: "Writes waiting for the database writer.",
                kind: Kind::Gauge,
                series: vec![gauge(Vec::new(), scrape.writer.queued)],
            },
            Family {
                name: "perdiem_db_commit_batch_size",
                help: "Writes committed together per group commit.",
                kind: Kind::Histogram,
                series: vec![Series {
                    labels: Vec::new(),
                    value: Value::Histogram(commit_batches),
                }],
            },
            Family {
                name: "perdiem_verifications_total",
                help: "Benefits verifications finished, by payer and outcome (cached: a stored answer).",
                kind: Kind::Counter,
                series: verifications,
            },
            Family {
                name: "perdiem_payer_circuit_state",
                help: "Per payer asked since start: 1 for its circuit breaker's current state.",
                kind: Kind::Gauge,
                series: circuit_series(&scrape.circuits),
            },
            Family {
                name: "perdiem_batch_items",
                help: "Verification-batch items in the database, by state.",
                kind: Kind::Gauge,
                series: scrape
                    .batch_items
                    .iter()
                    .map(|(state, n)| {
                        gauge(
                            vec![("state", state.clone())],
                            u64::try_from(*n).unwrap_or(0),
                        )
                    })
                    .collect(),
            },
        ]
    }

    /// The exposition of every family.
    pub fn render(&self, scrape: &Scrape) -> String {
        render(&self.families(scrape))
    }

    fn request_series(&self) -> (Vec<Series>, Vec<Series>) {
        let mut counts = Vec::new();
        let mut durations = Vec::new();
        {
            let requests = locked(&self.requests);
            for (route, methods) in requests.iter() {
                for m in methods {
                    for (status, n) in &m.statuses {
                        counts.push(Series {
                            labels: vec![
                                ("method", m.method.to_string()),
                                ("route", route.clone()),
                                ("status", status.to_string()),
                            ],
                            value: Value::Number(*n),
                        });
                    }
                    durations.push(Series {
                        labels: vec![("method", m.method.to_string()), ("route", route.clone())],
                        value: Value::Histogram(m.durations.clone()),
                    });
                }
            }
        }
        counts.sort_by(|a, b| a.labels.cmp(&b.labels));
        durations.sort_by(|a, b| a.labels.cmp(&b.labels));
        (counts, durations)
    }
}

fn gauge(labels: Vec<(&'static str, String)>, value: u64) -> Series {
    Series {
        labels,
        value: Value::Number(value),
    }
}

/// Three series per payer, one per state, the current one 1: a query for `state="open"` then
/// finds every payer with its circuit open.
fn circuit_series(circuits: &[(Uuid, CircuitState)]) -> Vec<Series> {
    let mut circuits = circuits.to_vec();
    circuits.sort_by_key(|(payer, _)| *payer);
    circuits
        .iter()
        .flat_map(|(payer, current)| {
            CircuitState::ALL.into_iter().map(move |state| {
                gauge(
                    vec![
                        ("payer_id", payer.to_string()),
                        ("state", state.as_str().to_string()),
                    ],
                    u64::from(state == *current),
                )
            })
        })
        .collect()
}

/// Writes `families` in the text exposition format 0.0.4: `# HELP` and `# TYPE` once per
/// family, then one line per sample; a histogram's buckets cumulative up to `+Inf`.
pub fn render(families: &[Family]) -> String {
    let mut out = String::with_capacity(4096);
    for family in families {
        let _ = writeln!(out, "# HELP {} {}", family.name, escape_help(family.help));
        let _ = writeln!(out, "# TYPE {} {}", family.name, family.kind.as_str());
        for series in &family.series {
            match &series.value {
                Value::Number(n) => {
                    sample(
                        &mut out,
                        family.name,
                        "",
                        &series.labels,
                        None,
                        &n.to_string(),
                    );
                }
                Value::Histogram(h) => histogram(&mut out, family.name, &series.labels, h),
            }
        }
    }
    out
}

fn histogram(out: &mut String, name: &str, labels: &[(&'static str, String)], h: &Histogram) {
    let mut cumulative = 0;
    for (bound, n) in h.bounds.iter().zip(&h.buckets) {
        cumulative += n;
        let le = Some(bound.le);
        sample(out, name, "_bucket", labels, le, &cumulative.to_string());
    }
    sample(
        out,
        name,
        "_bucket",
        labels,
        Some("+Inf"),
        &h.count.to_string(),
    );
    let sum = match h.unit {
        Unit::Seconds => format!("{}.{:09}", h.sum / 1_000_000_000, h.sum % 1_000_000_000),
        Unit::Count => h.sum.to_string(),
    };
    sample(out, name, "_sum", labels, None, &sum);
    sample(out, name, "_count", labels, None, &h.count.to_string());
}

fn sample(
    out: &mut String,
    name: &str,
    suffix: &str,
    labels: &[(&'static str, String)],
    le: Option<&str>,
    value: &str,
) {
    out.push_str(name);
    out.push_str(suffix);
    let all = labels
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .chain(le.map(|le| ("le", le)));
    let mut first = true;
    for (key, label_value) in all {
        out.push(if first { '{' } else { ',' });
        first = false;
        out.push_str(key);
        out.push_str("=\"");
        escape_label_value(out, label_value);
        out.push('"');
    }
    if !first {
        out.push('}');
    }
    out.push(' ');
    out.push_str(value);
    out.push('\n');
}

/// A label value escapes `\`, `"` and line feeds (exposition format 0.0.4).
fn escape_label_value(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Help text escapes `\` and line feeds (but not `"`).
fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<&str> {
        text.lines().collect()
    }

    #[test]
    fn a_counter_has_help_type_and_one_line_per_series() {
        let text = render(&[Family {
            name: "x_total",
            help: "Things.",
            kind: Kind::Counter,
            series: vec![
                gauge(vec![("a", "1".into()), ("b", "two".into())], 3),
                gauge(vec![("a", "2".into()), ("b", "two".into())], 0),
            ],
        }]);
        assert_eq!(
            lines(&text),
            [
                "# HELP x_total Things.",
                "# TYPE x_total counter",
                "x_total{a=\"1\",b=\"two\"} 3",
                "x_total{a=\"2\",b=\"two\"} 0",
            ]
        );
    }

    #[test]
    fn a_series_without_labels_has_no_braces() {
        let text = render(&[Family {
            name: "depth",
            help: "Depth.",
            kind: Kind::Gauge,
            series: vec![gauge(Vec::new(), 7)],
        }]);
        assert_eq!(lines(&text)[2], "depth 7");
    }

    #[test]
    fn label_values_escape_backslash_quote_and_line_feed() {
        let text = render(&[Family {
            name: "x",
            help: "A \\ help\nline with \"quotes\".",
            kind: Kind::Gauge,
            series: vec![gauge(vec![("v", "a\\b\"c\nd".into())], 1)],
        }]);
        assert_eq!(
            lines(&text),
            [
                "# HELP x A \\\\ help\\nline with \"quotes\".",
                "# TYPE x gauge",
                "x{v=\"a\\\\b\\\"c\\nd\"} 1",
            ]
        );
    }

    #[test]
    fn a_histogram_writes_cumulative_buckets_then_inf_sum_and_count() {
        const BOUNDS: [Bound; 2] = [writes("1", 1), writes("4", 4)];
        let mut h = Histogram::new(&BOUNDS, Unit::Count);
        for v in [1, 1, 3, 9] {
            h.observe(v);
        }
        let text = render(&[Family {
            name: "size",
            help: "Sizes.",
            kind: Kind::Histogram,
            series: vec![Series {
                labels: vec![("k", "v".into())],
                value: Value::Histogram(h),
            }],
        }]);
        assert_eq!(
            lines(&text),
            [
                "# HELP size Sizes.",
                "# TYPE size histogram",
                "size_bucket{k=\"v\",le=\"1\"} 2",
                "size_bucket{k=\"v\",le=\"4\"} 3",
                "size_bucket{k=\"v\",le=\"+Inf\"} 4",
                "size_sum{k=\"v\"} 14",
                "size_count{k=\"v\"} 4",
            ]
        );
    }

    #[test]
    fn durations_are_summed_exactly_and_written_in_seconds() {
        let mut h = Histogram::new(&DURATION_BOUNDS, Unit::Seconds);
        h.observe(1_500_000_000);
        h.observe(2_000_001);
        let text = render(&[Family {
            name: "d",
            help: "D.",
            kind: Kind::Histogram,
            series: vec![Series {
                labels: Vec::new(),
                value: Value::Histogram(h),
            }],
        }]);
        assert!(text.contains("d_bucket{le=\"0.005\"} 1\n"), "{text}");
        assert!(text.contains("d_bucket{le=\"1\"} 1\n"), "{text}");
        assert!(text.contains("d_bucket{le=\"2.5\"} 2\n"), "{text}");
        assert!(text.contains("d_sum 1.502000001\n"), "{text}");
    }

    #[test]
    fn requests_are_counted_per_method_route_and_status() {
        let metrics = Metrics::new();
        let route = "/api/v1/clients/{id}";
        metrics.observe_request("GET", route, 200, Duration::from_millis(3));
        metrics.observe_request("GET", route, 200, Duration::from_millis(30));
        metrics.observe_request("GET", route, 404, Duration::from_millis(3));
        metrics.observe_request("PATCH", route, 200, Duration::from_millis(3));
        metrics.observe_request("BREW", "unmatched", 404, Duration::from_millis(3));
        let text = metrics.render(&Scrape::default());
        for line in [
            "perdiem_http_requests_total{method=\"GET\",route=\"/api/v1/clients/{id}\",status=\"200\"} 2",
            "perdiem_http_requests_total{method=\"GET\",route=\"/api/v1/clients/{id}\",status=\"404\"} 1",
            "perdiem_http_requests_total{method=\"PATCH\",route=\"/api/v1/clients/{id}\",status=\"200\"} 1",
            "perdiem_http_requests_total{method=\"other\",route=\"unmatched\",status=\"404\"} 1",
            "perdiem_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/clients/{id}\",le=\"0.005\"} 2",
            "perdiem_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/clients/{id}\",le=\"0.05\"} 3",
            "perdiem_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/clients/{id}\"} 3",
            "perdiem_http_request_duration_seconds_sum{method=\"GET\",route=\"/api/v1/clients/{id}\"} 0.036000000",
        ] {
            assert!(text.lines().any(|l| l == line), "no {line} in\n{text}");
        }
    }

    #[test]
    fn the_writer_series_come_from_the_scrape() {
        let metrics = Metrics::new();
        let text = metrics.render(&Scrape::default());
        assert!(
            text.contains("\nperdiem_db_writer_queue_depth 0\n"),
            "{text}"
        );
        assert!(
            text.contains("\nperdiem_db_commit_batch_size_count 0\n"),
            "{text}"
        );
        let scrape = Scrape {
            writer: WriterFigures {
                queued: 12,
                // One commit of 3 writes, one of 40.
                commits_by_size: vec![0, 0, 1, 0, 0, 0, 1, 0],
                writes: 43,
            },
            ..Scrape::default()
        };
        let text = metrics.render(&scrape);
        for line in [
            "perdiem_db_writer_queue_depth 12",
            "perdiem_db_commit_batch_size_bucket{le=\"4\"} 1",
            "perdiem_db_commit_batch_size_bucket{le=\"32\"} 1",
            "perdiem_db_commit_batch_size_bucket{le=\"64\"} 2",
            "perdiem_db_commit_batch_size_sum 43",
            "perdiem_db_commit_batch_size_count 2",
        ] {
            assert!(text.lines().any(|l| l == line), "no {line} in\n{text}");
        }
    }

    #[test]
    fn scrape_values_become_pool_circuit_and_batch_series() {
        let metrics = Metrics::new();
        let payer = Uuid::from_u128(7);
        metrics.count_verification(payer, "verified");
        metrics.count_verification(payer, "verified");
        metrics.count_verification(payer, "cached");
        let scrape = Scrape {
            writer: WriterFigures::default(),
            pool: PoolSizes {
                idle: 2,
                in_use: 1,
                max: 5,
            },
            circuits: vec![(payer, CircuitState::Open)],
            batch_items: vec![("done".into(), 4), ("pending".into(), 0)],
        };
        let text = metrics.render(&scrape);
        let p = payer.to_string();
        for line in [
            "perdiem_db_pool_connections{state=\"idle\"} 2".to_string(),
            "perdiem_db_pool_connections{state=\"in_use\"} 1".to_string(),
            "perdiem_db_pool_max_connections 5".to_string(),
            format!("perdiem_verifications_total{{payer_id=\"{p}\",outcome=\"verified\"}} 2"),
            format!("perdiem_verifications_total{{payer_id=\"{p}\",outcome=\"cached\"}} 1"),
            format!("perdiem_payer_circuit_state{{payer_id=\"{p}\",state=\"closed\"}} 0"),
            format!("perdiem_payer_circuit_state{{payer_id=\"{p}\",state=\"open\"}} 1"),
            format!("perdiem_payer_circuit_state{{payer_id=\"{p}\",state=\"half_open\"}} 0"),
            "perdiem_batch_items{state=\"done\"} 4".to_string(),
            "perdiem_batch_items{state=\"pending\"} 0".to_string(),
        ] {
            assert!(text.lines().any(|l| l == line), "no {line} in\n{text}");
        }
    }

    #[test]
    fn every_family_is_typed_once_even_without_series() {
        let text = Metrics::new().render(&Scrape::default());
        let types: Vec<&str> = text.lines().filter(|l| l.starts_with("# TYPE ")).collect();
        assert_eq!(types.len(), 9, "{text}");
        let mut names: Vec<&str> = types.iter().map(|l| l.split(' ').nth(2).unwrap()).collect();
        names.dedup();
        assert_eq!(names.len(), 9);
    }
}
