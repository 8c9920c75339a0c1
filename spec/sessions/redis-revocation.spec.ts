/**
 * RedisRevocationStore against a real redis-server on 127.0.0.1 (issue 8): the store's semantics, entries that expire
 * with the token (checked with TTL), the key prefix, rotation and revocation through it, two app instances sharing one
 * Redis, and a real outage (the server process killed, then started again).
 *
 * A Redis already running on 127.0.0.1:${REDIS_PORT:-6379} is used; otherwise the suite starts its own redis-server.
 * Without redis-server the suite is skipped with a message, except in CI (CI=true), where it fails.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import express from 'express';
import { Redis, type RedisOptions } from 'ioredis';
import { Get, JsonController, Post, useExpressServer } from 'routing-controllers';
import {
  AuthManager,
  currentToken,
  RedisRevocationStore,
  RequireToken,
  TokenUnauthorizedError,
  TokenUnavailableError,
  type JWT,
  type SignedJWT,
} from 'routing-controllers-jwt';
import { hmacSecret } from '../support/keys';
import { bearer, listen, send, type Reply, type RunningServer } from '../support/server';
import { missingRedis, ready, redisServerInstalled, RedisServerProcess, REDIS_HOST, uniquePrefix, useRedis } from '../support/redis';
import { expectRejection } from '../support/require-token';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const now = (): number => Date.now() / 1000;
const signed = (token: SignedJWT): string => token.signed;
const unique = (label: string): string => `${label}-${randomBytes(6).toString('hex')}`;

// JWT_REFRESHGRACE 0: a second presentation is reuse at once, as after the grace window (spec/sessions/refresh-grace.spec.ts)
function settings(issuer: string, secret: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { JWT_ISSUER: issuer, JWT_AUTHTYPE: 'HS256', JWT_SECRET: secret, JWT_REFRESHGRACE: 0, ...extra };
}

/** What `promise` rejected with, or `undefined` when it resolved. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return undefined;
}

async function expectRevokedRotation(manager: AuthManager, token: JWT | string, why: string): Promise<void> {
  const error = await rejectionOf(manager.rotate(token));
  expect(error, why).to.be.instanceOf(TokenUnauthorizedError);
  expect((error as TokenUnauthorizedError).code, why).to.equal('ERR_TOKEN_REVOKED');
}

/** Asserts a 503 fail-closed answer. */
function expectUnavailable(reply: Reply): void {
  expect(reply.status, reply.text).to.equal(503);
  expect(reply.headers['content-type']).to.match(/^application\/json/);
  expect(Number(reply.headers['retry-after']), 'Retry-After: 1 to 3 s').to.be.oneOf([1, 2, 3]);
  const body = reply.json as Record<string, unknown>;
  expect(body.name).to.equal('TokenUnavailableError');
  expect(body.code).to.equal('ERR_REVOCATION_UNAVAILABLE');
}

/** The routes of one app instance: the README's refresh route, logout, a refresh-only and an auth route. */
function sessionRoutes(manager: AuthManager, actions: string[]): new () => object {
  @JsonController()
  class SessionRoutes {
    @Post('/auth/refresh')
    @RequireToken('refresh')
    async refresh() {
      actions.push('refresh');
      const { authToken, refreshToken } = await manager.rotate(currentToken);
      return { authToken: authToken.signed, refreshToken: refreshToken.signed };
    }

    @Post('/auth/logout')
    @RequireToken('refresh')
    async logout() {
      actions.push('logout');
      await manager.revoke(currentToken);
      return { ok: true };
    }

    @Get('/auth/session')
    @RequireToken('refresh')
    session() {
      actions.push('session');
      return { fam: currentToken.claims.fam };
    }

    @Get('/me')
    @RequireToken()
    me() {
      actions.push('me');
      return { sub: currentToken.sub };
    }
  }
  return SessionRoutes;
}

