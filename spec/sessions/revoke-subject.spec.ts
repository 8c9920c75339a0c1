/**
 * Logout everywhere (issue 15): `manager.revokeSubject(sub)` revokes every refresh-token family and every jti auth
 * token of a subject issued up to now, in memory and across two app instances sharing a real Redis; other subjects
 * and later logins are untouched.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { AuthManager, RedisRevocationStore, type RevocationStore } from 'routing-controllers-jwt';
import { hmacSecret } from '../support/keys';
import { ready, useRedis } from '../support/redis';
import { sessionApp, type SessionApp } from '../support/session-app';

const ISSUER = 'https://revoke-subject.example';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** Tokens carry whole seconds (iat): a login in the second after the revocation is a new one. */
const nextSecond = (): Promise<void> => sleep(1000 - (Date.now() % 1000) + 20);
const settings = (secret: string, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'HS256', JWT_SECRET: secret, JWT_AUTHJTI: true, ...extra });

function login(manager: AuthManager, sub: string): { authToken: string; refreshToken: string } {
  const { authToken, refreshToken } = manager.sessionTokens(sub, 'profile');
  return { authToken: authToken.signed, refreshToken: refreshToken.signed };
}

async function rotateCode(manager: AuthManager, token: string): Promise<unknown> {
  return manager.rotate(token).then(() => 'rotated', (error: { code?: string }) => error.code);
}

