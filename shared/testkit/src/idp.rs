//! The test OpenID Provider: `tests/idp/server.js` (panva's `oidc-provider` under Node.js) as a
//! child process on a free loopback port, stopped when the [`TestIdp`] is dropped.
//!
//! `oidc-provider` is looked for in `$AGENTCORE_TEST_NODE_MODULES/node_modules` (default
//! `~/.cache/agentcore-identity/idp`, where `make tools` installs it); when it is missing the
//! test is skipped, or fails on CI ([`crate::skip_or_fail`]).

use std::{
    collections::{BTreeMap, HashMap},
    io::Read,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

use reqwest::{StatusCode, Url};
use serde_json::{Value, json};

use crate::{free_addr, skip_or_fail};

/// What is skipped when the IdP is not installed.
const WHAT: &str = "the test IdP (make test installs it)";
/// How long the IdP may take to answer its discovery URL.
const STARTUP: Duration = Duration::from_secs(30);
/// How much of the IdP's output is kept for failure messages.
const LOG_CAP: usize = 64 * 1024;

/// A client registered at the IdP.
#[derive(Clone, Debug)]
pub struct IdpClient {
    /// `client_id`.
    pub client_id: String,
    /// `client_secret`.
    pub client_secret: String,
    /// Grants it may use: `client_credentials`, `authorization_code`, `refresh_token`.
    pub grant_types: Vec<String>,
    /// Registered redirect URIs (authorization code clients).
    pub redirect_uris: Vec<String>,
    /// `client_secret_basic` (default) or `client_secret_post`.
    pub token_endpoint_auth_method: String,
}

impl IdpClient {
    /// A machine client: `client_credentials` only.
    pub fn service(client_id: &str, client_secret: &str) -> Self {
        Self {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            grant_types: vec!["client_credentials".to_owned()],
            redirect_uris: Vec::new(),
            token_endpoint_auth_method: "client_secret_basic".to_owned(),
        }
    }

    /// A web application: authorization code (PKCE required) and refresh tokens (rotated).
    pub fn web_app(client_id: &str, client_secret: &str, redirect_uri: &str) -> Self {
        Self {
            grant_types: vec!["authorization_code".to_owned(), "refresh_token".to_owned()],
            redirect_uris: vec![redirect_uri.to_owned()],
            ..Self::service(client_id, client_secret)
        }
    }
}

/// How to configure the IdP. Access tokens are JWTs whose `aud` is the resource indicator.
#[derive(Clone, Debug, Default)]
pub struct IdpConfig {
    /// Registered clients.
    pub clients: Vec<IdpClient>,
    /// Default resource indicator (and access-token audience); `ISSUER/api` when `None`.
    pub resource: Option<String>,
    /// Space-separated scopes of the resource server; `read write` when `None`.
    pub scopes: Option<String>,
    /// Access-token lifetime in seconds; 300 when `None`.
    pub access_token_ttl_secs: Option<u64>,
    /// Claims added to every access token.
    pub extra_token_claims: serde_json::Map<String, Value>,
}

/// Request counts kept by the IdP.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Requests for the discovery document.
    pub discovery: u64,
    /// Requests for the JWKS.
    pub jwks: u64,
    /// Token-endpoint requests by `grant_type`.
    pub token: BTreeMap<String, u64>,
}

/// A running test IdP.
#[derive(Debug)]
pub struct TestIdp {
    child: Child,
    issuer: String,
    resource: String,
    http: reqwest::Client,
    log: Arc<Mutex<String>>,
}

