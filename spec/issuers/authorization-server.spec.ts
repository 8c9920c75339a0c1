/**
 * A resource server verifying the access tokens of real authorization servers (oidc-provider on loopback ports):
 * JWT_ISSUERS beside the app's own issuer, discovery, RFC 9068 and generic profiles, scopes, key rotation and an
 * authorization server that is down. Over real HTTP with routing-controllers.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import express from 'express';
import { randomBytes } from 'node:crypto';
import { Get, JsonController, Post, useExpressServer } from 'routing-controllers';
import { AuthManager, currentToken, MemoryRevocationStore, RequireToken, type RevocationStore, type TrustedIssuerEntry } from 'routing-controllers-jwt';
import {
  payloadOf,
  RESOURCE,
  signingKey,
  signWithJwk,
  startAuthorizationServer,
  type AuthorizationServer,
  type SigningJwk,
} from '../support/authorization-server';
import { bearer, listen, send, type RunningServer } from '../support/server';
import { expectRejection, tamperedSignature } from '../support/require-token';

const OWN_ISSUER = 'orders-api';

/** A revocation store that counts the questions it is asked. */
function countingStore(): RevocationStore & { questions: number } {
  const inner = new MemoryRevocationStore();
  const store = {
    questions: 0,
    revoke: (key: string, until: number) => inner.revoke(key, until),
    isRevoked(keys: readonly string[]) {
      store.questions++;
      return inner.isRevoked(keys);
    },
    use: (key: string, until: number) => inner.use(key, until),
  };
  return store;
}

/** An app whose routes need scopes, a refresh token or just a token, verifying with `config`. */
async function startApi(config: Record<string, unknown>): Promise<{ api: RunningServer; manager: AuthManager }> {
  const app = express();
  for (const [name, value] of Object.entries(config)) app.set(name, value);
  const manager = new AuthManager(app);
  const view = () => ({ iss: currentToken.iss, sub: currentToken.sub, scope: currentToken.scope, clientId: currentToken.claims.client_id ?? null });

  @JsonController()
  class OrdersController {
    @Get('/orders')
    @RequireToken({ scope: 'orders:read' })
    list() {
      return view();
    }

    @Get('/audit')
    @RequireToken({ scope: 'orders:admin' })
    audit() {
      return view();
    }

    @Get('/me')
    @RequireToken()
    me() {
      return view();
    }

    @Post('/refresh')
    @RequireToken('refresh')
    refresh() {
      return view();
    }
  }
  useExpressServer(app, { controllers: [OrdersController], defaultErrorHandler: false });
  return { api: await listen(app), manager };
}

const get = (api: RunningServer, path: string, token: string) => send(`${api.url}${path}`, { headers: bearer(token) });

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = await listen((_req, res) => res.end());
  const port = Number(new URL(probe.url).port);
  await probe.close();
  return port;
}

