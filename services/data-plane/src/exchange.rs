//! `ON_BEHALF_OF_TOKEN_EXCHANGE`: the user's JWT exchanged at the provider's token endpoint
//! (RFC 8693) for a downstream token, optionally with the workload's own M2M token as the actor.
//!
//! The subject token is the user JWT a WAT was minted from (`GetWorkloadAccessTokenForJwt`). The
//! AgentCore API does not pass it again when vending, so the WAT carries it: sealed with the
//! account's data key (AES-GCM, bound to the account, workload and user), in the `stk` claim.
//! Only this service can open it, the WAT's signature keeps it from being moved to another WAT,
//! and nothing is stored per WAT, so any replica can serve the exchange. Older data keys are kept
//! when an account's data key rotates, so a WAT's sealed token stays readable for its short life.
//!
//! Downstream tokens are cached like M2M tokens: sealed, per workload, user, provider and
//! requested scopes, audiences and resources, until shortly before they expire, under the
//! account's config and grant generations (a changed provider or a disconnected user is not
//! served from the cache).

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use identity_crypto::{SealContext, sha256_hex};
use identity_domain::{AccountId, ActorToken, ProviderConfig, TOKEN_TYPE_ACCESS_TOKEN, Violations};
use identity_oauth::{ClientCredentials, TokenExchange};

use crate::{
    error::DataError,
    m2m::{EXPIRY_MARGIN, Vended, normalized},
    vend::DataContext,
    wat::WatClaims,
};

/// What an exchange asks for, beyond the WAT's user.
#[derive(Debug)]
pub struct ExchangeRequest<'a> {
    /// The OAuth2 provider's name.
    pub provider_name: &'a str,
    /// Scopes; the provider's default scopes when empty.
    pub scopes: &'a [String],
    /// Audiences; the provider's token-exchange defaults when empty.
    pub audiences: &'a [String],
    /// Resource indicators; the provider's token-exchange defaults when empty.
    pub resources: &'a [String],
}

/// What the user's sealed JWT is bound to: the account, the workload and the user.
fn subject_context<'a>(account: &'a str, record: &'a str) -> SealContext<'a> {
    SealContext { account, table: "wat", record, field: "subject_token" }
}

fn subject_record(workload_id: &str, user: &str) -> String {
    format!("{workload_id}#{user}")
}

/// The WAT's sealed user JWT and user. A WAT minted for a caller-asserted user id has none, and
/// is refused before the cache is looked at: the user id alone must never reach another WAT's
/// exchanged token.
fn sealed_subject(claims: &WatClaims) -> Result<(&str, &str), DataError> {
    match (claims.stk.as_deref(), claims.uid.as_deref()) {
        (Some(sealed), Some(user)) => Ok((sealed, user)),
        _ => {
            Err(Violations::one("workload_identity_token", "ON_BEHALF_OF_TOKEN_EXCHANGE needs a workload access token minted from a user JWT (GetWorkloadAccessTokenForJwt)").into())
        }
    }
}

impl DataContext {
    /// The user's JWT sealed for the `stk` claim of a WAT for `workload_id` and `user`.
    pub(crate) async fn seal_subject_token(
        &self,
        account: &AccountId,
        workload_id: &str,
        user: &str,
        token: &str,
    ) -> Result<String, DataError> {
        let record = subject_record(workload_id, user);
        let sealed =
            self.store.seal_for_account(account, &subject_context(account.as_str(), &record), token.as_bytes()).await?;
        Ok(URL_SAFE_NO_PAD.encode(sealed))
    }

    /// Opens the WAT's sealed user JWT (`sealed`, from [`sealed_subject`]).
    async fn subject_token(
        &self,
        account: &AccountId,
        claims: &WatClaims,
        (sealed, user): (&str, &str),
    ) -> Result<zeroize::Zeroizing<String>, DataError> {
        let sealed = URL_SAFE_NO_PAD
            .decode(sealed)
            .map_err(|_| DataError::Internal("the sealed subject token is not base64url".to_owned()))?;
        let record = subject_record(&claims.wid, user);
        let plain = self.store.open_for_account(account, &subject_context(account.as_str(), &record), &sealed).await?;
        let token = String::from_utf8(plain.to_vec())
            .map_err(|_| DataError::Internal("the sealed subject token is not UTF-8".to_owned()))?;
        Ok(zeroize::Zeroizing::new(token))
    }

