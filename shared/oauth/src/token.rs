//! Requests to token endpoints.

use identity_domain::Vendor;
use identity_outbound::OutboundClient;

use crate::{ClientAuth, OAuthError, TokenGrant, parse_token_response, profile};

/// The client's credentials at the provider.
#[derive(Clone, Copy)]
pub struct ClientCredentials<'a> {
    /// `client_id`.
    pub client_id: &'a str,
    /// `client_secret`.
    pub client_secret: &'a str,
}

impl std::fmt::Debug for ClientCredentials<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials").field("client_id", &self.client_id).finish_non_exhaustive()
    }
}

/// Calls token endpoints through the SSRF-guarded outbound client.
#[derive(Clone, Debug)]
pub struct TokenClient {
    pub(crate) http: OutboundClient,
}

impl TokenClient {
    /// Token requests through `http`.
    pub fn new(http: OutboundClient) -> Self {
        Self { http }
    }

    /// The client credentials grant (RFC 6749 §4.4): the workload's own token.
    #[tracing::instrument(skip_all, fields(vendor = %vendor))]
    pub async fn client_credentials(
        &self,
        endpoint: &str,
        vendor: Vendor,
        client: ClientCredentials<'_>,
        scopes: &[String],
    ) -> Result<TokenGrant, OAuthError> {
        let profile = profile(vendor);
        let scope = scopes.join(profile.scope_separator);
        let mut form = vec![("grant_type", "client_credentials")];
        if !scope.is_empty() {
            form.push(("scope", &scope));
        }
        self.request(endpoint, vendor, client, form).await
    }

    /// Sends `form` and maps the answer, counting it and its latency by grant type.
    async fn request(
        &self,
        endpoint: &str,
        vendor: Vendor,
        client: ClientCredentials<'_>,
        form: Vec<(&str, &str)>,
    ) -> Result<TokenGrant, OAuthError> {
        use identity_telemetry::metrics::{GrantLabels, GrantOutcomeLabels, Outcome, OutcomeLabels, metrics};
        let grant = match form.first() {
            Some(("grant_type", "client_credentials")) => "client_credentials",
            Some(("grant_type", "authorization_code")) => "authorization_code",
            Some(("grant_type", "refresh_token")) => "refresh_token",
            Some(("grant_type", TOKEN_EXCHANGE_GRANT)) => "token_exchange",
            _ => "other",
        };
        // Elapsed time for the IdP latency histogram: a measurement, not a time logic depends on.
        #[allow(clippy::disallowed_methods)]
        let started = std::time::Instant::now();
        let outcome = self.exchange(endpoint, vendor, client, form).await;
        let m = metrics();
        m.idp_duration.get_or_create(&GrantLabels { grant }).observe(started.elapsed().as_secs_f64());
        let result = Outcome::of(outcome.is_ok());
        m.idp_requests.get_or_create(&GrantOutcomeLabels { grant, outcome: result }).inc();
        if grant == "refresh_token" {
            m.token_refreshes.get_or_create(&OutcomeLabels { outcome: result }).inc();
        }
        outcome
    }

    /// Sends `form` with the client authenticated as the vendor wants, and maps the answer.
    async fn exchange(
        &self,
        endpoint: &str,
        vendor: Vendor,
        client: ClientCredentials<'_>,
        mut form: Vec<(&str, &str)>,
    ) -> Result<TokenGrant, OAuthError> {
        let profile = profile(vendor);
        let url = url::Url::parse(endpoint).map_err(|e| OAuthError::BadResponse(format!("token endpoint URL: {e}")))?;
        let basic = match profile.client_auth {
            ClientAuth::Basic => Some((client.client_id, client.client_secret)),
            ClientAuth::Post => {
                form.push(("client_id", client.client_id));
                form.push(("client_secret", client.client_secret));
                None
            }
        };
        let response = self.http.post_form(&url, &form, basic).await?;
        let outcome = parse_token_response(
            profile.response,
            response.status,
            &response.content_type,
            &response.body,
            profile.default_expires_in,
        );
        if let Err(e) = &outcome {
            tracing::warn!(status = response.status, code = e.code(), "token request refused");
        }
        outcome
    }
}

impl TokenClient {
    /// The authorization code grant (RFC 6749 §4.1.3) with the PKCE verifier (RFC 7636 §4.5).
    #[tracing::instrument(skip_all, fields(vendor = %vendor))]
    pub async fn authorization_code(
        &self,
        endpoint: &str,
        vendor: Vendor,
        client: ClientCredentials<'_>,
        code: &str,
        redirect_uri: &str,
        pkce_verifier: &str,
    ) -> Result<TokenGrant, OAuthError> {
        let form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", pkce_verifier),
        ];
        self.request(endpoint, vendor, client, form).await
    }
}

