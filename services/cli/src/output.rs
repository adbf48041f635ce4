//! Rendering results: aligned tables for lists, `key: value` lines for one resource, JSON for
//! scripts. Commands describe a resource once, as a [`Record`] of camelCase keys in a fixed
//! order; the same record becomes JSON or lines, so the two formats cannot drift apart.

use std::{
    collections::{BTreeMap, HashMap},
    time::{Duration, SystemTime},
};

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::{args::OutputFormat, error::CliError};

/// One value of a record.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string.
    Text(String),
    /// A whole number (JSON number, not string).
    Integer(i64),
    /// A flag (JSON boolean).
    Bool(bool),
    /// A list of strings.
    List(Vec<String>),
    /// A string map, in key order.
    Map(BTreeMap<String, String>),
    /// A nested record.
    Object(Record),
    /// A list of records.
    Objects(Vec<Record>),
}

/// An ordered set of named values: a resource as the CLI shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    fields: Vec<(&'static str, Value)>,
}

impl Record {
    /// An empty record.
    pub fn new() -> Self {
        Record::default()
    }

    /// Adds a string.
    pub fn text(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.fields.push((key, Value::Text(value.into())));
        self
    }

    /// Adds a string unless it is empty (proto3 leaves unset strings empty).
    pub fn text_if_set(self, key: &'static str, value: &str) -> Self {
        if value.is_empty() { self } else { self.text(key, value) }
    }

    /// Adds a whole number.
    pub fn integer(mut self, key: &'static str, value: i64) -> Self {
        self.fields.push((key, Value::Integer(value)));
        self
    }

    /// Adds a flag.
    pub fn boolean(mut self, key: &'static str, value: bool) -> Self {
        self.fields.push((key, Value::Bool(value)));
        self
    }

    /// Adds a list of strings.
    pub fn list(mut self, key: &'static str, values: &[String]) -> Self {
        self.fields.push((key, Value::List(values.to_vec())));
        self
    }

    /// Adds a string map, sorted by key so that output is stable.
    pub fn map(mut self, key: &'static str, values: &HashMap<String, String>) -> Self {
        let sorted = values.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        self.fields.push((key, Value::Map(sorted)));
        self
    }

    /// Adds a timestamp as RFC 3339, or nothing when the server left it unset.
    pub fn time(self, key: &'static str, value: Option<&prost_types::Timestamp>) -> Self {
        match value {
            Some(timestamp) => self.text(key, rfc3339(timestamp)),
            None => self,
        }
    }

    /// Adds a nested record, if there is one.
    pub fn object(mut self, key: &'static str, value: Option<Record>) -> Self {
        if let Some(record) = value {
            self.fields.push((key, Value::Object(record)));
        }
        self
    }

    /// Adds a list of records.
    pub fn objects(mut self, key: &'static str, values: Vec<Record>) -> Self {
        self.fields.push((key, Value::Objects(values)));
        self
    }

    /// `key: value` lines, nested keys joined with dots, lists and maps on one line.
    pub fn to_lines(&self) -> String {
        let mut out = String::new();
        self.write_lines("", &mut out);
        out
    }

    fn write_lines(&self, prefix: &str, out: &mut String) {
        for (key, value) in &self.fields {
            let key = format!("{prefix}{key}");
            let shown = match value {
                Value::Text(text) => text.clone(),
                Value::Integer(number) => number.to_string(),
                Value::Bool(flag) => flag.to_string(),
                Value::List(items) => items.join(","),
                Value::Map(map) => map.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","),
                Value::Object(record) => {
                    record.write_lines(&format!("{key}."), out);
                    continue;
                }
                Value::Objects(records) => {
                    for (index, record) in records.iter().enumerate() {
                        record.write_lines(&format!("{key}[{index}]."), out);
                    }
                    continue;
                }
            };
            let shown = if shown.is_empty() { "-".to_owned() } else { sanitize(&shown) };
            out.push_str(&format!("{key}: {shown}\n"));
        }
    }

    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> Result<String, CliError> {
        serde_json::to_string_pretty(self).map(|json| json + "\n").map_err(|err| CliError::Output(err.to_string()))
    }

    /// The record in the chosen format: JSON, or `key: value` lines.
    pub fn render(&self, format: OutputFormat) -> Result<String, CliError> {
        match format {
            OutputFormat::Json => self.to_json(),
            OutputFormat::Table => Ok(self.to_lines()),
        }
    }
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.fields.len()))?;
        for (key, value) in &self.fields {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Text(text) => text.serialize(serializer),
            Value::Integer(number) => number.serialize(serializer),
            Value::Bool(flag) => flag.serialize(serializer),
            Value::List(items) => items.serialize(serializer),
            Value::Map(map) => map.serialize(serializer),
            Value::Object(record) => record.serialize(serializer),
            Value::Objects(records) => records.serialize(serializer),
        }
    }
}

/// Rows under a header, printed in columns two spaces apart.
#[derive(Debug, Clone)]
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers and no rows.
    pub fn new(headers: &[&'static str]) -> Self {
        Table { headers: headers.to_vec(), rows: Vec::new() }
    }

    /// Adds a row; an empty cell shows as `-` so that columns stay readable by `awk`.
    pub fn row(&mut self, cells: Vec<String>) {
        let cells =
            cells.into_iter().map(|cell| if cell.is_empty() { "-".to_owned() } else { sanitize(&cell) }).collect();
        self.rows.push(cells);
    }

    /// The table as text, each column as wide as its widest cell, the last one unpadded.
    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (index, cell) in row.iter().enumerate() {
                if let Some(width) = widths.get_mut(index) {
                    *width = (*width).max(cell.chars().count());
                }
            }
        }
        let header: Vec<String> = self.headers.iter().map(|h| (*h).to_owned()).collect();
        let mut out = String::new();
        for row in std::iter::once(&header).chain(&self.rows) {
            let mut line = String::new();
            for (index, cell) in row.iter().enumerate() {
                if index + 1 < row.len() {
                    let width = widths.get(index).copied().unwrap_or(0);
                    let pad = width.saturating_sub(cell.chars().count()) + 2;
                    line.push_str(cell);
                    line.push_str(&" ".repeat(pad));
                } else {
                    line.push_str(cell);
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// A list in the chosen format: the table, or JSON `{ "<key>": [records…] }`.
pub fn render_list(
    format: OutputFormat,
    key: &'static str,
    table: &Table,
    records: Vec<Record>,
) -> Result<String, CliError> {
    match format {
        OutputFormat::Table => Ok(table.render()),
        OutputFormat::Json => Record::new().objects(key, records).to_json(),
    }
}

/// Replaces control characters, so that text from the server cannot move the cursor, clear the
/// screen or break a one-line error over several lines.
pub fn sanitize(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// A protobuf timestamp as RFC 3339 in UTC (`2025-01-02T03:04:05Z`, with fractional seconds only
/// when there are some). Times the formatter cannot show (before 1970) fall back to raw seconds.
pub fn rfc3339(timestamp: &prost_types::Timestamp) -> String {
    let (Ok(seconds), Ok(nanos)) = (u64::try_from(timestamp.seconds), u32::try_from(timestamp.nanos)) else {
        return format!("{}s", timestamp.seconds);
    };
    let Some(time) = SystemTime::UNIX_EPOCH.checked_add(Duration::new(seconds, nanos.min(999_999_999))) else {
        return format!("{}s", timestamp.seconds);
    };
    humantime::format_rfc3339(time).to_string()
}

#[cfg(test)]
mod tests;
