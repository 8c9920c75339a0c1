/**
 * The refresh grace window (issue 14): a just-rotated refresh token presented again within JWT_REFRESHGRACE (two tabs,
 * or two requests that both met a 401) is answered the same successor refresh token (same rid, so one live chain),
 * instead of revoking the family; after the window it is reuse as before. In memory and in a real Redis, on the
 * manager and over HTTP through the README's refresh route (the guard's check and the rotation both).
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { AuthManager, InvalidConfigError, JWT, RedisRevocationStore, TokenUnauthorizedError, type RotatedTokens } from 'routing-controllers-jwt';
import { hmacSecret } from '../support/keys';
import { ready, useRedis } from '../support/redis';
import { sessionApp, type SessionApp } from '../support/session-app';
import type { Reply } from '../support/server';

const ISSUER = 'https://refresh-grace.example';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const ridOf = (token: string): unknown => JWT.fromSignedToken(token).claims.rid;
const settings = (extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'HS256', JWT_SECRET: hmacSecret(64), ...extra });

async function rotateError(manager: AuthManager, token: string): Promise<unknown> {
  return manager.rotate(token).then(() => undefined, (error: unknown) => error);
}

function tokensOf(reply: Reply): { authToken: string; refreshToken: string } {
  expect(reply.status, reply.text).to.equal(200);
  return JSON.parse(reply.text) as { authToken: string; refreshToken: string };
}

/** The specs every store runs: `config` adds the store (or nothing for memory). */
function graceSpecs(config: () => Record<string, unknown>): void {
  it('security: concurrent rotations of one refresh token within the window all answer the same refresh token (one live chain)', async () => {
    const manager = new AuthManager(settings(config()));
    const login = manager.refreshToken('alice').signed;
    const answers: RotatedTokens[] = await Promise.all(Array.from({ length: 8 }, () => manager.rotate(login)));
    const refreshTokens = new Set(answers.map((answer) => answer.refreshToken.signed));
    expect(refreshTokens.size, 'byte-identical refresh tokens (HS256 signs the same claims the same way)').to.equal(1);
    expect(new Set(answers.map((answer) => answer.authToken.signed)).size, 'auth tokens are never identical').to.equal(8);
    const [successor] = refreshTokens;
    expect(ridOf(successor)).not.to.equal(ridOf(login));
    // The successor is the one live refresh token: it rotates, and the chain goes on.
    const next = await manager.rotate(successor);
    expect(await manager.isRevoked(next.refreshToken)).to.equal(false);
    expect(await manager.verifyToken(next.authToken)).to.equal(true);
  });

  it('a replay within the window gets the same successor with fresh auth tokens; the family stays live', async () => {
    const manager = new AuthManager(settings(config()));
    const login = manager.refreshToken('bob').signed;
    const first = await manager.rotate(login);
    await sleep(50);
    const second = await manager.rotate(login);
    expect(second.refreshToken.signed).to.equal(first.refreshToken.signed);
    expect(second.authToken.signed).not.to.equal(first.authToken.signed);
    expect(second.authToken.claims.fam).to.equal(first.authToken.claims.fam);
    expect(await manager.isRevoked(first.refreshToken)).to.equal(false);
  });

  it('security: after the window a replay is reuse: 401 and the whole family is revoked, its successor included', async () => {
    const manager = new AuthManager(settings({ ...config(), JWT_REFRESHGRACE: 0.3 }));
    const login = manager.refreshToken('carol').signed;
    const { refreshToken } = await manager.rotate(login);
    await sleep(400);
    expect(await rotateError(manager, login)).to.be.instanceOf(TokenUnauthorizedError).and.have.property('code', 'ERR_TOKEN_REVOKED');
    expect(await rotateError(manager, refreshToken.signed)).to.be.instanceOf(TokenUnauthorizedError);
  });

  it('security: with JWT_REFRESHGRACE 0 of concurrent rotations exactly one wins and the family ends', async () => {
    const manager = new AuthManager(settings({ ...config(), JWT_REFRESHGRACE: 0 }));
    const login = manager.refreshToken('dave').signed;
    const outcomes = await Promise.allSettled([manager.rotate(login), manager.rotate(login)]);
    expect(outcomes.map((outcome) => outcome.status).sort()).to.deep.equal(['fulfilled', 'rejected']);
  });

  describe('over HTTP: the refresh route (@RequireToken("refresh") + rotate)', () => {
    let app: SessionApp;
    before(async () => {
      app = await sessionApp(settings(config()));
    });
    after(async () => app.server.close());

    it('two requests at once with one refresh token: both 200 with the same refresh token, which then rotates', async () => {
      const login = app.manager.refreshToken('erin').signed;
      const [one, two] = (await Promise.all([app.refresh(login), app.refresh(login)])).map(tokensOf);
      expect(two.refreshToken).to.equal(one.refreshToken);
      expect((await app.me(one.authToken)).status).to.equal(200);
      expect((await app.me(two.authToken)).status).to.equal(200);
      const next = tokensOf(await app.refresh(one.refreshToken));
      expect((await app.me(next.authToken)).status).to.equal(200);
    });

    it('security: a bad signature on a retired token is still 401, never the successor', async () => {
      const login = app.manager.refreshToken('frank').signed;
      tokensOf(await app.refresh(login));
      const tampered = `${login.slice(0, -4)}${login.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
      const reply = await app.refresh(tampered);
      expect(reply.status).to.equal(401);
      expect(reply.text).not.to.include('refreshToken');
    });
  });
}

describe('refresh grace window (JWT_REFRESHGRACE)', () => {
  it('defaults to 10 s and takes 0 to 60 seconds; other values fail at start-up naming JWT_REFRESHGRACE', async () => {
    const manager = new AuthManager(settings());
    const login = manager.refreshToken('grace').signed;
    await manager.rotate(login);
    await manager.rotate(login);
    for (const bad of [-1, 61, 'ten', Number.NaN]) {
      expect(() => new AuthManager(settings({ JWT_REFRESHGRACE: bad })), String(bad)).to.throw(InvalidConfigError, /JWT_REFRESHGRACE/);
    }
    expect(() => new AuthManager(settings({ JWT_REFRESHGRACE: '0' }))).not.to.throw();
  });

  describe('memory store', () => graceSpecs(() => ({})));

  describe('Redis store (real redis-server)', () => {
    const redis = useRedis('grace');
    let client: Redis;
    before(async () => {
      client = redis.client();
      await ready(client);
    });
    graceSpecs(() => ({ JWT_REVOCATIONSTORE: new RedisRevocationStore(client, { prefix: redis.prefix }) }));

    it('security: the retire script: a pending retirement answered within the window is done for good (its attempt cannot undo it, its confirm by successor holds)', async () => {
      const store = new RedisRevocationStore(client, { prefix: `${redis.prefix}script:` });
      const until = Math.floor(Date.now() / 1000) + 60;
      const request = (attempt: string, successor?: string) => ({
        mode: 'retire' as const, familyKey: 'fam:{s}', retiredKey: 'used:{s}:r1', attempt, retiredUntil: until, familyUntil: until,
        pendingMs: 5000, graceMs: 300, successor,
      });
      expect(await store.retire(request('attempt-a', 'next-rid.1700000000'))).to.equal('rotated');
      expect(await store.retire(request('attempt-b')), 'pending, within the window').to.equal('grace:next-rid.1700000000');
      await store.release('used:{s}:r1', 'attempt-a');
      expect(await store.confirm('used:{s}:r1', 'attempt-a', 'next-rid.1700000000'), 'confirmed by its successor').to.equal(true);
      expect(await store.confirm('used:{s}:r1', 'attempt-a', 'other-rid.1700000000'), 'another successor is refused').to.equal(false);
      expect(await store.retire(request('attempt-c')), 'not undone by the first attempt').to.equal('grace:next-rid.1700000000');
      await sleep(350);
      expect(await store.retire(request('attempt-d')), 'after the window').to.equal('reused');
      expect(await store.isRevoked(['fam:{s}'])).to.equal(true);
    });

    it('security: the store keeps the successor by id, never a token or a signature', async () => {
      const prefix = `${redis.prefix}secret-check:`;
      const manager = new AuthManager(settings({ JWT_REVOCATIONSTORE: new RedisRevocationStore(client, { prefix }) }));
      const login = manager.refreshToken('grace').signed;
      const { refreshToken } = await manager.rotate(login);
      const keys = await client.keys(`${prefix}*`);
      expect(keys).to.have.length(1);
      const value = String(await client.get(keys[0]));
      expect(value).to.match(/^d:\d+:[\w-]+\.\d+:[\w-]+$/);
      for (const token of [login, refreshToken.signed]) {
        for (const part of token.split('.')) expect(value).not.to.include(part);
      }
    });
  });
});