impl TestIdp {
    /// Starts the IdP and waits until it serves its discovery document; `None` (after
    /// [`skip_or_fail`]) when Node.js or `oidc-provider` is not installed.
    pub async fn start(config: IdpConfig) -> Option<Self> {
        let modules = node_modules_dir();
        if !modules.join("node_modules/oidc-provider/package.json").is_file() {
            skip_or_fail(WHAT, &format!("no node_modules/oidc-provider in {}", modules.display()));
            return None;
        }
        // The port was free a moment ago; another process may take it first, so try a few.
        for _ in 0..3 {
            let port = free_addr().port();
            let issuer = format!("http://127.0.0.1:{port}");
            let child = match spawn(&modules, &config, port) {
                Ok(child) => child,
                Err(e) => {
                    skip_or_fail(WHAT, &format!("cannot run node: {e}"));
                    return None;
                }
            };
            let resource = config.resource.clone().unwrap_or_else(|| format!("{issuer}/api"));
            let http =
                reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("an HTTP client");
            let mut idp = Self { child: child.0, issuer, resource, http, log: child.1 };
            match idp.wait_ready().await {
                Ok(()) => return Some(idp),
                Err(log) if log.contains("EADDRINUSE") => continue,
                Err(log) => panic!("the test IdP did not start:\n{log}"),
            }
        }
        panic!("the test IdP found no free port in three tries");
    }

    async fn wait_ready(&mut self) -> Result<(), String> {
        let url = self.discovery_url();
        let poll = async {
            loop {
                if let Ok(Some(status)) = self.child.try_wait() {
                    return Err(format!("exited with {status}"));
                }
                if let Ok(response) = self.http.get(&url).send().await
                    && response.status() == StatusCode::OK
                {
                    return Ok(());
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        let outcome = tokio::time::timeout(STARTUP, poll).await.unwrap_or_else(|_| Err("no answer in time".to_owned()));
        outcome.map_err(|why| format!("{why}\n{}", self.log()))
    }

    /// What the IdP printed so far.
    pub fn log(&self) -> String {
        self.log.lock().map(|log| log.clone()).unwrap_or_default()
    }

    /// The issuer, `http://127.0.0.1:PORT`.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The OIDC discovery URL.
    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer)
    }

    /// The authorization endpoint.
    pub fn authorization_endpoint(&self) -> String {
        format!("{}/auth", self.issuer)
    }

    /// The token endpoint.
    pub fn token_endpoint(&self) -> String {
        format!("{}/token", self.issuer)
    }

    /// The default resource indicator: the `aud` of access tokens.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// POSTs a form to the token endpoint with HTTP basic client authentication; returns the
    /// status and the JSON answer.
    pub async fn token_request(&self, client_id: &str, secret: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.token_endpoint())
            .basic_auth(client_id, Some(secret))
            .form(form)
            .send()
            .await
            .expect("token request");
        let status = response.status();
        (status, response.json().await.expect("token response is JSON"))
    }

    /// An access token (a JWT) from the client credentials grant.
    pub async fn client_credentials(&self, client_id: &str, secret: &str, scope: &str) -> String {
        let form = [("grant_type", "client_credentials"), ("scope", scope)];
        let (status, body) = self.token_request(client_id, secret, &form).await;
        assert_eq!(status, StatusCode::OK, "client_credentials failed: {body}");
        body["access_token"].as_str().expect("access_token").to_owned()
    }

    /// Adds a signing key and makes it current; the old keys stay in the JWKS unless
    /// `drop_old`. Returns the new key's `kid`.
    pub async fn rotate_keys(&self, drop_old: bool) -> String {
        let url = format!("{}/__test/rotate-keys{}", self.issuer, if drop_old { "?drop_old=1" } else { "" });
        let body = self.admin(self.http.post(url)).await;
        body["kid"].as_str().expect("kid").to_owned()
    }

    /// Access tokens issued from now on live `seconds`.
    pub async fn set_access_token_ttl(&self, seconds: u64) {
        let url = format!("{}/__test/access-token-ttl?seconds={seconds}", self.issuer);
        self.admin(self.http.post(url)).await;
    }

    /// Request counts so far.
    pub async fn counters(&self) -> Counters {
        let body = self.admin(self.http.get(format!("{}/__test/counters", self.issuer))).await;
        let token = body["token"]
            .as_object()
            .map(|counts| counts.iter().map(|(grant, n)| (grant.clone(), n.as_u64().unwrap_or(0))).collect())
            .unwrap_or_default();
        Counters { discovery: body["discovery"].as_u64().unwrap_or(0), jwks: body["jwks"].as_u64().unwrap_or(0), token }
    }

