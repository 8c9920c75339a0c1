/**
 * Revocation-checked requests over HTTP (issue 15): the protected action with an auth token carrying a jti, checked in
 * the memory store, in Redis through the store's local cache, and in Redis without it, against the unchecked action
 * (no jti), at 1 and 16 connections (autocannon, rounds alternating, ratio within each round, median over rounds; with
 * the server process's CPU time per request, steadier than requests/s on a shared machine); and the time from `revoke()` to the first 401 on each of 3 server processes (median of 20 tries). Run by
 * `npm run bench` and, alone, by `npm run bench:revocation`. Starts its own redis-server (no persistence, loopback)
 * unless BENCH_REDIS_PORT names a running one.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { AuthManager } from 'routing-controllers-jwt';
import { benchSettings, benchStore, type BenchVariant } from './revocation-server';
import { ask } from './support/ipc';
import { benchRedisPort } from './support/redis-server';

const median = (values: number[]): number => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] as number;

/** One variant at one number of connections: medians over the rounds. */
export interface RevocationHttpRow {
  connections: number;
  variant: string;
  requestsPerSecond: number;
  /** requests/s over the unchecked action's in the same round (median over rounds). */
  ratioToUnchecked: number;
  /** The server process's CPU time per request (process.cpuUsage around the run; steadier than requests/s). */
  serverCpuMicrosPerRequest: number;
  /** That minus the unchecked action's, in the same round (median over rounds): what the check adds per request. */
  serverCpuMicrosOverUnchecked: number;
}

/** What the run measured. */
export interface RevocationHttpResult {
  rows: RevocationHttpRow[];
  /** From `revoke()` on one instance to the first 401 on all 3 others, which had the token cached (20 tries). */
  revokeToFirst401Ms: { median: number; max: number };
}

interface BenchServer {
  child: ChildProcess;
  ports: Record<BenchVariant, number>;
}

function startServer(redisPort: number, secret: string): Promise<BenchServer> {
  const child = fork(join(__dirname, 'revocation-server.js'), [], { env: { ...process.env, BENCH_SECRET: secret, BENCH_REDIS_PORT: String(redisPort) } });
  return new Promise((resolve) => child.once('message', (ready: { ports: Record<BenchVariant, number> }) => resolve({ child, ports: ready.ports })));
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

const VARIANTS: ReadonlyArray<{ variant: BenchVariant; name: string }> = [
  { variant: 'unchecked', name: 'unchecked (no jti)' },
  { variant: 'memory', name: 'jti checked, memory store' },
  { variant: 'redisCached', name: 'jti checked, Redis + local cache' },
  { variant: 'redis', name: 'jti checked, Redis, no cache' },
];

/** Runs the revocation HTTP benchmarks: `rounds` of `seconds` per variant and number of connections. */
export async function runRevocationHttp(rounds = 5, seconds = 2): Promise<RevocationHttpResult> {
  const secret = randomBytes(64).toString('base64url');
  const redisPort = await benchRedisPort();
  const servers = [await startServer(redisPort, secret), await startServer(redisPort, secret), await startServer(redisPort, secret)];
  try {
    const [first] = servers as [BenchServer];
    const plainToken = new AuthManager(benchSettings(secret)).authToken('user-42').signed;
    const revoker = new AuthManager(benchSettings(secret, benchStore(redisPort, false)));
    const jtiToken = revoker.authToken('user-42').signed;
    const variants = VARIANTS.map(({ variant, name }) => ({
      name,
      url: `http://127.0.0.1:${first.ports[variant]}/protected`,
      token: variant === 'unchecked' ? plainToken : jtiToken,
    }));
    const rows: RevocationHttpRow[] = [];
    for (const connections of [1, 16]) {
      const samples = new Map<string, Array<{ rps: number; cpu: number }>>();
      const run = (variant: (typeof variants)[number], duration: number) =>
        autocannon({ url: variant.url, headers: { authorization: `Bearer ${variant.token}` }, connections, duration, pipelining: 1 });
      for (const variant of variants) await run(variant, 1);
      for (let round = 0; round < rounds; round += 1) {
        for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) {
          await ask(first.child, 'mark');
          const result = await run(variant, seconds);
          const { cpuMicros } = await ask<{ cpuMicros: number }>(first.child, 'usage');
          if (result.non2xx > 0 || result.errors > 0) throw new Error(`${variant.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
          const sample = { rps: result.requests.average, cpu: cpuMicros / Math.max(1, result.requests.total) };
          samples.set(variant.name, [...samples.get(variant.name) ?? [], sample]);
        }
      }
      const base = samples.get(variants[0]!.name) ?? [];
      for (const variant of variants) {
        const list = samples.get(variant.name) ?? [];
        rows.push({
          connections,
          variant: variant.name,
          requestsPerSecond: Math.round(median(list.map((sample) => sample.rps))),
          ratioToUnchecked: Number(median(list.map((sample, round) => sample.rps / (base[round] as { rps: number }).rps)).toFixed(2)),
          serverCpuMicrosPerRequest: Math.round(median(list.map((sample) => sample.cpu))),
          serverCpuMicrosOverUnchecked: Math.round(median(list.map((sample, round) => sample.cpu - (base[round] as { cpu: number }).cpu))),
        });
      }
    }

    // Revoke on one instance (this process), the first 401 on each of 3 server processes that had the token cached.
    const firsts: number[] = [];
    const cachedUrl = (server: BenchServer): string => `http://127.0.0.1:${server.ports.redisCached}/protected`;
    for (let i = 0; i < 20; i += 1) {
      const token = revoker.authToken(`user-${i}`);
      for (const server of servers) if (await status(cachedUrl(server), token.signed) !== 200) throw new Error('not 200 before revoke');
      const started = performance.now();
      const revoked = revoker.revoke(token);
      const times = await Promise.all(servers.map(async (server) => {
        while (await status(cachedUrl(server), token.signed) !== 401) {
          if (performance.now() - started > 5000) throw new Error('still not 401 after 5 s');
        }
        return performance.now() - started;
      }));
      await revoked;
      firsts.push(Math.max(...times));
    }
    return { rows, revokeToFirst401Ms: { median: Number(median(firsts).toFixed(1)), max: Number(Math.max(...firsts).toFixed(1)) } };
  } finally {
    for (const server of servers) server.child.kill();
  }
}

if (require.main === module) {
  const quick = process.argv.includes('--quick');
  runRevocationHttp(quick ? 2 : 5).then(({ rows, revokeToFirst401Ms }) => {
    console.table(rows);
    console.log(`revoke() to the first 401 on all 3 instances: median ${revokeToFirst401Ms.median} ms, max ${revokeToFirst401Ms.max} ms (20 tries)`);
    process.exit(0);
  }, (error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
