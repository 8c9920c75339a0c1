/**
 * A throwaway redis-server for a benchmark: loopback only, no persistence, on a free port; stopped when the process
 * exits. BENCH_REDIS_PORT names a running one instead.
 */
import { spawn } from 'node:child_process';
import { connect, createServer, type AddressInfo } from 'node:net';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

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

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** The port of a redis-server that accepts connections: BENCH_REDIS_PORT's, or one started here (within 10 s). */
export async function benchRedisPort(): Promise<number> {
  if (process.env.BENCH_REDIS_PORT !== undefined) return Number(process.env.BENCH_REDIS_PORT);
  const port = await freePort();
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  redis.on('error', (error) => {
    console.error(`redis-server could not be started (${error.message}): install it (Debian: redis-server) or set BENCH_REDIS_PORT`);
    process.exit(1);
  });
  process.on('exit', () => redis.kill());
  for (const started = Date.now(); Date.now() - started < 10_000; await sleep(50)) {
    if (await accepts(port)) return port;
  }
  throw new Error(`redis-server did not listen on ${port} within 10 s`);
}
