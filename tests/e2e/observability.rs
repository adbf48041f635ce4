//! Traces, metrics and the no-secret rule, end to end: both binaries as processes with
//! `RUST_LOG=trace`, exporting spans to an OTLP receiver implemented here from the
//! OpenTelemetry proto; known traffic with a W3C `traceparent`; then the spans' attributes,
//! parent links and statuses, the `/metrics` counters against the traffic sent, and every secret
//! used searched for in both processes' logs, the spans, the audit rows and the metrics.

mod capture;
mod user_flow;

use std::net::SocketAddr;

use identity_proto::v1::{self as pb, get_api_key_credential_request::CredentialProvider};
use identity_testkit::{PostgresDb, free_addr, process::Ports};
use opentelemetry_proto::tonic::{
    collector::trace::v1::trace_service_server::TraceServiceServer,
    trace::v1::{span::SpanKind, status::StatusCode},
};
use tonic::transport::Channel;

use crate::support::start_serving;
use capture::{Receiver, authed, command, hex, sample, scrape, stop, token_endpoint};

const MASTER_KEYS: &str = "k1:q83vEjRWeJq8mRBzLZQ2H9K5dWUuM7JX3NQ7Yx+1AJs=";
const ADMIN: &str = "observability-admin-token-4f1c9a7e2b";
const API_KEY: &str = "observability-api-key-8d2e6b0c";
const CLIENT_SECRET: &str = "observability-client-secret-51aa93";
const M2M_TOKEN: &str = "observability-m2m-access-token-7c4d";
const USER: &str = "observability-user@example.com";
const WRONG_SECRET: &str = "observability-wrong-secret-e05b2d";
const UNKNOWN_KEY_SECRET: &str = "observability-unknown-key-secret-9a41f0";
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN_ID: &str = "00f067aa0ba902b7";
/// The trace the control-plane call below continues (another than the vends').
const ADMIN_TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";
const ADMIN_PARENT_SPAN_ID: &str = "b7ad6b7169203331";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_metrics_and_no_secret_anywhere() {
    let Some(db) = PostgresDb::create().await else { return };
    let scratch = tempfile::tempdir().unwrap();
    let receiver = Receiver::default();
    let otlp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let otlp_addr = otlp.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(receiver.clone()))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(otlp)),
    );
    let (idp, idp_traceparents) = token_endpoint().await;

    // The data plane's HTTP address is fixed first: the control plane publishes callback URLs on it.
    let http = free_addr();
    let common = vec![
        ("DATABASE_URL", db.url.clone()),
        ("IDENTITY_MASTER_KEYS", MASTER_KEYS.to_owned()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{otlp_addr}")),
        ("PUBLIC_BASE_URL", format!("http://{http}")),
    ];
    let mut control_env = common.clone();
    control_env.push(("IDENTITY_BOOTSTRAP_ADMIN_TOKEN", ADMIN.to_owned()));
    let control_log = scratch.path().join("control-plane.log");
    let started = start_serving(
        "the control plane",
        Ports::Fresh,
        Some(&control_log),
        |[control, control_metrics]: &[SocketAddr; 2]| {
            let mut command = command("identity-control-plane", &control_env);
            command
                .env("CONTROL_PLANE_LISTEN", control.to_string())
                .env("CONTROL_PLANE_METRICS_LISTEN", control_metrics.to_string());
            command
        },
    )
    .await;
    let ([control, control_metrics], control_plane) = (started.addrs, started.child);

    // The control plane: a workload, an API-key provider, an OAuth2 provider, an access key.
    let channel = Channel::from_shared(format!("http://{control}")).unwrap().connect().await.unwrap();
    pb::workload_identity_service_client::WorkloadIdentityServiceClient::new(channel.clone())
        .create_workload_identity(authed(
            pb::CreateWorkloadIdentityRequest {
                name: "agent".to_owned(),
                allowed_resource_oauth2_return_urls: vec![user_flow::RETURN_URL.to_owned()],
                ..Default::default()
            },
            ADMIN,
            Some(&format!("00-{ADMIN_TRACE_ID}-{ADMIN_PARENT_SPAN_ID}-01")),
        ))
        .await
        .unwrap();
    let mut providers = pb::credential_provider_service_client::CredentialProviderServiceClient::new(channel.clone());
    let api_key_provider = pb::CreateCredentialProviderRequest {
        name: "Service".to_owned(),
        config: Some(pb::create_credential_provider_request::Config::ApiKeyProviderConfigInput(
            pb::ApiKeyProviderConfigInput { api_key: API_KEY.to_owned(), ..Default::default() },
        )),
        ..Default::default()
    };
    providers.create_credential_provider(authed(api_key_provider, ADMIN, None)).await.unwrap();
    let oauth2_provider = pb::CreateCredentialProviderRequest {
        name: "Backend".to_owned(),
        credential_provider_vendor: pb::CredentialProviderVendor::CustomOauth2 as i32,
        config: Some(pb::create_credential_provider_request::Config::Oauth2ProviderConfigInput(
            pb::Oauth2ProviderConfigInput {
                client_id: "observability-client".to_owned(),
                client_secret: CLIENT_SECRET.to_owned(),
                oauth_discovery: Some(pb::Oauth2Discovery {
                    authorization_server_metadata: Some(pb::Oauth2AuthorizationServerMetadata {
                        issuer: format!("http://{idp}"),
                        authorization_endpoint: format!("http://{idp}/authorize"),
                        token_endpoint: format!("http://{idp}/token"),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            },
        )),
        ..Default::default()
    };
    providers.create_credential_provider(authed(oauth2_provider, ADMIN, None)).await.unwrap();
    let created = pb::access_key_service_client::AccessKeyServiceClient::new(channel.clone())
        .create_access_key(authed(pb::CreateAccessKeyRequest::default(), ADMIN, None))
        .await
        .unwrap()
        .into_inner();
    let access_key_secret = created.secret_access_key.clone();
    let key = format!("{}:{}", created.access_key.unwrap().access_key_id, access_key_secret);
    // A provider on the real test IdP, for the user flow (skipped, or failed on CI, without it).
    let user_idp = user_flow::provision(channel).await;

    let mut data_env = common.clone();
    data_env.push(("OUTBOUND_ALLOWED_NETWORKS", "127.0.0.0/8".to_owned()));
    let data_log = scratch.path().join("data-plane.log");
    let started = start_serving(
        "the data plane",
        Ports::Fixed([free_addr(), http]),
        Some(&data_log),
        |[data, http]: &[SocketAddr; 2]| {
            let mut command = command("identity-data-plane", &data_env);
            command.env("DATA_PLANE_LISTEN", data.to_string()).env("DATA_PLANE_HTTP_LISTEN", http.to_string());
            command
        },
    )
    .await;
    let ([data, _], data_plane) = (started.addrs, started.child);

    // Known traffic on the data plane, under the caller's trace.
    let traceparent = format!("00-{TRACE_ID}-{PARENT_SPAN_ID}-01");
    let tp = Some(traceparent.as_str());
    let channel = Channel::from_shared(format!("http://{data}")).unwrap().connect().await.unwrap();
    let mut client = pb::identity_data_service_client::IdentityDataServiceClient::new(channel.clone());
    let wat = client
        .get_workload_access_token(authed(
            pb::GetWorkloadAccessTokenRequest { workload_name: "agent".to_owned() },
            &key,
            tp,
        ))
        .await
        .unwrap()
        .into_inner()
        .workload_access_token;
    let user_wat = client
        .get_workload_access_token_for_user_id(authed(
            pb::GetWorkloadAccessTokenForUserIdRequest { workload_name: "agent".to_owned(), user_id: USER.to_owned() },
            &key,
            tp,
        ))
        .await
        .unwrap()
        .into_inner()
        .workload_access_token;
    let api_key = |provider: &str| pb::GetApiKeyCredentialRequest {
        workload_identity_token: wat.clone(),
        credential_provider: Some(CredentialProvider::ResourceCredentialProviderName(provider.to_owned())),
    };
    for _ in 0..2 {
        let vended = client.get_api_key_credential(authed(api_key("Service"), &key, tp)).await.unwrap().into_inner();
        assert_eq!(vended.api_key, API_KEY);
    }
    let missing = client.get_api_key_credential(authed(api_key("Missing"), &key, tp)).await.unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);
    // The account's key with a wrong secret: refused, and audited without the secret.
    let wrong_secret = format!("{}:{WRONG_SECRET}", key.split_once(':').unwrap().0);
    let bad_key = client.get_api_key_credential(authed(api_key("Service"), &wrong_secret, tp)).await.unwrap_err();
    assert_eq!(bad_key.code(), tonic::Code::Unauthenticated);
    // A key nobody has, with a secret: refused, and found nowhere either.
    let unknown = pb::GetWorkloadAccessTokenRequest { workload_name: "agent".to_owned() };
    let unknown_key = format!("AKIANOBODYNOBODYNOBO:{UNKNOWN_KEY_SECRET}");
    let refused = client.get_workload_access_token(authed(unknown, &unknown_key, tp)).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    let m2m = pb::GetResourceOauth2AccessTokenRequest {
        workload_identity_token: wat.clone(),
        credential_provider: Some(
            pb::get_resource_oauth2_access_token_request::CredentialProvider::ResourceCredentialProviderName(
                "Backend".to_owned(),
            ),
        ),
        oauth2_flow: pb::Oauth2Flow::M2m as i32,
        ..Default::default()
    };
    let vended = client.get_resource_oauth2_access_token(authed(m2m, &key, tp)).await.unwrap().into_inner();
    assert_eq!(vended.access_token, M2M_TOKEN);
    // An HTTP request under the same trace.
    let jwks = reqwest::Client::new()
        .get(format!("http://{http}/.well-known/jwks.json"))
        .header("traceparent", &traceparent)
        .send()
        .await
        .unwrap();
    assert_eq!(jwks.status(), 200);
    // The user flow, in traces of its own.
    let user_secrets = match &user_idp {
        Some(idp) => Some(user_flow::run(idp, channel, &key, &user_wat, &db).await),
        None => None,
    };
    let user_calls = if user_secrets.is_some() { 1.0 } else { 0.0 };

    // Metrics: the counters equal the traffic sent.
    let data_rpc = |method: &str, code: &str| {
        format!(
            "identity_rpc_requests_total{{rpc=\"agentcore.identity.v1.IdentityDataService/{method}\",code=\"{code}\"}}"
        )
    };
    let (data_metrics, samples) = scrape(http).await;
    assert_eq!(sample(&samples, &data_rpc("GetApiKeyCredential", "OK")), 2.0, "{data_metrics}");
    assert_eq!(sample(&samples, &data_rpc("GetApiKeyCredential", "NOT_FOUND")), 1.0, "{data_metrics}");
    assert_eq!(sample(&samples, &data_rpc("GetApiKeyCredential", "UNAUTHENTICATED")), 1.0, "{data_metrics}");
    assert_eq!(sample(&samples, &data_rpc("GetWorkloadAccessToken", "OK")), 1.0, "{data_metrics}");
    assert_eq!(sample(&samples, &data_rpc("GetWorkloadAccessTokenForUserId", "OK")), 1.0, "{data_metrics}");
    assert_eq!(sample(&samples, &data_rpc("GetResourceOauth2AccessToken", "OK")), 1.0 + 2.0 * user_calls);
    assert_eq!(sample(&samples, &data_rpc("CompleteResourceTokenAuth", "OK")), user_calls, "{data_metrics}");
    assert_eq!(
        sample(
            &samples,
            "identity_rpc_duration_seconds_count{rpc=\"agentcore.identity.v1.IdentityDataService/GetApiKeyCredential\",code=\"OK\"}"
        ),
        2.0,
        "{data_metrics}"
    );
    assert_eq!(sample(&samples, "identity_workload_access_token_fetches_total{outcome=\"success\"}"), 2.0);
    // The unknown key's call.
    assert_eq!(sample(&samples, "identity_workload_access_token_fetches_total{outcome=\"failure\"}"), 1.0);
    assert_eq!(sample(&samples, &data_rpc("GetWorkloadAccessToken", "UNAUTHENTICATED")), 1.0, "{data_metrics}");
    assert_eq!(sample(&samples, "identity_oauth2_token_fetches_total{flow=\"M2M\",outcome=\"success\"}"), 1.0);
    assert_eq!(sample(&samples, "identity_idp_requests_total{grant=\"client_credentials\",outcome=\"success\"}"), 1.0);
    assert_eq!(
        sample(&samples, "identity_oauth2_token_fetches_total{flow=\"USER_FEDERATION\",outcome=\"success\"}"),
        2.0 * user_calls
    );
    assert_eq!(
        sample(&samples, "identity_idp_requests_total{grant=\"authorization_code\",outcome=\"success\"}"),
        user_calls
    );
    for route in ["/identities/oauth2/authorize", "/identities/oauth2/callback/{provider_id}"] {
        let series = format!("identity_http_requests_total{{route=\"{route}\",status=\"303\"}}");
        assert_eq!(sample(&samples, &series), user_calls, "{data_metrics}");
    }
    assert_eq!(sample(&samples, "identity_idp_request_duration_seconds_count{grant=\"client_credentials\"}"), 1.0);
    // The first vend of "Service" misses, the second hits; "Missing" misses.
    assert_eq!(sample(&samples, "identity_cache_requests_total{cache=\"api_key\",result=\"miss\"}"), 2.0);
    assert_eq!(sample(&samples, "identity_cache_requests_total{cache=\"api_key\",result=\"hit\"}"), 1.0);
    assert_eq!(sample(&samples, "identity_cache_requests_total{cache=\"m2m_token\",result=\"miss\"}"), 1.0);
    assert_eq!(
        sample(&samples, "identity_http_requests_total{route=\"/.well-known/jwks.json\",status=\"200\"}"),
        1.0,
        "{data_metrics}"
    );
    let control_rpc =
        |rpc: &str| format!("identity_rpc_requests_total{{rpc=\"agentcore.identity.v1.{rpc}\",code=\"OK\"}}");
    let (control_metrics_text, samples) = scrape(control_metrics).await;
    assert_eq!(sample(&samples, &control_rpc("WorkloadIdentityService/CreateWorkloadIdentity")), 1.0);
    assert_eq!(sample(&samples, &control_rpc("CredentialProviderService/CreateCredentialProvider")), 3.0);
    assert_eq!(sample(&samples, &control_rpc("AccessKeyService/CreateAccessKey")), 1.0, "{control_metrics_text}");

    // The token endpoint was called in the caller's trace.
    let outbound = idp_traceparents.lock().unwrap().clone();
    assert_eq!(outbound.len(), 1, "{outbound:?}");
    assert!(outbound[0].starts_with(&format!("00-{TRACE_ID}-")), "{outbound:?}");

    // Spans are flushed when the processes stop.
    stop(data_plane).await;
    stop(control_plane).await;
    let spans = receiver.spans();
    let rpc = |name: &str, outcome: &str| {
        spans
            .iter()
            .filter(|s| s.span.name == format!("agentcore.identity.v1.{name}") && s.attributes["outcome"] == outcome)
            .collect::<Vec<_>>()
    };
    let account = "000000000000".to_owned(); // the bootstrap token's (default) account

    let vends = rpc("IdentityDataService/GetApiKeyCredential", "OK");
    assert_eq!(vends.len(), 2, "{spans:#?}");
    for vend in &vends {
        assert_eq!(vend.service, "identity-data-plane");
        assert_eq!(vend.version, env!("CARGO_PKG_VERSION"));
        assert_eq!(hex(&vend.span.trace_id), TRACE_ID);
        assert_eq!(hex(&vend.span.parent_span_id), PARENT_SPAN_ID);
        assert_eq!(vend.span.kind, SpanKind::Server as i32);
        assert_eq!(vend.span.status.as_ref().map_or(0, |s| s.code), StatusCode::Ok as i32);
        let a = &vend.attributes;
        assert_eq!(a["account"], account);
        assert_eq!(a["workload"], "agent");
        assert_eq!(a["provider"], "Service");
        assert_eq!(a["flow"], "API_KEY");
        assert_eq!(a["rpc.grpc.status_code"], "0");
        assert!(!a.contains_key("error.reason"), "{a:?}");
        // The handler's own span is a child of the RPC span.
        assert!(spans.iter().any(|s| s.span.parent_span_id == vend.span.span_id), "no child of {vend:#?}");
    }
    let missing = rpc("IdentityDataService/GetApiKeyCredential", "NOT_FOUND");
    assert_eq!(missing.len(), 1, "{spans:#?}");
    assert_eq!(missing[0].attributes["error.reason"], "ProviderNotFound");
    assert_eq!(missing[0].attributes["rpc.grpc.status_code"], "5");
    assert_eq!(missing[0].attributes["provider"], "Missing");
    let refused = rpc("IdentityDataService/GetApiKeyCredential", "UNAUTHENTICATED");
    assert_eq!(refused.len(), 1, "{spans:#?}");
    assert_eq!(refused[0].attributes["error.reason"], "UnauthorizedException");
    assert_eq!(hex(&refused[0].span.trace_id), TRACE_ID);

    let for_user = rpc("IdentityDataService/GetWorkloadAccessTokenForUserId", "OK");
    assert_eq!(for_user.len(), 1, "{spans:#?}");
    assert_eq!(for_user[0].attributes["user_hash"], identity_crypto::audit_user_hash(&account, USER));

    let m2m: Vec<_> = rpc("IdentityDataService/GetResourceOauth2AccessToken", "OK")
        .into_iter()
        .filter(|s| s.attributes["flow"] == "M2M")
        .collect();
    assert_eq!(m2m.len(), 1, "{spans:#?}");
    assert_eq!(m2m[0].attributes["flow"], "M2M");
    assert_eq!(m2m[0].attributes["provider"], "Backend");
    // The call to the token endpoint is a client span in the same trace, below the RPC's.
    let client_spans: Vec<_> =
        spans.iter().filter(|s| s.span.kind == SpanKind::Client as i32 && hex(&s.span.trace_id) == TRACE_ID).collect();
    assert_eq!(client_spans.len(), 1, "{spans:#?}");
    assert_eq!(client_spans[0].attributes["server.address"], "127.0.0.1");
    assert_eq!(client_spans[0].attributes["http.response.status_code"], "200");
    assert!(outbound[0].contains(&hex(&client_spans[0].span.span_id)), "traceparent names the client span");
    let mut ancestor = client_spans[0].span.parent_span_id.clone();
    while ancestor != m2m[0].span.span_id {
        ancestor = spans
            .iter()
            .find(|s| s.span.span_id == ancestor)
            .unwrap_or_else(|| panic!("the client span does not descend from the RPC span: {spans:#?}"))
            .span
            .parent_span_id
            .clone();
    }

    let jwks_span: Vec<_> = spans.iter().filter(|s| s.span.name == "GET /.well-known/jwks.json").collect();
    assert_eq!(jwks_span.len(), 1, "{spans:#?}");
    assert_eq!(hex(&jwks_span[0].span.parent_span_id), PARENT_SPAN_ID);
    assert_eq!(jwks_span[0].attributes["http.response.status_code"], "200");

    let create = rpc("WorkloadIdentityService/CreateWorkloadIdentity", "OK");
    assert_eq!(create.len(), 1, "{spans:#?}");
    assert_eq!(create[0].service, "identity-control-plane");
    assert_eq!(create[0].attributes["account"], account);
    assert_eq!(create[0].attributes["workload"], "agent");
    // The control plane continues the caller's trace too.
    assert_eq!(hex(&create[0].span.trace_id), ADMIN_TRACE_ID);
    assert_eq!(hex(&create[0].span.parent_span_id), ADMIN_PARENT_SPAN_ID);
    let mut created: Vec<_> = rpc("CredentialProviderService/CreateCredentialProvider", "OK")
        .iter()
        .map(|s| s.attributes["provider"].clone())
        .collect();
    created.sort();
    assert_eq!(created, ["Backend", "Idp", "Service"]);

    // No secret anywhere: logs at trace level, spans (names, attributes, events), audit rows,
    // metrics.
    let secrets = [
        ("admin token", ADMIN.to_owned()),
        ("API key", API_KEY.to_owned()),
        ("client secret", CLIENT_SECRET.to_owned()),
        ("access token", M2M_TOKEN.to_owned()),
        ("access-key secret", access_key_secret.clone()),
        ("wrong access-key secret", WRONG_SECRET.to_owned()),
        ("unknown access key's secret", UNKNOWN_KEY_SECRET.to_owned()),
        ("workload access token", wat.clone()),
        ("user's workload access token", user_wat.clone()),
        ("user id", USER.to_owned()),
    ]
    .into_iter()
    .chain(user_secrets.into_iter().flat_map(|user| {
        [
            ("web client secret", user_flow::WEB_CLIENT.1.to_owned()),
            ("authorization code", user.code),
            ("user's access token", user.access_token),
            ("user's refresh token", user.refresh_token),
        ]
    }))
    .collect::<Vec<_>>();
    let logs = [
        ("control-plane log", std::fs::read_to_string(&control_log).unwrap()),
        ("data-plane log", std::fs::read_to_string(&data_log).unwrap()),
    ];
    assert!(logs[1].1.contains("TRACE") && logs[1].1.contains("GetApiKeyCredential"), "trace-level logs captured");
    let spans_text = format!("{:?}", receiver.0.lock().unwrap());
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    // The vends' audit events lead to their trace (they are written within the flush interval):
    // two vends, the missing provider and the wrong secret.
    let traced = "SELECT count(*) FROM audit_events WHERE event_name = 'GetApiKeyCredential' AND trace_id = $1";
    let all_traced = async {
        while sqlx::query_scalar::<_, i64>(traced).bind(TRACE_ID).fetch_one(&pool).await.unwrap() != 4 {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), all_traced)
        .await
        .expect("the 4 API-key vend events carry the caller's trace id");
    let audit_rows: Vec<String> =
        sqlx::query_scalar("SELECT row_to_json(a)::text FROM audit_events a").fetch_all(&pool).await.unwrap();
    pool.close().await;
    assert!(audit_rows.len() >= 4, "the mutations were audited: {audit_rows:?}");
    let audit_text = audit_rows.join("\n");
    let places = [
        ("control-plane log", logs[0].1.as_str()),
        ("data-plane log", logs[1].1.as_str()),
        ("spans", spans_text.as_str()),
        ("audit rows", audit_text.as_str()),
        ("data-plane metrics", data_metrics.as_str()),
        ("control-plane metrics", control_metrics_text.as_str()),
    ];
    for (what, secret) in &secrets {
        for (place, text) in places {
            if let Some(at) = text.find(secret.as_str()) {
                let context = &text[at.saturating_sub(300)..(at + secret.len() + 100).min(text.len())];
                panic!("the {what} appears in the {place}: …{context}…");
            }
        }
    }
}
