/**
 * One way to send a Redis command, whichever client the application uses: ioredis (`Redis`, `Cluster`: `call`) or
 * node-redis (`createClient`: `sendCommand(args)`; `createCluster`: `sendCommand(firstKey, isReadonly, args)`).
 * Commands are sent as raw arguments, so no client's typed helpers can silently drop `NX` or `EXAT` (issue 15: node-redis's
 * `set(key, value, 'EXAT', at, 'NX')` ignores both), and every reply is checked by its caller.
 */

/** An ioredis client (`Redis` or `Cluster`): the part of it the store uses. */
export interface IoredisLikeClient {
  call(command: string, ...args: Array<string | number>): Promise<unknown>;
}

/** A node-redis client from `createClient()`: the part of it the store uses. */
export interface NodeRedisLikeClient {
  sendCommand(args: string[]): Promise<unknown>;
}

/** A node-redis cluster from `createCluster()`: the part of it the store uses. */
export interface NodeRedisClusterLikeClient {
  readonly nodeByAddress: unknown;
  sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: string[]): Promise<unknown>;
}

/** Any client the Redis store takes. */
export type RedisLikeClient = IoredisLikeClient | NodeRedisLikeClient | NodeRedisClusterLikeClient;

/** Sends one command; `args[0]` is the command, `firstKey` routes it in a cluster. */
export type SendCommand = (args: string[], firstKey: string | undefined, isReadonly: boolean) => Promise<unknown>;

/**
 * The one sender for `client`.
 *
 * @throws TypeError when `client` is none of the supported clients.
 */
export function commandSender(client: RedisLikeClient): SendCommand {
  const candidate = client as Partial<IoredisLikeClient & NodeRedisClusterLikeClient>;
  if (typeof candidate.call === 'function') {
    const io = client as IoredisLikeClient;
    return (args) => io.call(args[0] as string, ...args.slice(1));
  }
  if (typeof candidate.sendCommand === 'function') {
    if (candidate.nodeByAddress !== undefined) {
      const cluster = client as NodeRedisClusterLikeClient;
      return (args, firstKey, isReadonly) => cluster.sendCommand(firstKey, isReadonly, args);
    }
    const single = client as NodeRedisLikeClient;
    return (args) => single.sendCommand(args);
  }
  throw new TypeError('RedisRevocationStore needs an ioredis client (Redis or Cluster) or a node-redis client ' +
    '(createClient or createCluster); the object given has neither call() nor sendCommand()');
}
