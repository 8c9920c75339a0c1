/**
 * HTTP benchmarks: autocannon against a server in a child process on 127.0.0.1, bounded in time. Variants run in
 * alternating rounds; for each, req/s, p99 latency and the server's CPU microseconds per request (process.cpuUsage in
 * the server: steadier than req/s on a shared machine). The server's heap after GC is measured over 100k valid then
 * 100k garbage requests.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { join } from 'node:path';
import { AuthManager } from 'routing-controllers-jwt';

const ISSUER = 'bench-http';
const CONNECTIONS = 32;
const SECRET = randomBytes(64).toString('base64url');

import type { ServerMessage } from './http-server';
import { ask as askChild } from './support/ipc';

/** One variant's figures, medians over the rounds. */
export interface HttpResult {
  variant: string;
  requestsPerSecond: number;
  p99Ms: number;
  serverCpuMicrosPerRequest: number;
  /** Server CPU microseconds per request minus the plain action's, in the same round (median over rounds). */
  serverCpuMicrosOverPlain: number;
  non2xx: number;
  errors: number;
  /** requests/s over the plain action's in the same round (median over rounds). */
  throughputRatio: number;
}

/** Heap of the server over 100k valid then 100k garbage requests. */
export interface HeapResult {
  requestsPerPhase: number;
  heapAfterGcMB: { start: number; afterValid: number; afterGarbage: number };
  change: string;
  connectionsOpened: number;
  /** Connections opened beyond the one per autocannon connection and phase: each is a dropped keep-alive socket. */
  connectionsDropped: number;
  statuses: Record<string, number>;
}


const ask = (child: ChildProcess, message: string): Promise<ServerMessage> => askChild<ServerMessage>(child, message);

const median = (values: number[]): number => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)];
};

interface Variant {
  name: string;
  url: string;
  headers: Record<string, string>;
  /** The server process that serves it, whose CPU is measured. */
  server: ChildProcess;
}

