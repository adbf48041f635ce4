// A real OpenID Provider (panva's oidc-provider) on loopback, for the test suites.
//
//   node tests/idp/server.js '{"port": 9400, "clients": [...]}'     (or the JSON in IDP_CONFIG)
//
// oidc-provider is loaded from $AGENTCORE_TEST_NODE_MODULES/node_modules (`make tools` installs
// it into ~/.cache/agentcore-identity/idp); shared/testkit/src/idp.rs starts this script.
//
// What it offers beyond a stock provider:
// - every access token is a JWT for a resource server (`resource`, also the `aud`), carrying
//   `scope` and `client_id`, so our JWT validator can check tokens from a real token endpoint;
// - client_credentials on, PKCE required, refresh tokens issued to any client allowed the
//   refresh_token grant and rotated on use;
// - RFC 8693 token exchange for clients allowed its grant (see `registerTokenExchange`);
// - interactions approve themselves: GET /interaction/:uid logs in the account named by the
//   `user` query parameter (else the request's `login_hint`, else "test-user") and then grants
//   whatever the client asked, so a plain HTTP client with a cookie jar completes the flow;
// - test endpoints under /__test/: rotate-keys, counters, mint (see `admin` below).

import crypto from 'node:crypto';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const config = JSON.parse(process.argv[2] ?? process.env.IDP_CONFIG ?? '{}');
const port = Number(config.port ?? 9400);
const issuer = `http://127.0.0.1:${port}`;
const resource = config.resource ?? `${issuer}/api`;
const resourceScopes = config.scopes ?? 'read write';
let accessTokenTtl = Number(config.access_token_ttl ?? 300);
const extraTokenClaims = config.extra_token_claims ?? {};

async function loadProvider() {
  const dir = process.env.AGENTCORE_TEST_NODE_MODULES;
  if (!dir) return (await import('oidc-provider')).default;
  const resolved = createRequire(path.join(path.resolve(dir), 'package.json')).resolve('oidc-provider');
  return (await import(pathToFileURL(resolved).href)).default;
}
const Provider = await loadProvider();

// Signing keys, current first. Each key names its `alg`, as Cognito's and Okta's do.
function newKey() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = crypto.randomBytes(8).toString('hex');
  return { kid, privateKey, jwk: { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' } };
}
let keys = [newKey()];

const counters = { discovery: 0, jwks: 0, token: {} };

function client(c) {
  const grantTypes = c.grant_types ?? ['client_credentials'];
  const interactive = grantTypes.includes('authorization_code');
  return {
    client_id: c.client_id,
    client_secret: c.client_secret,
    grant_types: grantTypes,
    redirect_uris: c.redirect_uris ?? [],
    response_types: interactive ? ['code'] : [],
    token_endpoint_auth_method: c.token_endpoint_auth_method ?? 'client_secret_basic',
  };
}

function buildProvider() {
  const provider = new Provider(issuer, {
    clients: (config.clients ?? []).map(client),
    jwks: { keys: keys.map((k) => k.jwk) },
    cookies: { keys: ['agentcore-identity-test-idp'] },
    findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id, email: `${id}@example.test` }) }),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx, _client, oneOf) => oneOf ?? resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => ({
          scope: resourceScopes,
          audience: indicator,
          accessTokenTTL: accessTokenTtl,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    extraTokenClaims: () => extraTokenClaims,
    pkce: { required: () => true },
    issueRefreshToken: (_ctx, c) => c.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    clientBasedCORS: () => false,
  });
  // Count what the tests assert on; routes are oidc-provider's names for its endpoints.
  provider.use(async (ctx, next) => {
    await next();
    const route = ctx.oidc?.route;
    if (route === 'discovery') counters.discovery += 1;
    if (route === 'jwks') counters.jwks += 1;
    if (route === 'token') {
      const grant = ctx.oidc.params?.grant_type ?? 'unknown';
      counters.token[grant] = (counters.token[grant] ?? 0) + 1;
    }
  });
  registerTokenExchange(provider);
  return { provider, handle: provider.callback() };
}

// RFC 8693 token exchange, which oidc-provider lacks: for clients allowed the grant. The subject
// token (and the actor token, if any) must be a live JWT signed by this IdP; a subject naming
// `may_act` (RFC 8693 §4.4) must come with an actor token of that `sub` (or `client_id`). The
// issued token is a JWT for the `sub` of the subject, with `act` naming the actor, `aud` the
// requested audiences (else resources, else the default resource), and the requested scope.
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const TOKEN_TYPES = ['urn:ietf:params:oauth:token-type:jwt', 'urn:ietf:params:oauth:token-type:access_token'];

function verifyJwt(token) {
  const [header, payload, signature] = String(token ?? '').split('.');
  try {
    const { kid, alg } = JSON.parse(Buffer.from(header, 'base64url'));
    const key = keys.find((k) => k.kid === kid);
    const valid = key && alg === 'RS256'
      && crypto.verify('sha256', Buffer.from(`${header}.${payload}`), key.privateKey, Buffer.from(signature, 'base64url'));
    const claims = valid && JSON.parse(Buffer.from(payload, 'base64url'));
    return claims && claims.iss === issuer && claims.exp > Date.now() / 1000 ? claims : undefined;
  } catch {
    return undefined;
  }
}