describe('Verifying tokens from an authorization server (oidc-provider, JWT_ISSUERS)', function () {
  let first: AuthorizationServer;
  let second: AuthorizationServer;
  let secondKey: SigningJwk;
  let unlisted: AuthorizationServer;
  let api: RunningServer;
  let manager: AuthManager;
  let store: ReturnType<typeof countingStore>;

  before(async () => {
    secondKey = signingKey('ES256');
    [first, second, unlisted] = await Promise.all([
      startAuthorizationServer([signingKey('RS256')]),
      startAuthorizationServer([secondKey]),
      startAuthorizationServer([signingKey('RS256')]),
    ]);
    store = countingStore();
    const issuers: TrustedIssuerEntry[] = [
      // Discovered from the issuer (no jwksUrl).
      { issuer: first.issuer, audience: RESOURCE },
      { issuer: second.issuer, audience: RESOURCE, jwksUrl: `${second.issuer}/jwks`, profile: 'generic', algorithms: ['ES256'] },
    ];
    ({ api, manager } = await startApi({
      JWT_ISSUER: OWN_ISSUER,
      JWT_AUTHTYPE: 'HS256',
      JWT_SECRET: randomBytes(32).toString('base64url'),
      JWT_AUTHJTI: true,
      JWT_REVOCATIONSTORE: store,
      JWT_ISSUERS: issuers,
    }));
  });

  after(async () => {
    await api.close();
    await Promise.all([first.stop(), second.stop(), unlisted.stop()]);
  });

  it('accepts a client-credentials access token on a route whose scope it grants; currentToken.iss names its issuer', async () => {
    const token = await first.token('orders:read');
    const reply = await get(api, '/orders', token);
    expect(reply.status, reply.text).to.equal(200);
    expect(reply.json).to.deep.equal({ iss: first.issuer, sub: 'orders-worker', scope: 'orders:read', clientId: 'orders-worker' });
  });

  it('two issuers and the app\'s own tokens open the same route', async () => {
    const own = manager.authToken('alice', 'orders:read').signed;
    const [fromFirst, fromSecond] = await Promise.all([first.token('orders:read'), second.token('orders:read')]);
    const replies = await Promise.all([get(api, '/orders', own), get(api, '/orders', fromFirst), get(api, '/orders', fromSecond)]);
    expect(replies.map((reply) => reply.status)).to.deep.equal([200, 200, 200]);
    expect(replies.map((reply) => (reply.json as { iss: string }).iss)).to.deep.equal([OWN_ISSUER, first.issuer, second.issuer]);
  });

  it('403 insufficient_scope naming the scope the route needs (scope="...") for a scope the token was not granted', async () => {
    const token = await first.token('orders:read');
    const reply = await get(api, '/audit', token);
    expectRejection(reply, { status: 403, code: 'ERR_TOKEN_FORBIDDEN_SCOPE', issuer: OWN_ISSUER, bearerError: 'insufficient_scope', secrets: [token] });
    expect(reply.headers['www-authenticate']).to.equal(`Bearer realm="${OWN_ISSUER}", error="insufficient_scope", scope="orders:admin"`);
  });

  it('401 for an access token issued for another audience (resource)', async () => {
    const token = await first.token('orders:read', 'https://billing.example');
    expect(payloadOf(token).aud).to.equal('https://billing.example');
    expectRejection(await get(api, '/orders', token), { status: 401, code: 'ERR_TOKEN_AUDIENCE', issuer: OWN_ISSUER, bearerError: 'invalid_token' });
  });

  it('security: a token of an unlisted issuer is 401 and that issuer is never fetched', async () => {
    const token = await unlisted.token('orders:read');
    const asked = unlisted.requests;
    expectRejection(await get(api, '/orders', token), { status: 401, code: 'ERR_TOKEN_ISSUER', issuer: OWN_ISSUER, bearerError: 'invalid_token' });
    expect(unlisted.requests).to.equal(asked);
  });

  it('401 for an expired access token', async () => {
    first.setTokenLifetime(1);
    let token: string;
    try {
      token = await first.token('orders:read');
    } finally {
      first.setTokenLifetime(300);
    }
    const exp = payloadOf(token).exp as number;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, exp * 1000 - Date.now()) + 50));
    expectRejection(await get(api, '/orders', token), { status: 401, code: 'ERR_TOKEN_EXPIRED', issuer: OWN_ISSUER, bearerError: 'invalid_token' });
  });

  it('401 for a tampered access token: signature changed, or scope widened', async () => {
    const token = await first.token('orders:read');
    expectRejection(await get(api, '/orders', tamperedSignature(token)), { status: 401, code: 'ERR_TOKEN_SIGNATURE', issuer: OWN_ISSUER, bearerError: 'invalid_token' });
    const [header, , signature] = token.split('.');
    const widened = { ...payloadOf(token), scope: 'orders:read orders:admin' };
    const forged = `${header}.${Buffer.from(JSON.stringify(widened)).toString('base64url')}.${signature}`;
    expectRejection(await get(api, '/audit', forged), { status: 401, code: 'ERR_TOKEN_SIGNATURE', issuer: OWN_ISSUER, bearerError: 'invalid_token' });
  });

  it('security: an issuer\'s keys verify only its own tokens (a token claiming one issuer signed by another\'s key is 401)', async () => {
    const genuine = payloadOf(await second.token('orders:read'));
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'ES256', typ: 'at+jwt', kid: secondKey.kid };
    // Claims the first issuer, signed with the second issuer's (published, trusted) key.
    const claimsFirst = signWithJwk(header, { ...genuine, iss: first.issuer, iat: now, exp: now + 60 }, secondKey);
    expectRejection(await get(api, '/orders', claimsFirst), { status: 401, code: 'ERR_TOKEN_KEY', issuer: OWN_ISSUER, bearerError: 'invalid_token' });
    // Claims the app's own issuer, signed with a trusted issuer's key.
    const claimsOwn = signWithJwk(header, { ...genuine, iss: OWN_ISSUER, type: 'auth', iat: now, exp: now + 60 }, secondKey);
    expect((await get(api, '/orders', claimsOwn)).status).to.equal(401);
  });

  it('a refresh route never accepts an access token, whatever claims it carries', async () => {
    const token = await first.token('orders:read');
    expectRejection(await send(`${api.url}/refresh`, { method: 'POST', headers: bearer(token) }), {
      status: 401, code: 'ERR_TOKEN_TYPE', issuer: OWN_ISSUER, bearerError: 'invalid_token',
    });
  });

  it('an access token\'s jti costs no revocation-store round trip (the app\'s own jti still does)', async () => {
    const before = store.questions;
    const token = await first.token('orders:read');
    expect((await get(api, '/orders', token)).status).to.equal(200);
    expect(store.questions).to.equal(before);
    expect((await get(api, '/orders', manager.authToken('alice', 'orders:read').signed)).status).to.equal(200);
    expect(store.questions).to.equal(before + 1);
    // Revoked at its issuer, not here: asking to revoke it here says so rather than pretend.
    const refused = await manager.revoke(token).then(() => null, (error: unknown) => error);
    expect(refused).to.be.instanceOf(TypeError);
  });

  it('rfc9068 profile: a token of the issuer typed JWT instead of at+jwt is 401', async () => {
    // A generic-profile issuer accepts typ JWT; the rfc9068 one (the default) does not. Both checked with real keys.
    const genuine = payloadOf(await second.token('orders:read'));
    const now = Math.floor(Date.now() / 1000);
    const typedJwt = signWithJwk({ alg: 'ES256', typ: 'JWT', kid: secondKey.kid }, { ...genuine, iat: now, exp: now + 60 }, secondKey);
    expect((await get(api, '/orders', typedJwt)).status).to.equal(200);
    const other = await startAuthorizationServer([secondKey]);
    const strict = await startApi({ JWT_ISSUER: OWN_ISSUER, JWT_ISSUERS: [{ issuer: other.issuer, audience: RESOURCE }] });
    try {
      const strictToken = signWithJwk({ alg: 'ES256', typ: 'JWT', kid: secondKey.kid }, { ...genuine, iss: other.issuer, iat: now, exp: now + 60 }, secondKey);
      expectRejection(await get(strict.api, '/orders', strictToken), { status: 401, code: 'ERR_TOKEN_TYPE', issuer: OWN_ISSUER, bearerError: 'invalid_token' });
      expect((await get(strict.api, '/orders', await other.token('orders:read'))).status).to.equal(200);
    } finally {
      await strict.api.close();
      await other.stop();
    }
  });

  it('generic profile: the scopes of an Entra-style scp array are matched', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: second.issuer, aud: RESOURCE, sub: 'svc', iat: now, exp: now + 60, scp: ['orders:read', 'orders:write'] };
    const token = signWithJwk({ alg: 'ES256', typ: 'JWT', kid: secondKey.kid }, claims, secondKey);
    const reply = await get(api, '/orders', token);
    expect(reply.status, reply.text).to.equal(200);
    expect((reply.json as { scope: string }).scope).to.equal('orders:read orders:write');
    expect((await get(api, '/audit', token)).status).to.equal(403);
  });

  it('generic profile: a Cognito-style token without aud is matched by the configured audienceClaim (client_id)', async () => {
    const cognito = new AuthManager({
      JWT_ISSUER: OWN_ISSUER,
      JWT_ISSUERS: [{ issuer: second.issuer, audience: 'app-client-1', audienceClaim: 'client_id', jwksUrl: `${second.issuer}/jwks`, profile: 'generic' }],
    });
    const now = Math.floor(Date.now() / 1000);
    const access = { iss: second.issuer, sub: 'u', client_id: 'app-client-1', token_use: 'access', scope: 'orders:read', iat: now, exp: now + 60 };
    const header = { alg: 'ES256', kid: secondKey.kid };
    expect((await cognito.verify(signWithJwk(header, access, secondKey))).valid).to.equal(true);
    // An ID token of the same pool names the client in aud, not client_id: refused.
    const idToken = { iss: second.issuer, sub: 'u', aud: 'app-client-1', token_use: 'id', iat: now, exp: now + 60 };
    const refused = await cognito.verify(signWithJwk(header, idToken, secondKey));
    expect(refused.valid ? 'valid' : refused.reason).to.equal('audience');
  });

  it('the resolver form trusts the issuers it answers for, and only them', async () => {
    const resolved = await startApi({
      JWT_ISSUER: OWN_ISSUER,
      JWT_ISSUERS: (iss: string) => (iss === first.issuer ? { issuer: iss, audience: RESOURCE } : undefined),
    });
    try {
      expect((await get(resolved.api, '/orders', await first.token('orders:read'))).status).to.equal(200);
      expectRejection(await get(resolved.api, '/orders', await second.token('orders:read')), { status: 401, code: 'ERR_TOKEN_ISSUER', issuer: OWN_ISSUER, bearerError: 'invalid_token' });
    } finally {
      await resolved.api.close();
    }
  });
});

