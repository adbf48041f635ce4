//! The data plane's audit trail, on SQLite and on Postgres: every vend and refusal becomes one
//! event in the account's hash-chained log, after the control plane's mutations and in order;
//! accounts never see each other's events; no secret reaches a row; a full queue fails vends
//! closed (or, opted out, serves them); the queue is drained on shutdown.

use std::{sync::Arc, time::Duration};

use clap::Parser;
use identity_crypto::{MasterKeyRing, audit_user_hash};
use identity_data_plane::{Config, ServeArgs};
use identity_domain::{AccountId, AuditFilter, AuditOutcome, AuditRecord, Quotas};
use identity_proto::v1::{self as pb, get_api_key_credential_request::CredentialProvider as ApiKeyProvider};
use identity_server::SystemClock;
use identity_store::{Backend, ChainBreak, ChainBreakReason, Store, StoreOptions};
use identity_testkit::{PostgresDb, SqliteDb};
use tonic::Code;

use crate::support::{
    DataPlane, GITHUB_KEY, MASTER_KEYS, access_key, account_a, account_b, api_key_provider, error_of, workload,
};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    serve: ServeArgs,
}

/// A database of the test's own (kept until the end of the test).
enum Db {
    Sqlite(SqliteDb),
    Postgres(PostgresDb),
}

impl Db {
    fn url(&self) -> &str {
        match self {
            Db::Sqlite(db) => &db.url,
            Db::Postgres(db) => &db.url,
        }
    }
}

async fn database(postgres: bool) -> Option<Db> {
    if postgres { PostgresDb::create().await.map(Db::Postgres) } else { Some(Db::Sqlite(SqliteDb::create())) }
}

fn config(db: &Db, extra: &[&str]) -> Config {
    let mut argv = vec!["identity-data-plane", "--database-url", db.url(), "--master-keys", MASTER_KEYS];
    argv.extend_from_slice(extra);
    Cli::parse_from(argv).serve.resolve().unwrap()
}

async fn open_store(db: &Db) -> Store {
    let store = Store::connect(StoreOptions {
        url: db.url().to_owned(),
        keyring: Arc::new(MasterKeyRing::parse(MASTER_KEYS).unwrap()),
        clock: Arc::new(SystemClock),
        quotas: Quotas::default(),
        max_connections: 2,
    })
    .await
    .unwrap();
    store.migrate().await.unwrap();
    store
}

async fn events(store: &Store, account: &AccountId) -> Vec<AuditRecord> {
    store.list_audit_events(account, &AuditFilter::default(), 0, 1_000).await.unwrap().items
}

