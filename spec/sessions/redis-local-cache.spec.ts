/**
 * The Redis store's local revocation cache (issue 15) against a real redis-server: a cached check needs no round trip,
 * invalidation by pub/sub reaches every instance (3 app instances: revoke on one, the first 401 on the others within
 * 50 ms, median of 20 tries), a lost subscriber connection (CLIENT KILL) makes every check ask Redis (never a stale
 * answer) until it is subscribed again, and a revoked token never passes once refused.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import express from 'express';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { Get, JsonController, useExpressServer } from 'routing-controllers';
import { AuthManager, currentToken, RedisRevocationStore, RequireToken } from 'routing-controllers-jwt';
import { hmacSecret } from '../support/keys';
import { bearer, listen, send, type RunningServer } from '../support/server';
import { ready, useRedis } from '../support/redis';
import { TcpRelay } from '../support/tcp-relay';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const now = (): number => Date.now() / 1000;
const unique = (label: string): string => `${label}-${randomBytes(6).toString('hex')}`;
const median = (values: number[]): number => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] as number;

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(5);
  }
}

/**
 * Asks `url` with `token` until it is refused (401), every answer before that a 200, within `withinMs` of `since`
 * (performance.now()); the milliseconds from `since` to the refusal.
 */
async function untilRefused(url: string, token: string, what: string, since = performance.now(), withinMs = 2000): Promise<number> {
  for (;;) {
    const reply = await send(url, { headers: bearer(token) });
    if (reply.status === 401) return performance.now() - since;
    expect(reply.status, `${what}: ${reply.text}`).to.equal(200);
    expect(performance.now() - since, what).to.be.below(withinMs);
  }
}

interface Instance {
  manager: AuthManager;
  store: RedisRevocationStore;
  server: RunningServer;
  /** The subscriber connection (ioredis's and node-redis's are both event emitters). */
  subscriber?: EventEmitter;
}

type NodeRedis = ReturnType<typeof createClient>;

