//! Encoding helpers shared by the tables: JSON columns and row decoding.

use serde::{Serialize, de::DeserializeOwned};
use sqlx::{Row as _, any::AnyRow};

use crate::{Result, StoreError};

/// Encodes a value for a JSON text column.
pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("cannot encode: {e}")))
}

/// Decodes a JSON text column.
pub(crate) fn from_json<T: DeserializeOwned>(row: &AnyRow, column: &str) -> Result<T> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("column {column}: {e}")))
}

/// The key of the last item when a page came back full (one extra row was fetched to tell).
pub(crate) fn split_page<T>(mut items: Vec<T>, limit: u32, key: impl Fn(&T) -> String) -> identity_domain::Page<T> {
    let next_after = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(key)
    } else {
        None
    };
    identity_domain::Page { items, next_after }
}