/// What an authorization request carries.
#[derive(Debug)]
pub struct AuthorizationRequest<'a> {
    /// The provider's authorization endpoint.
    pub endpoint: &'a str,
    /// Vendor (its separator and extra parameters apply).
    pub vendor: Vendor,
    /// `client_id`.
    pub client_id: &'a str,
    /// Where the provider sends the user back.
    pub redirect_uri: &'a str,
    /// Scopes requested.
    pub scopes: &'a [String],
    /// The single-use state.
    pub state: &'a str,
    /// PKCE S256 challenge.
    pub code_challenge: &'a str,
    /// Caller-supplied extra parameters; they cannot override the protocol's own.
    pub custom: &'a std::collections::BTreeMap<String, String>,
}

/// The provider URL the user's browser is sent to (RFC 6749 §4.1.1, with PKCE).
pub fn authorization_url(request: &AuthorizationRequest<'_>) -> Result<String, OAuthError> {
    const RESERVED: [&str; 7] =
        ["response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method"];
    let profile = profile(request.vendor);
    let mut url = url::Url::parse(request.endpoint)
        .map_err(|e| OAuthError::BadResponse(format!("authorization endpoint URL: {e}")))?;
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", request.client_id)
            .append_pair("redirect_uri", request.redirect_uri)
            .append_pair("state", request.state)
            .append_pair("code_challenge", request.code_challenge)
            .append_pair("code_challenge_method", "S256");
        if !request.scopes.is_empty() {
            query.append_pair("scope", &request.scopes.join(profile.scope_separator));
        }
        for (name, value) in profile.authorize_params {
            if !request.custom.contains_key(*name) {
                query.append_pair(name, value);
            }
        }
        for (name, value) in request.custom.iter().filter(|(name, _)| !RESERVED.contains(&name.as_str())) {
            query.append_pair(name, value);
        }
    }
    Ok(url.into())
}

impl TokenClient {
    /// The refresh token grant (RFC 6749 §6). A response without `refresh_token` means the old
    /// one stays valid; the caller keeps it.
    #[tracing::instrument(skip_all, fields(vendor = %vendor))]
    pub async fn refresh(
        &self,
        endpoint: &str,
        vendor: Vendor,
        client: ClientCredentials<'_>,
        refresh_token: &str,
    ) -> Result<TokenGrant, OAuthError> {
        let form = vec![("grant_type", "refresh_token"), ("refresh_token", refresh_token)];
        self.request(endpoint, vendor, client, form).await
    }
}

/// RFC 8693 `grant_type` of a token exchange.
pub const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// What a token exchange (RFC 8693 §2.1) asks for. Tokens are borrowed and never logged.
#[derive(Clone, Copy)]
pub struct TokenExchange<'a> {
    /// The token of the party on whose behalf the request is made (the user's).
    pub subject_token: &'a str,
    /// Its type URN.
    pub subject_token_type: &'a str,
    /// The acting party's token and its type URN, if any.
    pub actor_token: Option<(&'a str, &'a str)>,
    /// `requested_token_type`, if any.
    pub requested_token_type: Option<&'a str>,
    /// `audience` values.
    pub audiences: &'a [String],
    /// `resource` indicators (RFC 8707).
    pub resources: &'a [String],
    /// Scopes requested.
    pub scopes: &'a [String],
}

impl std::fmt::Debug for TokenExchange<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenExchange")
            .field("subject_token_type", &self.subject_token_type)
            .field("actor_token", &self.actor_token.map(|(_, kind)| kind))
            .field("audiences", &self.audiences)
            .field("resources", &self.resources)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

impl TokenClient {
    /// The token exchange grant (RFC 8693 §2.1): a token for the subject (and actor), with the
    /// client authenticated as the vendor wants.
    #[tracing::instrument(skip_all, fields(vendor = %vendor, actor = exchange.actor_token.is_some()))]
    pub async fn token_exchange(
        &self,
        endpoint: &str,
        vendor: Vendor,
        client: ClientCredentials<'_>,
        exchange: TokenExchange<'_>,
    ) -> Result<TokenGrant, OAuthError> {
        let scope = exchange.scopes.join(profile(vendor).scope_separator);
        let mut form = vec![
            ("grant_type", TOKEN_EXCHANGE_GRANT),
            ("subject_token", exchange.subject_token),
            ("subject_token_type", exchange.subject_token_type),
        ];
        if let Some((token, kind)) = exchange.actor_token {
            form.extend([("actor_token", token), ("actor_token_type", kind)]);
        }
        if let Some(kind) = exchange.requested_token_type {
            form.push(("requested_token_type", kind));
        }
        form.extend(exchange.audiences.iter().map(|a| ("audience", a.as_str())));
        form.extend(exchange.resources.iter().map(|r| ("resource", r.as_str())));
        if !scope.is_empty() {
            form.push(("scope", &scope));
        }
        self.request(endpoint, vendor, client, form).await
    }
}
