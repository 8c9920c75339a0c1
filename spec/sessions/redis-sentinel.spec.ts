/**
 * RedisRevocationStore behind Redis Sentinel (issue 15): a master, a replica and a sentinel started by the suite;
 * the master is killed, the sentinel promotes the replica, and the store follows: requests during the failover are
 * 503 (fail closed, never 500, never a revoked token let through), revocations written before it still hold after it,
 * and the old master, started again, comes back as a replica. Without redis-server the suite is skipped with a
 * message, except in CI (CI=true), where it fails.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { RedisRevocationStore } from 'routing-controllers-jwt';
import { hmacSecret } from '../support/keys';
import { missingRedis, REDIS_HOST, redisServerInstalled, uniquePrefix } from '../support/redis';
import { RedisSentinelProcesses, until } from '../support/redis-topologies';
import { sessionApp, type SessionApp } from '../support/session-app';

const tokensOf = (json: unknown): { authToken: string; refreshToken: string } => json as { authToken: string; refreshToken: string };

describe('RedisRevocationStore behind Redis Sentinel: failover (real redis-server processes)', function () {
  this.timeout(60_000);
  let topology: RedisSentinelProcesses;
  let client: Redis;
  let app: SessionApp;

  before(async function () {
    if (!redisServerInstalled()) missingRedis(this);
    this.timeout(30_000);
    topology = await RedisSentinelProcesses.start();
    client = new Redis({
      sentinels: [{ host: REDIS_HOST, port: topology.sentinel.port }],
      name: RedisSentinelProcesses.NAME,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      sentinelRetryStrategy: () => 100,
      retryStrategy: () => 100,
    });
    client.on('error', () => undefined);
    const store = new RedisRevocationStore(client, { prefix: uniquePrefix('sentinel') });
    await until(async () => (await store.selfCheck(), true), 'the sentinel client is ready');
    app = await sessionApp({ JWT_ISSUER: 'https://sentinel.example', JWT_AUTHTYPE: 'HS256', JWT_SECRET: hmacSecret(64), JWT_REFRESHGRACE: 0,
      JWT_AUTHJTI: true, JWT_REVOCATIONSTORE: store, JWT_REVOCATIONTIMEOUT: 0.5 });
  });

  after(async () => {
    await app?.server.close();
    client?.disconnect();
    await topology?.stop();
  });

  it('security: the master killed: 503 during the failover, revocations kept, sessions go on on the promoted replica, and on it still once the old master is back', async () => {
    const revoked = app.manager.sessionTokens('logged-out');
    const live = app.manager.sessionTokens('alice');
    expect((await app.logout(revoked.refreshToken.signed)).status).to.equal(200);
    // The revocation has reached the replica before the master goes (what WAIT would say to a careful caller).
    expect(await client.call('WAIT', '1', '2000')).to.equal(1);
    const oldMaster = topology.master.port;

    await topology.master.stop();
    const statuses = new Set<number>();
    let answer = await app.me(live.authToken.signed);
    const started = Date.now();
    while (answer.status !== 200) {
      statuses.add(answer.status);
      expect((await app.me(revoked.authToken.signed)).status, 'a revoked token is never let through').to.be.oneOf([401, 503]);
      expect(Date.now() - started, 'the failover takes seconds').to.be.lessThan(30_000);
      await new Promise((resolve) => setTimeout(resolve, 100));
      answer = await app.me(live.authToken.signed);
    }
    expect([...statuses], 'only 503 while the master was away').to.satisfy((seen: number[]) => seen.every((status) => status === 503));
    expect(await topology.currentMasterPort(), 'the replica was promoted').to.equal(topology.replica.port);

    expect((await app.me(revoked.authToken.signed)).status, 'the revocation survived the failover').to.equal(401);
    expect((await app.refresh(revoked.refreshToken.signed)).status).to.equal(401);
    const rotated = await app.refresh(live.refreshToken.signed);
    expect(rotated.status, rotated.text).to.equal(200);
    expect((await app.refresh(live.refreshToken.signed)).status, 'reuse is still detected after the failover').to.equal(401);
    expect((await app.me(tokensOf(rotated.json).authToken)).status).to.equal(401);

    // The old master back, with its own (older) data and still calling itself master until the sentinel turns it into
    // a replica (the sentinel's business: it waits for 8 s of stability and its 10 s INFO period, and in a loaded run
    // took over a minute). Meanwhile the client must go on with the promoted one: nothing revoked comes back.
    await topology.master.start();
    await until(async () => topology.sentinelSeesUp(oldMaster), 'the sentinel sees the old master again', 30_000);
    expect(await topology.currentMasterPort(), 'the promoted replica stays the master').to.equal(topology.replica.port);
    expect((await app.me(revoked.authToken.signed)).status, 'revoked before the failover').to.equal(401);
    expect((await app.refresh(live.refreshToken.signed)).status, 'retired after the failover').to.equal(401);
    const after = app.manager.sessionTokens('bob');
    expect((await app.refresh(after.refreshToken.signed)).status, 'new sessions work').to.equal(200);
  });
});
