//! Keys made here, a tiny discovery + JWKS server, and token builders.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{Json, Router, extract::State, http::StatusCode, response::IntoResponse, routing::get};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use identity_authn::{AuthorizerPolicy, JwtValidator, ValidatorSettings};
use identity_domain::{ManualClock, UnixMillis};
use identity_outbound::{AddressPolicy, Limits, OutboundClient};
use ring::{
    rand::SystemRandom,
    signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair},
};
use serde_json::{Value, json};

/// The tests' "now": 2023-11-14T22:13:20Z.
pub const NOW: UnixMillis = 1_700_000_000_000;
pub const NOW_SECS: i64 = NOW / 1000;
pub const AUDIENCE: &str = "api://agents";

/// A 2048-bit RSA key made for these tests only (ring cannot generate RSA keys).
const RSA_PKCS8_PEM: &str = include_str!("fixtures/rsa-2048.pk8.pem");

/// A private key with its `kid`.
pub struct Signer {
    pub kid: String,
    key: Key,
}

enum Key {
    Rsa(RsaKeyPair),
    P256(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl Signer {
    pub fn rsa(kid: &str) -> Self {
        let body: String = RSA_PKCS8_PEM.lines().filter(|line| !line.starts_with("-----")).collect();
        let der = base64::engine::general_purpose::STANDARD.decode(body).unwrap();
        Self { kid: kid.to_owned(), key: Key::Rsa(RsaKeyPair::from_pkcs8(&der).unwrap()) }
    }

    pub fn p256(kid: &str) -> Self {
        let rng = SystemRandom::new();
        let alg = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
        Self { kid: kid.to_owned(), key: Key::P256(EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng).unwrap()) }
    }

    pub fn ed25519(kid: &str) -> Self {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        Self { kid: kid.to_owned(), key: Key::Ed25519(Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap()) }
    }

    /// The algorithm this key signs with by default.
    pub fn alg(&self) -> &'static str {
        match self.key {
            Key::Rsa(_) => "RS256",
            Key::P256(_) => "ES256",
            Key::Ed25519(_) => "EdDSA",
        }
    }

    /// The public JWK, without `alg` (so any algorithm of the key type may be used).
    pub fn jwk(&self) -> Value {
        match &self.key {
            Key::Rsa(pair) => {
                let public = ring::rsa::PublicKeyComponents::<Vec<u8>>::from(pair.public());
                json!({"kty": "RSA", "kid": self.kid, "use": "sig", "n": b64(&public.n), "e": b64(&public.e)})
            }
            Key::P256(pair) => {
                let point = pair.public_key().as_ref();
                json!({"kty": "EC", "kid": self.kid, "crv": "P-256", "x": b64(&point[1..33]), "y": b64(&point[33..])})
            }
            Key::Ed25519(pair) => {
                json!({"kty": "OKP", "kid": self.kid, "crv": "Ed25519", "x": b64(pair.public_key().as_ref())})
            }
        }
    }

    /// The RSA public key as DER (RSAPublicKey), as an attacker would find it.
    pub fn public_der(&self) -> Vec<u8> {
        match &self.key {
            Key::Rsa(pair) => pair.public().as_ref().to_vec(),
            Key::P256(pair) => pair.public_key().as_ref().to_vec(),
            Key::Ed25519(pair) => pair.public_key().as_ref().to_vec(),
        }
    }

    /// A token with this key's `kid` and default `alg`.
    pub fn token(&self, claims: &Value) -> String {
        self.token_with(&json!({"alg": self.alg(), "typ": "JWT", "kid": self.kid}), claims)
    }

    /// A token with exactly `header`, signed per its `alg` (RS*/PS* with an RSA key).
    pub fn token_with(&self, header: &Value, claims: &Value) -> String {
        let input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
        let signature = self.sign(header["alg"].as_str().unwrap_or_default(), input.as_bytes());
        format!("{input}.{}", b64(&signature))
    }