describe('logout everywhere: manager.revokeSubject(sub)', () => {
  it('security: every family and jti auth token of the subject is revoked, other subjects are not; a later login works', async () => {
    const manager = new AuthManager(settings(hmacSecret(64)));
    const phone = login(manager, 'alice');
    const laptop = login(manager, 'alice');
    const rotated = await manager.rotate(laptop.refreshToken);
    const bob = login(manager, 'bob');
    await manager.revokeSubject('alice');
    for (const token of [phone.refreshToken, rotated.refreshToken.signed]) expect(await rotateCode(manager, token)).to.equal('ERR_TOKEN_REVOKED');
    for (const token of [phone.authToken, rotated.authToken.signed]) expect(await manager.isRevoked(token)).to.equal(true);
    expect(await manager.isRevoked(bob.authToken)).to.equal(false);
    expect(await rotateCode(manager, bob.refreshToken)).to.equal('rotated');
    await nextSecond();
    const again = login(manager, 'alice');
    expect(await manager.isRevoked(again.authToken)).to.equal(false);
    expect(await rotateCode(manager, again.refreshToken)).to.equal('rotated');
  });

  it('a numeric subject and one with braces are revoked by their own entry', async () => {
    const manager = new AuthManager(settings(hmacSecret(64)));
    const odd = login(manager, '{a}b');
    const other = login(manager, 'a');
    await manager.revokeSubject('{a}b');
    expect(await manager.isRevoked(odd.refreshToken)).to.equal(true);
    expect(await manager.isRevoked(other.refreshToken)).to.equal(false);
    const numeric = manager.refreshToken(42).signed;
    await manager.revokeSubject(42);
    expect(await manager.isRevoked(numeric)).to.equal(true);
  });

  it('a store without revokeBefore: revokeSubject is a TypeError saying what the store needs', async () => {
    const entries = new Set<string>();
    const plain: RevocationStore = {
      revoke: async (key) => void entries.add(key),
      isRevoked: async (keys) => keys.some((key) => entries.has(key)),
      use: async (key) => (entries.has(key) ? false : (entries.add(key), true)),
    };
    const manager = new AuthManager(settings(hmacSecret(64), { JWT_REVOCATIONSTORE: plain }));
    const error = await manager.revokeSubject('alice').then(() => undefined, (err: unknown) => err);
    expect(error).to.be.instanceOf(TypeError).with.property('message').that.matches(/revokeBefore/);
  });

  describe('two app instances sharing a real Redis', () => {
    const redis = useRedis('subject');
    let client: Redis;
    let a: SessionApp;
    let b: SessionApp;
    before(async () => {
      client = redis.client();
      await ready(client);
      const secret = hmacSecret(64);
      a = await sessionApp(settings(secret, { JWT_REVOCATIONSTORE: new RedisRevocationStore(client, { prefix: redis.prefix }) }));
      b = await sessionApp(settings(secret, { JWT_REVOCATIONSTORE: new RedisRevocationStore(redis.client(), { prefix: redis.prefix }) }));
    });
    after(async () => {
      await a?.server.close();
      await b?.server.close();
    });

    it('security: revokeSubject on one instance: the other refuses every refresh and auth token of the subject (401) at once', async () => {
      const sessions = [login(a.manager, 'carol'), login(b.manager, 'carol'), login(a.manager, 'carol')];
      const dave = login(a.manager, 'dave');
      for (const session of sessions) expect((await b.me(session.authToken)).status).to.equal(200);
      await a.manager.revokeSubject('carol');
      for (const session of sessions) {
        const me = await b.me(session.authToken);
        expect(me.status).to.equal(401);
        expect((me.json as { code?: string }).code).to.equal('ERR_TOKEN_REVOKED');
        expect((await b.refresh(session.refreshToken)).status).to.equal(401);
      }
      expect((await b.me(dave.authToken)).status).to.equal(200);
      expect((await b.refresh(dave.refreshToken)).status).to.equal(200);
      const keys = await client.keys(`${redis.prefix}sub:*`);
      expect(keys, 'one entry for the subject').to.have.length(1);
      const ttl = await client.ttl(keys[0]);
      expect(ttl, 'it lasts as long as the tokens it concerns (refresh max age), then goes').to.be.greaterThan(600_000).and.at.most(604_802);
      await nextSecond();
      const fresh = login(b.manager, 'carol');
      expect((await a.me(fresh.authToken)).status).to.equal(200);
      expect((await a.refresh(fresh.refreshToken)).status).to.equal(200);
    });

    it('security: with the local cache on both instances: revokeSubject on one reaches the other\'s cache within 2 s', async () => {
      const secret = hmacSecret(64);
      const cachedStore = (): RedisRevocationStore =>
        new RedisRevocationStore(redis.client(), { prefix: redis.prefix, localCache: { subscriber: redis.client() } });
      const stores = [cachedStore(), cachedStore()];
      for (const started = Date.now(); !stores.every((store) => store.localCacheHealthy);) {
        expect(Date.now() - started, 'both caches subscribed').to.be.below(5000);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const [ca, cb] = [await sessionApp(settings(secret, { JWT_REVOCATIONSTORE: stores[0] })), await sessionApp(settings(secret, { JWT_REVOCATIONSTORE: stores[1] }))];
      try {
        const sessions = [login(ca.manager, 'frank'), login(cb.manager, 'frank')];
        const grace = login(ca.manager, 'grace');
        // Twice: the second answer comes from B's cache (the subject's entry included).
        for (const session of [...sessions, grace]) for (let n = 0; n < 2; n += 1) expect((await cb.me(session.authToken)).status).to.equal(200);
        await ca.manager.revokeSubject('frank');
        for (const session of sessions) {
          for (const started = Date.now(); ;) {
            const status = (await cb.me(session.authToken)).status;
            if (status === 401) break;
            expect(status, 'served from B\'s cache until the message arrives').to.equal(200);
            expect(Date.now() - started, 'the subject\'s revocation reached B').to.be.below(2000);
          }
          expect((await cb.refresh(session.refreshToken)).status).to.equal(401);
        }
        expect((await cb.me(grace.authToken)).status, 'another subject').to.equal(200);
      } finally {
        await ca.server.close();
        await cb.server.close();
      }
    });

    it('security: the subject check fails closed: a subject entry the store cannot read is 503, never 200', async () => {
      const session = login(a.manager, 'erin');
      const keyOf = `${redis.prefix}sub:{${Buffer.from('erin').toString('base64url')}}`;
      await client.set(keyOf, 'not-a-number', 'EX', 60);
      expect((await b.me(session.authToken)).status).to.equal(503);
      await client.del(keyOf);
      expect((await b.me(session.authToken)).status).to.equal(200);
    });
  });
});
