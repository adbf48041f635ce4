//! Pagination: a page size and an opaque continuation token (the last key of the previous page).

use base64::Engine as _;

/// Default page size when a caller asks for none.
const DEFAULT_PAGE_SIZE: u32 = 20;
/// Largest page a caller may ask for (AgentCore's `MaxResults`).
const MAX_PAGE_SIZE: u32 = 100;
/// Prefix inside the token, so a token from another listing is recognised as foreign.
const TOKEN_VERSION: &str = "v1:";

/// A validated request for one page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest {
    /// How many items to return.
    pub limit: u32,
    /// Return items whose key sorts after this one.
    pub after: Option<String>,
}

/// Why pagination parameters were refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PageTokenError {
    /// `max_results` outside 1..=100.
    #[error("max_results must be between 1 and 100")]
    MaxResults,
    /// A `next_token` this service did not issue.
    #[error("next_token is not a token this service issued")]
    Token,
}

impl PageRequest {
    /// Validates wire pagination fields: `max_results` 0 (default) or 1..=100, and a token
    /// previously returned as `next_token`.
    pub fn from_wire(max_results: i32, next_token: &str) -> Result<Self, PageTokenError> {
        let limit = match max_results {
            0 => DEFAULT_PAGE_SIZE,
            n if n >= 1 && n as u32 <= MAX_PAGE_SIZE => n as u32,
            _ => return Err(PageTokenError::MaxResults),
        };
        let after = if next_token.is_empty() {
            None
        } else {
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(next_token)
                .map_err(|_| PageTokenError::Token)?;
            let text = String::from_utf8(bytes).map_err(|_| PageTokenError::Token)?;
            Some(text.strip_prefix(TOKEN_VERSION).ok_or(PageTokenError::Token)?.to_owned())
        };
        Ok(Self { limit, after })
    }
}

/// One page of results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Key of the last item, when more may follow.
    pub next_after: Option<String>,
}

impl<T> Page<T> {
    /// The wire `next_token`: empty on the last page.
    pub fn next_token(&self) -> String {
        self.next_after
            .as_ref()
            .map(|key| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{TOKEN_VERSION}{key}")))
            .unwrap_or_default()
    }

    /// Maps the items, keeping the continuation.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next_after: self.next_after }
    }
}
