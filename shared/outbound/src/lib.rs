//! Outbound HTTP to OAuth providers, discovery documents and JWKS.
//!
//! Every call goes through [`OutboundClient`]: addresses are checked after DNS resolution (so a
//! public name resolving to a private address is refused too), redirects are never followed,
//! requests time out, and response bodies are read only up to a bound. Private, loopback and
//! other non-public ranges are refused unless the operator lists them in
//! `OUTBOUND_ALLOWED_NETWORKS`; link-local addresses (cloud metadata endpoints) are refused always.

mod discovery;
mod policy;

use std::{sync::Arc, time::Duration};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

pub use discovery::discover_authorization_server;
pub use policy::AddressPolicy;

/// Why an outbound call failed. Messages name the URL's host at most, never a credential.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    /// The URL's address is not allowed (SSRF protection).
    #[error("{0}")]
    Forbidden(String),
    /// The URL is not usable.
    #[error("invalid URL: {0}")]
    Url(String),
    /// Connecting, sending or reading failed, or timed out.
    #[error("request to {host} failed: {reason}")]
    Transport {
        /// The host called.
        host: String,
        /// What went wrong.
        reason: String,
    },
    /// No answer within the call's timeout.
    #[error("request to {0} timed out")]
    TimedOut(String),
    /// The response is larger than allowed.
    #[error("response from {0} is larger than allowed")]
    TooLarge(String),
    /// The response is not what was expected.
    #[error("{0}")]
    BadResponse(String),
}

/// Limits for outbound calls.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Largest response body read.
    pub max_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { timeout: Duration::from_secs(10), connect_timeout: Duration::from_secs(3), max_body_bytes: 256 * 1024 }
    }
}

/// A response read within the size bound.
#[derive(Clone, Debug)]
pub struct RawResponse {
    /// HTTP status.
    pub status: u16,
    /// `content-type`, empty when absent.
    pub content_type: String,
    /// The body (may hold secrets: never log it).
    pub body: Vec<u8>,
}

/// The HTTP client for outbound calls (cheap to clone).
#[derive(Clone, Debug)]
pub struct OutboundClient {
    http: reqwest::Client,
    policy: Arc<AddressPolicy>,
    limits: Limits,
}