    fn sign(&self, alg: &str, message: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match &self.key {
            Key::Rsa(pair) => {
                let padding: &dyn signature::RsaEncoding = match alg {
                    "RS384" => &signature::RSA_PKCS1_SHA384,
                    "RS512" => &signature::RSA_PKCS1_SHA512,
                    "PS256" => &signature::RSA_PSS_SHA256,
                    "PS384" => &signature::RSA_PSS_SHA384,
                    "PS512" => &signature::RSA_PSS_SHA512,
                    _ => &signature::RSA_PKCS1_SHA256,
                };
                let mut out = vec![0; pair.public().modulus_len()];
                pair.sign(padding, &rng, message, &mut out).unwrap();
                out
            }
            Key::P256(pair) => pair.sign(&rng, message).unwrap().as_ref().to_vec(),
            Key::Ed25519(pair) => pair.sign(message).as_ref().to_vec(),
        }
    }
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A token with a made-up header and the given claims and signature bytes (for `none`,
/// HMAC and other forgeries).
pub fn forged(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!("{}.{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()), b64(signature))
}

/// A discovery document and JWKS on loopback whose keys and behaviour tests change.
#[derive(Clone)]
pub struct FakeIdp {
    pub addr: SocketAddr,
    state: Arc<FakeState>,
}

struct FakeState {
    prefix: String,
    issuer_override: Mutex<Option<String>>,
    keys: Mutex<Vec<Value>>,
    jwks_down: AtomicBool,
    discovery_hits: AtomicUsize,
    jwks_hits: AtomicUsize,
    addr: Mutex<Option<SocketAddr>>,
}

impl FakeIdp {
    /// An IdP whose issuer is `http://ADDR{prefix}`, publishing `signers`.
    pub async fn start(prefix: &str, signers: &[&Signer]) -> Self {
        let state = Arc::new(FakeState {
            prefix: prefix.to_owned(),
            issuer_override: Mutex::new(None),
            keys: Mutex::new(signers.iter().map(|s| s.jwk()).collect()),
            jwks_down: AtomicBool::new(false),
            discovery_hits: AtomicUsize::new(0),
            jwks_hits: AtomicUsize::new(0),
            addr: Mutex::new(None),
        });
        let router = Router::new()
            .route(&format!("{prefix}/.well-known/openid-configuration"), get(discovery))
            .route("/jwks", get(jwks))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        *state.addr.lock().unwrap() = Some(addr);
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { addr, state }
    }

    pub fn issuer(&self) -> String {
        format!("http://{}{}", self.addr, self.state.prefix)
    }

    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer())
    }

    /// Replaces the published keys.
    pub fn publish(&self, signers: &[&Signer]) {
        *self.state.keys.lock().unwrap() = signers.iter().map(|s| s.jwk()).collect();
    }

    /// Replaces the published keys with raw JWKs.
    pub fn publish_raw(&self, keys: Vec<Value>) {
        *self.state.keys.lock().unwrap() = keys;
    }

    /// Makes the discovery document announce another issuer.
    pub fn announce_issuer(&self, issuer: &str) {
        *self.state.issuer_override.lock().unwrap() = Some(issuer.to_owned());
    }

    /// Makes the JWKS endpoint answer 503 (or recover).
    pub fn set_jwks_down(&self, down: bool) {
        self.state.jwks_down.store(down, Ordering::SeqCst);
    }

    pub fn jwks_fetches(&self) -> usize {
        self.state.jwks_hits.load(Ordering::SeqCst)
    }

    pub fn discovery_fetches(&self) -> usize {
        self.state.discovery_hits.load(Ordering::SeqCst)
    }

    /// A policy for this IdP accepting [`AUDIENCE`].
    pub fn policy(&self) -> AuthorizerPolicy {
        AuthorizerPolicy {
            discovery_url: self.discovery_url(),
            allowed_audiences: vec![AUDIENCE.to_owned()],
            allowed_clients: Vec::new(),
            allowed_scopes: Vec::new(),
            required_claims: BTreeMap::new(),
        }
    }

    /// Valid claims for this IdP at [`NOW`], with `extra` added (`null` removes a claim).
    pub fn claims(&self, extra: Value) -> Value {
        let mut claims = json!({
            "iss": self.issuer(),
            "sub": "alice",
            "aud": AUDIENCE,
            "iat": NOW_SECS,
            "exp": NOW_SECS + 300,
            "scope": "read",
        });
        for (name, value) in extra.as_object().unwrap() {
            if value.is_null() {
                claims.as_object_mut().unwrap().remove(name);
            } else {
                claims[name] = value.clone();
            }
        }
        claims
    }
}

async fn discovery(State(state): State<Arc<FakeState>>) -> Json<Value> {
    state.discovery_hits.fetch_add(1, Ordering::SeqCst);
    let addr = state.addr.lock().unwrap().unwrap();
    let issuer = state.issuer_override.lock().unwrap().clone().unwrap_or(format!("http://{addr}{}", state.prefix));
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("http://{addr}/authorize"),
        "token_endpoint": format!("http://{addr}/token"),
        "jwks_uri": format!("http://{addr}/jwks"),
    }))
}

async fn jwks(State(state): State<Arc<FakeState>>) -> axum::response::Response {
    state.jwks_hits.fetch_add(1, Ordering::SeqCst);
    if state.jwks_down.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "down").into_response();
    }
    Json(json!({"keys": *state.keys.lock().unwrap()})).into_response()
}

/// An outbound client that may reach loopback, as the tests' IdPs live there.
pub fn loopback_client() -> OutboundClient {
    let policy = AddressPolicy::new(vec!["127.0.0.0/8".parse().unwrap()]);
    OutboundClient::new(policy, Limits { timeout: Duration::from_secs(5), ..Limits::default() }).unwrap()
}

/// A validator with default settings reading `clock`.
pub fn validator(clock: &Arc<ManualClock>) -> JwtValidator {
    JwtValidator::new(loopback_client(), clock.clone(), ValidatorSettings::default())
}

pub fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(NOW))
}
