//! User tokens: validated by the authorizers a workload trusts, for
//! `GetWorkloadAccessTokenForJwt` (the user a WAT binds), `CompleteResourceTokenAuth` with a
//! user token, and `ValidateToken` (the claims). A JWT authorizer checks the token with the one
//! [`JwtValidator`](identity_authn::JwtValidator); a custom authorizer asks the operator's
//! endpoint (`custom.rs`).
//!
//! Which authorizers, in order: the one named (ValidateToken's `authorizer_name`); else the
//! workload's attached authorizers, in the order it lists them; else, when the workload names
//! none (or there is no workload), the account default: every JWT authorizer of the account in
//! name order. Custom authorizers are never part of the default: an operator's endpoint sees
//! only tokens presented for workloads attached to it (or for ValidateToken naming it).
//!
//! Authorizers are read from the store on every call; issuer keys are cached by the validator
//! and custom answers by [`CustomAuthorizers`](crate::custom::CustomAuthorizers).

use identity_authn::{AuthorizerPolicy, JwtError, ValidatedToken};
use identity_domain::{AccountId, JwtAuthorizer, PageRequest, UnixMillis, WorkloadIdentity};
use serde_json::{Map, Value};

use crate::{
    custom::{Asker, CustomError},
    error::DataError,
    federation::SESSION_URN,
    vend::DataContext,
};

/// Authorizers read per store round trip.
const AUTHORIZER_PAGE: u32 = 100;
/// Longest user id (`{iss}#{sub}`) bound into a WAT, in bytes; a longer one is refused, so that a
/// WAT always stays well within the size the data plane accepts back.
pub const MAX_JWT_USER_ID_BYTES: usize = 1024;

/// A token one authorizer accepted.
#[derive(Debug)]
pub struct Accepted {
    /// The authorizer's name.
    pub authorizer: String,
    /// The user id a WAT binds: [`jwt_user_id`] or [`custom_user_id`].
    pub user: String,
    /// What the validator (or the custom authorizer's answer) says about the token.
    pub token: ValidatedToken,
    /// When the token stops being good: a JWT's `exp`; a custom authorizer's answer's `exp`
    /// when it gives one (`None` otherwise).
    pub not_after: Option<UnixMillis>,
}

/// The user id a WAT binds for a token a custom authorizer allowed: `custom:{authorizer}#{sub}`.
///
/// It cannot collide with a JWT user's `{iss}#{sub}`: an issuer the validator accepts is an
/// `https://` or `http://` URL, never `custom:…`; and the authorizer's name (no `#` in it) keeps
/// two custom authorizers' users apart, as each vouches only for its own.
pub fn custom_user_id(authorizer: &str, subject: &str) -> String {
    format!("custom:{authorizer}#{subject}")
}

fn custom_refused(error: &CustomError) -> DataError {
    DataError::UserTokenRefused { check: error.check(), message: error.to_string() }
}

/// The user id a WAT binds for a user JWT: `{iss}#{sub}`.
///
/// `sub` alone is only unique per issuer, and an account may trust several IdPs, so the issuer
/// is part of the id. The form is unambiguous: an issuer is a URL without a fragment (OIDC
/// Discovery §3, and the validator accepts only the issuer its discovery URL implies), so the
/// first `#` always ends it. The same JWT user always gets the same id, whichever authorizer
/// accepted the token.
pub fn jwt_user_id(token: &ValidatedToken) -> Result<String, DataError> {
    let user = format!("{}#{}", token.issuer, token.subject);
    if user.len() > MAX_JWT_USER_ID_BYTES || token.subject.chars().any(char::is_control) {
        return Err(DataError::UserTokenRefused {
            check: "bad_subject",
            message: "the token's sub claim is too long or contains control characters".to_owned(),
        });
    }
    Ok(user)
}

/// How much a failure tells about the token, for choosing the one to report when no authorizer
/// accepts it: a claim check means the signature verified (this is the token's issuer); a bad
/// signature or algorithm means a key with the token's `kid` was found; an unknown `kid` is what
/// every other issuer answers.
fn specificity(error: &JwtError) -> u8 {
    match error {
        JwtError::Expired
        | JwtError::NotYetValid
        | JwtError::BadIssuer
        | JwtError::BadAudience
        | JwtError::ClientNotAllowed
        | JwtError::MissingScope
        | JwtError::MissingClaim(_) => 3,
        JwtError::AlgNotAllowed | JwtError::BadSignature => 2,
        JwtError::UnknownKid => 1,
        JwtError::TooLarge { .. }
        | JwtError::Malformed(_)
        | JwtError::CritUnsupported
        | JwtError::DiscoveryFailed(_)
        | JwtError::JwksUnavailable(_) => 0,
    }
}

/// Whether the failure is the token's own, whatever the authorizer: trying others is pointless.
fn structural(error: &JwtError) -> bool {
    matches!(error, JwtError::TooLarge { .. } | JwtError::Malformed(_) | JwtError::CritUnsupported)
}

fn refused(error: &JwtError) -> DataError {
    DataError::UserTokenRefused { check: error.reason(), message: error.to_string() }
}