/// A resolver that drops addresses the policy forbids, failing when none is left.
struct CheckedResolver(Arc<AddressPolicy>);

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let resolved = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let allowed: Vec<_> = resolved.filter(|addr| policy.allows(addr.ip())).collect();
            if allowed.is_empty() {
                return Err(format!("{host} resolves only to addresses outbound calls may not reach").into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

impl OutboundClient {
    /// A client enforcing `policy` and `limits`.
    pub fn new(policy: AddressPolicy, limits: Limits) -> Result<Self, OutboundError> {
        let policy = Arc::new(policy);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(limits.timeout)
            .connect_timeout(limits.connect_timeout)
            .dns_resolver(Arc::new(CheckedResolver(policy.clone())))
            .user_agent(concat!("agentcore-identity/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| OutboundError::Transport { host: String::new(), reason: e.to_string() })?;
        Ok(Self { http, policy, limits })
    }

    /// Checks a URL before use: scheme http(s), and an IP-literal host must be allowed (names
    /// are checked when resolved).
    pub fn check_url(&self, url: &url::Url) -> Result<(), OutboundError> {
        if !matches!(url.scheme(), "https" | "http") {
            return Err(OutboundError::Url(format!("scheme {} is not allowed", url.scheme())));
        }
        match url.host() {
            Some(url::Host::Ipv4(ip)) if !self.policy.allows(ip.into()) => Err(self.forbidden(url)),
            Some(url::Host::Ipv6(ip)) if !self.policy.allows(ip.into()) => Err(self.forbidden(url)),
            Some(_) => Ok(()),
            None => Err(OutboundError::Url("no host".to_owned())),
        }
    }

    fn forbidden(&self, url: &url::Url) -> OutboundError {
        OutboundError::Forbidden(format!(
            "{} is a private, loopback or link-local address; list it in OUTBOUND_ALLOWED_NETWORKS to allow it",
            url.host_str().unwrap_or_default()
        ))
    }

    /// GETs `url` and parses its JSON body (bounded).
    #[tracing::instrument(name = "outbound", skip_all, fields(otel.name = "GET", otel.kind = "client", http.request.method = "GET", server.address = url.host_str().unwrap_or_default(), http.response.status_code = tracing::field::Empty))]
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &url::Url) -> Result<T, OutboundError> {
        self.check_url(url)?;
        let host = url.host_str().unwrap_or_default().to_owned();
        let transport = |e: reqwest::Error| OutboundError::Transport { host: host.clone(), reason: describe(&e) };
        let mut request = self.http.get(url.clone()).header("accept", "application/json");
        for (name, value) in identity_telemetry::propagation::outbound_headers() {
            request = request.header(name, value);
        }
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        tracing::Span::current().record("http.response.status_code", status.as_u16());
        if !status.is_success() {
            return Err(OutboundError::BadResponse(format!("{host} answered HTTP {}", status.as_u16())));
        }
        let body = self.read_bounded(response, &host).await?;
        serde_json::from_slice(&body).map_err(|e| OutboundError::BadResponse(format!("{host} sent invalid JSON: {e}")))
    }

    /// POSTs a form (an OAuth2 token request) and returns the bounded response whatever its
    /// status: OAuth2 errors come back as 400 with a JSON body the caller must read.
    /// `basic` authenticates the client with HTTP Basic, its parts form-encoded (RFC 6749 §2.3.1).
    /// The span (a child of the caller's, its context sent as `traceparent`) names the host only.
    #[tracing::instrument(name = "outbound", skip_all, fields(otel.name = "POST", otel.kind = "client", http.request.method = "POST", server.address = url.host_str().unwrap_or_default(), http.response.status_code = tracing::field::Empty))]
    pub async fn post_form(
        &self,
        url: &url::Url,
        form: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> Result<RawResponse, OutboundError> {
        self.check_url(url)?;
        let host = url.host_str().unwrap_or_default().to_owned();
        let transport = |e: reqwest::Error| OutboundError::Transport { host: host.clone(), reason: describe(&e) };
        let mut request = self.http.post(url.clone()).header("accept", "application/json").form(form);
        if let Some((id, secret)) = basic {
            let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let credentials = base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                format!("{}:{}", encode(id), encode(secret)),
            );
            request = request.header("authorization", format!("Basic {credentials}"));
        }
        for (name, value) in identity_telemetry::propagation::outbound_headers() {
            request = request.header(name, value);
        }
        let response = request.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        tracing::Span::current().record("http.response.status_code", status);
        let content_type =
            response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let body = self.read_bounded(response, &host).await?;
        Ok(RawResponse { status, content_type, body })
    }

    /// POSTs `body` as JSON with extra `headers` (e.g. a shared secret: never logged) and returns
    /// the bounded response whatever its status. `timeout` bounds the whole call, reading the
    /// body included (within the client's own limit); running out of it is [`OutboundError::TimedOut`].
    /// Traced like [`Self::post_form`].
    #[tracing::instrument(name = "outbound", skip_all, fields(otel.name = "POST", otel.kind = "client", http.request.method = "POST", server.address = url.host_str().unwrap_or_default(), http.response.status_code = tracing::field::Empty))]
    pub async fn post_json<T: serde::Serialize + ?Sized>(
        &self,
        url: &url::Url,
        body: &T,
        headers: &[(&str, &str)],
        timeout: Duration,
    ) -> Result<RawResponse, OutboundError> {
        self.check_url(url)?;
        let host = url.host_str().unwrap_or_default().to_owned();
        let call = async {
            let transport = |e: reqwest::Error| OutboundError::Transport { host: host.clone(), reason: describe(&e) };
            let mut request = self.http.post(url.clone()).header("accept", "application/json").json(body);
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            for (name, value) in identity_telemetry::propagation::outbound_headers() {
                request = request.header(name, value);
            }
            let response = request
                .send()
                .await
                .map_err(|e| if e.is_timeout() { OutboundError::TimedOut(host.clone()) } else { transport(e) })?;
            let status = response.status().as_u16();
            tracing::Span::current().record("http.response.status_code", status);
            let content_type =
                response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            let body = self.read_bounded(response, &host).await?;
            Ok(RawResponse { status, content_type, body })
        };
        match tokio::time::timeout(timeout, call).await {
            Ok(result) => result,
            Err(_) => Err(OutboundError::TimedOut(host.clone())),
        }
    }

    async fn read_bounded(&self, mut response: reqwest::Response, host: &str) -> Result<Vec<u8>, OutboundError> {
        if response.content_length().is_some_and(|len| len as usize > self.limits.max_body_bytes) {
            return Err(OutboundError::TooLarge(host.to_owned()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| OutboundError::Transport { host: host.to_owned(), reason: describe(&e) })?
        {
            if body.len() + chunk.len() > self.limits.max_body_bytes {
                return Err(OutboundError::TooLarge(host.to_owned()));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// A short cause for a reqwest error, without the URL (which may carry a query string).
fn describe(e: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let mut deepest = None;
    while let Some(s) = source {
        deepest = Some(s.to_string());
        source = s.source();
    }
    if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        format!("cannot connect: {}", deepest.unwrap_or_default())
    } else {
        deepest.unwrap_or_else(|| "transport error".to_owned())
    }
}

#[cfg(test)]
mod tests;
