//! Telemetry shared by the binaries: logs through `tracing` with the `RUST_LOG` filter (default
//! `info`), as plain text or JSON lines; OpenTelemetry traces exported over OTLP/gRPC when the
//! standard `OTEL_EXPORTER_OTLP_*` variables name a collector (nothing otherwise); the request
//! scope handlers record span attributes through; and the Prometheus metrics registry. Secrets
//! never reach any of it: secret-bearing types redact themselves, and no secret is recorded.

pub mod metrics;
mod otlp;
pub mod propagation;
pub mod request;

use std::str::FromStr;

use tracing_subscriber::{
    EnvFilter, Layer as _,
    filter::{LevelFilter, Targets},
    fmt,
    prelude::*,
};

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Plain,
    /// One JSON object per line.
    Json,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "plain" => Ok(Self::Plain),
            "json" => Ok(Self::Json),
            other => Err(format!("unknown log format {other}: use plain or json")),
        }
    }
}

/// Logging settings, flattened into each binary's flags. Trace export is configured by the
/// standard OpenTelemetry variables (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_*`,
/// `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_BSP_*`), read by the OpenTelemetry SDK.
#[derive(clap::Args, Clone, Debug)]
pub struct LogArgs {
    /// Log line format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Plain)]
    pub log_format: LogFormat,
}

/// For each binary's `--help`: trace export is configured by the standard variables, not flags.
pub const TRACING_HELP: &str = "Traces are exported over OTLP/gRPC when OTEL_EXPORTER_OTLP_ENDPOINT (or \
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set; OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, \
OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_TIMEOUT, OTEL_BSP_* and OTEL_SDK_DISABLED apply.";

/// What [`init`] installed; [`Telemetry::shutdown`] flushes the spans not yet exported.
#[derive(Debug)]
#[must_use = "call shutdown() before exiting, or spans still buffered are lost"]
pub struct Telemetry {
    traces: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Telemetry {
    /// Exports the spans still buffered and stops the exporter (bounded by the SDK's timeout);
    /// call it once `run` returned.
    pub async fn shutdown(self) {
        let Some(traces) = self.traces else { return };
        // The batch processor's thread hands exports to the runtime (see `otlp`): wait for it on
        // a blocking thread so that a runtime worker stays free to run them.
        let flushed = tokio::task::spawn_blocking(move || traces.shutdown()).await;
        match flushed {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("trace export: flushing on shutdown failed: {e}"),
            Err(e) => eprintln!("trace export: flushing on shutdown failed: {e}"),
        }
    }
}

/// Installs the global subscriber: logs to stderr filtered by `RUST_LOG`, and, when an OTLP
/// endpoint is configured, spans of this project's crates exported to it as `service` (unless
/// `OTEL_SERVICE_NAME` names it otherwise). Must run inside the Tokio runtime. Fails, naming the
/// variable, when the `OTEL_*` settings cannot be used (a bad setting fails at start-up); the
/// logs are installed even then, so a caller that goes on without traces still logs.
pub fn init(args: &LogArgs, service: &'static str) -> Result<Telemetry, String> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let (traces, otlp_error) = match otlp::provider(service) {
        Ok(traces) => (traces, None),
        Err(e) => (None, Some(e)),
    };
    // Spans are exported at INFO and above whatever RUST_LOG says (quiet logs keep their
    // traces), and at more detail when RUST_LOG asks for it. Only our own crates' spans and
    // events: the exporter's own gRPC client (tonic, hyper, h2) would otherwise trace its exports.
    let span_level = filter.max_level_hint().map_or(LevelFilter::INFO, |hint| hint.max(LevelFilter::INFO));
    let otel = traces.as_ref().map(|provider| {
        use opentelemetry::trace::TracerProvider as _;
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("agentcore-identity"))
            .with_filter(Targets::new().with_target("identity", span_level))
    });
    let registry = tracing_subscriber::registry().with(otel);
    let installed = match args.log_format {
        LogFormat::Plain => registry.with(fmt::layer().with_writer(std::io::stderr).with_filter(filter)).try_init(),
        LogFormat::Json => {
            registry.with(fmt::layer().json().with_writer(std::io::stderr).with_filter(filter)).try_init()
        }
    };
    if installed.is_err() {
        eprintln!("logging was already initialised");
    }
    if let Some(e) = otlp_error {
        return Err(e);
    }
    if traces.is_some() {
        tracing::info!("exporting traces over OTLP/gRPC");
    }
    Ok(Telemetry { traces })
}
