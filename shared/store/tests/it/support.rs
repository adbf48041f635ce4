use std::sync::Arc;

use identity_crypto::MasterKeyRing;
use identity_domain::{AccountId, ManualClock, Quotas};
use identity_store::{Store, StoreOptions};
use identity_testkit::{PostgresDb, SqliteDb};

/// Start of time in these tests: 2026-01-01T00:00:00Z.
pub const T0: i64 = 1_767_225_600_000;

#[allow(dead_code)]
enum Db {
    Sqlite(SqliteDb),
    Postgres(PostgresDb),
}

/// A migrated store on a database of the test's own.
pub struct Harness {
    pub store: Store,
    pub clock: Arc<ManualClock>,
    pub url: String,
    _db: Db,
}

impl Harness {
    pub async fn sqlite() -> Self {
        let db = SqliteDb::create();
        Self::open(db.url.clone(), Db::Sqlite(db), Quotas::default()).await
    }

    pub async fn postgres() -> Option<Self> {
        let db = PostgresDb::create().await?;
        Some(Self::open(db.url.clone(), Db::Postgres(db), Quotas::default()).await)
    }

    async fn open(url: String, db: Db, quotas: Quotas) -> Self {
        let clock = Arc::new(ManualClock::new(T0));
        let keyring = Arc::new(MasterKeyRing::parse(&MasterKeyRing::generate_entry("k1").unwrap()).unwrap());
        let store = Store::connect(StoreOptions {
            url: url.clone(),
            keyring,
            clock: clock.clone(),
            quotas,
            max_connections: 5,
        })
        .await
        .unwrap();
        store.migrate().await.unwrap();
        Self { store, clock, url, _db: db }
    }

    /// Another store on the same database with other quotas.
    pub async fn with_quotas(&self, quotas: Quotas) -> Store {
        let keyring = Arc::new(MasterKeyRing::parse(&MasterKeyRing::generate_entry("k1").unwrap()).unwrap());
        Store::connect(StoreOptions {
            url: self.url.clone(),
            keyring,
            clock: self.clock.clone(),
            quotas,
            max_connections: 5,
        })
        .await
        .unwrap()
    }
}

pub fn account_a() -> AccountId {
    AccountId::parse("111111111111").unwrap()
}

pub fn account_b() -> AccountId {
    AccountId::parse("222222222222").unwrap()
}
