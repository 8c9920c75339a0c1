/**
 * Rotation through a stalled and a restarted Redis (issue 15): when a rotation's store write timed out (503) and
 * landed later, the client's retry with the same refresh token was taken as reuse and the login was revoked (10 of 10
 * logins lost with a 2.5 s stall; 2-7 per run through a restart). Now each rotation attempt writes its own random
 * value in one script, and an attempt answered 503 is undone by value (compare-and-delete), whenever it runs.
 *
 * Forty clients refresh in a loop through two app instances (each with its own Redis connection, the retry after a
 * 503 going to the other instance, as behind a load balancer) while Redis is stalled (`DEBUG SLEEP`), then killed and
 * started again: no login may be lost. Run with ioredis's defaults and with the fail-fast options the README advises.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { Redis, type RedisOptions } from 'ioredis';
import { RedisRevocationStore, type StoreFailure } from 'routing-controllers-jwt';
import { hmacSecret } from '../support/keys';
import { missingRedis, REDIS_HOST, redisServerInstalled, RedisServerProcess, uniquePrefix } from '../support/redis';
import { sessionApp, type SessionApp } from '../support/session-app';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const CLIENT_OPTIONS: Record<string, RedisOptions> = {
  'ioredis defaults': {},
  'fail fast (enableOfflineQueue: false, maxRetriesPerRequest: 1)': { enableOfflineQueue: false, maxRetriesPerRequest: 1 },
};

describe('RedisRevocationStore: rotation through a stalled and restarted Redis loses no login (real redis-server)', function () {
  this.timeout(60_000);
  let redis: RedisServerProcess;
  const clients: Redis[] = [];

  before(async function () {
    if (!redisServerInstalled()) missingRedis(this);
    // The suite stalls and kills this server: always its own process, with DEBUG allowed from loopback.
    redis = await RedisServerProcess.start(undefined, { args: ['--enable-debug-command', 'local'] });
  });

  after(async () => {
    for (const client of clients.splice(0)) client.disconnect();
    await redis?.stop();
  });

  it('security: a hung Redis with a client that never times a command out: at most maxPendingCommands wait, the rest are refused at once (503); all well once it answers', async () => {
    // ioredis's defaults: no command timeout, an offline queue; only the store's bound keeps commands from piling up.
    const client = new Redis({ host: REDIS_HOST, port: redis.port });
    client.on('error', () => undefined);
    clients.push(client);
    const failures: StoreFailure[] = [];
    const store = new RedisRevocationStore(client, { prefix: uniquePrefix('hung'), maxPendingCommands: 20, onError: (failure) => failures.push(failure) });
    const app = await sessionApp({ JWT_ISSUER: 'https://hung.example', JWT_AUTHTYPE: 'HS256', JWT_SECRET: hmacSecret(64),
      JWT_AUTHJTI: true, JWT_REVOCATIONTIMEOUT: 0.3, JWT_REVOCATIONSTORE: store });
    try {
      const { authToken } = app.manager.sessionTokens('alice');
      expect((await app.me(authToken.signed)).status, 'before the stall').to.equal(200);
      const admin = new Redis({ host: REDIS_HOST, port: redis.port, maxRetriesPerRequest: 0 });
      admin.on('error', () => undefined);
      const stalled = admin.call('DEBUG', 'SLEEP', '2').catch(() => undefined);
      await sleep(100);
      // Other tokens each need their own answer from Redis (the first token's is not asked again by this store).
      const tokens = Array.from({ length: 60 }, (_, index) => app.manager.sessionTokens(`user-${index}`).authToken.signed);
      const started = Date.now();
      const statuses = await Promise.all(tokens.map(async (token) => (await app.me(token)).status));
      expect(statuses.every((status) => status === 503), `all 503 while Redis hangs: ${statuses.join(',')}`).to.equal(true);
      expect(Date.now() - started, 'answered within the revocation timeout, not when Redis wakes').to.be.below(1500);
      // What ioredis holds for the hung server: sent and unanswered (its own queue, read here only to count it).
      const queued = (client as unknown as { commandQueue: { length: number } }).commandQueue.length;
      expect(queued, 'commands waiting in the client').to.be.at.most(20);
      const refused = failures.filter((failure) => /maxPendingCommands/.test(failure.message));
      expect(refused.length, 'commands beyond the bound were refused, not queued').to.be.greaterThan(0);
      await stalled;
      admin.disconnect();
      const after = Date.now();
      for (;;) {
        const status = (await app.me(tokens[0] as string)).status;
        if (status === 200) break;
        expect(Date.now() - after, 'served again once Redis answers').to.be.below(3000);
        await sleep(50);
      }
    } finally {
      await app.server.close();
    }
  });

  for (const [label, options] of Object.entries(CLIENT_OPTIONS)) {
    it(`security: 40 clients refreshing through a 1.5 s stall and a restart: 0 logins lost (${label})`, async () => {
      const prefix = uniquePrefix('stall');
      const settings = { JWT_ISSUER: 'https://stall.example', JWT_AUTHTYPE: 'HS256', JWT_SECRET: hmacSecret(64), JWT_REVOCATIONTIMEOUT: 0.3 };
      const instances: SessionApp[] = [];
      for (let index = 0; index < 2; index += 1) {
        const client = new Redis({ host: REDIS_HOST, port: redis.port, retryStrategy: () => 50, ...options });
        client.on('error', () => undefined);
        clients.push(client);
        // Each instance its own store and prefix object, so each gets its own runtime (and connection).
        instances.push(await sessionApp({ ...settings, JWT_REVOCATIONSTORE: new RedisRevocationStore(client, { prefix }) }));
      }
      try {
        let running = true;
        const tally = { rotated: 0, unavailable: 0, lost: 0, other: 0 };
        const loop = async (index: number): Promise<string> => {
          let token = instances[0].manager.refreshToken(`user-${index}`).signed;
          let turn = index;
          while (running) {
            const reply = await instances[turn++ % 2].refresh(token);
            if (reply.status === 200) {
              tally.rotated += 1;
              token = (reply.json as { refreshToken: string }).refreshToken;
            } else if (reply.status === 503) {
              tally.unavailable += 1;
              await sleep(20 + Math.random() * 40);
            } else if (reply.status === 401) {
              tally.lost += 1;
              return token;
            } else {
              tally.other += 1;
            }
          }
          return token;
        };
        const loops = Array.from({ length: 40 }, (_, index) => loop(index));

        await sleep(300);
        const admin = new Redis({ host: REDIS_HOST, port: redis.port, maxRetriesPerRequest: 0 });
        admin.on('error', () => undefined);
        await admin.call('DEBUG', 'SLEEP', '1.5').catch(() => undefined);
        admin.disconnect();
        await sleep(500);
        const before = tally.rotated;
        await redis.stop();
        await sleep(500);
        await redis.start();
        await sleep(1500);
        running = false;
        const tokens = await Promise.all(loops);

        expect(tally.lost, `logins lost: ${JSON.stringify(tally)}`).to.equal(0);
        expect(tally.other, 'never a 500').to.equal(0);
        expect(tally.unavailable, 'the stall and the restart were felt (503s)').to.be.greaterThan(0);
        expect(tally.rotated, 'rotations went on after the restart').to.be.greaterThan(before);
        // Every login still rotates once the store is calm again.
        for (const token of tokens) {
          const reply = await instances[0].refresh(token);
          expect(reply.status, reply.text).to.equal(200);
        }
      } finally {
        for (const instance of instances) await instance.server.close();
      }
    });
  }
});
