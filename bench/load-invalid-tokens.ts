/**
 * Load script (not a test): sends 100k requests carrying invalid tokens of every kind to a real server in a child
 * process, then reports the server's heap after GC before and after, the responses by status, and how many
 * connections the server had to open (a dropped keep-alive connection shows up as an extra one).
 *
 *   npm run load              # 100000 requests
 *   npm run load -- 20000     # fewer
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { buildApp } from './support/protected-app';

const CONCURRENCY = 64;
const ISSUER = 'load-test';
const SECRET = randomBytes(64).toString('base64url');

interface ServerReport {
  type: 'ready' | 'heap';
  port?: number;
  heapUsed?: number;
  connections?: number;
}

const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const hs256 = (header: unknown, payload: unknown, secret = SECRET): string => {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
};

/** One header value per kind of bad input; the load cycles through them. */
function invalidAuthorizations(): Array<string | undefined> {
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: 'u', type: 'auth', iss: ISSUER, iat: now, exp: now + 3600 };
  const good = hs256({ alg: 'HS256', typ: 'JWT' }, claims);
  return [
    undefined,
    'Bearer',
    'Basic dXNlcjpwYXNz',
    'Bearer not-a-token',
    `Bearer ${good.slice(0, good.lastIndexOf('.') + 1)}`,
    `Bearer ${good}x`,
    `Bearer ${hs256({ alg: 'HS256' }, claims, 'another-secret-that-is-long-enough-for-hs256')}`,
    `Bearer ${b64({ alg: 'none' })}.${b64(claims)}.`,
    `Bearer ${hs256({ alg: 'HS256' }, { ...claims, exp: now - 10 })}`,
    `Bearer ${hs256({ alg: 'HS256' }, { ...claims, iss: 'someone-else' })}`,
    `Bearer ${hs256({ alg: 'HS256' }, { ...claims, type: 'refresh' })}`,
    `Bearer ${hs256({ alg: 'HS256', crit: ['exp'] }, claims)}`,
    `Bearer ${'a'.repeat(7000)}.${'b'.repeat(900)}.c`,
    `Bearer ${hs256({ alg: 'HS256' }, '['.repeat(3000))}`,
  ];
}

function runServer(): void {
  const { app } = buildApp({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'HS256', JWT_SECRET: SECRET });
  let connections = 0;
  const server = app.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.send?.({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0 } satisfies ServerReport);
  });
  server.on('connection', () => connections++);
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', (message) => {
    if (message === 'heap') {
      gc?.();
      gc?.();
      process.send?.({ type: 'heap', heapUsed: process.memoryUsage().heapUsed, connections } satisfies ServerReport);
    } else if (message === 'exit') {
      server.close();
      process.exit(0);
    }
  });
}

function ask(child: ChildProcess, message: string): Promise<ServerReport> {
  return new Promise((resolve) => {
    child.once('message', (reply: ServerReport) => resolve(reply));
    child.send(message);
  });
}

async function runLoad(total: number): Promise<void> {
  const child = fork(__filename, ['--server'], { execArgv: ['--expose-gc'] });
  const ready = await new Promise<ServerReport>((resolve) => child.once('message', resolve));
  const url = `http://127.0.0.1:${ready.port}/protected`;
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const headers = invalidAuthorizations();
  const byStatus = new Map<string, number>();
  let errors = 0;
  let sent = 0;

  const one = (authorization: string | undefined): Promise<void> =>
    new Promise((resolve) => {
      const req = request(url, { agent, headers: authorization === undefined ? {} : { authorization } }, (res) => {
        res.resume();
        res.on('end', () => {
          const key = String(res.statusCode);
          byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end();
    });

  const worker = (count: number) => async (): Promise<void> => {
    while (sent < count) {
      const i = sent++;
      await one(headers[i % headers.length]);
    }
  };
  // Warm up on every keep-alive socket, then measure the heap.
  await Promise.all(Array.from({ length: CONCURRENCY }, worker(CONCURRENCY * 20)));
  byStatus.clear();
  sent = 0;
  const before = await ask(child, 'heap');
  const started = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker(total)));
  const seconds = (Date.now() - started) / 1000;
  const after = await ask(child, 'heap');
  agent.destroy();
  child.send('exit');

  const mb = (bytes = 0): string => (bytes / 1048576).toFixed(2);
  const report = {
    requests: total,
    seconds: Number(seconds.toFixed(1)),
    requestsPerSecond: Math.round(total / seconds),
    responsesByStatus: Object.fromEntries(byStatus),
    clientErrors: errors,
    serverConnections: { beforeLoad: before.connections, afterLoad: after.connections, keepAliveSockets: CONCURRENCY },
    droppedConnections: (after.connections ?? 0) - (before.connections ?? 0),
    heapAfterGcMB: { before: mb(before.heapUsed), after: mb(after.heapUsed) },
    heapChange: `${((((after.heapUsed ?? 0) - (before.heapUsed ?? 1)) / (before.heapUsed ?? 1)) * 100).toFixed(1)}%`,
  };
  console.log(JSON.stringify(report, null, 2));
  const ok = byStatus.size === 1 && byStatus.get('401') === total && errors === 0 && report.droppedConnections === 0;
  console.log(ok ? 'OK: every response a 401, no connection dropped' : 'NOT OK');
  process.exitCode = ok ? 0 : 1;
}

if (process.argv.includes('--server')) runServer();
else void runLoad(Number(process.argv[2] ?? 100_000));