describe('An authorization server rotating its keys', function () {
  it('security: new keys verify at once; a retired key\'s tokens stop within max age + cooldown, cached ones included', async () => {
    const oldKey = signingKey('RS256');
    const server = await startAuthorizationServer([oldKey]);
    const { api } = await startApi({ JWT_ISSUER: OWN_ISSUER, JWT_ISSUERS: [{ issuer: server.issuer, audience: RESOURCE }], JWT_JWKSMAXAGE: 1, JWT_JWKSCOOLDOWN: 0 });
    try {
      const old = await server.token('orders:read');
      expect((await get(api, '/orders', old)).status).to.equal(200);
      expect((await get(api, '/orders', old)).status).to.equal(200); // now from the verify cache
      await server.rotate([signingKey('RS256')]);
      // Only cache hits from here: the background reload after max age must notice the retired key.
      const deadline = Date.now() + 1000 + 2000;
      let status = 200;
      while (status === 200 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = (await get(api, '/orders', old)).status;
      }
      expect(status, 'the retired key\'s token is still accepted').to.equal(401);
      expect((await get(api, '/orders', await server.token('orders:read'))).status).to.equal(200);
    } finally {
      await api.close();
      await server.stop();
    }
  });
});

describe('An authorization server that is down', function () {
  it('known keys keep verifying; an unknown key is 401 ERR_TOKEN_KEY_UNAVAILABLE, never a 500', async () => {
    const key = signingKey('ES256');
    const server = await startAuthorizationServer([key]);
    const { api } = await startApi({ JWT_ISSUER: OWN_ISSUER, JWT_ISSUERS: [{ issuer: server.issuer, audience: RESOURCE }], JWT_JWKSCOOLDOWN: 0 });
    try {
      const token = await server.token('orders:read');
      expect((await get(api, '/orders', token)).status).to.equal(200);
      await server.stop();
      expect((await get(api, '/orders', token)).status).to.equal(200);
      const stranger = signingKey('ES256');
      const now = Math.floor(Date.now() / 1000);
      const unknownKid = signWithJwk({ alg: 'ES256', typ: 'at+jwt', kid: stranger.kid }, { ...payloadOf(token), iat: now, exp: now + 60 }, stranger);
      expectRejection(await get(api, '/orders', unknownKid), { status: 401, code: 'ERR_TOKEN_KEY_UNAVAILABLE', issuer: OWN_ISSUER, bearerError: 'invalid_token' });
    } finally {
      await api.close();
    }
  });

  it('an issuer whose metadata cannot be discovered is 401 ERR_TOKEN_KEY_UNAVAILABLE, never a 500', async () => {
    const issuer = `http://127.0.0.1:${await closedPort()}`;
    const key = signingKey('RS256');
    const { api } = await startApi({ JWT_ISSUER: OWN_ISSUER, JWT_ISSUERS: [{ issuer, audience: RESOURCE }], JWT_JWKSTIMEOUT: 2 });
    try {
      const now = Math.floor(Date.now() / 1000);
      const token = signWithJwk({ alg: 'RS256', typ: 'at+jwt', kid: key.kid }, { iss: issuer, aud: RESOURCE, sub: 's', client_id: 'c', jti: 'j', iat: now, exp: now + 60 }, key);
      expectRejection(await get(api, '/orders', token), { status: 401, code: 'ERR_TOKEN_KEY_UNAVAILABLE', issuer: OWN_ISSUER, bearerError: 'invalid_token' });
    } finally {
      await api.close();
    }
  });
});
