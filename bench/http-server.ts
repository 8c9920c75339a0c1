/**
 * A benchmark server process, driven over IPC by bench/http.ts: `plain` serves the baseline app, which never loads
 * the library; `library` serves the protected app twice (verify cache on and off). It reports its CPU time, request
 * and connection counts, and heap after GC on request.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the server tells the parent. */
export interface ServerMessage {
  type: 'ready' | 'usage';
  ports?: number[];
  cpuMicros?: number;
  requests?: number;
  heapUsed?: number;
  connections?: number;
}

type Listenable = { listen: (port: number, host: string) => Server };

// Loaded lazily, so that the plain server never loads the library.
/* eslint-disable @typescript-eslint/no-require-imports */
function appsOf(kind: string): Listenable[] {
  if (kind === 'plain') {
    const { buildPlainApp } = require('./support/plain-app') as typeof import('./support/plain-app');
    return [buildPlainApp()];
  }
  const { buildApp } = require('./support/protected-app') as typeof import('./support/protected-app');
  const config = { JWT_ISSUER: process.env.BENCH_ISSUER ?? 'bench', JWT_AUTHTYPE: 'HS256', JWT_SECRET: process.env.BENCH_SECRET ?? '' };
  return [buildApp(config).app, buildApp({ ...config, JWT_CACHESIZE: '0' }).app];
}
/* eslint-enable @typescript-eslint/no-require-imports */

async function runServer(kind: string): Promise<void> {
  const apps = appsOf(kind);
  let requests = 0;
  let connections = 0;
  const servers = apps.map((app) => app.listen(0, '127.0.0.1'));
  await Promise.all(servers.map((server) => new Promise((resolve) => server.once('listening', resolve))));
  for (const server of servers) {
    server.on('request', () => requests++);
    server.on('connection', () => connections++);
  }
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  process.send?.({ type: 'ready', ports } satisfies ServerMessage);
  let mark = process.cpuUsage();
  let markRequests = 0;
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', (message) => {
    if (message === 'mark') {
      mark = process.cpuUsage();
      markRequests = requests;
      process.send?.({ type: 'usage' } satisfies ServerMessage);
    } else if (message === 'usage') {
      const used = process.cpuUsage(mark);
      process.send?.({ type: 'usage', cpuMicros: used.user + used.system, requests: requests - markRequests } satisfies ServerMessage);
    } else if (message === 'heap') {
      gc?.();
      gc?.();
      process.send?.({ type: 'usage', heapUsed: process.memoryUsage().heapUsed, connections } satisfies ServerMessage);
    } else if (message === 'exit') {
      process.exit(0);
    }
  });
}


void runServer(process.argv[2] ?? 'library');
