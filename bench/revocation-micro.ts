/**
 * Revocation in the per-request path, without HTTP (issue 15): the guard (`requireToken()` as middleware: read the
 * header, resolve the manager, verify with the cache on, check the store, enter the context) for an auth token with a
 * jti checked in the memory store, in Redis with the store's local cache, and in Redis without it, against the same
 * guard with an unchecked token (no jti); and one refresh rotation (`rotate()`: verify, retire atomically, sign two
 * tokens) with the memory store and with Redis (EVAL retire + EVAL confirm). Redis on loopback, started here unless
 * BENCH_REDIS_PORT names a running one.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Redis } from 'ioredis';
import { AuthManager, MemoryRevocationStore, RedisRevocationStore, requireToken, type RevocationStore } from 'routing-controllers-jwt';
import { medianMicros, type MeasuredTask } from './support/measure';
import { benchRedisPort } from './support/redis-server';

/** One measured task: median microseconds per operation, and its ratio to the baseline of its group. */
export interface RevocationMicroResult {
  task: string;
  microseconds: number;
  /** Guard tasks: over the unchecked guard. Rotations: over the rotation with the memory store. */
  ratio: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the revocation micro benchmarks, `timeMs` per task. */
export async function runRevocationMicro(timeMs = 500): Promise<RevocationMicroResult[]> {
  const port = await benchRedisPort();
  const clients: Redis[] = [];
  const client = (): Redis => {
    const created = new Redis({ host: '127.0.0.1', port });
    clients.push(created);
    return created;
  };
  const prefix = `rcjwt-bench:${randomBytes(4).toString('hex')}:`;
  const cached = new RedisRevocationStore(client(), { prefix, localCache: { subscriber: client() } });
  for (const started = Date.now(); !cached.localCacheHealthy; await sleep(10)) {
    if (Date.now() - started > 10_000) throw new Error('the local cache was not subscribed within 10 s');
  }
  const secret = randomBytes(64).toString('base64url');
  const settings = (store?: RevocationStore): Record<string, unknown> => ({
    JWT_ISSUER: 'bench-revocation-micro', JWT_AUTHTYPE: 'HS256', JWT_SECRET: secret,
    ...(store === undefined ? {} : { JWT_AUTHJTI: true, JWT_REVOCATIONSTORE: store }),
  });
  const middleware = requireToken();
  const response = { headersSent: false, statusCode: 200, setHeader: () => undefined, end: () => undefined };
  /** The guard for one request of `app` (a settings object with its manager attached), resolved when it passes. */
  const guard = (app: Record<string, unknown>, token: string) => (): Promise<void> => new Promise((resolve, reject) => {
    const request = { method: 'GET', url: '/items', headers: { authorization: `Bearer ${token}` }, params: {}, app };
    const refused = { ...response, end: () => reject(new Error('the guard refused a benchmark request')) };
    middleware(request as unknown as IncomingMessage, refused as unknown as ServerResponse, () => resolve());
  });
  const guardOf = (name: string, store?: RevocationStore): MeasuredTask => {
    const app = settings(store);
    const manager = new AuthManager(app);
    return { name, run: guard(app, manager.authToken('user-42').signed) };
  };
  const guards = [
    guardOf('guard, unchecked token (no jti)'),
    guardOf('guard, jti checked, memory store', new MemoryRevocationStore()),
    guardOf('guard, jti checked, Redis + local cache', cached),
    guardOf('guard, jti checked, Redis, no cache', new RedisRevocationStore(client(), { prefix })),
  ];
  // Warmed once outside the measurement: the cache has answered Redis's reply for the token's keys.
  for (const task of guards) await task.run();
  const rotationOf = (name: string, store: RevocationStore): MeasuredTask => {
    const manager = new AuthManager(settings(store));
    let current = manager.refreshToken('user-42').signed;
    return { name, run: async () => { current = (await manager.rotate(current)).refreshToken.signed; } };
  };
  const rotations = [
    rotationOf('rotate(), memory store', new MemoryRevocationStore()),
    rotationOf('rotate(), Redis', new RedisRevocationStore(client(), { prefix })),
  ];
  try {
    const micros = await medianMicros([...guards, ...rotations], timeMs, true);
    const row = (task: MeasuredTask, base: MeasuredTask): RevocationMicroResult => ({
      task: task.name,
      microseconds: Number((micros.get(task.name) ?? NaN).toFixed(3)),
      ratio: Number(((micros.get(task.name) ?? NaN) / (micros.get(base.name) ?? NaN)).toFixed(2)),
    });
    return [...guards.map((task) => row(task, guards[0] as MeasuredTask)), ...rotations.map((task) => row(task, rotations[0] as MeasuredTask))];
  } finally {
    for (const created of clients) created.disconnect();
  }
}

if (require.main === module) {
  runRevocationMicro(process.argv.includes('--quick') ? 200 : 500).then((results) => {
    console.table(results);
    process.exit(0);
  }, (error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
