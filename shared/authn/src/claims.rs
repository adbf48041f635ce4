//! Claim checks, made after the signature verified, against the injected clock.

use identity_domain::UnixMillis;
use serde_json::{Map, Value};

use crate::{AuthorizerPolicy, JwtError, ValidatedToken};

/// Checks `claims` of a token with a verified signature and reads out the validated token.
pub(crate) fn check(
    claims: Map<String, Value>,
    issuer: &str,
    policy: &AuthorizerPolicy,
    now: UnixMillis,
    leeway_millis: i64,
) -> Result<ValidatedToken, JwtError> {
    if claims.get("iss").and_then(Value::as_str) != Some(issuer) {
        return Err(JwtError::BadIssuer);
    }
    let expires_at = numeric_date(&claims, "exp")?.ok_or_else(|| JwtError::MissingClaim("exp".to_owned()))?;
    if now >= expires_at.saturating_add(leeway_millis) {
        return Err(JwtError::Expired);
    }
    if numeric_date(&claims, "nbf")?.is_some_and(|nbf| nbf > now.saturating_add(leeway_millis)) {
        return Err(JwtError::NotYetValid);
    }
    let issued_at = numeric_date(&claims, "iat")?;
    if issued_at.is_some_and(|iat| iat > now.saturating_add(leeway_millis)) {
        return Err(JwtError::NotYetValid);
    }

    let audiences = strings(&claims, "aud")?;
    let client_id = optional_string(&claims, "client_id")?;
    let azp = optional_string(&claims, "azp")?;
    check_audience_and_client(policy, &audiences, [client_id.as_deref(), azp.as_deref()])?;

    let mut scopes = match claims.get("scope") {
        None => Vec::new(),
        Some(Value::String(scope)) => scope.split_whitespace().map(str::to_owned).collect(),
        Some(_) => return Err(JwtError::Malformed("scope is not a string")),
    };
    // `scp` (Okta, Entra ID) is a list, or sometimes a space-separated string.
    for scope in strings(&claims, "scp")? {
        scopes.extend(scope.split_whitespace().map(str::to_owned));
    }
    if !policy.allowed_scopes.is_empty() && !scopes.iter().any(|s| policy.allowed_scopes.contains(s)) {
        return Err(JwtError::MissingScope);
    }

    for (name, expected) in &policy.required_claims {
        let matches = match claims.get(name) {
            Some(Value::String(value)) => value == expected,
            // Configured values are strings; `true` or `42` match those JSON values.
            Some(value @ (Value::Bool(_) | Value::Number(_))) => {
                serde_json::from_str::<Value>(expected).is_ok_and(|expected| expected == *value)
            }
            _ => false,
        };
        if !matches {
            return Err(JwtError::MissingClaim(name.clone()));
        }
    }

    let subject = match claims.get("sub") {
        Some(Value::String(sub)) if !sub.is_empty() => sub.clone(),
        _ => return Err(JwtError::MissingClaim("sub".to_owned())),
    };
    Ok(ValidatedToken {
        issuer: issuer.to_owned(),
        subject,
        audiences,
        client_id: client_id.or(azp),
        scopes,
        expires_at,
        issued_at,
        claims,
    })
}

/// The audience and client rule of [`AuthorizerPolicy`]: each configured check applies to the
/// tokens that carry its claim, and a token must pass at least one check.
fn check_audience_and_client(
    policy: &AuthorizerPolicy,
    audiences: &[String],
    clients: [Option<&str>; 2],
) -> Result<(), JwtError> {
    let (allowed_audiences, allowed_clients) = (&policy.allowed_audiences, &policy.allowed_clients);
    if allowed_audiences.is_empty() && allowed_clients.is_empty() {
        return Err(JwtError::BadAudience);
    }
    let audience_checked = !allowed_audiences.is_empty() && (!audiences.is_empty() || allowed_clients.is_empty());
    if audience_checked && !audiences.iter().any(|aud| allowed_audiences.contains(aud)) {
        return Err(JwtError::BadAudience);
    }
    let clients: Vec<&str> = clients.into_iter().flatten().collect();
    let client_checked = !allowed_clients.is_empty() && (!clients.is_empty() || !audience_checked);
    if client_checked
        && (clients.is_empty() || !clients.iter().all(|client| allowed_clients.iter().any(|a| a == client)))
    {
        return Err(JwtError::ClientNotAllowed);
    }
    Ok(())
}

/// A NumericDate claim (seconds, possibly fractional) in milliseconds.
fn numeric_date(claims: &Map<String, Value>, name: &'static str) -> Result<Option<UnixMillis>, JwtError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            // `as` saturates; dates beyond i64 milliseconds are far enough in any direction.
            Some(seconds) if seconds.is_finite() => Ok(Some((seconds * 1000.0) as i64)),
            _ => Err(JwtError::Malformed("a date claim is not a number")),
        },
        Some(_) => Err(JwtError::Malformed("a date claim is not a number")),
    }
}

fn optional_string(claims: &Map<String, Value>, name: &'static str) -> Result<Option<String>, JwtError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.clone())),
        Some(_) => Err(JwtError::Malformed("a client claim is not a string")),
    }
}

/// A claim that is a string or a list of strings (`aud`, `scp`).
fn strings(claims: &Map<String, Value>, name: &'static str) -> Result<Vec<String>, JwtError> {
    match claims.get(name) {
        None => Ok(Vec::new()),
        Some(Value::String(value)) => Ok(vec![value.clone()]),
        Some(Value::Array(values)) => values
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or(JwtError::Malformed("a list claim holds a non-string")))
            .collect(),
        Some(_) => Err(JwtError::Malformed("a list claim is neither a string nor a list")),
    }
}

#[cfg(test)]
mod tests;