    /// The downstream token for the WAT's user at `request.provider_name`.
    pub(crate) async fn exchange_token(
        &self,
        account: &AccountId,
        claims: &WatClaims,
        request: ExchangeRequest<'_>,
    ) -> Result<Vended, DataError> {
        let provider = self.oauth2_provider_settings(account, request.provider_name).await?;
        let ProviderConfig::Oauth2(config) = &provider.config else {
            return Err(DataError::Internal("provider type".to_owned()));
        };
        let Some(exchange) = &config.token_exchange else {
            return Err(Violations::one("oauth2_flow", format!("credential provider '{}' is not configured for ON_BEHALF_OF_TOKEN_EXCHANGE (its token_exchange settings)", request.provider_name)).into());
        };
        let (sealed, user) = sealed_subject(claims)?;
        let pick = |asked: &[String], default: &[String]| normalized(if asked.is_empty() { default } else { asked });
        let scopes = pick(request.scopes, &config.default_scopes);
        let audiences = pick(request.audiences, &exchange.default_audiences);
        let resources = pick(request.resources, &exchange.default_resources);
        let identity =
            [claims.wid.as_str(), user, &provider.id, &scopes.join(" "), &audiences.join(" "), &resources.join(" ")]
                .join("\n");
        // The account's config and grant generations are part of the key: a token exchanged
        // before the provider changed or the user was disconnected is not read again (see
        // generations.rs).
        let (config_generation, grant_generation) =
            (self.generations.config(account), self.generations.grants(account));
        let key = format!("obo:{account}:{config_generation}:{grant_generation}:{}", sha256_hex(identity.as_bytes()));
        let now = self.clock.now_millis();
        if let Some(hit) = self.cached_m2m(account, &key).await
            && hit.expires_at.is_none_or(|at| at - now > EXPIRY_MARGIN.as_millis() as i64)
        {
            return Ok(hit);
        }

        let subject = self.subject_token(account, claims, (sealed, user)).await?;
        let actor = match exchange.actor_token {
            ActorToken::None => None,
            ActorToken::M2m => {
                Some(self.m2m_token(account, request.provider_name, &exchange.actor_token_scopes).await?.access_token)
            }
        };
        // The client's settings and secret in one read, of the provider the cached settings
        // name (by id): one re-created under the same name since is another provider, whose
        // secret the cached settings must not be paired with.
        let replaced = || {
            DataError::ProviderNotFound(format!(
                "OAuth2 credential provider '{}' was deleted or replaced; retry",
                request.provider_name
            ))
        };
        let (current, sealed) =
            self.store.credential_provider_sealed_by_id(account, &provider.id).await?.ok_or_else(replaced)?;
        let ProviderConfig::Oauth2(config) = &current.config else { return Err(replaced()) };
        let secret = self.store.open_provider_secret(account, &current.id, &sealed).await?;
        let endpoint = config.discovery.metadata.as_ref().map(|m| m.token_endpoint.as_str()).unwrap_or_default();
        let client = ClientCredentials { client_id: &config.client_id, client_secret: secret.expose() };
        let grant = self
            .tokens
            .token_exchange(
                endpoint,
                config.vendor,
                client,
                TokenExchange {
                    subject_token: &subject,
                    subject_token_type: &exchange.subject_token_type,
                    actor_token: actor.as_ref().map(|token| (token.expose(), TOKEN_TYPE_ACCESS_TOKEN)),
                    requested_token_type: exchange.requested_token_type.as_deref(),
                    audiences: &audiences,
                    resources: &resources,
                    scopes: &scopes,
                },
            )
            .await
            .map_err(|e| DataError::AuthorizationFailed { code: e.code().to_owned(), message: e.to_string() })?;
        Ok(self.vend_and_cache(account, &key, grant, scopes).await)
    }
}
