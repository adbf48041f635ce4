//! Schema migrations, one set per backend (their DDL differs only in type names), embedded in
//! the binary and applied by sqlx's migrator, which records them in `_sqlx_migrations`.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};

use crate::{Result, Store, StoreError};

/// A supported database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL: the production source of truth.
    Postgres,
    /// SQLite: the embedded default.
    Sqlite,
}

const POSTGRES: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../migrations/postgres/0001_init.sql")),
    (2, "signing keys", include_str!("../migrations/postgres/0002_signing_keys.sql")),
    (3, "audit events", include_str!("../migrations/postgres/0003_audit_events.sql")),
    (4, "user federation", include_str!("../migrations/postgres/0004_user_federation.sql")),
    (5, "authorizer attachment", include_str!("../migrations/postgres/0005_authorizer_attachment.sql")),
    (6, "cache generations", include_str!("../migrations/postgres/0006_cache_generations.sql")),
    (7, "user grant indexes", include_str!("../migrations/postgres/0007_user_grant_indexes.sql")),
];
const SQLITE: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../migrations/sqlite/0001_init.sql")),
    (2, "signing keys", include_str!("../migrations/sqlite/0002_signing_keys.sql")),
    (3, "audit events", include_str!("../migrations/sqlite/0003_audit_events.sql")),
    (4, "user federation", include_str!("../migrations/sqlite/0004_user_federation.sql")),
    (5, "authorizer attachment", include_str!("../migrations/sqlite/0005_authorizer_attachment.sql")),
    (6, "cache generations", include_str!("../migrations/sqlite/0006_cache_generations.sql")),
    (7, "user grant indexes", include_str!("../migrations/sqlite/0007_user_grant_indexes.sql")),
];

impl Backend {
    /// The backend a URL names.
    pub fn of_url(url: &str) -> Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else {
            Err(StoreError::Url("expected postgres://… or sqlite://…".to_owned()))
        }
    }

    /// For SQLite, creates the file's directory and asks for the file to be created.
    pub(crate) fn prepare_url(self, url: &str) -> Result<String> {
        if self != Self::Sqlite {
            return Ok(url.to_owned());
        }
        let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
        let file = path.split('?').next().unwrap_or_default();
        if file.is_empty() || file.starts_with(':') {
            return Err(StoreError::Url("an SQLite URL must name a file, e.g. sqlite://./data/identity.db".to_owned()));
        }
        if let Some(dir) = std::path::Path::new(file).parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Url(format!("cannot create {}: {e}", dir.display())))?;
        }
        Ok(if url.contains("mode=") {
            url.to_owned()
        } else if url.contains('?') {
            format!("{url}&mode=rwc")
        } else {
            format!("{url}?mode=rwc")
        })
    }

    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Sqlite => "sqlite",
        }
    }

    fn migrations(self) -> &'static [(i64, &'static str, &'static str)] {
        match self {
            Self::Postgres => POSTGRES,
            Self::Sqlite => SQLITE,
        }
    }

    fn migrator(self) -> Migrator {
        let migrations = self
            .migrations()
            .iter()
            .map(|(version, description, sql)| {
                Migration::new(*version, Cow::Borrowed(*description), MigrationType::Simple, Cow::Borrowed(*sql), false)
            })
            .collect::<Vec<_>>();
        Migrator { migrations: Cow::Owned(migrations), ..Migrator::DEFAULT }
    }
}

impl Store {
    /// Applies pending migrations. Safe to run from several processes at once (the migrator
    /// takes an advisory lock on Postgres; SQLite serialises writers).
    pub async fn migrate(&self) -> Result<()> {
        self.backend.migrator().run(&self.pool).await?;
        Ok(())
    }

    /// Fails unless every migration this build knows has been applied.
    pub async fn check_migrated(&self) -> Result<()> {
        let needed = self.backend.migrations().iter().map(|m| m.0).max().unwrap_or_default();
        let found: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_one(&self.pool)
                .await
                .unwrap_or(0);
        if found < needed {
            return Err(StoreError::NotMigrated { found, needed });
        }
        Ok(())
    }
}
