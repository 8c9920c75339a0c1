/**
 * The opt-in local revocation cache of `RedisRevocationStore` (issue 15): each instance remembers the answers Redis
 * gave for keys it has checked (revoked or not, a subject's "revoked before"), so that a check answered from memory
 * needs no round trip. Kept coherent by Redis pub/sub: every write that revokes (or frees) a key PUBLISHes the key on
 * one channel, and each instance drops it on the message. While its subscriber connection is not subscribed
 * (connecting, reconnecting, killed) the cache answers nothing and is emptied: every check goes to Redis, never a
 * stale answer (messages missed while away cannot be replayed, so nothing remembered before survives).
 */

/**
 * An ioredis subscriber connection (`client.duplicate()`): messages come as `message` events, and its `ready` event
 * fires on every (re)connection.
 */
export interface IoredisSubscriberLike {
  subscribe(channel: string): Promise<unknown>;
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  on(event: 'ready' | 'close' | 'end' | 'reconnecting' | 'error', listener: (...args: unknown[]) => void): unknown;
}

/**
 * A node-redis subscriber connection (`client.duplicate()`, connected): messages come to the listener given to
 * `subscribe`, and node-redis subscribes again on every reconnection before its `ready` event.
 */
export interface NodeRedisSubscriberLike {
  readonly isReady: boolean;
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  on(event: 'ready' | 'end' | 'reconnecting' | 'error', listener: (...args: unknown[]) => void): unknown;
}

/** A dedicated subscriber connection, ioredis's or node-redis's; it is used for nothing else once given. */
export type RedisSubscriberLike = IoredisSubscriberLike | NodeRedisSubscriberLike;

/** node-redis clients say whether they are ready in a boolean `isReady`; ioredis clients have a `status` string. */
const isNodeRedis = (subscriber: RedisSubscriberLike): subscriber is NodeRedisSubscriberLike =>
  typeof (subscriber as { isReady?: unknown }).isReady === 'boolean';

/** Options of the local revocation cache (`RedisRevocationStoreOptions.localCache`). */
export interface LocalRevocationCacheOptions {
  /**
   * The subscriber connection, used for the invalidation channel only (a connection in subscriber mode cannot send
   * other commands). With ioredis: `client.duplicate()`; with node-redis: `client.duplicate()`, connected.
   * @example `{ subscriber: client.duplicate() }` (ioredis), `{ subscriber: await client.duplicate().connect() }` (node-redis)
   */
  subscriber: RedisSubscriberLike;
  /**
   * How many keys to remember; the oldest are forgotten first (they are asked of Redis again).
   * @default 100000
   */
  maxEntries?: number;
  /**
   * Milliseconds between the heartbeats each store publishes on the invalidation channel. A subscriber that has heard
   * nothing for three of them is taken as lost (a connection that died silently, where no close event comes): the
   * cache answers nothing until it hears the channel again. This bounds how long a silently lost subscriber can serve
   * a revoked token; a closed connection is noticed at once.
   * @default 1000
   */
  heartbeatMs?: number;
}

/** The message a heartbeat publishes: no key is empty (every key has the store's prefix). */
export const HEARTBEAT_MESSAGE = '';

/** What is remembered of one key: whether it exists, or the number a subject entry holds. */
type Known = boolean | number | null;

/** The cache itself; keys are full Redis keys. */
export class LocalRevocationCache {
  readonly #entries = new Map<string, Known>();
  readonly #maxEntries: number;
  /** Subscribed: the confirmation of SUBSCRIBE came, and no close or error since. */
  #subscribed = false;
  /** Nothing heard on the channel for three heartbeats: the connection may be dead without having said so. */
  #silent = false;
  #lastHeard = 0;
  /** Counts invalidations and losses: an answer read before one of them is not remembered (it may be stale). */
  #generation = 0;

