//! The OTLP/gRPC span exporter, built from the standard `OTEL_*` variables.
//!
//! The SDK's batch processor exports from a thread of its own, outside the Tokio runtime the
//! tonic client needs; [`OnRuntime`] runs each export on the runtime instead (the failure
//! otherwise: open-telemetry/opentelemetry-rust#2673).

use std::sync::Arc;

use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::{
    Resource,
    error::{OTelSdkError, OTelSdkResult},
    trace::{SdkTracerProvider, SpanData, SpanExporter},
};

/// The tracer provider, or `None` when no OTLP endpoint is configured (or export is disabled
/// with `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`).
pub(crate) fn provider(service: &'static str) -> Result<Option<SdkTracerProvider>, String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let endpoint = var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").or_else(|| var("OTEL_EXPORTER_OTLP_ENDPOINT"));
    let disabled = var("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true"))
        || var("OTEL_TRACES_EXPORTER").is_some_and(|v| v.eq_ignore_ascii_case("none"));
    let Some(endpoint) = endpoint.filter(|_| !disabled) else { return Ok(None) };
    if let Some(protocol) = var("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL").or_else(|| var("OTEL_EXPORTER_OTLP_PROTOCOL"))
        && protocol != "grpc"
    {
        return Err(format!("OTEL_EXPORTER_OTLP_PROTOCOL {protocol} is not supported: use grpc"));
    }
    if endpoint.starts_with("https://") {
        return Err("OTEL_EXPORTER_OTLP_ENDPOINT must be plain gRPC (http://…): TLS export is not built \
                    in; send to a local collector"
            .to_owned());
    }
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()
        .map_err(|e| format!("OTEL_EXPORTER_OTLP_ENDPOINT: {e}"))?;
    let runtime = tokio::runtime::Handle::try_current().map_err(|e| format!("trace export: {e}"))?;
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the binary's own name.
    let mut resource = Resource::builder();
    if var("OTEL_SERVICE_NAME").is_none() {
        resource = resource.with_service_name(service);
    }
    let resource =
        resource.with_attribute(opentelemetry::KeyValue::new("service.version", env!("CARGO_PKG_VERSION"))).build();
    Ok(Some(
        SdkTracerProvider::builder()
            .with_resource(resource)
            .with_batch_exporter(OnRuntime { inner: Arc::new(exporter), runtime })
            .build(),
    ))
}

/// A span exporter whose exports run on a Tokio runtime, whatever thread asks for them.
#[derive(Debug)]
struct OnRuntime {
    inner: Arc<opentelemetry_otlp::SpanExporter>,
    runtime: tokio::runtime::Handle,
}

impl SpanExporter for OnRuntime {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let inner = self.inner.clone();
        match self.runtime.spawn(async move { inner.export(batch).await }).await {
            Ok(outcome) => outcome,
            Err(e) => Err(OTelSdkError::InternalFailure(format!("export task: {e}"))),
        }
    }

    fn shutdown_with_timeout(&self, timeout: std::time::Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        // Called once while the provider is built, before any export shares the exporter.
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.set_resource(resource);
        }
    }
}
