/**
 * Real Redis topologies for the specs, all on loopback ports, in a temporary folder removed afterwards: a Redis
 * Cluster of three masters (no replicas: a killed master takes its slots away until it is back, with its data kept
 * by an AOF) and a Sentinel setup (a master, a replica, one sentinel with quorum 1). Both need only Debian's
 * redis-server package (`redis-cli --cluster create` makes the cluster; `redis-server --sentinel` is the sentinel).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, REDIS_HOST, RedisServerProcess } from './redis';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs a command to its end; rejects with its output when it fails. */
function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} failed (${code}):\n${output}`))));
  });
}

/** Asks one server something, on a short-lived connection. */
async function ask(port: number, ...args: string[]): Promise<unknown> {
  const client = new Redis({ host: REDIS_HOST, port, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.call(args[0] as string, ...args.slice(1));
  } finally {
    client.disconnect();
  }
}

/** Polls `condition` every 50 ms until it holds; throws `what` after `timeoutMs`. */
export async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

/** A three-master Redis Cluster on loopback ports. */
export class RedisClusterProcesses {
  private constructor(readonly masters: RedisServerProcess[], private readonly dir: string) {}

  /** Starts three cluster-enabled servers, joins them into one cluster and waits until its state is ok. */
  static async start(): Promise<RedisClusterProcesses> {
    const dir = mkdtempSync(join(tmpdir(), 'rcjwt-cluster-'));
    const masters: RedisServerProcess[] = [];
    try {
      for (let index = 0; index < 3; index += 1) {
        const port = await freePort();
        const nodeDir = join(dir, String(port));
        mkdirSync(nodeDir);
        masters.push(await RedisServerProcess.start(port, {
          args: [
            '--dir', nodeDir,
            '--cluster-enabled', 'yes',
            '--cluster-config-file', 'nodes.conf',
            '--cluster-node-timeout', '1000',
            // A master that is away takes only its own slots away, not the whole cluster's.
            '--cluster-require-full-coverage', 'no',
            '--appendonly', 'yes',
            '--appendfsync', 'always',
          ],
        }));
      }
      await run('redis-cli', ['--cluster', 'create', ...masters.map((master) => `${REDIS_HOST}:${master.port}`),
        '--cluster-replicas', '0', '--cluster-yes']);
      const cluster = new RedisClusterProcesses(masters, dir);
      await cluster.waitUntilOk();
      return cluster;
    } catch (error) {
      for (const master of masters) await master.stop();
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** The address list a cluster client starts from. */
  get startupNodes(): Array<{ host: string; port: number }> {
    return this.masters.map((master) => ({ host: REDIS_HOST, port: master.port }));
  }

  /** Waits until every running master says `cluster_state:ok` and knows all three masters. */
  async waitUntilOk(): Promise<void> {
    await until(async () => {
      for (const master of this.masters.filter((one) => one.running)) {
        const info = String(await ask(master.port, 'CLUSTER', 'INFO'));
        if (!info.includes('cluster_state:ok') || !info.includes('cluster_known_nodes:3')) return false;
      }
      return true;
    }, 'the cluster state is ok');
  }

  /** The master that holds `key`'s slot. */
  async masterOf(key: string): Promise<RedisServerProcess> {
    const running = this.masters.find((master) => master.running) as RedisServerProcess;
    const slot = Number(await ask(running.port, 'CLUSTER', 'KEYSLOT', key));
    const ranges = await ask(running.port, 'CLUSTER', 'SLOTS') as Array<[number, number, [string, number]]>;
    const range = ranges.find(([first, last]) => slot >= first && slot <= last);
    const owner = this.masters.find((master) => master.port === Number(range?.[2][1]));
    if (owner === undefined) throw new Error(`no master holds slot ${slot}`);
    return owner;
  }

  async stop(): Promise<void> {
    for (const master of this.masters) await master.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A master, its replica and one sentinel (quorum 1) that fails over within about two seconds. */
export class RedisSentinelProcesses {
  /** The name the sentinel monitors the master under. */
  static readonly NAME = 'rcjwt-spec';

  private constructor(
    readonly master: RedisServerProcess,
    readonly replica: RedisServerProcess,
    readonly sentinel: RedisServerProcess,
    private readonly dir: string,
  ) {}

  static async start(): Promise<RedisSentinelProcesses> {
    const dir = mkdtempSync(join(tmpdir(), 'rcjwt-sentinel-'));
    const started: RedisServerProcess[] = [];
    try {
      const persistent = (name: string): string[] => {
        mkdirSync(join(dir, name));
        return ['--dir', join(dir, name), '--appendonly', 'yes', '--appendfsync', 'always'];
      };
      const master = await RedisServerProcess.start(undefined, { args: persistent('master') });
      started.push(master);
      const replica = await RedisServerProcess.start(undefined, {
        args: [...persistent('replica'), '--replicaof', REDIS_HOST, String(master.port)],
      });
      started.push(replica);
      await until(async () => String(await ask(master.port, 'INFO', 'replication')).includes('state=online'), 'the replica is in sync');
      const sentinelPort = await freePort();
      const configFile = join(dir, 'sentinel.conf');
      writeFileSync(configFile, [
        `sentinel monitor ${RedisSentinelProcesses.NAME} ${REDIS_HOST} ${master.port} 1`,
        `sentinel down-after-milliseconds ${RedisSentinelProcesses.NAME} 1000`,
        `sentinel failover-timeout ${RedisSentinelProcesses.NAME} 5000`,
        '',
      ].join('\n'));
      const sentinel = await RedisServerProcess.start(sentinelPort, { configFile, args: ['--sentinel', '--dir', dir] });
      started.push(sentinel);
      // The sentinel learns the replica from the master within a few seconds; a failover needs it.
      await until(async () => {
        const replicas = await ask(sentinelPort, 'SENTINEL', 'REPLICAS', RedisSentinelProcesses.NAME) as unknown[];
        return replicas.length === 1;
      }, 'the sentinel knows the replica');
      return new RedisSentinelProcesses(master, replica, sentinel, dir);
    } catch (error) {
      for (const server of started) await server.stop();
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** The port of the master the sentinel names now. */
  async currentMasterPort(): Promise<number> {
    const [, port] = await ask(this.sentinel.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', RedisSentinelProcesses.NAME) as [string, string];
    return Number(port);
  }

  /** True when the sentinel lists the server on `port` among the replicas and takes it for up (its PING answered). */
  async sentinelSeesUp(port: number): Promise<boolean> {
    const replicas = await ask(this.sentinel.port, 'SENTINEL', 'REPLICAS', RedisSentinelProcesses.NAME) as string[][];
    return replicas.some((fields) => {
      const field = (name: string): string | undefined => fields[fields.indexOf(name) + 1];
      return field('port') === String(port) && !/s_down|disconnected/.test(field('flags') ?? 's_down');
    });
  }

  async stop(): Promise<void> {
    for (const server of [this.sentinel, this.replica, this.master]) await server.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
