/**
 * A benchmark server process for bench/revocation-cache.ts: the same protected action behind a manager without
 * revocation checks (unchecked) and behind managers whose auth tokens carry a jti checked in a store: memory, Redis
 * with the store's local revocation cache, Redis without it. Driven over IPC like bench/http-server.ts.
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Redis } from 'ioredis';
import { Get, JsonController, useExpressServer } from 'routing-controllers';
import { AuthManager, currentToken, MemoryRevocationStore, RedisRevocationStore, RequireToken, type RevocationStore } from 'routing-controllers-jwt';

@JsonController()
class RevocationBenchController {
  @Get('/protected')
  @RequireToken()
  guarded(): { ok: boolean; sub: string | number } {
    return { ok: true, sub: currentToken.sub };
  }
}

/** The servers of one process: the same action unchecked, and checked with each store. */
export type BenchVariant = 'unchecked' | 'memory' | 'redisCached' | 'redis';

/** The settings every manager of the bench shares; a store adds JWT_AUTHJTI and the store. */
export function benchSettings(secret: string, store?: RevocationStore): Record<string, unknown> {
  const base = { JWT_ISSUER: 'bench-revocation', JWT_AUTHTYPE: 'HS256', JWT_SECRET: secret };
  return store === undefined ? base : { ...base, JWT_AUTHJTI: true, JWT_REVOCATIONSTORE: store };
}

/** A Redis store on `port` (127.0.0.1) under the bench's prefix, with or without the local cache. */
export function benchStore(port: number, localCache: boolean): RedisRevocationStore {
  const options = { host: '127.0.0.1', port, enableOfflineQueue: true };
  const client = new Redis(options);
  return new RedisRevocationStore(client, {
    prefix: 'rcjwt-bench:',
    ...(localCache ? { localCache: { subscriber: client.duplicate() } } : {}),
  });
}

function appWith(settings: Record<string, unknown>): express.Express {
  const app = express();
  for (const [name, value] of Object.entries(settings)) app.set(name, value);
  new AuthManager(app);
  useExpressServer(app, { controllers: [RevocationBenchController] });
  return app;
}

async function main(): Promise<void> {
  const port = Number(process.env.BENCH_REDIS_PORT);
  const secret = process.env.BENCH_SECRET ?? '';
  const apps: Record<BenchVariant, express.Express> = {
    unchecked: appWith(benchSettings(secret)),
    memory: appWith(benchSettings(secret, new MemoryRevocationStore())),
    redisCached: appWith(benchSettings(secret, benchStore(port, true))),
    redis: appWith(benchSettings(secret, benchStore(port, false))),
  };
  const ports = {} as Record<BenchVariant, number>;
  for (const [variant, app] of Object.entries(apps) as Array<[BenchVariant, express.Express]>) {
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    ports[variant] = (server.address() as AddressInfo).port;
  }
  let mark = process.cpuUsage();
  process.send?.({ ports });
  // Never outlive the driver, whatever way it ends.
  process.on('disconnect', () => process.exit(0));
  process.on('message', (message) => {
    if (message === 'mark') {
      mark = process.cpuUsage();
      process.send?.({});
    } else if (message === 'usage') {
      const used = process.cpuUsage(mark);
      process.send?.({ cpuMicros: used.user + used.system });
    } else if (message === 'exit') {
      process.exit(0);
    }
  });
}

if (require.main === module) void main();
