//! Token responses, as vendors actually send them, mapped to one [`TokenGrant`].

use identity_domain::SecretString;
use serde_json::{Map, Value};

use crate::{OAuthError, ResponseShape, TokenGrant};

/// Longest provider `error_description` kept (it is the provider's text, shown to callers).
const MAX_DESCRIPTION: usize = 256;

/// The body as a JSON object: JSON, or form-encoded (GitHub without `Accept: application/json`).
fn fields(content_type: &str, body: &[u8]) -> Result<Map<String, Value>, OAuthError> {
    let form = content_type.starts_with("application/x-www-form-urlencoded")
        || (!content_type.contains("json") && !body.trim_ascii_start().starts_with(b"{"));
    if form {
        return Ok(url::form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect());
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(OAuthError::BadResponse("the body is not a JSON object".to_owned())),
        Err(_) => Err(OAuthError::BadResponse("the body is not JSON".to_owned())),
    }
}

fn text(map: &Map<String, Value>, key: &str) -> Option<String> {
    match map.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn provider_error(status: u16, map: &Map<String, Value>) -> OAuthError {
    let description = text(map, "error_description").map(|d| d.chars().take(MAX_DESCRIPTION).collect());
    OAuthError::Provider { status, error: text(map, "error").unwrap_or_else(|| format!("http_{status}")), description }
}

/// `expires_in` as a number or a numeric string.
fn expires_in(map: &Map<String, Value>) -> Option<u64> {
    match map.get("expires_in") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    }
}

/// Scopes as a space- or comma-separated string, or an array (Twitch).
fn scopes(map: &Map<String, Value>) -> Option<Vec<String>> {
    match map.get("scope") {
        Some(Value::String(s)) => Some(s.split([' ', ',']).filter(|s| !s.is_empty()).map(str::to_owned).collect()),
        Some(Value::Array(items)) => Some(items.iter().filter_map(Value::as_str).map(str::to_owned).collect()),
        _ => None,
    }
}

fn grant(map: &Map<String, Value>, default_expires_in: Option<u64>) -> Result<TokenGrant, OAuthError> {
    let access_token =
        text(map, "access_token").ok_or_else(|| OAuthError::BadResponse("no access_token".to_owned()))?;
    Ok(TokenGrant {
        access_token: SecretString::new(access_token),
        token_type: text(map, "token_type").unwrap_or_else(|| "Bearer".to_owned()),
        expires_in: expires_in(map).or(default_expires_in),
        refresh_token: text(map, "refresh_token").map(SecretString::new),
        scopes: scopes(map),
    })
}

/// Maps a token endpoint's answer: a grant, or the provider's error (with its OAuth2 code).
pub fn parse_token_response(
    shape: ResponseShape,
    status: u16,
    content_type: &str,
    body: &[u8],
    default_expires_in: Option<u64>,
) -> Result<TokenGrant, OAuthError> {
    let map = match fields(content_type, body) {
        Ok(map) => map,
        Err(_) if status >= 400 => {
            return Err(OAuthError::Provider { status, error: format!("http_{status}"), description: None });
        }
        Err(e) => return Err(e),
    };
    if status >= 400 || map.contains_key("error") && !map.contains_key("access_token") {
        return Err(provider_error(status, &map));
    }
    match shape {
        ResponseShape::Standard => grant(&map, default_expires_in),
        ResponseShape::SlackV2 => {
            if map.get("ok") != Some(&Value::Bool(true)) {
                return Err(provider_error(status, &map));
            }
            // A user-token install puts the user's token under authed_user; that is the one
            // that acts for the user. Bot-only installs have it at the top level.
            match map.get("authed_user") {
                Some(Value::Object(user)) if user.contains_key("access_token") => grant(user, default_expires_in),
                _ => grant(&map, default_expires_in),
            }
        }
    }
}

#[cfg(test)]
mod tests;