    /// A JWT signed with the current key. `claims` add to (or, with `null`, remove) the
    /// defaults `iss`, `sub`, `iat` and `exp` (now + 300 s); `header` likewise to `alg` RS256
    /// (RS*, PS* or `none`), `typ` JWT and the current `kid`.
    pub async fn mint(&self, claims: Value, header: Value) -> String {
        let request = self.http.post(format!("{}/__test/mint", self.issuer)).json(&json!({
            "claims": claims,
            "header": header,
        }));
        self.admin(request).await["token"].as_str().expect("token").to_owned()
    }

    async fn admin(&self, request: reqwest::RequestBuilder) -> Value {
        let response = request.send().await.expect("test endpoint request");
        let status = response.status();
        let body: Value = response.json().await.expect("test endpoint answers JSON");
        assert_eq!(status, StatusCode::OK, "test endpoint failed: {body}");
        body
    }

    /// Plays the browser: follows redirects from `url` (an authorization request), keeping
    /// cookies and logging in as `user` at the IdP's interaction, until a redirect leaves the
    /// IdP. Returns that redirect's URL (the client's callback with `code` and `state`).
    pub async fn authorize_as(&self, url: &str, user: &str) -> String {
        let issuer = Url::parse(&self.issuer).expect("issuer URL");
        let mut url = Url::parse(url).expect("authorization URL");
        let mut jar: HashMap<String, String> = HashMap::new();
        for _ in 0..20 {
            if url.origin() != issuer.origin() {
                return url.to_string();
            }
            if url.path().starts_with("/interaction/") {
                url.query_pairs_mut().append_pair("user", user);
            }
            let cookie = jar.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join("; ");
            let response = self.http.get(url.clone()).header("cookie", cookie).send().await.expect("IdP request");
            for set in response.headers().get_all("set-cookie") {
                let set = set.to_str().unwrap_or_default();
                let (pair, attributes) = set.split_once(';').unwrap_or((set, ""));
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                let expired = attributes.to_ascii_lowercase().contains("expires=thu, 01 jan 1970");
                if value.is_empty() || expired {
                    jar.remove(name.trim());
                } else {
                    jar.insert(name.trim().to_owned(), value.trim().to_owned());
                }
            }
            let status = response.status();
            let Some(location) = response.headers().get("location").and_then(|l| l.to_str().ok()) else {
                panic!("the IdP answered {status} without a redirect: {}", response.text().await.unwrap_or_default());
            };
            url = url.join(location).expect("redirect URL");
        }
        panic!("too many redirects at the IdP");
    }
}

impl Drop for TestIdp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The directory holding `node_modules/oidc-provider`.
fn node_modules_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("AGENTCORE_TEST_NODE_MODULES") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    home.join(".cache/agentcore-identity/idp")
}

type Spawned = (Child, Arc<Mutex<String>>);

fn spawn(modules: &std::path::Path, config: &IdpConfig, port: u16) -> std::io::Result<Spawned> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/idp/server.js");
    let clients: Vec<Value> = config
        .clients
        .iter()
        .map(|c| {
            json!({
                "client_id": c.client_id,
                "client_secret": c.client_secret,
                "grant_types": c.grant_types,
                "redirect_uris": c.redirect_uris,
                "token_endpoint_auth_method": c.token_endpoint_auth_method,
            })
        })
        .collect();
    let json = json!({
        "port": port,
        "clients": clients,
        "resource": config.resource,
        "scopes": config.scopes,
        "access_token_ttl": config.access_token_ttl_secs,
        "extra_token_claims": config.extra_token_claims,
    });
    let node = std::env::var_os("NODE").unwrap_or_else(|| "node".into());
    let mut child = Command::new(node)
        .arg(script)
        .arg(json.to_string())
        .env("AGENTCORE_TEST_NODE_MODULES", modules)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let log = Arc::new(Mutex::new(String::new()));
    if let Some(stdout) = child.stdout.take() {
        collect(stdout, log.clone());
    }
    if let Some(stderr) = child.stderr.take() {
        collect(stderr, log.clone());
    }
    Ok((child, log))
}

/// Copies a pipe into the log (bounded) until the child closes it.
fn collect(mut pipe: impl Read + Send + 'static, log: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n @ 1..) = pipe.read(&mut buffer) {
            if let Ok(mut log) = log.lock()
                && log.len() < LOG_CAP
            {
                log.push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        }
    });
}