impl DataContext {
    /// Every JWT authorizer of the account, in name order.
    async fn jwt_authorizers(&self, account: &AccountId) -> Result<Vec<JwtAuthorizer>, DataError> {
        let mut all = Vec::new();
        let mut page = PageRequest { limit: AUTHORIZER_PAGE, after: None };
        loop {
            let found = self.store.list_jwt_authorizers(account, &page).await?;
            all.extend(found.items);
            match found.next_after {
                Some(after) => page.after = Some(after),
                None => return Ok(all),
            }
        }
    }

    /// The authorizers to try, in order (see the module's documentation).
    async fn trusted_authorizers(
        &self,
        account: &AccountId,
        workload: Option<&WorkloadIdentity>,
        name: Option<&str>,
    ) -> Result<Vec<JwtAuthorizer>, DataError> {
        if let Some(name) = name {
            return Ok(vec![self.store.get_jwt_authorizer(account, name).await?]);
        }
        match workload.map(|w| &w.spec.authorizers).filter(|names| !names.is_empty()) {
            Some(names) => {
                let mut attached = Vec::with_capacity(names.len());
                for name in names {
                    attached.push(self.store.get_jwt_authorizer(account, name).await?);
                }
                Ok(attached)
            }
            None => Ok(self.jwt_authorizers(account).await?.into_iter().filter(|a| !a.spec.is_custom()).collect()),
        }
    }

