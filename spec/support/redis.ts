/**
 * A real Redis for the specs. `useRedis()` finds one running on 127.0.0.1:${REDIS_PORT:-6379}, or starts its own
 * `redis-server` child process on a free port (and stops it afterwards). When neither is possible the suite is skipped
 * with a message, except in CI (`CI=true`), where a missing Redis fails. Every suite uses its own key prefix and
 * deletes its keys afterwards.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo } from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';

/** The loopback address every spec Redis listens on. */
export const REDIS_HOST = '127.0.0.1';

/** The message printed when Redis tests cannot run. */
export const MISSING_REDIS = 'redis-server not found: install it (apt-get install redis-server)';

/** True when CI=true, where a missing Redis must fail instead of skipping. */
export const inCI = (): boolean => process.env.CI === 'true';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** True when a `redis-server` binary can be run. */
export function redisServerInstalled(): boolean {
  const probe = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
}

/** True when something on `port` answers `PING` with `+PONG` within `timeoutMs`. */
export function ping(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: REDIS_HOST, port });
    let answer = '';
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
    socket.on('error', () => done(false));
  });
}

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, REDIS_HOST, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** How a `RedisServerProcess` differs from a plain standalone server. */
export interface RedisServerOptions {
  /** Appended to the command line. */
  readonly args?: readonly string[];
  /** A configuration file, passed first. */
  readonly configFile?: string;
}

/** A `redis-server` child process this run started: no persistence, loopback only. */
export class RedisServerProcess {
  #child: ChildProcess | null = null;
  #output = '';

  private constructor(readonly port: number, private readonly options: RedisServerOptions = {}) {}

  /**
   * Starts a server on `port` (a free one by default) and waits until it answers PING. `options.args` are appended to
   * the command line (later settings win): cluster mode, a replica, persistence; `options.configFile` comes first
   * (a sentinel needs a writable one).
   */
  static async start(port?: number, options: RedisServerOptions = {}): Promise<RedisServerProcess> {
    const server = new RedisServerProcess(port ?? (await freePort()), options);
    await server.start();
    return server;
  }

  get running(): boolean {
    return this.#child !== null;
  }

  /** (Re)starts the server on its port; resolves once it answers PING. */
  async start(): Promise<void> {
    if (this.#child !== null) return;
    const child = spawn('redis-server', [
      ...(this.options.configFile === undefined ? [] : [this.options.configFile]),
      '--port', String(this.port),
      '--bind', REDIS_HOST,
      '--save', '',
      '--appendonly', 'no',
      '--protected-mode', 'yes',
      ...(this.options.args ?? []),
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    this.#output = '';
    const keep = (chunk: Buffer): void => {
      this.#output = (this.#output + chunk.toString('utf8')).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let exited = false;
    child.once('exit', () => {
      exited = true;
      if (this.#child === child) this.#child = null;
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (exited) break;
      if (await ping(this.port, 200)) return;
      await sleep(25);
    }
    await this.stop();
    throw new Error(`redis-server did not start on port ${this.port}:\n${this.#output}`);
  }

  /** Stops the server (SIGKILL: an abrupt outage) and waits until the process is gone. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child === null) return;
    this.#child = null;
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await gone;
    }
  }
}

/** A key prefix unique to this run and `label`. */
export function uniquePrefix(label: string): string {
  return `rcjwt-spec:${process.pid}:${randomBytes(6).toString('hex')}:${label}:`;
}

/** Deletes every key starting with `prefix`. */
export async function deleteByPrefix(client: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) deleted += await client.del(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** What `useRedis()` gives a suite once its `before` hook ran. */
export interface RedisHandle {
  /** The port of the Redis in use. */
  port: number;
  /** True when this suite started the server itself (and will stop it). */
  owned: boolean;
  /** A key prefix unique to this suite; its keys are deleted after the suite. */
  prefix: string;
  /** A new ioredis client to this Redis, closed after the suite; errors are collected instead of printed. */
  client(options?: RedisOptions): Redis;
  /** Connection errors the clients reported. */
  errors: Error[];
}

/** Waits until `client` is connected and ready. */
export async function ready(client: Redis, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (client.status !== 'ready') {
    if (Date.now() > deadline) throw new Error(`the Redis client is still "${client.status}"`);
    await sleep(20);
  }
}

/** Skips the current suite (outside CI) or fails it (in CI) because no Redis can be had. */
export function missingRedis(context: Mocha.Context): never {
  if (inCI()) throw new Error(`${MISSING_REDIS} (CI=true: a missing Redis is a failure, not a skip)`);
  console.warn(MISSING_REDIS);
  context.skip();
}

/**
 * Registers `before`/`after` hooks in the calling `describe` that provide a Redis: a running one on
 * 127.0.0.1:${REDIS_PORT:-6379}, else a `redis-server` started for the suite. The handle's fields are set in `before`.
 */
export function useRedis(label: string): RedisHandle {
  const clients: Redis[] = [];
  let server: RedisServerProcess | null = null;
  const handle: RedisHandle = {
    port: 0,
    owned: false,
    prefix: uniquePrefix(label),
    errors: [],
    client(options: RedisOptions = {}): Redis {
      const client = new Redis({ host: REDIS_HOST, port: handle.port, ...options });
      client.on('error', (error: Error) => handle.errors.push(error));
      clients.push(client);
      return client;
    },
  };

  before(async function () {
    this.timeout(20_000);
    const port = Number(process.env.REDIS_PORT ?? 6379);
    if (await ping(port)) {
      handle.port = port;
      return;
    }
    if (!redisServerInstalled()) missingRedis(this);
    server = await RedisServerProcess.start();
    handle.port = server.port;
    handle.owned = true;
  });

  after(async function () {
    this.timeout(20_000);
    if (handle.port !== 0) {
      const cleaner = new Redis({ host: REDIS_HOST, port: handle.port, lazyConnect: true, maxRetriesPerRequest: 1 });
      cleaner.on('error', () => undefined);
      try {
        await cleaner.connect();
        await deleteByPrefix(cleaner, handle.prefix);
      } finally {
        cleaner.disconnect();
      }
    }
    for (const client of clients.splice(0)) client.disconnect();
    await server?.stop();
  });

  return handle;
}
