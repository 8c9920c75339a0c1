/**
 * RedisRevocationStore with node-redis as well as ioredis, and its start-up self-check (issue 15): node-redis plugged
 * in as if it were ioredis lost EXAT (entries never expired), NX (a refresh token rotated twice) and all but the first
 * key of EXISTS (logout left auth tokens valid), silently. The store now sends raw commands through either client,
 * checks every reply, and checks once that NX and EXAT are honoured, failing with a message that says which is not.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { createClient } from 'redis';
import { RedisRevocationStore, STORE_CHANNEL, type StoreFailure } from 'routing-controllers-jwt';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { hmacSecret } from '../support/keys';
import { ready, REDIS_HOST, useRedis } from '../support/redis';
import { sessionApp } from '../support/session-app';

type NodeRedis = ReturnType<typeof createClient>;

const config = (store: RedisRevocationStore): Record<string, unknown> => ({
  JWT_ISSUER: 'https://clients.example', JWT_AUTHTYPE: 'HS256', JWT_SECRET: hmacSecret(64), JWT_AUTHJTI: true, JWT_REFRESHGRACE: 0, JWT_REVOCATIONSTORE: store,
});

/** What `promise` rejected with. */
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('RedisRevocationStore clients: node-redis and ioredis, replies checked, a self-check (real redis-server)', function () {
  this.timeout(30_000);
  const redis = useRedis('clients');
  let nodeRedis: NodeRedis;

  before(async () => {
    nodeRedis = createClient({ url: `redis://${REDIS_HOST}:${redis.port}` });
    nodeRedis.on('error', () => undefined);
    await nodeRedis.connect();
  });

  after(async () => {
    await nodeRedis?.close();
  });

  it('a node-redis client: entries expire (TTL set), of concurrent rotations one wins, logout ends the session\'s auth tokens', async () => {
    const prefix = `${redis.prefix}node-redis:`;
    const store = new RedisRevocationStore(nodeRedis, { prefix });
    await store.selfCheck();
    const app = await sessionApp(config(store));
    try {
      const session = app.manager.sessionTokens('alice');
      const replies = await Promise.all(Array.from({ length: 5 }, () => app.refresh(session.refreshToken.signed)));
      const statuses = replies.map((reply) => reply.status).sort();
      expect(statuses[0], 'one rotation wins').to.equal(200);
      // The others are reuse (401), or 503 while the winner's retirement is still pending: tried again, reuse.
      expect(statuses.slice(1), 'one rotation wins').to.satisfy((rest: number[]) => rest.every((status) => status === 401 || status === 503));
      for (const reply of replies.filter((one) => one.status === 503)) {
        expect(Number(reply.headers['retry-after'])).to.be.within(1, 3);
        expect((await app.refresh(session.refreshToken.signed)).status, 'tried again: reuse').to.equal(401);
      }
      expect((await app.refresh((replies.find((reply) => reply.status === 200)?.json as { refreshToken: string }).refreshToken)).status,
        'the winner\'s family is revoked').to.equal(401);
      const other = app.manager.sessionTokens('bob');
      expect((await app.me(other.authToken.signed)).status).to.equal(200);
      expect((await app.logout(other.refreshToken.signed)).status).to.equal(200);
      expect((await app.me(other.authToken.signed)).status, 'EXISTS counts the family key, not only the jti').to.equal(401);
      const keys = await nodeRedis.keys(`${prefix}*`);
      expect(keys.length).to.be.greaterThan(0);
      for (const key of keys) expect(await nodeRedis.ttl(key), key).to.be.greaterThan(0);
    } finally {
      await app.server.close();
    }
  });

  it('security: an ioredis client passes the self-check; a session auth token is revoked and checked by the same key, under its family\'s hash tag', async () => {
    const client = redis.client();
    await ready(client);
    const store = new RedisRevocationStore(client, { prefix: `${redis.prefix}io:` });
    await store.selfCheck();
    const app = await sessionApp(config(store));
    try {
      const session = app.manager.sessionTokens('carol');
      await app.manager.rotate(session.refreshToken);
      await app.manager.revoke(session.authToken);
      expect((await app.me(session.authToken.signed)).status, 'revoked by its jti: the key it is checked by').to.equal(401);
      const keys = await client.keys(`${redis.prefix}io:*`);
      const fam = session.refreshToken.claims.fam as string;
      expect(keys.sort()).to.deep.equal([
        `${redis.prefix}io:jti:{${fam}}:${session.authToken.claims.jti as string}`,
        `${redis.prefix}io:used:{${fam}}:${session.refreshToken.claims.rid as string}`,
      ].sort());
    } finally {
      await app.server.close();
    }
  });

  it('security: the self-check refuses a client that drops NX, and one that drops EXAT, saying which', async () => {
    // node-redis's typed set() called the ioredis way: the extra arguments are ignored (what issue 15 measured).
    const dropsBoth = { call: (command: string, ...args: Array<string | number>) => command === 'SET'
      ? nodeRedis.set(String(args[0]), String(args[1]))
      : nodeRedis.sendCommand([command, ...args.map(String)]) };
    const noNx = await rejectionOf(new RedisRevocationStore(dropsBoth, { prefix: redis.prefix }).selfCheck());
    expect(noNx.message).to.match(/self-check failed: SET \.\.\. NX replaced an existing key \(NX is not honoured\)/);

    const dropsExpiry = { call: (command: string, ...args: Array<string | number>) => command === 'SET'
      ? nodeRedis.set(String(args[0]), String(args[1]), { condition: 'NX' })
      : nodeRedis.sendCommand([command, ...args.map(String)]) };
    const noExat = await rejectionOf(new RedisRevocationStore(dropsExpiry, { prefix: redis.prefix }).selfCheck());
    expect(noExat.message).to.match(/EXAT is not honoured/);
    expect(await nodeRedis.keys(`${redis.prefix}{self-check:*`), 'the probe keys are deleted').to.deep.equal([]);
  });

  it('security: a manager whose store fails the self-check answers 503 and never rotates; the failure is reported on the option and the channel, without tokens', async () => {
    const dropsNx = { call: (command: string, ...args: Array<string | number>) => command === 'SET'
      ? nodeRedis.set(String(args[0]), String(args[1]))
      : nodeRedis.sendCommand([command, ...args.map(String)]) };
    const reported: StoreFailure[] = [];
    const published: unknown[] = [];
    const listener = (message: unknown): void => void published.push(message);
    subscribe(STORE_CHANNEL, listener);
    const store = new RedisRevocationStore(dropsNx, { prefix: `${redis.prefix}broken:`, onError: (failure) => reported.push(failure) });
    const app = await sessionApp(config(store));
    try {
      const session = app.manager.sessionTokens('dave');
      const reply = await app.refresh(session.refreshToken.signed);
      expect(reply.status, reply.text).to.equal(503);
      expect(reply.text).not.to.include(session.refreshToken.signed);
      expect((await app.me(session.authToken.signed)).status, 'fail closed').to.equal(503);
      expect(reported.length).to.be.greaterThan(0);
      expect(reported[0]).to.include({ operation: 'selfCheck' });
      expect(published).to.deep.include(reported[0]);
      const seen = JSON.stringify([reported, published]);
      expect(seen).not.to.include(session.refreshToken.signed);
      expect(seen).not.to.include(session.refreshToken.claims.fam as string);
    } finally {
      unsubscribe(STORE_CHANNEL, listener);
      await app.server.close();
    }
  });

  it('security: the retire script: pending until confirmed; a pending one is not reuse; one never confirmed in time is free again and its confirm is refused', async () => {
    const store = new RedisRevocationStore(nodeRedis, { prefix: `${redis.prefix}script:` });
    const at = Date.now() / 1000 + 60;
    const request = (mode: 'retire' | 'check', attempt: string) => ({
      mode, familyKey: 'fam:{f1}', retiredKey: 'used:{f1}:r1', attempt, retiredUntil: at, familyUntil: at, pendingMs: 300,
    });
    expect(await store.retire(request('check', 'c0')), 'never retired').to.equal('unused');
    expect(await store.retire(request('retire', 'a1'))).to.equal('rotated');
    expect(await store.retire(request('retire', 'a2')), 'a1 still pending: try again, not reuse').to.equal('pending');
    expect(await store.retire(request('check', 'c1'))).to.equal('pending');
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(await store.retire(request('check', 'c2')), 'a1 never confirmed: it delivered nothing').to.equal('unused');
    expect(await store.retire(request('retire', 'a3')), 'free again').to.equal('rotated');
    expect(await store.confirm('used:{f1}:r1', 'a1'), 'a1 is no longer the retirement: its tokens are never answered').to.equal(false);
    expect(await store.confirm('used:{f1}:r1', 'a3')).to.equal(true);
    await store.release('used:{f1}:r1', 'a1');
    expect(await store.retire(request('check', 'c3')), 'another attempt\'s release undoes nothing; confirmed: reuse').to.equal('reused');
    expect(await store.isRevoked(['fam:{f1}'])).to.equal(true);
    await store.release('fam:{f1}', 'c3');
    expect(await store.isRevoked(['fam:{f1}']), 'the check\'s own revocation is undone by its attempt').to.equal(false);
  });

  it('refuses a prefix with a brace and an object that is no Redis client, saying why', () => {
    expect(() => new RedisRevocationStore(nodeRedis, { prefix: 'app:{x}:' })).to.throw(TypeError, /must not contain "\{" or "\}"/);
    expect(() => new RedisRevocationStore({} as never)).to.throw(TypeError, /ioredis client .* or a node-redis client/);
  });
});