/** One app instance: an Express app with its own AuthManager configured from `config`. */
async function instance(config: Record<string, unknown>): Promise<{ manager: AuthManager; server: RunningServer; actions: string[] }> {
  const app = express();
  app.set('env', 'test');
  for (const [name, value] of Object.entries(config)) app.set(name, value);
  const manager = new AuthManager(app);
  const actions: string[] = [];
  useExpressServer(app, { controllers: [sessionRoutes(manager, actions)] });
  return { manager, server: await listen(app), actions };
}

describe('RedisRevocationStore (real redis-server)', function () {
  this.timeout(30_000);
  const redis = useRedis('store');
  let client: Redis;
  let store: RedisRevocationStore;

  before(async () => {
    client = redis.client();
    await ready(client);
    store = new RedisRevocationStore(client, { prefix: redis.prefix });
  });

  const ttl = (key: string): Promise<number> => client.ttl(redis.prefix + key);

  describe('the store', () => {
    it('revoke marks a key revoked; isRevoked is true when any of the keys is revoked, false otherwise', async () => {
      const key = unique('a');
      expect(await store.isRevoked([key])).to.equal(false);
      await store.revoke(key, now() + 60);
      expect(await store.isRevoked([key])).to.equal(true);
      expect(await store.isRevoked([unique('x'), key])).to.equal(true);
      expect(await store.isRevoked([unique('x'), unique('y')])).to.equal(false);
      expect(await store.isRevoked([])).to.equal(false);
    });

    it('keeps its entries under the prefix: another prefix sees none of them; the default prefix is rcjwt:revoked:', async () => {
      const key = unique('p');
      await store.revoke(key, now() + 60);
      expect(await client.exists(`${redis.prefix}${key}`)).to.equal(1);
      expect(await client.exists(key), 'never unprefixed').to.equal(0);
      const otherApp = new RedisRevocationStore(client, { prefix: `${redis.prefix}other:` });
      expect(await otherApp.isRevoked([key])).to.equal(false);
      expect(await otherApp.use(key, now() + 60), 'another prefix is another namespace').to.equal(true);
      const plain = new RedisRevocationStore(client);
      const own = unique('default-prefix');
      try {
        await plain.revoke(own, now() + 60);
        expect(await client.exists(`rcjwt:revoked:${own}`)).to.equal(1);
      } finally {
        await client.del(`rcjwt:revoked:${own}`);
      }
    });

    it('entries expire with the token: the TTL ends at expiresAt (rounded up to a whole second)', async () => {
      const revoked = unique('ttl-revoke');
      const used = unique('ttl-use');
      const at = now() + 100.4;
      await store.revoke(revoked, at);
      expect(await store.use(used, now() + 50)).to.equal(true);
      const expected = Math.ceil(at) - now();
      expect(await ttl(revoked)).to.be.within(Math.floor(expected) - 1, Math.ceil(expected));
      expect(await ttl(used)).to.be.within(48, 51);
      // EXPIRETIME needs Redis 7; an older server on REDIS_PORT is checked by TTL alone.
      const exact = await client.expiretime(redis.prefix + revoked).catch(() => null);
      if (exact !== null) expect(exact, 'EXAT is ceil(expiresAt)').to.equal(Math.ceil(at));
    });

    it('entries are gone once their expiry has passed', async () => {
      const key = unique('short');
      await store.revoke(key, now() + 1);
      expect(await store.isRevoked([key])).to.equal(true);
      await sleep(2100);
      expect(await store.isRevoked([key])).to.equal(false);
      expect(await client.exists(redis.prefix + key)).to.equal(0);
    });

    it('an expiry already in the past writes nothing: not revoked, and use answers false', async () => {
      const key = unique('past');
      await store.revoke(key, now() - 1);
      expect(await client.exists(redis.prefix + key)).to.equal(0);
      expect(await store.isRevoked([key])).to.equal(false);
      expect(await store.use(key, now() - 1)).to.equal(false);
      expect(await client.exists(redis.prefix + key)).to.equal(0);
    });

    it('use: true the first time, false afterwards; a used key counts as revoked; false for a revoked key', async () => {
      const key = unique('use');
      expect(await store.use(key, now() + 60)).to.equal(true);
      expect(await store.use(key, now() + 60)).to.equal(false);
      expect(await store.isRevoked([key])).to.equal(true);
      const revoked = unique('use-revoked');
      await store.revoke(revoked, now() + 60);
      expect(await store.use(revoked, now() + 60)).to.equal(false);
    });

    it('revoke after use extends the entry, never shortens a longer one written by revoke', async () => {
      const key = unique('extend');
      await store.use(key, now() + 30);
      await store.revoke(key, now() + 300);
      expect(await ttl(key), 'EXAT rounds up, TTL rounds to the nearest second').to.be.within(298, 301);
    });

    it('security: use is single-winner: of 20 concurrent uses over two clients exactly one wins', async () => {
      const second = new RedisRevocationStore(redis.client(), { prefix: redis.prefix });
      const key = unique('race');
      const wins = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? store : second).use(key, now() + 60)));
      expect(wins.filter(Boolean), JSON.stringify(wins)).to.have.length(1);
    });
  });

  describe('AuthManager with the Redis store', () => {
    const AUTH_MAX_AGE = 300;
    const REFRESH_MAX_AGE = 3600;
    let manager: AuthManager;
    let prefix: string;

    // Each test gets its own sub-prefix, so that the keys it wrote can be listed with their TTLs.
    beforeEach(() => {
      prefix = `${redis.prefix}${unique('m')}:`;
      manager = new AuthManager(settings('https://redis-manager.example', hmacSecret(64), {
        JWT_REVOCATIONSTORE: new RedisRevocationStore(client, { prefix }),
        JWT_AUTHJTI: true,
        JWT_AUTHMAXAGE: AUTH_MAX_AGE,
        JWT_REFRESHMAXAGE: REFRESH_MAX_AGE,
      }));
    });

    /** The keys under this test's prefix (without it) and their TTLs in seconds. */
    const entries = async (): Promise<Array<{ key: string; ttl: number }>> => {
      const keys = (await client.keys(`${prefix}*`)).sort();
      return Promise.all(keys.map(async (key) => ({ key: key.slice(prefix.length), ttl: await client.ttl(key) })));
    };
    /** Seconds from now until `token` expires. */
    const left = (token: JWT): number => (token.exp as number) - now();

    it('rotate chain: each refresh token works once; its retirement is one entry that expires with the token', async () => {
      const login = manager.refreshToken('alice');
      const one = await manager.rotate(login);
      const retired = await entries();
      expect(retired, 'one entry per rotation').to.have.length(1);
      expect(retired[0].key, 'keyed by the rid').to.include(String(login.claims.rid));
      expect(retired[0].ttl).to.be.within(left(login) - 2, left(login) + 1);
      const two = await manager.rotate(one.refreshToken);
      expect(await entries()).to.have.length(2);
      expect(manager.verifyToken(two.refreshToken)).to.equal(true);
      expect(await manager.isRevoked(two.refreshToken)).to.equal(false);
      await expectRevokedRotation(manager, one.refreshToken, 'a retired token again');
    });

    it('security: reuse revokes the family for refreshMaxAge; the latest token is refused; other families are not', async () => {
      const login = manager.refreshToken('alice');
      const other = manager.refreshToken('alice');
      const one = await manager.rotate(login);
      await expectRevokedRotation(manager, login, 'reuse');
      const family = (await entries()).filter((entry) => entry.key.includes(`fam:{${String(login.claims.fam)}}`));
      expect(family, 'one family entry').to.have.length(1);
      expect(family[0].ttl).to.be.within(REFRESH_MAX_AGE - 2, REFRESH_MAX_AGE + 2);
      await expectRevokedRotation(manager, one.refreshToken, 'the latest token of the family');
      expect(await manager.isRevoked(one.refreshToken)).to.equal(true);
      expect((await manager.rotate(other)).refreshToken.claims.fam).to.equal(other.claims.fam);
    });

    it('security: of concurrent rotations of one refresh token exactly one wins', async () => {
      const login = manager.refreshToken('alice');
      const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => manager.rotate(login)));
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).to.have.length(1);
    });

    it('logout: revoke(refresh) writes one family entry for refreshMaxAge; the session\'s jti auth token is revoked too', async () => {
      const session = manager.sessionTokens('bob');
      await manager.revoke(session.refreshToken);
      const written = await entries();
      expect(written).to.have.length(1);
      expect(written[0].key).to.include(String(session.refreshToken.claims.fam));
      expect(written[0].ttl).to.be.within(REFRESH_MAX_AGE - 1, REFRESH_MAX_AGE + 2);
      await expectRevokedRotation(manager, session.refreshToken, 'after logout');
      expect(await manager.isRevoked(session.authToken), 'the session auth token (jti + fam)').to.equal(true);
    });

    it('within JWT_LEEWAY after exp, a refresh token still rotates (once) with the Redis store', async () => {
      const lenient = new AuthManager(settings('https://redis-leeway.example', hmacSecret(64), {
        JWT_REVOCATIONSTORE: new RedisRevocationStore(client, { prefix }),
        JWT_LEEWAY: 30,
        JWT_REFRESHMAXAGE: 1,
      }));
      const login = lenient.refreshToken('alice');
      await sleep(2100);
      expect(lenient.verifyToken(login), 'valid within the leeway').to.equal(true);
      const rotated = await lenient.rotate(login);
      expect(lenient.verifyToken(rotated.refreshToken)).to.equal(true);
      await expectRevokedRotation(lenient, login, 'the same token again');
    });

    it('revoke(auth) writes one jti entry that expires with the auth token; other auth tokens stay valid', async () => {
      const auth = manager.authToken('bob');
      await manager.revoke(auth);
      const written = await entries();
      expect(written).to.have.length(1);
      expect(written[0].key).to.include(String(auth.claims.jti));
      expect(written[0].ttl).to.be.within(left(auth) - 2, left(auth) + 1);
      expect(await manager.isRevoked(auth)).to.equal(true);
      expect(await manager.isRevoked(manager.authToken('bob'))).to.equal(false);
    });
  });

  describe('two app instances sharing one Redis (separate clients)', () => {
    const issuer = 'https://two-instances.example';
    const secret = hmacSecret(64);
    let a: Awaited<ReturnType<typeof instance>>;
    let b: Awaited<ReturnType<typeof instance>>;

    before(async () => {
      const prefix = `${redis.prefix}shared:`;
      const storeFor = (): RedisRevocationStore => new RedisRevocationStore(redis.client(), { prefix });
      a = await instance(settings(issuer, secret, { JWT_REVOCATIONSTORE: storeFor(), JWT_AUTHJTI: true }));
      b = await instance(settings(issuer, secret, { JWT_REVOCATIONSTORE: storeFor(), JWT_AUTHJTI: true }));
      expect(a.manager.revocationStore).not.to.equal(b.manager.revocationStore);
    });

    after(async () => {
      await a?.server.close();
      await b?.server.close();
    });

    beforeEach(() => {
      a.actions.length = 0;
      b.actions.length = 0;
    });

    const post = (on: RunningServer, path: string, token: string) => send(`${on.url}${path}`, { method: 'POST', headers: bearer(token) });
    const get = (on: RunningServer, path: string, token: string) => send(`${on.url}${path}`, { headers: bearer(token) });

    it('a rotation on A is seen by B: B accepts the successor and refuses the retired token (401 ERR_TOKEN_REVOKED)', async () => {
      const login = signed(a.manager.refreshToken('alice'));
      const rotated = await post(a.server, '/auth/refresh', login);
      expect(rotated.status, rotated.text).to.equal(200);
      const next = (rotated.json as { refreshToken: string }).refreshToken;
      expect((await get(b.server, '/auth/session', next)).status, 'the successor works on B').to.equal(200);
      const onB = await post(b.server, '/auth/refresh', next);
      expect(onB.status, onB.text).to.equal(200);
      expectRejection(await post(a.server, '/auth/refresh', next), { status: 401, code: 'ERR_TOKEN_REVOKED', issuer, bearerError: 'invalid_token' });
      expect(a.actions).to.deep.equal(['refresh']);
      expect(b.actions).to.deep.equal(['session', 'refresh']);
    });

    it('security: reuse detected on B (rotate) revokes the family on A too', async () => {
      const login = a.manager.refreshToken('alice');
      const one = await a.manager.rotate(login);
      await expectRevokedRotation(b.manager, login, 'reuse on B');
      expectRejection(await get(a.server, '/auth/session', signed(one.refreshToken)), { status: 401, code: 'ERR_TOKEN_REVOKED', issuer, bearerError: 'invalid_token' });
      await expectRevokedRotation(a.manager, one.refreshToken, 'the latest token, on A');
      expect(a.actions).to.deep.equal([]);
    });

    it('security: a token rotated on A and replayed to B\'s refresh route ends the family on A', async () => {
      const login = signed(a.manager.refreshToken('alice'));
      const rotated = await post(a.server, '/auth/refresh', login);
      expect(rotated.status, rotated.text).to.equal(200);
      const next = (rotated.json as { refreshToken: string }).refreshToken;
      expectRejection(await post(b.server, '/auth/refresh', login), { status: 401, code: 'ERR_TOKEN_REVOKED', issuer, bearerError: 'invalid_token' });
      expectRejection(await post(a.server, '/auth/refresh', next), { status: 401, code: 'ERR_TOKEN_REVOKED', issuer, bearerError: 'invalid_token' });
      expect(b.actions).to.deep.equal([]);
    });

    it('logout on B ends the session on A (refresh and jti auth tokens); other sessions stay', async () => {
      const session = a.manager.sessionTokens('bob');
      const other = a.manager.sessionTokens('bob');
      expect((await get(a.server, '/me', signed(session.authToken))).status).to.equal(200);
      const out = await post(b.server, '/auth/logout', signed(session.refreshToken));
      expect(out.status, out.text).to.equal(200);
      expectRejection(await get(a.server, '/auth/session', signed(session.refreshToken)), { status: 401, code: 'ERR_TOKEN_REVOKED', issuer, bearerError: 'invalid_token' });
      expectRejection(await get(a.server, '/me', signed(session.authToken)), { status: 401, code: 'ERR_TOKEN_REVOKED', issuer, bearerError: 'invalid_token' });
      expect((await get(a.server, '/me', signed(other.authToken))).status).to.equal(200);
      expect((await get(a.server, '/auth/session', signed(other.refreshToken))).status).to.equal(200);
    });

    it('an auth token revoked by A is refused by B; another auth token of the user passes on B', async () => {
      const revoked = a.manager.authToken('carol');
      const kept = b.manager.authToken('carol');
      expect((await get(b.server, '/me', signed(revoked))).status).to.equal(200);
      await a.manager.revoke(revoked);
      expectRejection(await get(b.server, '/me', signed(revoked)), { status: 401, code: 'ERR_TOKEN_REVOKED', issuer, bearerError: 'invalid_token' });
      expect((await get(b.server, '/me', signed(kept))).status).to.equal(200);
    });
  });
});