/// The account's log once it holds `count` events (vends' events arrive within a second).
async fn events_once(store: &Store, account: &AccountId, count: usize) -> Vec<AuditRecord> {
    for _ in 0..400 {
        let found = events(store, account).await;
        if found.len() >= count {
            assert_eq!(found.len(), count, "more events than expected: {found:#?}");
            return found;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the log never reached {count} events: {:#?}", events(store, account).await);
}

/// The account's `event_name` events once there are `count` of them.
pub async fn events_named(store: &Store, account: &AccountId, event_name: &str, count: usize) -> Vec<AuditRecord> {
    let filter = AuditFilter { event_name: event_name.to_owned(), ..AuditFilter::default() };
    for _ in 0..400 {
        let found = store.list_audit_events(account, &filter, 0, 1_000).await.unwrap().items;
        if found.len() >= count {
            assert_eq!(found.len(), count, "more {event_name} events than expected: {found:#?}");
            return found;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("fewer than {count} {event_name} events");
}

fn api_key_request(wat: &str, provider: &str) -> pb::GetApiKeyCredentialRequest {
    pb::GetApiKeyCredentialRequest {
        workload_identity_token: wat.to_owned(),
        credential_provider: Some(ApiKeyProvider::ResourceCredentialProviderName(provider.to_owned())),
    }
}

/// (event, principal, access key, workload, provider, user hash, flow, scopes, outcome, reason)
type Row = (String, String, String, String, String, String, String, Vec<String>, AuditOutcome, String);

fn row(e: &AuditRecord) -> Row {
    let x = &e.entry;
    (
        x.event_name.clone(),
        e.principal.clone(),
        x.access_key_id.clone(),
        x.workload_name.clone(),
        x.provider_name.clone(),
        x.user_hash.clone(),
        x.oauth2_flow.clone(),
        x.scopes.clone(),
        x.outcome,
        x.error_reason.clone(),
    )
}

#[allow(clippy::too_many_arguments)]
fn expect(
    event: &str,
    workload: &str,
    provider: &str,
    user_hash: &str,
    flow: &str,
    scopes: &[&str],
    outcome: AuditOutcome,
    reason: &str,
) -> Row {
    (
        event.to_owned(),
        "access-key:AKIAAUDITAUDITAUDITA".to_owned(),
        "AKIAAUDITAUDITAUDITA".to_owned(),
        workload.to_owned(),
        provider.to_owned(),
        user_hash.to_owned(),
        flow.to_owned(),
        scopes.iter().map(|s| (*s).to_owned()).collect(),
        outcome,
        reason.to_owned(),
    )
}

async fn vends_and_refusals_are_audited(postgres: bool) {
    let Some(db) = database(postgres).await else { return };
    let store = open_store(&db).await;
    let (a, b) = (account_a(), account_b());
    workload(&store, &a, "agent-x").await;
    workload(&store, &a, "agent-y").await;
    api_key_provider(&store, &a, "github", GITHUB_KEY).await;
    let key = access_key(&store, &a, "AKIAAUDITAUDITAUDITA", &["agent-x"]).await;
    workload(&store, &b, "agent-b").await;
    let key_b = access_key(&store, &b, "AKIABBBBBBBBBBBBBBBB", &[]).await;
    let mutations = events(&store, &a).await.len();
    assert_eq!(mutations, 4);

    let plane = DataPlane::start(config(&db, &[])).await;
    let before = store.list_audit_events(&a, &AuditFilter::default(), 0, 1).await.unwrap().items[0].event_time;
    let mut client = plane.client(Some(&key)).await;
    let wat = client
        .get_workload_access_token(pb::GetWorkloadAccessTokenRequest { workload_name: "agent-x".to_owned() })
        .await
        .unwrap()
        .into_inner()
        .workload_access_token;
    let alice = client
        .get_workload_access_token_for_user_id(pb::GetWorkloadAccessTokenForUserIdRequest {
            workload_name: "agent-x".to_owned(),
            user_id: "alice@example.com".to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .workload_access_token;
    let vended = client.get_api_key_credential(api_key_request(&alice, "github")).await.unwrap().into_inner();
    assert_eq!(vended.api_key, GITHUB_KEY);
    // Refusals and failures, each with its reason.
    let err = client
        .get_workload_access_token(pb::GetWorkloadAccessTokenRequest { workload_name: "agent-y".to_owned() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = client.get_api_key_credential(api_key_request(&wat, "gitlab")).await.unwrap_err();
    assert_eq!(error_of(&err).1, "ProviderNotFound");
    let err = client.get_api_key_credential(api_key_request("not-a-wat", "github")).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    let err = client
        .get_resource_oauth2_access_token(pb::GetResourceOauth2AccessTokenRequest {
            workload_identity_token: wat.clone(),
            credential_provider: Some(
                pb::get_resource_oauth2_access_token_request::CredentialProvider::CredentialProviderArn(
                    "arn:aws:bedrock-agentcore:us-east-1:111111111111:token-vault/default/oauth2credentialprovider/okta"
                        .to_owned(),
                ),
            ),
            scopes: vec!["read".to_owned(), "write".to_owned()],
            oauth2_flow: pb::Oauth2Flow::M2m as i32,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(error_of(&err).1, "ProviderNotFound");
    // Account B's vend goes to B's log only.
    plane
        .client(Some(&key_b))
        .await
        .get_workload_access_token(pb::GetWorkloadAccessTokenRequest { workload_name: "agent-b".to_owned() })
        .await
        .unwrap();
    // A wrong secret for A's key is a refusal in A's log (the request is not decoded: no
    // workload); a key nobody has reaches no account, and nothing is recorded for it.
    for credential in ["AKIAAUDITAUDITAUDITA:wrong", "AKIANOBODYNOBODYNOBO:wrong"] {
        let err = plane
            .client(Some(credential))
            .await
            .get_workload_access_token(pb::GetWorkloadAccessTokenRequest { workload_name: "agent-x".to_owned() })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unauthenticated);
    }

    let logged = events_once(&store, &a, mutations + 8).await;
    // A mutation after the vends' events were written comes after them.
    workload(&store, &a, "agent-z").await;
    let logged_b = events_once(&store, &b, 3).await;
    let all = events(&store, &a).await;
    assert_eq!(all.len(), logged.len() + 1);
    let after = all.last().unwrap().event_time;

    let alice_hash = audit_user_hash(a.as_str(), "alice@example.com");
    use AuditOutcome::{Denied, Failure, Success};
    assert_eq!(
        all[mutations..].iter().map(row).collect::<Vec<_>>(),
        [
            expect("GetWorkloadAccessToken", "agent-x", "", "", "", &[], Success, ""),
            expect("GetWorkloadAccessTokenForUserId", "agent-x", "", &alice_hash, "", &[], Success, ""),
            expect("GetApiKeyCredential", "agent-x", "github", &alice_hash, "", &[], Success, ""),
            expect("GetWorkloadAccessToken", "agent-y", "", "", "", &[], Denied, "AccessDeniedException"),
            expect("GetApiKeyCredential", "agent-x", "gitlab", "", "", &[], Failure, "ProviderNotFound"),
            expect("GetApiKeyCredential", "", "github", "", "", &[], Denied, "InvalidToken"),
            expect(
                "GetResourceOauth2AccessToken",
                "agent-x",
                "okta",
                "",
                "M2M",
                &["read", "write"],
                Failure,
                "ProviderNotFound"
            ),
            expect("GetWorkloadAccessToken", "", "", "", "", &[], Denied, "UnauthorizedException"),
            (
                "CreateWorkloadIdentity".to_owned(),
                "system".to_owned(),
                String::new(),
                "agent-z".to_owned(),
                String::new(),
                String::new(),
                String::new(),
                vec![],
                Success,
                String::new()
            ),
        ]
    );
    for e in &all[mutations..] {
        assert!((before..=after).contains(&e.event_time), "event time {} outside [{before}, {after}]", e.event_time);
        assert!(e.event_id.starts_with("ev-"));
        assert_eq!((e.account_id.as_str(), e.trace_id.as_str()), ("111111111111", ""));
    }
    // B's log: its two mutations and its vend, nothing of A's.
    assert_eq!(
        logged_b
            .iter()
            .map(|e| (e.sequence, e.entry.event_name.as_str(), e.entry.workload_name.as_str()))
            .collect::<Vec<_>>(),
        [
            (1, "CreateWorkloadIdentity", "agent-b"),
            (2, "CreateAccessKey", ""),
            (3, "GetWorkloadAccessToken", "agent-b")
        ]
    );
    assert!(all.iter().all(|e| e.account_id == a.as_str() && e.entry.access_key_id != "AKIABBBBBBBBBBBBBBBB"));

    // The chain holds across mutations and vends.
    let report = store.verify_audit_chain(&a).await.unwrap();
    assert_eq!((report.checked, report.first_broken), (all.len() as u64, None));
    assert_eq!(store.verify_audit_chain(&b).await.unwrap().first_broken, None);

    // No secret in any row: the API key, the WATs, the access keys' secrets, the user id.
    let raw = raw_rows(&db).await;
    for secret in [
        GITHUB_KEY,
        &wat,
        &alice,
        key.split_once(':').unwrap().1,
        key_b.split_once(':').unwrap().1,
        "alice@example.com",
    ] {
        assert!(raw.iter().all(|r| !r.contains(secret)), "a secret reached the audit log");
    }

    // A vend's event turned from a refusal into a success is found by verification.
    let refused = &all[mutations + 3];
    assert_eq!(refused.entry.outcome, Denied);
    execute(
        &db,
        &format!(
            "UPDATE audit_events SET outcome = 'SUCCESS', error_reason = '' WHERE account_id = '{a}' AND sequence = {}",
            refused.sequence
        ),
    )
    .await;
    let report = store.verify_audit_chain(&a).await.unwrap();
    assert_eq!(
        report.first_broken,
        Some(ChainBreak { sequence: refused.sequence, reason: ChainBreakReason::HashMismatch })
    );
    plane.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vends_and_refusals_are_audited_on_sqlite() {
    vends_and_refusals_are_audited(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vends_and_refusals_are_audited_on_postgres() {
    vends_and_refusals_are_audited(true).await;
}

async fn raw_pool(db: &Db) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::any::AnyPoolOptions::new().max_connections(1).connect(db.url()).await.unwrap()
}

/// Every text column of every audit row, concatenated per row.
async fn raw_rows(db: &Db) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT event_id || principal || access_key_id || event_name || workload_name || provider_name || user_hash \
         || resource_arn || oauth2_flow || scopes || outcome || error_reason || trace_id FROM audit_events",
    )
    .fetch_all(&raw_pool(db).await)
    .await
    .unwrap()
}

async fn execute(db: &Db, sql: &str) {
    sqlx::raw_sql(sql).execute(&raw_pool(db).await).await.unwrap();
}

/// Makes every insert into the audit log fail (a broken audit device), or work again.
async fn audit_writes_fail(db: &Db, store: &Store, fail: bool) {
    let sql = match (store.backend(), fail) {
        (Backend::Sqlite, true) => {
            "CREATE TRIGGER audit_down BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'audit device down'); END;"
        }
        (Backend::Sqlite, false) => "DROP TRIGGER audit_down;",
        (Backend::Postgres, true) => {
            "CREATE FUNCTION audit_down() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit device down'; END $$; \
             CREATE TRIGGER audit_down BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_down();"
        }
        (Backend::Postgres, false) => "DROP TRIGGER audit_down ON audit_events; DROP FUNCTION audit_down();",
    };
    execute(db, sql).await;
}

/// A data plane over a database whose audit log refuses writes, with a warm WAT.
async fn broken_audit_device(postgres: bool, flags: &[&str]) -> Option<(Db, Store, DataPlane, String, String)> {
    let db = database(postgres).await?;
    let store = open_store(&db).await;
    let a = account_a();
    workload(&store, &a, "agent-x").await;
    api_key_provider(&store, &a, "github", GITHUB_KEY).await;
    let key = access_key(&store, &a, "AKIAAUDITAUDITAUDITA", &[]).await;
    let plane = DataPlane::start(config(&db, flags)).await;
    let wat = plane
        .client(Some(&key))
        .await
        .get_workload_access_token(pb::GetWorkloadAccessTokenRequest { workload_name: "agent-x".to_owned() })
        .await
        .unwrap()
        .into_inner()
        .workload_access_token;
    events_once(&store, &a, 4).await;
    audit_writes_fail(&db, &store, true).await;
    Some((db, store, plane, key, wat))
}

async fn a_full_queue_fails_vends_closed_and_loses_nothing(postgres: bool) {
    let flags = ["--audit-queue-capacity", "3"];
    let Some((db, store, plane, key, wat)) = broken_audit_device(postgres, &flags).await else { return };
    let a = account_a();
    let mut client = plane.client(Some(&key)).await;
    // The queue absorbs the outage while it has room...
    for _ in 0..3 {
        assert_eq!(
            client.get_api_key_credential(api_key_request(&wat, "github")).await.unwrap().into_inner().api_key,
            GITHUB_KEY
        );
    }
    // ...then vends fail closed, saying why.
    let err = client.get_api_key_credential(api_key_request(&wat, "github")).await.unwrap_err();
    let (code, reason, metadata) = error_of(&err);
    assert_eq!((code, reason.as_str()), (Code::Unavailable, "ServiceUnavailableException"));
    assert_eq!(metadata.get("check").map(String::as_str), Some("audit_queue_full"));
    assert!(err.message().contains("audit log is full"), "{}", err.message());
    assert!(!err.message().contains(GITHUB_KEY));
    assert_eq!(events(&store, &a).await.len(), 4);

    // The database takes events again: the queued ones are written, in order, and vends resume.
    audit_writes_fail(&db, &store, false).await;
    let logged = events_once(&store, &a, 7).await;
    assert!(
        logged[4..]
            .iter()
            .all(|e| e.entry.event_name == "GetApiKeyCredential" && e.entry.outcome == AuditOutcome::Success)
    );
    client.get_api_key_credential(api_key_request(&wat, "github")).await.unwrap();
    events_once(&store, &a, 8).await;
    assert_eq!(store.verify_audit_chain(&a).await.unwrap().first_broken, None);
    plane.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_fails_vends_closed_and_loses_nothing_on_sqlite() {
    a_full_queue_fails_vends_closed_and_loses_nothing(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_fails_vends_closed_and_loses_nothing_on_postgres() {
    a_full_queue_fails_vends_closed_and_loses_nothing(true).await;
}

/// Account B's vends, two rounds of `calls`, served although account A sent what its log cannot
/// hold as sent: none refused for want of auditing (the queue has room for one round), and all
/// of B's events written.
async fn other_accounts_are_not_held_up(store: &Store, plane: &DataPlane, calls: usize) {
    let b = account_b();
    workload(store, &b, "agent-b").await;
    api_key_provider(store, &b, "github", GITHUB_KEY).await;
    let key = access_key(store, &b, "AKIABBBBBBBBBBBBBBBB", &[]).await;
    let before = events(store, &b).await.len();
    let mut client = plane.client(Some(&key)).await;
    let wat = client
        .get_workload_access_token(pb::GetWorkloadAccessTokenRequest { workload_name: "agent-b".to_owned() })
        .await
        .unwrap()
        .into_inner()
        .workload_access_token;
    for round in 1..=2 {
        for i in 0..calls {
            let vended = client.get_api_key_credential(api_key_request(&wat, "github")).await;
            let vended = vended.map(|r| r.into_inner().api_key).map_err(|e| error_of(&e));
            assert_eq!(vended, Ok(GITHUB_KEY.to_owned()), "round {round}, vend {i}");
        }
        events_once(store, &b, before + 1 + round * calls).await;
    }
    assert_eq!(store.verify_audit_chain(&b).await.unwrap().first_broken, None);
}

/// Request fields are recorded before the handler validates them, so a request may carry what
/// Postgres text refuses (a NUL). Its event is written with the character replaced, and no
/// other account's events (or vends, with a small queue) wait behind it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nul_in_a_request_is_recorded_replaced_and_blocks_nobody() {
    let Some(db) = database(true).await else { return };
    let store = open_store(&db).await;
    let a = account_a();
    workload(&store, &a, "agent-x").await;
    let key = access_key(&store, &a, "AKIAAUDITAUDITAUDITA", &[]).await;
    let plane = DataPlane::start(config(&db, &["--audit-queue-capacity", "16"])).await;
    let mut client = plane.client(Some(&key)).await;
    let err = client
        .get_workload_access_token(pb::GetWorkloadAccessTokenRequest { workload_name: "a\0".to_owned() })
        .await
        .unwrap_err();
    assert_eq!(error_of(&err).1, "ValidationException");
    let wat = client
        .get_workload_access_token(pb::GetWorkloadAccessTokenRequest { workload_name: "agent-x".to_owned() })
        .await
        .unwrap()
        .into_inner()
        .workload_access_token;
    let request = pb::GetApiKeyCredentialRequest {
        workload_identity_token: wat,
        credential_provider: Some(ApiKeyProvider::CredentialProviderArn("arn:aws:nothing\0here".to_owned())),
    };
    client.get_api_key_credential(request).await.unwrap_err();

    other_accounts_are_not_held_up(&store, &plane, 10).await;
    let logged = events_once(&store, &a, 2 + 3).await;
    let recorded: Vec<_> = logged[2..]
        .iter()
        .map(|e| (e.entry.workload_name.as_str(), e.entry.provider_name.as_str(), e.entry.error_reason.as_str()))
        .collect();
    assert_eq!(recorded[0], ("a\u{FFFD}", "", "ValidationException"));
    assert_eq!(recorded[1], ("agent-x", "", ""));
    assert_eq!(recorded[2].1, "arn:aws:nothing\u{FFFD}here");
    assert_eq!(store.verify_audit_chain(&a).await.unwrap().first_broken, None);
    plane.stop().await;
}

/// The database may refuse an event for its data in a way no cleaning foresees (here a trigger
/// refuses one workload name with a data exception, SQLSTATE 22023). Retrying cannot help: the
/// event is written without its request's fields, the account's other events as they are, and
/// other accounts' events and vends do not wait behind it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_the_database_refuses_is_written_as_a_placeholder() {
    let Some(db) = database(true).await else { return };
    let store = open_store(&db).await;
    let a = account_a();
    workload(&store, &a, "agent-x").await;
    let key = access_key(&store, &a, "AKIAAUDITAUDITAUDITA", &[]).await;
    execute(
        &db,
        "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
         IF NEW.workload_name = 'poison' THEN RAISE EXCEPTION 'refused' USING ERRCODE = '22023'; END IF; \
         RETURN NEW; END $$; \
         CREATE TRIGGER refuse_poison BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_poison();",
    )
    .await;
    let plane = DataPlane::start(config(&db, &["--audit-queue-capacity", "16"])).await;
    let mut client = plane.client(Some(&key)).await;
    for name in ["agent-x", "poison", "agent-x"] {
        let _ = client
            .get_workload_access_token(pb::GetWorkloadAccessTokenRequest { workload_name: name.to_owned() })
            .await;
    }

    other_accounts_are_not_held_up(&store, &plane, 10).await;
    let logged = events_once(&store, &a, 2 + 3).await;
    let recorded: Vec<_> = logged[2..]
        .iter()
        .map(|e| {
            (
                e.entry.event_name.as_str(),
                e.entry.workload_name.as_str(),
                e.entry.outcome,
                e.entry.error_reason.as_str(),
            )
        })
        .collect();
    assert_eq!(
        recorded,
        [
            ("GetWorkloadAccessToken", "agent-x", AuditOutcome::Success, ""),
            ("GetWorkloadAccessToken", "", AuditOutcome::Failure, "AuditEventUnwritable"),
            ("GetWorkloadAccessToken", "agent-x", AuditOutcome::Success, ""),
        ]
    );
    assert_eq!(logged[3].principal, "access-key:AKIAAUDITAUDITAUDITA");
    assert_eq!(store.verify_audit_chain(&a).await.unwrap().first_broken, None);
    plane.stop().await;
}

/// With AUDIT_QUEUE_FULL=drop the operator chose availability: vends go on, their events are dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_opt_out_a_full_queue_drops_events_and_vends() {
    let flags = ["--audit-queue-capacity", "1", "--audit-queue-full", "drop"];
    let Some((db, store, plane, key, wat)) = broken_audit_device(false, &flags).await else { return };
    let mut client = plane.client(Some(&key)).await;
    for _ in 0..3 {
        assert_eq!(
            client.get_api_key_credential(api_key_request(&wat, "github")).await.unwrap().into_inner().api_key,
            GITHUB_KEY
        );
    }
    audit_writes_fail(&db, &store, false).await;
    // The one event the queue held is written; the two that found it full are not.
    let logged = events_once(&store, &account_a(), 5).await;
    assert_eq!(logged[4].entry.event_name, "GetApiKeyCredential");
    plane.stop().await;
    assert_eq!(events(&store, &account_a()).await.len(), 5);
}

/// Stopping the data plane writes the queued events before `run` returns, although the flush
/// interval (a second) has not passed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_is_drained_on_shutdown() {
    let db = Db::Sqlite(SqliteDb::create());
    let store = open_store(&db).await;
    let a = account_a();
    workload(&store, &a, "agent-x").await;
    let key = access_key(&store, &a, "AKIAAUDITAUDITAUDITA", &[]).await;
    let plane = DataPlane::start(config(&db, &["--audit-flush-interval-ms", "1000"])).await;
    let mut client = plane.client(Some(&key)).await;
    for _ in 0..5 {
        client
            .get_workload_access_token(pb::GetWorkloadAccessTokenRequest { workload_name: "agent-x".to_owned() })
            .await
            .unwrap();
    }
    plane.stop().await;
    let logged = events(&store, &a).await;
    assert_eq!(logged.len(), 2 + 5, "{logged:#?}");
    assert_eq!(store.verify_audit_chain(&a).await.unwrap().first_broken, None);
}

#[test]
fn audit_settings_are_validated() {
    let db = Db::Sqlite(SqliteDb::create());
    let resolve = |extra: &[&str]| {
        let mut argv = vec!["identity-data-plane", "--database-url", db.url(), "--master-keys", MASTER_KEYS];
        argv.extend_from_slice(extra);
        Cli::parse_from(argv).serve.resolve().map(|c| c.audit).map_err(|e| e.to_string())
    };
    let defaults = resolve(&[]).unwrap();
    assert_eq!((defaults.capacity, defaults.flush_interval), (50_000, Duration::from_millis(200)));
    assert_eq!(defaults.when_full, identity_data_plane::config::WhenAuditQueueFull::Fail);
    assert!(resolve(&["--audit-queue-full", "ignore"]).unwrap_err().contains("AUDIT_QUEUE_FULL"));
    assert!(resolve(&["--audit-queue-capacity", "0"]).unwrap_err().contains("AUDIT_QUEUE_CAPACITY"));
    assert!(resolve(&["--audit-flush-interval-ms", "5000"]).unwrap_err().contains("AUDIT_FLUSH_INTERVAL_MS"));
}

/// Seconds since the epoch, as the data plane's rate-limit windows count them.
fn unix_second() -> u64 {
    #[allow(clippy::disallowed_methods)] // the windows are the wall clock's seconds
    let now = std::time::SystemTime::now();
    now.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// Calls refused in front of the service are in the account's log too, sampled so that a flood
/// of them is not a flood of events: a wrong secret for one of its keys (at most one event per
/// key and second) and a throttled call (the one that spent its window). An unknown key reaches
/// no account and is in no log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_in_front_of_the_service_are_audited_sampled() {
    let db = Db::Sqlite(SqliteDb::create());
    let store = open_store(&db).await;
    let (a, b) = (account_a(), account_b());
    workload(&store, &a, "agent-x").await;
    let key = access_key(&store, &a, "AKIAEDGEEDGEEDGEEDGE", &[]).await;
    let (key_id, _) = key.split_once(':').unwrap();
    let before = (events(&store, &a).await.len(), events(&store, &b).await.len());
    let plane = DataPlane::start(config(&db, &["--rate-limit-per-second", "2"])).await;
    let request = || pb::GetWorkloadAccessTokenRequest { workload_name: "agent-x".to_owned() };

    // Ten wrong secrets for the key, and one call with a key nobody has.
    let start = unix_second();
    for n in 0..10 {
        let mut client = plane.client(Some(&format!("{key_id}:wrong-secret-{n}"))).await;
        assert_eq!(client.get_workload_access_token(request()).await.unwrap_err().code(), Code::Unauthenticated);
    }
    let bad_secret_seconds = unix_second() - start + 1;
    let mut stranger = plane.client(Some("AKIANOBODYNOBODYNOBO:secret")).await;
    assert_eq!(stranger.get_workload_access_token(request()).await.unwrap_err().code(), Code::Unauthenticated);

    // Twenty calls at two a second.
    let mut client = plane.client(Some(&key)).await;
    let (mut served, mut throttled) = (0, 0);
    let start = unix_second();
    for _ in 0..20 {
        match client.get_workload_access_token(request()).await {
            Ok(_) => served += 1,
            Err(e) => {
                assert_eq!(error_of(&e).1, "ThrottlingException");
                throttled += 1;
            }
        }
    }
    let throttle_seconds = unix_second() - start + 1;
    plane.stop().await;

    let logged = events(&store, &a).await;
    let logged = &logged[before.0..];
    let (mut bad_secrets, mut spent, mut successes) = (0, 0, 0);
    for e in logged {
        assert_eq!((e.entry.event_name.as_str(), e.entry.access_key_id.as_str()), ("GetWorkloadAccessToken", key_id));
        assert_eq!(e.principal, format!("access-key:{key_id}"));
        match (e.entry.outcome, e.entry.error_reason.as_str()) {
            (AuditOutcome::Denied, "UnauthorizedException") => bad_secrets += 1,
            (AuditOutcome::Denied, "ThrottlingException") => spent += 1,
            (AuditOutcome::Success, "") => successes += 1,
            other => panic!("unexpected event {other:?}: {e:#?}"),
        }
    }
    assert!(
        (1..=bad_secret_seconds).contains(&bad_secrets),
        "{bad_secrets} wrong-secret events in {bad_secret_seconds} s"
    );
    assert!(throttled > 0 && (1..=throttle_seconds).contains(&spent), "{spent} events for {throttled} throttled calls");
    assert_eq!(successes, served);
    assert_eq!(events(&store, &b).await.len(), before.1, "another account's log is untouched");
    // The wrong secrets are nowhere in the log.
    for row in raw_rows(&db).await {
        assert!(!row.contains("wrong-secret"), "{row}");
    }
    assert_eq!(store.verify_audit_chain(&a).await.unwrap().first_broken, None);
}