function registerTokenExchange(provider) {
  const params = ['subject_token', 'subject_token_type', 'actor_token', 'actor_token_type', 'requested_token_type',
    'audience', 'resource', 'scope'];
  provider.registerGrantType(TOKEN_EXCHANGE, async (ctx) => {
    const p = ctx.oidc.params;
    const refuse = (error, description) => {
      ctx.status = 400;
      ctx.body = { error, error_description: description };
    };
    const subject = TOKEN_TYPES.includes(p.subject_token_type) ? verifyJwt(p.subject_token) : undefined;
    if (!subject) return refuse('invalid_grant', 'subject_token is not a valid token of this issuer');
    let actor;
    if (p.actor_token !== undefined) {
      actor = p.actor_token_type === TOKEN_TYPES[1] ? verifyJwt(p.actor_token) : undefined;
      if (!actor) return refuse('invalid_grant', 'actor_token is not a valid access token of this issuer');
    }
    const actorId = actor && (actor.client_id ?? actor.sub);
    if (subject.may_act && subject.may_act.sub !== actorId) {
      return refuse('invalid_grant', 'the actor may not act for the subject');
    }
    const list = (value) => [].concat(value ?? []);
    const audience = list(p.audience).length ? list(p.audience) : list(p.resource);
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: issuer,
      sub: subject.sub,
      aud: audience.length ? audience : resource,
      client_id: ctx.oidc.client.clientId,
      scope: p.scope ?? '',
      iat: now,
      exp: now + accessTokenTtl,
      jti: crypto.randomBytes(8).toString('hex'),
      ...(actorId ? { act: { sub: actorId } } : {}),
    };
    ctx.body = {
      access_token: sign({ alg: 'RS256', typ: 'at+jwt', kid: keys[0].kid }, claims),
      issued_token_type: TOKEN_TYPES[1],
      token_type: 'Bearer',
      expires_in: accessTokenTtl,
      scope: claims.scope,
    };
  }, params, ['audience', 'resource']);
}
// Rotation builds a new provider with the new key list; grants, sessions and tokens live in
// oidc-provider's module-level memory store, so they survive the swap.
let current = buildProvider();

// The self-approving interaction: login first, then consent to everything requested.
async function interaction(req, res, url) {
  const { provider } = current;
  const details = await provider.interactionDetails(req, res);
  const { prompt, params, session } = details;
  if (prompt.name === 'login') {
    const accountId = url.searchParams.get('user') || params.login_hint || 'test-user';
    return provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
  }
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  const missing = prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

const b64url = (data) => Buffer.from(data).toString('base64url');
const hashes = { 256: 'sha256', 384: 'sha384', 512: 'sha512' };

// Signs `header.payload` with the current key: RS*/PS* per the header's alg, `none` unsigned.
function sign(header, claims) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const { alg } = header;
  if (alg === 'none') return `${input}.`;
  const hash = hashes[String(alg).slice(2)];
  if (!hash || !['RS', 'PS'].includes(String(alg).slice(0, 2))) throw new Error(`cannot mint with alg ${alg}`);
  const options = { key: keys[0].privateKey };
  if (alg.startsWith('PS')) {
    Object.assign(options, { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8 });
  }
  return `${input}.${crypto.sign(hash, Buffer.from(input), options).toString('base64url')}`;
}

async function readJson(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body ? JSON.parse(body) : {};
}

function send(res, status, value) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

// POST /__test/rotate-keys[?drop_old=1]: a new current signing key; old ones stay in the JWKS
//   unless dropped. Answers {"kid": NEW, "kids": [ALL]}.
// GET  /__test/counters: {"discovery": N, "jwks": N, "token": {GRANT_TYPE: N}}.
// POST /__test/mint {"claims": {}, "header": {}}: a JWT signed with the current key. Defaults
//   iss, iat, exp (+300 s) and sub "test-user" (a null value removes a claim); the header
//   defaults to alg RS256 (RS*, PS* or none) and the current kid.
// POST /__test/access-token-ttl?seconds=N: access tokens issued from now on live N seconds.
async function admin(req, res, url) {
  const route = `${req.method} ${url.pathname}`;
  if (route === 'POST /__test/access-token-ttl') {
    const seconds = Number(url.searchParams.get('seconds'));
    if (!Number.isInteger(seconds) || seconds <= 0) return send(res, 400, { error: 'seconds must be a positive integer' });
    accessTokenTtl = seconds;
    return send(res, 200, { access_token_ttl: accessTokenTtl });
  }
  if (route === 'POST /__test/rotate-keys') {
    keys = url.searchParams.get('drop_old') === '1' ? [newKey()] : [newKey(), ...keys];
    current = buildProvider();
    return send(res, 200, { kid: keys[0].kid, kids: keys.map((k) => k.kid) });
  }
  if (route === 'GET /__test/counters') return send(res, 200, counters);
  if (route === 'POST /__test/mint') {
    const body = await readJson(req);
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: issuer, sub: 'test-user', iat: now, exp: now + 300, ...body.claims };
    for (const [name, value] of Object.entries(claims)) if (value === null) delete claims[name];
    const header = { alg: 'RS256', typ: 'JWT', kid: keys[0].kid, ...body.header };
    for (const [name, value] of Object.entries(header)) if (value === null) delete header[name];
    return send(res, 200, { token: sign(header, claims), kid: keys[0].kid });
  }
  return send(res, 404, { error: `no test endpoint ${route}` });
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, issuer);
  const fail = (error) => send(res, 500, { error: String(error?.stack ?? error) });
  if (url.pathname.startsWith('/__test/')) return admin(req, res, url).catch(fail);
  if (url.pathname.startsWith('/interaction/')) return interaction(req, res, url).catch(fail);
  return current.handle(req, res);
});
// Node closes idle connections after 5 s, while the Rust clients keep theirs for 90 s: a pooled
// connection reused just as Node closes it would fail a request for no reason of the test's.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;
server.listen(port, '127.0.0.1', () => console.log(`test IdP listening on ${issuer}`));
