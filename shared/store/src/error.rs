/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such resource in the caller's account.
    #[error("{kind} '{name}' not found")]
    NotFound {
        /// Resource kind, e.g. `workload identity`.
        kind: &'static str,
        /// Its name or id.
        name: String,
    },
    /// A resource of that name already exists in the account.
    #[error("{kind} '{name}' already exists")]
    Conflict {
        /// Resource kind.
        kind: &'static str,
        /// Its name.
        name: String,
    },
    /// The resource is still named by others (e.g. an authorizer attached to workload
    /// identities) and cannot be deleted until they let go of it.
    #[error("{kind} '{name}' is attached to workload identities {}; detach it first", used_by.join(", "))]
    InUse {
        /// Resource kind.
        kind: &'static str,
        /// Its name.
        name: String,
        /// Who names it (workload identity names, sorted).
        used_by: Vec<String>,
    },
    /// The request does not fit the stored resource (e.g. keeping a secret it does not have).
    #[error("invalid request: {}", .0.iter().map(|v| format!("{}: {}", v.field, v.description)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<identity_domain::FieldViolation>),
    /// The account holds its quota of this kind of resource.
    #[error("the account already has {limit} {kind}, its quota")]
    QuotaExceeded {
        /// Resource kind, plural.
        kind: &'static str,
        /// The quota.
        limit: u32,
    },
    /// The database URL names no supported backend.
    #[error("unsupported database URL: {0}")]
    Url(String),
    /// The database's schema is older than this build expects.
    #[error("database schema is at version {found}, this build needs {needed}: run `identity-control-plane migrate`")]
    NotMigrated {
        /// Latest applied migration.
        found: i64,
        /// Latest migration this build knows.
        needed: i64,
    },
    /// A stored value did not decode.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Sealing or opening a secret failed.
    #[error("crypto: {0}")]
    Crypto(#[from] identity_crypto::CryptoError),
    /// Applying migrations failed.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// The database's code for an error that refuses the values written, when it is one: a
    /// data exception (Postgres SQLSTATE class 22, e.g. `22021` for a NUL in text), a constraint
    /// violation (class 23, or SQLite's), or a value that could not be encoded. Writing the same
    /// values again fails again, unlike after a lost connection or a serialization failure.
    pub fn data_error_code(&self) -> Option<String> {
        match self {
            Self::Database(sqlx::Error::Database(db)) => {
                let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
                // SQLSTATEs have five characters; SQLite's codes are numbers of up to four digits.
                let sqlstate = code.len() == 5 && (code.starts_with("22") || code.starts_with("23"));
                (sqlstate || db.kind() != sqlx::error::ErrorKind::Other).then_some(code)
            }
            Self::Database(sqlx::Error::Encode(_)) => Some("encode".to_owned()),
            _ => None,
        }
    }

    /// Maps a unique-constraint violation to `Conflict`, passing other errors through.
    pub(crate) fn conflict_on_unique(err: sqlx::Error, kind: &'static str, name: &str) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => Self::Conflict { kind, name: name.to_owned() },
            _ => Self::Database(err),
        }
    }
}
