//! AgentCore's input constraints (name patterns and lengths, URL forms, tag limits), checked
//! field by field so that a caller learns every problem with a request at once.

use std::collections::BTreeMap;

use url::{Host, Url};

/// One field that failed validation, and why (never echoing a secret value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldViolation {
    /// The field's path in the request, e.g. `oauth2_provider_config_input.client_id`.
    pub field: String,
    /// What is wrong with it.
    pub description: String,
}

/// Collects violations while a request is checked.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    /// Records a violation.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation { field: field.into(), description: description.into() });
    }

    /// A request's only violation, for a check that stands alone.
    pub fn one(field: impl Into<String>, description: impl Into<String>) -> Vec<FieldViolation> {
        vec![FieldViolation { field: field.into(), description: description.into() }]
    }

    /// `Ok` when nothing was recorded.
    pub fn finish(self) -> Result<(), Vec<FieldViolation>> {
        if self.0.is_empty() { Ok(()) } else { Err(self.0) }
    }

    /// Whether anything was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn length(&mut self, field: &str, value: &str, min: usize, max: usize) -> bool {
        let len = value.chars().count();
        if len < min || len > max {
            if min == max {
                self.add(field, format!("must be {min} characters long"));
            } else if len == 0 {
                self.add(field, "is required");
            } else {
                self.add(field, format!("must be {min} to {max} characters long"));
            }
            return false;
        }
        true
    }

    fn charset(&mut self, field: &str, value: &str, allowed: fn(char) -> bool, what: &str) {
        if !value.chars().all(allowed) {
            self.add(field, format!("may contain only {what}"));
        }
    }

    /// Workload identity names: 3 to 255 of `[A-Za-z0-9_.-]`.
    pub fn workload_name(&mut self, field: &str, value: &str) {
        if self.length(field, value, 3, 255) {
            self.charset(
                field,
                value,
                |c| c.is_ascii_alphanumeric() || "_.-".contains(c),
                "letters, digits, '_', '.' and '-'",
            );
        }
    }

    /// Credential provider and authorizer names: 1 to 128 of `[a-zA-Z0-9_-]`.
    pub fn resource_name(&mut self, field: &str, value: &str) {
        if self.length(field, value, 1, 128) {
            self.charset(
                field,
                value,
                |c| c.is_ascii_alphanumeric() || "_-".contains(c),
                "letters, digits, '_' and '-'",
            );
        }
    }

    /// Free-form descriptions: at most 4,096 characters.
    pub fn description(&mut self, field: &str, value: &str) {
        self.length(field, value, 0, 4096);
    }

    /// A required opaque value of bounded length (client ids, secrets, API keys).
    pub fn required(&mut self, field: &str, value: &str, max: usize) {
        self.length(field, value, 1, max);
    }

    /// Return URLs: 1 to 2,048 characters of the form `scheme:[//]rest` without whitespace.
    pub fn return_url(&mut self, field: &str, value: &str) {
        if !self.length(field, value, 1, 2048) {
            return;
        }
        let ok = value.split_once(':').is_some_and(|(scheme, rest)| {
            !scheme.is_empty()
                && scheme.chars().all(|c| c.is_alphanumeric() || c == '_')
                && !rest.trim_start_matches('/').is_empty()
                && !value.chars().any(char::is_whitespace)
        });
        if !ok {
            self.add(field, "must be a URL of the form scheme:[//]location without spaces");
        }
    }

    /// An endpoint URL the service will call: `https`, or `http` to a loopback host only.
    /// Returns the parsed URL when valid.
    pub fn endpoint_url(&mut self, field: &str, value: &str) -> Option<Url> {
        if !self.length(field, value, 1, 2048) {
            return None;
        }
        let Ok(url) = Url::parse(value) else {
            self.add(field, "must be an absolute URL");
            return None;
        };
        let loopback = match url.host() {
            Some(Host::Domain(d)) => d == "localhost",
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        if url.host().is_none() || !(url.scheme() == "https" || (url.scheme() == "http" && loopback)) {
            self.add(field, "must be an https URL (http is accepted for loopback hosts only)");
            return None;
        }
        if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
            self.add(field, "must not carry credentials or a fragment");
            return None;
        }
        Some(url)
    }

    /// OAuth2 discovery URLs: an endpoint URL whose path has `/.well-known/openid-configuration`
    /// or `/.well-known/oauth-authorization-server` (optionally followed by a path, per RFC 8414).
    pub fn discovery_url(&mut self, field: &str, value: &str) {
        if let Some(url) = self.endpoint_url(field, value) {
            let path = url.path();
            let ok = url.query().is_none()
                && ["/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"]
                    .iter()
                    .any(|suffix| path.ends_with(suffix) || path.contains(&format!("{suffix}/")));
            if !ok {
                self.add(
                    field,
                    "must end with /.well-known/openid-configuration or /.well-known/oauth-authorization-server",
                );
            }
        }
    }

    /// OIDC discovery URLs of JWT authorizers: must end with `/.well-known/openid-configuration`.
    pub fn oidc_discovery_url(&mut self, field: &str, value: &str) {
        if let Some(url) = self.endpoint_url(field, value)
            && (url.query().is_some() || !url.path().ends_with("/.well-known/openid-configuration"))
        {
            self.add(field, "must end with /.well-known/openid-configuration");
        }
    }

    /// Tags: at most 50; keys 1 to 128 and values at most 256 of `[a-zA-Z0-9\s._:/=+@-]`.
    pub fn tags(&mut self, field: &str, tags: &BTreeMap<String, String>) {
        if tags.len() > 50 {
            self.add(field, "at most 50 tags are allowed");
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || c.is_whitespace() || "._:/=+@-".contains(c);
        for (key, value) in tags {
            let f = format!("{field}[{key}]");
            if self.length(&f, key, 1, 128) {
                self.charset(&f, key, allowed, "letters, digits, spaces and ._:/=+@-");
            }
            if self.length(&f, value, 0, 256) {
                self.charset(&f, value, allowed, "letters, digits, spaces and ._:/=+@-");
            }
        }
    }

    /// A list of short tokens (scopes, capabilities, audiences): at most `max_items`, each 1 to
    /// `max_len` characters without whitespace.
    pub fn token_list(&mut self, field: &str, items: &[String], max_items: usize, max_len: usize) {
        if items.len() > max_items {
            self.add(field, format!("at most {max_items} entries are allowed"));
        }
        for (i, item) in items.iter().enumerate() {
            let f = format!("{field}[{i}]");
            if self.length(&f, item, 1, max_len) && item.chars().any(|c| c.is_whitespace() || c.is_control()) {
                self.add(f, "must not contain whitespace");
            }
        }
    }

    /// RFC 8707 resource indicators: at most `max_items` absolute URIs of up to 2,048 characters,
    /// without a fragment.
    pub fn resource_indicators(&mut self, field: &str, items: &[String], max_items: usize) {
        self.token_list(field, items, max_items, 2048);
        for (i, item) in items.iter().enumerate() {
            let listed = !item.is_empty() && !item.chars().any(|c| c.is_whitespace() || c.is_control());
            if listed && Url::parse(item).map_or(true, |url| url.fragment().is_some()) {
                self.add(format!("{field}[{i}]"), "must be an absolute URI without a fragment");
            }
        }
    }

    /// A host-like tenant (domain or directory id): 1 to 255 of `[A-Za-z0-9.-]`.
    pub fn tenant(&mut self, field: &str, value: &str) {
        if self.length(field, value, 1, 255) {
            self.charset(
                field,
                value,
                |c| c.is_ascii_alphanumeric() || ".-".contains(c),
                "letters, digits, '.' and '-'",
            );
        }
    }

    /// An HTTP header name: 1 to 256 token characters.
    pub fn header_name(&mut self, field: &str, value: &str) {
        if self.length(field, value, 1, 256) {
            self.charset(
                field,
                value,
                |c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c),
                "HTTP token characters",
            );
        }
    }

    /// An ARN: `arn:` followed by at least one more segment, at most 2,048 characters.
    pub fn arn(&mut self, field: &str, value: &str) {
        if self.length(field, value, 1, 2048) && (!value.starts_with("arn:") || value.chars().any(char::is_whitespace))
        {
            self.add(field, "must be an ARN (arn:partition:service:region:account:resource)");
        }
    }
}

#[cfg(test)]
mod tests;