describe('RedisRevocationStore: a real outage (redis-server killed and started again)', function () {
  this.timeout(40_000);
  let redis: RedisServerProcess | undefined;
  const clients: Redis[] = [];
  const processEvents: string[] = [];
  const onRejection = (reason: unknown): void => {
    processEvents.push(`unhandledRejection: ${String(reason)}`);
  };
  const issuer = 'https://redis-outage.example';
  const secret = hmacSecret(64);
  const prefix = uniquePrefix('outage');
  /** Fails at once while disconnected (no offline queue, no retries). */
  let failFast: Awaited<ReturnType<typeof instance>>;
  /** ioredis defaults: commands wait in the offline queue, so the store is slow rather than failing. */
  let queued: Awaited<ReturnType<typeof instance>>;
  let fastClient: Redis;
  let queuedClient: Redis;

  const connect = (options: RedisOptions): Redis => {
    const client = new Redis({ host: REDIS_HOST, port: (redis as RedisServerProcess).port, retryStrategy: () => 50, ...options });
    client.on('error', () => undefined);
    clients.push(client);
    return client;
  };

  before(async function () {
    // The outage needs a server this suite may kill: always its own process.
    if (!redisServerInstalled()) missingRedis(this);
    process.on('unhandledRejection', onRejection);
    redis = await RedisServerProcess.start();
    fastClient = connect({ enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    queuedClient = connect({});
    await ready(fastClient);
    await ready(queuedClient);
    failFast = await instance(settings(issuer, secret, { JWT_REVOCATIONSTORE: new RedisRevocationStore(fastClient, { prefix }) }));
    queued = await instance(settings(issuer, secret, {
      JWT_REVOCATIONSTORE: new RedisRevocationStore(queuedClient, { prefix }),
      JWT_REVOCATIONTIMEOUT: 0.2,
    }));
  });

  afterEach(async () => {
    await redis?.start();
    await Promise.all(clients.map((client) => ready(client)));
    expect(processEvents, 'unhandledRejection seen').to.deep.equal([]);
  });

  after(async () => {
    process.off('unhandledRejection', onRejection);
    await failFast?.server.close();
    await queued?.server.close();
    for (const client of clients) client.disconnect();
    await redis?.stop();
  });

  const waitDown = async (client: Redis): Promise<void> => {
    const deadline = Date.now() + 5000;
    while (client.status === 'ready' && Date.now() < deadline) await sleep(10);
    expect(client.status).not.to.equal('ready');
  };
  const refresh = (on: RunningServer, token: SignedJWT) => send(`${on.url}/auth/session`, { headers: bearer(signed(token)) });
  const timed = async (request: () => Promise<Reply>): Promise<{ reply: Reply; ms: number }> => {
    const started = performance.now();
    const reply = await request();
    return { reply, ms: performance.now() - started };
  };

  it('security: Redis down (fail-fast client) → 503 at once, the action never runs, rotate throws 503; then recovery', async () => {
    const token = failFast.manager.refreshToken('alice');
    expect((await refresh(failFast.server, token)).status).to.equal(200);
    failFast.actions.length = 0;
    await redis?.stop();
    await waitDown(fastClient);
    const { reply, ms } = await timed(() => refresh(failFast.server, token));
    expectUnavailable(reply);
    expect(ms, 'well within the default JWT_REVOCATIONTIMEOUT (1 s)').to.be.below(1000);
    expect(failFast.actions).to.deep.equal([]);
    const error = await rejectionOf(failFast.manager.rotate(token));
    expect(error).to.be.instanceOf(TokenUnavailableError);
    expect((error as TokenUnavailableError).code).to.equal('ERR_REVOCATION_UNAVAILABLE');
    await redis?.start();
    await ready(fastClient);
    const back = await refresh(failFast.server, token);
    expect(back.status, back.text).to.equal(200);
    expect((await failFast.manager.rotate(token)).refreshToken.claims.fam).to.equal(token.claims.fam);
    expect(failFast.actions).to.deep.equal(['session']);
  });

  it('security: Redis down (ioredis offline queue: a slow store) → 503 within about JWT_REVOCATIONTIMEOUT (0.2 s); then recovery', async () => {
    const token = queued.manager.refreshToken('bob');
    await redis?.stop();
    await waitDown(queuedClient);
    const { reply, ms } = await timed(() => refresh(queued.server, token));
    expectUnavailable(reply);
    expect(ms).to.be.within(150, 900);
    const auth = await timed(() => send(`${queued.server.url}/auth/logout`, { method: 'POST', headers: bearer(signed(token)) }));
    expectUnavailable(auth.reply);
    expect(queued.actions, 'neither action ran').to.deep.equal([]);
    await redis?.start();
    await ready(queuedClient);
    const back = await refresh(queued.server, token);
    expect(back.status, back.text).to.equal(200);
    expect(queued.actions).to.deep.equal(['session']);
  });
});
