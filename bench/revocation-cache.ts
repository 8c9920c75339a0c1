/**
 * `npm run bench:revocation` (issue 15): the revocation-checked protected action (an auth token with a jti, checked
 * in Redis through the store's local cache) against the unchecked one, at 1 and 16 connections (autocannon, rounds
 * alternating, ratio within each round, median over rounds), the same without the local cache for comparison, and
 * the time from `revoke()` to the first 401 on each of 3 server processes (median of 20 tries). Starts its own
 * redis-server (no persistence, loopback) unless BENCH_REDIS_PORT names a running one.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { AuthManager } from 'routing-controllers-jwt';
import { benchSettings, benchStore } from './revocation-server';

const SECRET = randomBytes(64).toString('base64url');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values: number[]): number => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] as number;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function startServer(redisPort: number): Promise<{ child: ChildProcess; ports: number[] }> {
  const child = fork(join(__dirname, 'revocation-server.js'), [], { env: { ...process.env, BENCH_SECRET: SECRET, BENCH_REDIS_PORT: String(redisPort) } });
  return new Promise((resolve) => child.once('message', (ready: { ports: number[] }) => resolve({ child, ports: ready.ports })));
}

function status(url: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  let redis: ChildProcess | undefined;
  let redisPort = Number(process.env.BENCH_REDIS_PORT ?? 0);
  if (redisPort === 0) {
    redisPort = await freePort();
    redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await sleep(300);
  }
  const servers = [await startServer(redisPort), await startServer(redisPort), await startServer(redisPort)];
  const [main] = servers as [{ child: ChildProcess; ports: number[] }];
  const unchecked = new AuthManager(benchSettings());
  const revoker = new AuthManager(benchSettings(benchStore(redisPort, false)));
  const plainToken = unchecked.authToken('user-42').signed;
  const jtiToken = revoker.authToken('user-42').signed;
  const url = (index: number): string => `http://127.0.0.1:${main.ports[index]}/protected`;
  const variants = [
    { name: 'unchecked (no jti)', url: url(0), token: plainToken },
    { name: 'jti checked, Redis + local cache', url: url(1), token: jtiToken },
    { name: 'jti checked, Redis, no cache', url: url(2), token: jtiToken },
  ];
  const rows: Array<Record<string, string | number>> = [];
  for (const connections of [1, 16]) {
    const samples = new Map<string, number[]>();
    const run = (variant: (typeof variants)[number], duration: number) =>
      autocannon({ url: variant.url, headers: { authorization: `Bearer ${variant.token}` }, connections, duration, pipelining: 1 });
    for (const variant of variants) await run(variant, 1);
    const rounds = quick ? 2 : 5;
    for (let round = 0; round < rounds; round += 1) {
      for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) {
        const result = await run(variant, 2);
        if (result.non2xx > 0 || result.errors > 0) throw new Error(`${variant.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
        samples.set(variant.name, [...samples.get(variant.name) ?? [], result.requests.average]);
      }
    }
    const base = samples.get(variants[0]!.name) ?? [];
    for (const variant of variants) {
      const list = samples.get(variant.name) ?? [];
      rows.push({
        connections,
        variant: variant.name,
        requestsPerSecond: Math.round(median(list)),
        ratioToUnchecked: Number(median(list.map((rps, round) => rps / (base[round] as number))).toFixed(2)),
      });
    }
  }
  console.table(rows);

  // Revoke on one instance (this process), the first 401 on each of 3 server processes that had the token cached.
  const firsts: number[] = [];
  for (let i = 0; i < 20; i += 1) {
    const token = revoker.authToken(`user-${i}`);
    for (const server of servers) if (await status(`http://127.0.0.1:${server.ports[1]}/protected`, token.signed) !== 200) throw new Error('not 200 before revoke');
    const started = performance.now();
    const revoked = revoker.revoke(token);
    const times = await Promise.all(servers.map(async (server) => {
      while (await status(`http://127.0.0.1:${server.ports[1]}/protected`, token.signed) !== 401) {
        if (performance.now() - started > 5000) throw new Error('still not 401 after 5 s');
      }
      return performance.now() - started;
    }));
    await revoked;
    firsts.push(Math.max(...times));
  }
  console.log(`revoke() to the first 401 on all 3 instances: median ${median(firsts).toFixed(1)} ms, max ${Math.max(...firsts).toFixed(1)} ms (20 tries)`);
  for (const server of servers) server.child.send('exit');
  redis?.kill();
  process.exit(0);
}

void main();
