/**
 * A benchmark server process for bench/revocation-cache.ts: the same protected action behind a manager without
 * revocation checks (unchecked) and behind one whose auth tokens carry a jti checked in Redis, with the store's local
 * revocation cache (and, for comparison, without it). Driven over IPC like bench/http-server.ts.
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Redis } from 'ioredis';
import { Get, JsonController, useExpressServer } from 'routing-controllers';
import { AuthManager, currentToken, RedisRevocationStore, RequireToken } from 'routing-controllers-jwt';

@JsonController()
class RevocationBenchController {
  @Get('/protected')
  @RequireToken()
  guarded(): { ok: boolean; sub: string | number } {
    return { ok: true, sub: currentToken.sub };
  }
}

/** The settings every manager of the bench shares; `checked` adds JWT_AUTHJTI and the Redis store. */
export function benchSettings(store?: RedisRevocationStore): Record<string, unknown> {
  const base = { JWT_ISSUER: 'bench-revocation', JWT_AUTHTYPE: 'HS256', JWT_SECRET: process.env.BENCH_SECRET ?? '' };
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
  const apps = [appWith(benchSettings()), appWith(benchSettings(benchStore(port, true))), appWith(benchSettings(benchStore(port, false)))];
  const servers = apps.map((app) => app.listen(0, '127.0.0.1'));
  await Promise.all(servers.map((server) => new Promise((resolve) => server.once('listening', resolve))));
  let mark = process.cpuUsage();
  process.send?.({ ports: servers.map((server) => (server.address() as AddressInfo).port) });
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