  /**
   * @param publishHeartbeat - Publishes `HEARTBEAT_MESSAGE` on `channel` (through the store's command connection).
   */
  constructor(readonly channel: string, options: LocalRevocationCacheOptions, publishHeartbeat: () => Promise<unknown>) {
    this.#maxEntries = options.maxEntries ?? 100_000;
    if (!Number.isInteger(this.#maxEntries) || this.#maxEntries < 1) {
      throw new TypeError('RedisRevocationStore localCache.maxEntries must be a whole number of keys, 1 or more');
    }
    const heartbeatMs = options.heartbeatMs ?? 1000;
    if (!Number.isInteger(heartbeatMs) || heartbeatMs < 10) {
      throw new TypeError('RedisRevocationStore localCache.heartbeatMs must be a whole number of milliseconds, 10 or more');
    }
    const { subscriber } = options;
    const lost = (): void => this.#lose();
    const heard = (from: string, key: string): void => {
      if (from !== channel) return;
      this.#lastHeard = Date.now();
      if (this.#silent) {
        // Heard again: whatever was remembered went when the silence was noticed; what is read from now on holds.
        this.#silent = false;
        this.#generation += 1;
      }
      if (key === HEARTBEAT_MESSAGE) return;
      this.#generation += 1;
      this.#entries.delete(key);
    };
    // A connection can die without a close event (a network partition: no FIN, no RST); only the lack of messages
    // tells. Every store publishes a heartbeat, so a subscriber that hears nothing for three of them is not trusted.
    setInterval(() => {
      publishHeartbeat().catch(() => undefined);
      if (this.#subscribed && !this.#silent && Date.now() - this.#lastHeard > 3 * heartbeatMs) {
        this.#silent = true;
        this.#generation += 1;
        this.#entries.clear();
      }
    }, heartbeatMs).unref();
    const nodeRedis = isNodeRedis(subscriber);
    // One listener for the connection's life: node-redis keeps each listener once, however often it is given.
    const listener = (key: string, from: string): void => heard(from, key);
    const listen = nodeRedis
      ? (): Promise<unknown> => subscriber.subscribe(channel, listener)
      : (): Promise<unknown> => subscriber.subscribe(channel);
    if (!nodeRedis) subscriber.on('message', heard);
    for (const event of ['close', 'end', 'reconnecting', 'error'] as const) (subscriber as IoredisSubscriberLike).on(event, lost);
    // Subscribed again after a reconnection: only now may answers be remembered again. ioredis re-subscribes on its
    // own, but the confirmation of our own SUBSCRIBE is what says the channel is heard; node-redis re-subscribes before
    // `ready`, and answers a subscription it already holds at once (the same listener is kept once).
    const subscribe = (): void => {
      const generation = this.#generation;
      listen().then(() => {
        if (generation !== this.#generation) {
          subscribe();
          return;
        }
        this.#subscribed = true;
        this.#silent = false;
        this.#lastHeard = Date.now();
      }, lost);
    };
    subscriber.on('ready', () => {
      this.#lose();
      subscribe();
    });
    // A node-redis client not connected yet subscribes on its first `ready`; one already connected, now.
    if (!nodeRedis || subscriber.isReady) subscribe();
  }

  /** True while invalidations are heard. */
  get healthy(): boolean {
    return this.#subscribed && !this.#silent;
  }

  #lose(): void {
    this.#subscribed = false;
    this.#generation += 1;
    this.#entries.clear();
  }

  /** A mark to pass to `remember`: answers read before a later invalidation are dropped. */
  mark(): number {
    return this.#generation;
  }

  /** What is known of every key, or `undefined` when any is unknown or the channel is not heard. */
  lookup(keys: readonly string[]): Known[] | undefined {
    if (!this.healthy) return undefined;
    const known: Known[] = [];
    for (const key of keys) {
      const value = this.#entries.get(key);
      if (value === undefined) return undefined;
      known.push(value);
    }
    return known;
  }

  /** What is known of each key (`undefined` for a key not seen), or `undefined` when the channel is not heard. */
  peek(keys: readonly string[]): Array<Known | undefined> | undefined {
    return this.healthy ? keys.map((key) => this.#entries.get(key)) : undefined;
  }

  /** Remembers what Redis answered, unless an invalidation or a loss came since `mark`. */
  remember(mark: number, entries: ReadonlyArray<readonly [string, Known]>): void {
    if (!this.healthy || mark !== this.#generation) return;
    for (const [key, value] of entries) {
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  /** Forgets `key` here at once (the writer's own instance does not wait for its message). */
  forget(key: string): void {
    this.#generation += 1;
    this.#entries.delete(key);
  }
}