    /// Validates a user token for `workload` (when there is one): against the authorizer `name`,
    /// or else the workload's authorizers, or else the account default, in order until one
    /// accepts it.
    ///
    /// When none accepts it, the error is the most telling failure (the last of the most
    /// specific kind, see [`specificity`]; a custom authorizer's answer counts as a claim check)
    /// as `UserTokenRefused` with the reason as its check; or `IdpUnavailable` when a JWT
    /// authorizer's IdP or a custom authorizer's endpoint could not be reached (or answered
    /// 5xx) and no other authorizer recognized the token. The token itself is never in an error.
    pub async fn validate_user_token(
        &self,
        account: &AccountId,
        token: &str,
        workload: Option<&WorkloadIdentity>,
        name: Option<&str>,
    ) -> Result<Accepted, DataError> {
        let authorizers = self.trusted_authorizers(account, workload, name).await?;
        if authorizers.is_empty() {
            return Err(DataError::NoJwtAuthorizer);
        }
        // A token that is no JWT may still be one a custom authorizer knows.
        let any_custom = authorizers.iter().any(|a| a.spec.is_custom());
        let asker = Asker { account, workload: workload.map(|w| w.spec.name.as_str()) };
        let mut best: Option<(u8, DataError)> = None;
        let mut consider = |rank: u8, error: DataError| {
            if best.as_ref().is_none_or(|(r, _)| rank >= *r) {
                best = Some((rank, error));
            }
        };
        let mut unavailable: Option<(String, &'static str)> = None;
        for authorizer in authorizers {
            if authorizer.spec.is_custom() {
                match self.custom.decide(asker, &authorizer, &self.store, token, self.clock.now_millis()).await {
                    Ok(allowed) => {
                        let user = custom_user_id(&authorizer.spec.name, &allowed.subject);
                        return Ok(Accepted {
                            authorizer: authorizer.spec.name,
                            user,
                            token: allowed.to_validated(),
                            not_after: allowed.expires_at,
                        });
                    }
                    Err(CustomError::Store(e)) => return Err(e.into()),
                    Err(error) if error.is_unavailable() => {
                        tracing::warn!(account = %account, authorizer = %authorizer.spec.name, check = error.check(), %error, "custom authorizer unavailable");
                        unavailable = Some((authorizer.spec.name, error.check()));
                    }
                    Err(error) => {
                        tracing::info!(account = %account, authorizer = %authorizer.spec.name, check = error.check(), "custom authorizer did not accept a token");
                        consider(3, custom_refused(&error));
                    }
                }
                continue;
            }
            let policy = AuthorizerPolicy::from(&authorizer.spec);
            match self.jwt.validate(token, &policy).await {
                Ok(token) => {
                    let user = jwt_user_id(&token)?;
                    let not_after = Some(token.expires_at);
                    return Ok(Accepted { authorizer: authorizer.spec.name, user, token, not_after });
                }
                Err(error) if error.is_unavailable() => {
                    tracing::warn!(account = %account, authorizer = %authorizer.spec.name, reason = error.reason(), %error, "JWT authorizer's identity provider unavailable");
                    unavailable = Some((authorizer.spec.name, error.reason()));
                }
                Err(error) if structural(&error) && !any_custom => return Err(refused(&error)),
                Err(error) => consider(if structural(&error) { 1 } else { specificity(&error) }, refused(&error)),
            }
        }
        let best_rank = best.as_ref().map_or(0, |(rank, _)| *rank);
        match (best, unavailable) {
            // Some authorizer recognized the token (its issuer's keys, or an endpoint's answer),
            // and it said no.
            (Some((_, error)), _) if best_rank >= 2 => Err(error),
            // Otherwise the token may well be from the IdP that could not be asked.
            (_, Some((authorizer, check))) => Err(DataError::IdpUnavailable { authorizer, check }),
            (Some((_, error)), None) => Err(error),
            (None, None) => Err(DataError::NoJwtAuthorizer),
        }
    }

    /// The name of the workload identity that started the session `session_uri` of `account`;
    /// `None` when there is no such session.
    pub async fn session_workload_name(
        &self,
        account: &AccountId,
        session_uri: &str,
    ) -> Result<Option<String>, DataError> {
        let Some(id) = session_uri.strip_prefix(SESSION_URN) else { return Ok(None) };
        Ok(self.store.oauth_session(id).await?.filter(|s| &s.account == account).map(|s| s.workload_name))
    }

    /// The workload of the OAuth2 session `session_uri` in `account`, when there is such a
    /// session (CompleteResourceTokenAuth then reports a missing one itself). A session whose
    /// workload identity was deleted (or re-created under its name) is refused: its user token
    /// would otherwise be checked by the account default instead of the workload's authorizers.
    pub async fn session_workload(
        &self,
        account: &AccountId,
        session_uri: &str,
    ) -> Result<Option<WorkloadIdentity>, DataError> {
        let Some(id) = session_uri.strip_prefix(SESSION_URN) else { return Ok(None) };
        let Some(session) = self.store.oauth_session(id).await?.filter(|s| &s.account == account) else {
            return Ok(None);
        };
        let gone =
            || DataError::SessionNotFound("the workload identity that started the session no longer exists".to_owned());
        match self.store.get_workload_identity(account, &session.workload_name).await {
            Ok(workload) if workload.id == session.workload_id => Ok(Some(workload)),
            Ok(_) | Err(identity_store::StoreError::NotFound { .. }) => Err(gone()),
            Err(e) => Err(e.into()),
        }
    }
}

/// JSON claims as a `google.protobuf.Struct`. Numbers become doubles (the only number a Struct
/// has), so integers beyond 2^53 lose precision; nesting is bounded by the JSON parser's limit.
pub fn to_struct(claims: Map<String, Value>) -> prost_types::Struct {
    prost_types::Struct { fields: claims.into_iter().map(|(name, value)| (name, to_value(value))).collect() }
}

fn to_value(value: Value) -> prost_types::Value {
    use prost_types::value::Kind;
    let kind = match value {
        Value::Null => Kind::NullValue(prost_types::NullValue::NullValue as i32),
        Value::Bool(b) => Kind::BoolValue(b),
        Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => Kind::StringValue(s),
        Value::Array(values) => {
            Kind::ListValue(prost_types::ListValue { values: values.into_iter().map(to_value).collect() })
        }
        Value::Object(map) => Kind::StructValue(to_struct(map)),
    };
    prost_types::Value { kind: Some(kind) }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn validated(issuer: &str, subject: &str) -> ValidatedToken {
        ValidatedToken {
            issuer: issuer.to_owned(),
            subject: subject.to_owned(),
            audiences: vec![],
            client_id: None,
            scopes: vec![],
            expires_at: 0,
            issued_at: None,
            claims: Map::new(),
        }
    }

    #[test]
    fn user_ids_join_issuer_and_subject() {
        assert_eq!(jwt_user_id(&validated("https://idp.example", "alice#1")).unwrap(), "https://idp.example#alice#1");
        let long = "x".repeat(MAX_JWT_USER_ID_BYTES);
        assert!(matches!(
            jwt_user_id(&validated("https://idp.example", &long)),
            Err(DataError::UserTokenRefused { check: "bad_subject", .. })
        ));
        assert!(jwt_user_id(&validated("https://idp.example", "a\nb")).is_err());
    }

    #[test]
    fn claim_checks_outrank_key_lookups() {
        assert!(specificity(&JwtError::ClientNotAllowed) > specificity(&JwtError::BadSignature));
        assert!(specificity(&JwtError::BadSignature) > specificity(&JwtError::UnknownKid));
        assert!(structural(&JwtError::Malformed("x")) && !structural(&JwtError::Expired));
    }

    #[test]
    fn claims_convert_to_a_struct() {
        use prost_types::value::Kind;
        let claims = json!({"sub": "a", "n": 3, "ok": true, "none": null, "aud": ["x", "y"], "o": {"k": 1.5}});
        let Value::Object(claims) = claims else { unreachable!() };
        let s = to_struct(claims);
        assert_eq!(s.fields["sub"].kind, Some(Kind::StringValue("a".into())));
        assert_eq!(s.fields["n"].kind, Some(Kind::NumberValue(3.0)));
        assert_eq!(s.fields["ok"].kind, Some(Kind::BoolValue(true)));
        assert_eq!(s.fields["none"].kind, Some(Kind::NullValue(0)));
        let Some(Kind::ListValue(aud)) = &s.fields["aud"].kind else { panic!("aud is a list") };
        assert_eq!(aud.values.len(), 2);
        let Some(Kind::StructValue(o)) = &s.fields["o"].kind else { panic!("o is a struct") };
        assert_eq!(o.fields["k"].kind, Some(Kind::NumberValue(1.5)));
    }
}