/** Runs the HTTP benchmarks; `seconds` per variant per round. */
export async function runHttp(rounds = 5, seconds = 2): Promise<{ results: HttpResult[]; heap: HeapResult }> {
  const start = async (kind: string): Promise<{ child: ChildProcess; ports: number[] }> => {
    const child = fork(join(__dirname, 'http-server.js'), [kind], {
      execArgv: ['--expose-gc'],
      env: { ...process.env, BENCH_SECRET: SECRET, BENCH_ISSUER: ISSUER },
    });
    const ready = await new Promise<ServerMessage>((resolve) => child.once('message', resolve));
    return { child, ports: ready.ports ?? [] };
  };
  const plainServer = await start('plain');
  const libraryServer = await start('library');
  const plainBase = `http://127.0.0.1:${plainServer.ports[0]}`;
  const cachedBase = `http://127.0.0.1:${libraryServer.ports[0]}`;
  const uncachedBase = `http://127.0.0.1:${libraryServer.ports[1]}`;
  // A token from a manager with the same configuration (the server's own managers live in the child).
  const manager = new AuthManager({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'HS256', JWT_SECRET: SECRET });
  const token = manager.authToken('user-42', 'read').signed;
  const bearer = { authorization: `Bearer ${token}` };
  const garbage = { authorization: `Bearer ${token.slice(0, -4)}AAAA` };
  const library = libraryServer.child;
  const variants: Variant[] = [
    { name: 'plain action', url: `${plainBase}/plain`, headers: bearer, server: plainServer.child },
    { name: 'plain action, library loaded', url: `${cachedBase}/plain`, headers: bearer, server: library },
    { name: '@RequireToken, cache on', url: `${cachedBase}/protected`, headers: bearer, server: library },
    { name: '@RequireToken, cache off', url: `${uncachedBase}/protected`, headers: bearer, server: library },
    { name: '@RequireToken, invalid token (401)', url: `${cachedBase}/protected`, headers: garbage, server: library },
    { name: 'floor verifier middleware', url: `${cachedBase}/floor/protected`, headers: bearer, server: library },
    { name: 'express-jwt, KeyObject', url: `${cachedBase}/ej-key/protected`, headers: bearer, server: library },
    { name: 'express-jwt, string secret', url: `${cachedBase}/ej-string/protected`, headers: bearer, server: library },
  ];
  const samples = new Map<string, Array<{ rps: number; p99: number; cpu: number; non2xx: number; errors: number }>>();
  const load = (variant: Variant, duration: number) =>
    autocannon({ url: variant.url, headers: variant.headers, connections: CONNECTIONS, duration, pipelining: 1 });
  for (const variant of variants) await load(variant, 1);
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const variant of order) {
      await ask(variant.server, 'mark');
      const result = await load(variant, seconds);
      const usage = await ask(variant.server, 'usage');
      const list = samples.get(variant.name) ?? [];
      list.push({
        rps: result.requests.average,
        p99: result.latency.p99,
        cpu: (usage.cpuMicros ?? 0) / Math.max(1, usage.requests ?? 1),
        non2xx: result.non2xx,
        errors: result.errors + result.timeouts,
      });
      samples.set(variant.name, list);
    }
  }
  // Ratios are taken within each round (variant vs plain in the same round), then the median over rounds: steadier
  // than a ratio of medians when the machine's speed drifts between rounds.
  const plain = samples.get('plain action') ?? [];
  const results = variants.map((variant): HttpResult => {
    const list = samples.get(variant.name) ?? [];
    return {
      variant: variant.name,
      requestsPerSecond: Math.round(median(list.map((s) => s.rps))),
      p99Ms: median(list.map((s) => s.p99)),
      serverCpuMicrosPerRequest: Math.round(median(list.map((s) => s.cpu))),
      serverCpuMicrosOverPlain: Math.round(median(list.map((s, round) => s.cpu - plain[round].cpu))),
      non2xx: list.reduce((sum, s) => sum + s.non2xx, 0),
      errors: list.reduce((sum, s) => sum + s.errors, 0),
      throughputRatio: Number(median(list.map((s, round) => s.rps / plain[round].rps)).toFixed(2)),
    };
  });
  const heap = await heapPhases(library, `${cachedBase}/protected`, bearer, garbage);
  plainServer.child.send('exit');
  library.send('exit');
  return { results, heap };
}

async function heapPhases(child: ChildProcess, url: string, valid: Record<string, string>, garbage: Record<string, string>): Promise<HeapResult> {
  const perPhase = 100_000;
  const statuses: Record<string, number> = {};
  const phase = async (headers: Record<string, string>): Promise<void> => {
    const result = await autocannon({ url, headers, connections: CONNECTIONS, amount: perPhase });
    for (const key of ['1xx', '2xx', '3xx', '4xx', '5xx'] as const) statuses[key] = (statuses[key] ?? 0) + result[key];
  };
  const mb = (bytes = 0): number => Number((bytes / 1048576).toFixed(2));
  const start = await ask(child, 'heap');
  await phase(valid);
  const afterValid = await ask(child, 'heap');
  await phase(garbage);
  const afterGarbage = await ask(child, 'heap');
  const base = start.heapUsed ?? 1;
  return {
    requestsPerPhase: perPhase,
    heapAfterGcMB: { start: mb(start.heapUsed), afterValid: mb(afterValid.heapUsed), afterGarbage: mb(afterGarbage.heapUsed) },
    change: `${((((afterGarbage.heapUsed ?? 0) - base) / base) * 100).toFixed(1)}%`,
    connectionsOpened: (afterGarbage.connections ?? 0) - (start.connections ?? 0),
    connectionsDropped: Math.max(0, (afterGarbage.connections ?? 0) - (start.connections ?? 0) - 2 * CONNECTIONS),
    statuses,
  };
}

