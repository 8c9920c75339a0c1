/**
 * RedisRevocationStore on a real Redis Cluster of three masters that the suite starts (issue 15): with JWT_AUTHJTI
 * every auth token from `sessionTokens()` and `rotate()` is checked by its jti and its family, which used to be one
 * EXISTS across two hash slots (CROSSSLOT: a 503 on every request, forever). Every key of a token now carries the
 * family as its hash tag. Tested with ioredis's Cluster and node-redis's createCluster, and with a master killed and
 * started again. Without redis-server the suite is skipped with a message, except in CI (CI=true), where it fails.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import { RedisRevocationStore, type StoreFailure } from 'routing-controllers-jwt';
import { hmacSecret } from '../support/keys';
import { missingRedis, redisServerInstalled, uniquePrefix } from '../support/redis';
import { RedisClusterProcesses, until } from '../support/redis-topologies';
import { sessionApp, type SessionApp } from '../support/session-app';

const ISSUER = 'https://cluster.example';
const SECRET = hmacSecret(64);

interface Login {
  authToken: string;
  refreshToken: string;
  fam: string;
}

const loginOf = (app: SessionApp, subject: string): Login => {
  const { authToken, refreshToken } = app.manager.sessionTokens(subject);
  return { authToken: authToken.signed, refreshToken: refreshToken.signed, fam: refreshToken.claims.fam as string };
};

const tokensOf = (json: unknown): { authToken: string; refreshToken: string } => json as { authToken: string; refreshToken: string };

describe('RedisRevocationStore on a 3-master Redis Cluster (real redis-server processes)', function () {
  this.timeout(60_000);
  let cluster: RedisClusterProcesses;
  const failures: StoreFailure[] = [];
  const clients: Array<{ close(): Promise<unknown> | void }> = [];
  let app: SessionApp;
  const prefix = uniquePrefix('cluster');

  before(async function () {
    if (!redisServerInstalled()) missingRedis(this);
    this.timeout(30_000);
    cluster = await RedisClusterProcesses.start();
    // Fail fast while a node is away: no offline queue, one retry; the manager's timeout bounds the rest.
    const client = new Cluster(cluster.startupNodes, { enableOfflineQueue: false, redisOptions: { maxRetriesPerRequest: 1 } });
    client.on('error', () => undefined);
    clients.push({ close: () => client.disconnect() });
    const store = new RedisRevocationStore(client, { prefix, onError: (failure) => failures.push(failure) });
    await until(async () => (await store.selfCheck(), true), 'the cluster client is ready');
    failures.length = 0;
    // JWT_REFRESHGRACE 0: a replay is reuse at once, as after the grace window (tested below with the window on).
    app = await sessionApp({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'HS256', JWT_SECRET: SECRET, JWT_AUTHJTI: true,
      JWT_REVOCATIONSTORE: store, JWT_REVOCATIONTIMEOUT: 0.5, JWT_REFRESHGRACE: 0 });
  });

  after(async () => {
    await app?.server.close();
    for (const client of clients.splice(0)) await client.close();
    await cluster?.stop();
  });

  it('session tokens of families on all three masters pass, rotate and pass again: one command per check, no CROSSSLOT', async () => {
    const logins = Array.from({ length: 24 }, (_, index) => loginOf(app, `user-${index}`));
    const owners = new Set(await Promise.all(logins.map(async ({ fam }) => (await cluster.masterOf(`{${fam}}`)).port)));
    expect(owners.size, 'the families spread over every master').to.equal(3);
    for (const login of logins) {
      const me = await app.me(login.authToken);
      expect(me.status, me.text).to.equal(200);
      const rotated = await app.refresh(login.refreshToken);
      expect(rotated.status, rotated.text).to.equal(200);
      expect((await app.me(tokensOf(rotated.json).authToken)).status, 'the rotated auth token (jti + fam)').to.equal(200);
    }
    expect(failures, 'no store failure at all').to.deep.equal([]);
  });

  it('security: logout ends the session (refresh and jti auth tokens) and a reused refresh token revokes its family', async () => {
    const out = loginOf(app, 'logout');
    expect((await app.logout(out.refreshToken)).status).to.equal(200);
    expect((await app.me(out.authToken)).status).to.equal(401);
    expect((await app.refresh(out.refreshToken)).status).to.equal(401);

    const stolen = loginOf(app, 'reuse');
    const next = tokensOf((await app.refresh(stolen.refreshToken)).json);
    expect((await app.refresh(stolen.refreshToken)).status, 'the retired token again').to.equal(401);
    expect((await app.refresh(next.refreshToken)).status, 'the whole family is revoked').to.equal(401);
    expect((await app.me(next.authToken)).status, 'its auth tokens too').to.equal(401);
    expect(failures).to.deep.equal([]);
  });

  it('security: within the grace window two refreshes at once of families on every master both get the same refresh token', async () => {
    const graceApp = await sessionApp({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'HS256', JWT_SECRET: SECRET, JWT_AUTHJTI: true,
      JWT_REVOCATIONSTORE: app.manager.revocationStore, JWT_REVOCATIONTIMEOUT: 0.5 });
    try {
      const logins = Array.from({ length: 24 }, (_, index) => loginOf(graceApp, `grace-${index}`));
      const owners = new Set(await Promise.all(logins.map(async ({ fam }) => (await cluster.masterOf(`{${fam}}`)).port)));
      expect(owners.size, 'the families spread over every master').to.equal(3);
      for (const login of logins) {
        const [one, two] = await Promise.all([graceApp.refresh(login.refreshToken), graceApp.refresh(login.refreshToken)]);
        expect([one.status, two.status], one.text + two.text).to.deep.equal([200, 200]);
        expect(tokensOf(two.json).refreshToken).to.equal(tokensOf(one.json).refreshToken);
        expect((await graceApp.refresh(tokensOf(one.json).refreshToken)).status, 'the one live refresh token rotates').to.equal(200);
      }
    } finally {
      await graceApp.server.close();
    }
  });

  it('security: the local revocation cache on the Cluster: a logout on A reaches B\'s cache (families on every master), within 2 s', async () => {
    // Two instances with their own cluster clients and cache subscribers: PUBLISH on a Cluster reaches every node.
    const instance = async (): Promise<{ app: SessionApp; store: RedisRevocationStore }> => {
      const client = new Cluster(cluster.startupNodes, { enableOfflineQueue: false, redisOptions: { maxRetriesPerRequest: 1 } });
      const subscriber = client.duplicate();
      for (const one of [client, subscriber]) {
        one.on('error', () => undefined);
        clients.push({ close: () => one.disconnect() });
      }
      const store = new RedisRevocationStore(client, { prefix, localCache: { subscriber }, onError: (failure) => failures.push(failure) });
      await until(async () => store.localCacheHealthy, 'the cache subscriber is subscribed');
      const cached = await sessionApp({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'HS256', JWT_SECRET: SECRET, JWT_AUTHJTI: true,
        JWT_REVOCATIONSTORE: store, JWT_REVOCATIONTIMEOUT: 0.5, JWT_REFRESHGRACE: 0 });
      clients.push({ close: () => cached.server.close() });
      return { app: cached, store };
    };
    const [a, b] = [await instance(), await instance()] as const;
    // Three logins whose families live on each master (families are random: drawn until every master has three).
    const byMaster = new Map<number, Login[]>();
    for (let index = 0; [...byMaster.values()].filter((list) => list.length >= 3).length < 3; index += 1) {
      expect(index, 'families reach every master').to.be.below(500);
      const login = loginOf(a.app, `cached-${index}`);
      const port = (await cluster.masterOf(`{${login.fam}}`)).port;
      byMaster.set(port, [...byMaster.get(port) ?? [], login]);
    }
    const logins = [...byMaster.values()].flatMap((list) => list.slice(0, 3));
    expect(logins, 'three families on each of the three masters').to.have.length(9);
    for (const login of logins) {
      for (let n = 0; n < 2; n += 1) expect((await b.app.me(login.authToken)).status).to.equal(200);
      expect(b.store.localCacheHealthy).to.equal(true);
      expect((await a.app.logout(login.refreshToken)).status).to.equal(200);
      const started = Date.now();
      for (;;) {
        const status = (await b.app.me(login.authToken)).status;
        if (status === 401) break;
        expect(status, 'served from B\'s cache until the message arrives').to.equal(200);
        expect(Date.now() - started, 'the logout reached B').to.be.below(2000);
      }
      expect((await b.app.refresh(login.refreshToken)).status).to.equal(401);
    }
    expect(failures).to.deep.equal([]);
  });

  it('a node-redis cluster client (createCluster) rotates, revokes and detects reuse the same way', async () => {
    const client = createCluster({ rootNodes: cluster.startupNodes.map(({ host, port }) => ({ url: `redis://${host}:${port}` })) });
    client.on('error', () => undefined);
    await client.connect();
    clients.push({ close: () => client.close() });
    const store = new RedisRevocationStore(client, { prefix: `${prefix}node-redis:` });
    await store.selfCheck();
    const other = await sessionApp({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'HS256', JWT_SECRET: SECRET, JWT_AUTHJTI: true, JWT_REVOCATIONSTORE: store, JWT_REFRESHGRACE: 0 });
    try {
      for (let index = 0; index < 6; index += 1) {
        const login = loginOf(other, `node-redis-${index}`);
        const rotated = await other.refresh(login.refreshToken);
        expect(rotated.status, rotated.text).to.equal(200);
        expect((await other.me(tokensOf(rotated.json).authToken)).status).to.equal(200);
        expect((await other.refresh(login.refreshToken)).status, 'reuse').to.equal(401);
        expect((await other.me(tokensOf(rotated.json).authToken)).status, 'the family is revoked').to.equal(401);
      }
    } finally {
      await other.server.close();
    }
  });

  it('security: a master killed: its families answer 503 (never 200 for a revoked one), the others 200; restarted, its revocations still hold', async () => {
    const logins = Array.from({ length: 24 }, (_, index) => loginOf(app, `outage-${index}`));
    const byMaster = new Map<number, Login[]>();
    // The subject's logout-everywhere entry has a hash tag of its own (spec/sessions/revoke-subject.spec.ts).
    const subjectMaster = new Map<Login, number>();
    for (const [index, login] of logins.entries()) {
      const { port } = await cluster.masterOf(`{${login.fam}}`);
      byMaster.set(port, [...(byMaster.get(port) ?? []), login]);
      subjectMaster.set(login, (await cluster.masterOf(`{${Buffer.from(`outage-${index}`).toString('base64url')}}`)).port);
    }
    const victim = cluster.masters[0];
    const [revoked, live] = byMaster.get(victim.port) as Login[];
    // A family elsewhere whose subject's entry is elsewhere too: a token is checked by both, and fails closed on either.
    const elsewhere = (byMaster.get(cluster.masters[1].port) as Login[]).find((login) => subjectMaster.get(login) !== victim.port) as Login;
    expect(revoked && live && elsewhere, 'two families on the victim, one elsewhere').to.not.equal(undefined);
    expect((await app.logout(revoked.refreshToken)).status).to.equal(200);
    expect((await app.me(live.authToken)).status).to.equal(200);

    await victim.stop();
    const down = [await app.me(revoked.authToken), await app.me(live.authToken), await app.refresh(live.refreshToken)];
    for (const reply of down) {
      expect(reply.status, reply.text).to.equal(503);
      expect(Number(reply.headers['retry-after'])).to.be.greaterThan(0);
    }
    expect((await app.me(elsewhere.authToken)).status, 'another master\'s family is unaffected').to.equal(200);
    expect(failures.length, 'the store failures were reported').to.be.greaterThan(0);
    for (const failure of failures) expect(JSON.stringify(failure)).not.to.match(/eyJ|\{[0-9a-zA-Z_-]{10,}\}/);

    await victim.start();
    await cluster.waitUntilOk();
    await until(async () => (await app.me(live.authToken)).status === 200, 'the restarted master answers');
    expect((await app.me(revoked.authToken)).status, 'the revocation survived the restart (AOF)').to.equal(401);
    const rotated = await app.refresh(live.refreshToken);
    expect(rotated.status, `${rotated.text}: a refresh refused during the outage still rotates`).to.equal(200);
  });
});