describe('RedisRevocationStore local cache (real redis-server, pub/sub invalidation)', function () {
  this.timeout(30_000);
  const redis = useRedis('local-cache');
  const issuer = 'https://local-cache.example';
  const secret = hmacSecret(64);
  const instances: Instance[] = [];

  /** A subscriber named so that a test can find and kill its connection; it reconnects after `retryMs`. */
  const subscriberFor = (name: string, retryMs = 20): Redis =>
    redis.client({ connectionName: name, retryStrategy: () => retryMs, maxRetriesPerRequest: 1 });

  const nodeRedisClients: NodeRedis[] = [];
  /** The same with node-redis, connected. */
  async function nodeRedisSubscriberFor(name: string, retryMs = 20): Promise<NodeRedis> {
    const client = createClient({ url: `redis://127.0.0.1:${redis.port}`, name, socket: { reconnectStrategy: () => retryMs } });
    client.on('error', () => undefined);
    nodeRedisClients.push(client);
    await client.connect();
    return client;
  }

  /**
   * A store with the local cache whose client counts the commands it sends (`sent()`), subscribed; no heartbeat falls
   * within a test.
   */
  async function countingStore(name: string): Promise<{ store: RedisRevocationStore; sent: () => number }> {
    const client = redis.client();
    await ready(client);
    let commands = 0;
    const counting = { call: (command: string, ...args: Array<string | number>): Promise<unknown> => { commands += 1; return client.call(command, ...args); } };
    const store = new RedisRevocationStore(counting, { prefix: redis.prefix, localCache: { subscriber: subscriberFor(name), heartbeatMs: 60_000 } });
    await until(() => store.localCacheHealthy, 'subscribed');
    return { store, sent: () => commands };
  }

  /** An app instance with JWT_AUTHJTI on `store` and a guarded GET /me, listening. */
  async function serve(store: RedisRevocationStore): Promise<{ manager: AuthManager; server: RunningServer }> {
    const app = express();
    app.set('env', 'test');
    const settings = { JWT_ISSUER: issuer, JWT_AUTHTYPE: 'HS256', JWT_SECRET: secret, JWT_AUTHJTI: true, JWT_REVOCATIONSTORE: store };
    for (const [key, value] of Object.entries(settings)) app.set(key, value);
    const manager = new AuthManager(app);
    @JsonController()
    class Me {
      @Get('/me')
      @RequireToken()
      me() {
        return { sub: currentToken.sub };
      }
    }
    useExpressServer(app, { controllers: [Me] });
    return { manager, server: await listen(app) };
  }

  async function instance(
    name: string,
    retryMs?: number,
    client: 'ioredis' | 'node-redis' = 'ioredis',
    cache: { subscriber?: Redis; heartbeatMs?: number } = {},
  ): Promise<Instance> {
    const subscriber = cache.subscriber ?? (client === 'ioredis' ? subscriberFor(name, retryMs) : await nodeRedisSubscriberFor(name, retryMs));
    const store = new RedisRevocationStore(redis.client(), { prefix: redis.prefix, localCache: { subscriber, heartbeatMs: cache.heartbeatMs } });
    const created = { ...await serve(store), store, subscriber };
    instances.push(created);
    await until(() => store.localCacheHealthy, `${name} is subscribed`);
    return created;
  }

  after(async () => {
    for (const running of instances.splice(0)) await running.server.close();
    for (const client of nodeRedisClients.splice(0)) client.destroy();
  });

  /** Kills the server side of the connection named `name` (as a network failure or an operator would). */
  async function killConnection(name: string): Promise<void> {
    const admin = redis.client();
    await ready(admin);
    const list = String(await admin.call('CLIENT', 'LIST'));
    const line = list.split('\n').find((entry) => entry.includes(` name=${name} `));
    expect(line, `a connection named ${name}`).to.be.a('string');
    const id = /\bid=(\d+)/.exec(line as string)?.[1] as string;
    expect(await admin.call('CLIENT', 'KILL', 'ID', id)).to.equal(1);
    admin.disconnect();
  }

  it('refuses a store or local cache configuration it cannot keep, at construction, naming the option', () => {
    for (const value of [0, 2.5, -1]) {
      expect(() => new RedisRevocationStore(redis.client(), { prefix: redis.prefix, maxPendingCommands: value }), `maxPendingCommands: ${value}`)
        .to.throw(TypeError, 'maxPendingCommands');
    }
    const subscriber = subscriberFor(unique('options'));
    for (const [option, value] of [['maxEntries', 0], ['maxEntries', 1.5], ['heartbeatMs', 5], ['heartbeatMs', Number.NaN]] as const) {
      expect(() => new RedisRevocationStore(redis.client(), { prefix: redis.prefix, localCache: { subscriber, [option]: value } }), `${option}: ${value}`)
        .to.throw(TypeError, `localCache.${option}`);
    }
  });

  it('a check answered from the cache needs no round trip: the second isRevoked of the same keys sends no command', async () => {
    const { store, sent } = await countingStore(unique('count'));
    const keys = [unique('jti'), unique('fam')];
    expect(store.isRevokedNow(keys), 'unknown keys: only Redis can answer').to.equal(undefined);
    expect(await store.isRevoked(keys)).to.equal(false);
    const before = sent();
    expect(await store.isRevoked(keys)).to.equal(false);
    expect(store.isRevokedNow(keys), 'the sync answer too').to.equal(false);
    expect(sent(), 'no command for a cached answer').to.equal(before);
    await store.revoke(keys[1] as string, now() + 60);
    expect(await store.isRevoked(keys), 'the writer forgets its own key at once').to.equal(true);
    expect(await store.isRevoked([keys[1] as string])).to.equal(true);
    const after = sent();
    expect(await store.isRevoked([keys[1] as string])).to.equal(true);
    expect(store.isRevokedNow(keys), 'a revoked key is remembered too: any revoked key answers').to.equal(true);
    expect(sent(), 'a present key is remembered too').to.equal(after);
  });

  it('a guarded request whose token the cache knows is answered with no command to Redis (and a revoked one is refused without one)', async () => {
    const { store, sent } = await countingStore(unique('guarded'));
    const { manager, server } = await serve(store);
    instances.push({ manager, store, server });
    const token = manager.sessionTokens(unique('user')).authToken;
    expect((await send(`${server.url}/me`, { headers: bearer(token.signed) })).status).to.equal(200);
    const warmed = sent();
    expect(warmed, 'the first check asks Redis').to.be.greaterThan(0);
    for (let n = 0; n < 5; n += 1) expect((await send(`${server.url}/me`, { headers: bearer(token.signed) })).status).to.equal(200);
    expect(sent(), 'no command for requests the cache answers').to.equal(warmed);
    // Revoked through another store (another instance): the message drops the entry, Redis is asked once, then remembered.
    const other = new RedisRevocationStore(redis.client(), { prefix: redis.prefix });
    const revoker = new AuthManager({ JWT_ISSUER: issuer, JWT_AUTHTYPE: 'HS256', JWT_SECRET: secret, JWT_AUTHJTI: true, JWT_REVOCATIONSTORE: other });
    await revoker.revoke(token);
    await untilRefused(`${server.url}/me`, token.signed, 'refused within 2 s of revoke()');
    // The first refusal learns its keys one by one after answering (a revoked jti in a live family): let that land.
    await sleep(50);
    const refused = sent();
    for (let n = 0; n < 5; n += 1) expect((await send(`${server.url}/me`, { headers: bearer(token.signed) })).status, 'refused for good').to.equal(401);
    expect(sent(), 'a revoked token known here is refused with no command').to.equal(refused);
  });

  it('security: revoke on A, the first 401 on B and C within 50 ms (median of 20 tries, 3 instances); refused once, never passes again', async () => {
    const [a, b, c] = [await instance(unique('a')), await instance(unique('b')), await instance(unique('c'))] as Instance[];
    const firsts: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      const token = a.manager.sessionTokens(unique('user')).authToken;
      for (const running of [a, b, c]) expect((await send(`${running.server.url}/me`, { headers: bearer(token.signed) })).status).to.equal(200);
      // Warmed: B and C answer from their caches now.
      const started = performance.now();
      const revoked = a.manager.revoke(token);
      const firstRefusal = (running: Instance): Promise<number> =>
        untilRefused(`${running.server.url}/me`, token.signed, 'refused within 2 s of revoke()', started);
      const [onB, onC] = await Promise.all([firstRefusal(b), firstRefusal(c), revoked]);
      firsts.push(Math.max(onB as number, onC as number));
      for (const running of [a, b, c]) {
        for (let n = 0; n < 3; n += 1) expect((await send(`${running.server.url}/me`, { headers: bearer(token.signed) })).status, 'refused for good').to.equal(401);
      }
    }
    const middle = median(firsts);
    console.log(`      revoke() on A to the first 401 on both B and C: median ${middle.toFixed(1)} ms, max ${Math.max(...firsts).toFixed(1)} ms`);
    expect(middle).to.be.at.most(50);
  });

  it('security: a subscriber cut off without a close (a network partition) is distrusted within three heartbeats: the revoked token is refused', async () => {
    const relay = await TcpRelay.start(redis.port);
    try {
      const writer = await instance(unique('writer'));
      // The reader's subscriber goes through the relay; its store's commands go to Redis directly.
      const subscriber = redis.client({ port: relay.port, connectionName: unique('partitioned') });
      const reader = await instance(unique('reader'), undefined, 'ioredis', { subscriber, heartbeatMs: 100 });
      const token = writer.manager.sessionTokens(unique('user')).authToken;
      const url = `${reader.server.url}/me`;
      for (let n = 0; n < 2; n += 1) expect((await send(url, { headers: bearer(token.signed) })).status).to.equal(200);
      relay.freeze();
      // Its message waits in the relay: the reader hears nothing, and no close or error says why.
      await writer.manager.revoke(token);
      const window = await untilRefused(url, token.signed, 'still served from the cache', performance.now(), 3000);
      expect(reader.store.localCacheHealthy, 'the silent subscriber is not trusted').to.equal(false);
      // Three heartbeats of 100 ms and a tick of the check: 300-400 ms; room left for a loaded machine.
      expect(window, 'refused within about three heartbeats of 100 ms').to.be.below(1500);
      for (let n = 0; n < 3; n += 1) expect((await send(url, { headers: bearer(token.signed) })).status, 'refused for good').to.equal(401);
      // Healed: what waited arrives, the channel is heard again, and the cache is trusted and invalidated again.
      relay.thaw();
      await until(() => reader.store.localCacheHealthy, 'heard again', 3000);
      expect((await send(url, { headers: bearer(token.signed) })).status).to.equal(401);
      const other = writer.manager.sessionTokens(unique('user')).authToken;
      expect((await send(url, { headers: bearer(other.signed) })).status).to.equal(200);
      await writer.manager.revoke(other);
      await untilRefused(url, other.signed, 'invalidated after the partition healed');
    } finally {
      await relay.close();
    }
  });

  for (const client of ['ioredis', 'node-redis'] as const) {
    it(`security: the ${client} subscriber killed (CLIENT KILL): answers come from Redis, never stale; cached again once subscribed`, async () => {
      const name = unique('killed');
      const writer = await instance(unique('writer'));
      const reader = await instance(name, 400, client);
      const token = writer.manager.sessionTokens(unique('user')).authToken;
      const url = `${reader.server.url}/me`;
      expect((await send(url, { headers: bearer(token.signed) })).status).to.equal(200);
      expect(reader.store.isRevokedNow([`jti:${String(token.claims.jti)}`])).to.not.equal(true);
      // node-redis reconnects at once (its reconnect strategy applies from the second try), ioredis after 400 ms: the
      // cache is off from the loss until subscribed again, however short that is.
      // (Not events.once: it rejects on the 'error' node-redis emits first.)
      const reconnecting = new Promise((resolve) => (reader.subscriber as EventEmitter).once('reconnecting', resolve));
      await killConnection(name);
      await reconnecting;
      expect(reader.store.localCacheHealthy, 'the reader noticed the lost subscriber').to.equal(false);
      // Revoked while the reader cannot hear it: its cache must not answer.
      await writer.manager.revoke(token);
      expect((await send(url, { headers: bearer(token.signed) })).status, 'asked Redis, not the cache').to.equal(401);
      const other = writer.manager.sessionTokens(unique('user')).authToken;
      expect((await send(url, { headers: bearer(other.signed) })).status, 'other tokens still pass').to.equal(200);
      await until(() => reader.store.localCacheHealthy, 'subscribed again', 5000);
      expect((await send(url, { headers: bearer(token.signed) })).status).to.equal(401);
      expect((await send(url, { headers: bearer(other.signed) })).status).to.equal(200);
      await writer.manager.revoke(other);
      await untilRefused(url, other.signed, 'invalidated after the reconnection');
    });
  }
});
