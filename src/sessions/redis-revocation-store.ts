/**
 * A revocation store in Redis, shared by every instance of a service. Entries expire with the token they concern
 * (`SET ... EXAT`), `use` is one atomic `SET ... NX`, and a rotation is one Lua script (check the family, retire the
 * refresh token with this attempt's value, or revoke the family on reuse). Standalone Redis, Sentinel and Cluster
 * work: the sessions module puts one hash tag per family in every key of a token, so each check is one command on
 * one slot. ioredis and node-redis clients both work (see `RedisLikeClient`); the library depends on neither.
 */
import { randomBytes } from 'node:crypto';
import { commandSender, type RedisLikeClient, type SendCommand } from './redis-commands';
import { HEARTBEAT_MESSAGE, LocalRevocationCache, type LocalRevocationCacheOptions } from './redis-local-cache';
import type { RetireRequest, RevocationStore, StoreRetireOutcome } from './revocation-store';
import { reportStoreFailure, type StoreFailure, type StoreOperation } from './store-failures';

export type { RedisLikeClient } from './redis-commands';
export type { LocalRevocationCacheOptions, RedisSubscriberLike } from './redis-local-cache';

/** Options of `RedisRevocationStore`. */
export interface RedisRevocationStoreOptions {
  /**
   * Prefix of every key. It must not contain `{` or `}`: the family's hash tag has to be the first one in the key.
   * @default 'rcjwt:revoked:'
   */
  prefix?: string;
  /**
   * Called with every store failure (a Redis error, an unexpected reply, a failed self-check); the failure names the
   * operation and carries the error's message, never a token or a key. It is also published on the
   * `node:diagnostics_channel` channel `routing-controllers-jwt:store`.
   * @default undefined
   */
  onError?: (failure: StoreFailure) => void;
  /**
   * Opt-in local revocation cache: answers a check from memory, with no round trip, while a dedicated subscriber
   * connection hears the invalidations every instance PUBLISHes on `<prefix>invalidate` when it revokes; while that
   * connection is not subscribed, every check asks Redis (never a stale answer). Every store publishes its
   * invalidations, with or without this option, so instances with and without a cache can share one Redis.
   * @default undefined (every check is a round trip)
   * @example `new RedisRevocationStore(client, { localCache: { subscriber: client.duplicate() } })`
   */
  localCache?: LocalRevocationCacheOptions;
  /**
   * How many commands may wait for Redis's answer at once. Beyond it, store operations fail at once (and the request
   * gets its 503) without sending anything: a hung Redis, or a client with no command timeout, cannot make commands
   * pile up without bound, whatever the client's options.
   * @default 1000
   */
  maxPendingCommands?: number;
}

// Redis Lua (EVAL): the store step of a rotation (ARGV[4] 'retire') or of a retired token's reuse check ('check'),
// atomic, on the family's slot. KEYS[1] the family, KEYS[2] the retired rid; ARGV[1] this attempt's random value,
// ARGV[2] / ARGV[3] when the rid / the family entries expire, ARGV[5] how long an unconfirmed retirement is pending
// (by Redis's own clock: no clock skew), ARGV[6] the refresh grace window in ms (0: off), ARGV[7] the successor's id
// or ''. A retirement is 'p:<ms>:[<successor>:]<attempt>' until confirmed 'd:<ms>:[<successor>:]<attempt>'; one never
// confirmed in time delivered no tokens (its rotation was answered 503), so it is free again. A family revoked for
// reuse holds the attempt. Within the grace window a retirement naming its successor answers it again instead (a
// pending one is made done for good: its successor may now be answered twice, so no attempt may undo it, and the
// rotation that wrote it still confirms, by its successor).
// Each write can be undone by its attempt, and only by it.
const RETIRE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 'revoked' end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local value = redis.call('GET', KEYS[2])
local since = value and tonumber(string.match(value, '^p:(%d+):'))
local free = not value or (since and now - since >= tonumber(ARGV[5]))
if free then
  if ARGV[4] ~= 'retire' then return 'unused' end
  local successor = ARGV[7] ~= '' and (ARGV[7] .. ':') or ''
  redis.call('SET', KEYS[2], 'p:' .. now .. ':' .. successor .. ARGV[1], 'EXAT', ARGV[2])
  return 'rotated'
end
local at, successor = string.match(value, '^[pd]:(%d+):([^:]+):')
if successor and tonumber(ARGV[6]) > 0 and (since or now - tonumber(at) < tonumber(ARGV[6])) then
  if ARGV[4] ~= 'retire' then return 'unused' end
  if since then redis.call('SET', KEYS[2], 'd:' .. now .. ':' .. successor .. ':grace', 'KEEPTTL') end
  return 'grace:' .. successor
end
if since then return 'pending' end
redis.call('SET', KEYS[1], ARGV[1], 'EXAT', ARGV[3])
return 'reused'`;

// Deletes KEYS[1] only while it holds this attempt (ARGV[1]): the attempt itself, or a retirement ending in it.
const RELEASE_SCRIPT = `
local value = redis.call('GET', KEYS[1])
if value and (value == ARGV[1] or string.sub(value, -(#ARGV[1] + 1)) == ':' .. ARGV[1]) then
  return redis.call('DEL', KEYS[1])
end
return 0`;

// Marks this attempt's pending retirement done (since now: the grace window starts), keeping its expiry; 1 too when a
// request within the grace window made it done naming this attempt's successor (ARGV[2]); 0 when it is no longer
// this attempt's.
const CONFIRM_SCRIPT = `
local value = redis.call('GET', KEYS[1])
if value and string.sub(value, 1, 2) == 'p:' and string.sub(value, -(#ARGV[1] + 1)) == ':' .. ARGV[1] then
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  redis.call('SET', KEYS[1], 'd:' .. now .. ':' .. string.match(value, '^p:%d+:(.*)$'), 'KEEPTTL')
  return 1
end
if value and ARGV[2] ~= '' and string.sub(value, 1, 2) == 'd:' and string.find(value, ':' .. ARGV[2] .. ':', 1, true) then
  return 1
end
return 0`;

// Logout everywhere: keeps the later of the recorded and the given "revoked before" second (ARGV[1]), and the later
// expiry (ARGV[2]).
const REVOKE_BEFORE_SCRIPT = `
local before = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local ttl = redis.call('TTL', KEYS[1])
local at = tonumber(ARGV[2])
if ttl > 0 then
  local time = redis.call('TIME')
  at = math.max(at, tonumber(time[1]) + ttl)
end
redis.call('SET', KEYS[1], tostring(math.max(before, tonumber(ARGV[1]))), 'EXAT', at)
return 1`;

const RETIRE_OUTCOMES: ReadonlySet<unknown> = new Set(['rotated', 'revoked', 'reused', 'pending', 'unused']);

/** A reply that is not what Redis answers to the command sent: a client or proxy that changed the command. */
class UnexpectedReplyError extends Error {
  constructor(command: string, expected: string) {
    super(`Redis answered ${command} with an unexpected reply (expected ${expected}); is the client an ioredis or node-redis client?`);
    this.name = 'UnexpectedReplyError';
  }
}

/** Too many commands already wait for Redis: this one is not sent (fail closed, and at once). */
class TooManyPendingCommandsError extends Error {
  constructor(limit: number) {
    super(`${limit} commands are already waiting for Redis (maxPendingCommands); not sending more until it answers`);
    this.name = 'TooManyPendingCommandsError';
  }
}

/** `send`, refusing at once while `limit` commands sent through it wait for their answer. */
function boundedSender(send: SendCommand, limit: number): SendCommand {
  let pending = 0;
  const settled = (): void => {
    pending -= 1;
  };
  return (args, firstKey, isReadonly) => {
    if (pending >= limit) return Promise.reject(new TooManyPendingCommandsError(limit));
    pending += 1;
    let reply: Promise<unknown>;
    try {
      reply = Promise.resolve(send(args, firstKey, isReadonly));
    } catch (error) {
      reply = Promise.reject(error);
    }
    reply.then(settled, settled);
    return reply;
  };
}

/**
 * Revocations in Redis (standalone, Sentinel or Cluster), through an ioredis or a node-redis client.
 *
 * Configure the client to fail fast while Redis is away, so that requests get their 503 at once instead of waiting
 * in a queue (ioredis: `enableOfflineQueue: false`, `maxRetriesPerRequest: 1`, `commandTimeout: 500`; node-redis:
 * `disableOfflineQueue: true`, `commandOptions` timeouts).
 *
 * @example
 * ```ts
 * import Redis from 'ioredis';
 * const store = new RedisRevocationStore(new Redis(process.env.REDIS_URL, { enableOfflineQueue: false }));
 * await store.selfCheck(); // fails at start-up when the client drops NX or the expiry
 * Container.set(JWT_REVOCATIONSTORE, store);
 * ```
 */
export class RedisRevocationStore implements RevocationStore {
  readonly #prefix: string;
  readonly #send: SendCommand;
  readonly #onError: ((failure: StoreFailure) => void) | undefined;
  #checked: Promise<void> | null = null;
  readonly #cache: LocalRevocationCache | undefined;
  readonly #channel: string;

  /** @throws TypeError when the client is not a supported client, the prefix holds a brace or a limit is not a count. */
  constructor(client: RedisLikeClient, options: RedisRevocationStoreOptions = {}) {
    const maxPending = options.maxPendingCommands ?? 1000;
    if (!Number.isInteger(maxPending) || maxPending < 1) {
      throw new TypeError('RedisRevocationStore maxPendingCommands must be a whole number of commands, 1 or more');
    }
    this.#send = boundedSender(commandSender(client), maxPending);
    this.#prefix = options.prefix ?? 'rcjwt:revoked:';
    if (/[{}]/.test(this.#prefix)) {
      throw new TypeError('The RedisRevocationStore prefix must not contain "{" or "}": the key of a token family is ' +
        'its Redis Cluster hash tag, and it must be the first one in the key');
    }
    this.#onError = options.onError;
    this.#channel = `${this.#prefix}invalidate`;
    this.#cache = options.localCache === undefined ? undefined : new LocalRevocationCache(this.#channel, options.localCache,
      () => this.#send(['PUBLISH', this.#channel, HEARTBEAT_MESSAGE], this.#channel, false));
  }

  /** True while the local cache hears invalidations (and so may answer); false without a local cache. */
  get localCacheHealthy(): boolean {
    return this.#cache?.healthy ?? false;
  }

  /**
   * Tells every instance's local cache that `keys` changed (after the write: a check reading before it and answered
   * after the message is not remembered). A failed publish fails the write's operation: it is retried, and announced.
   */
  async #announce(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      this.#cache?.forget(key);
      const reply = await this.#send(['PUBLISH', this.#channel, key], key, false);
      if (typeof reply !== 'number') throw new UnexpectedReplyError('PUBLISH', 'a count of subscribers');
    }
  }

  /**
   * Checks once that the client and server honour what the store relies on: `SET ... NX` refuses an existing key,
   * `EXAT` sets an expiry, `EXISTS` counts every key. Every store operation waits for it (and fails closed when it
   * fails); await it at start-up to fail there instead, with a message that says what is wrong.
   *
   * @throws Error naming the property the client or server does not honour.
   */
  selfCheck(): Promise<void> {
    this.#checked ??= this.#runSelfCheck().catch((error: unknown) => {
      this.#checked = null;
      throw this.#report('selfCheck', error);
    });
    return this.#checked;
  }

  async #runSelfCheck(): Promise<void> {
    const tag = `{self-check:${randomBytes(8).toString('hex')}}`;
    const key = `${this.#prefix}${tag}:a`;
    const other = `${this.#prefix}${tag}:b`;
    const at = String(Math.ceil(Date.now() / 1000) + 30);
    const fail = (what: string): never => {
      throw new Error(`RedisRevocationStore self-check failed: ${what}. Refresh tokens would not be single-use ` +
        'or revocations would never expire; use an ioredis or node-redis client against a real Redis (6.2 or later)');
    };
    try {
      if (await this.#send(['SET', key, 'first', 'NX', 'EXAT', at], key, false) !== 'OK') fail('SET ... NX on a new key did not answer OK');
      if (await this.#send(['SET', key, 'second', 'NX', 'EXAT', at], key, false) !== null) fail('SET ... NX replaced an existing key (NX is not honoured)');
      if (await this.#send(['GET', key], key, true) !== 'first') fail('SET ... NX changed an existing value (NX is not honoured)');
      const ttl = await this.#send(['TTL', key], key, true);
      if (typeof ttl !== 'number' || ttl < 1 || ttl > 31) fail('SET ... EXAT left the key without its expiry (EXAT is not honoured)');
      await this.#send(['SET', other, '1', 'EXAT', at], other, false);
      if (await this.#send(['EXISTS', key, other], key, true) !== 2) fail('EXISTS with two keys did not count both');
    } finally {
      await this.#send(['DEL', key, other], key, false).catch(() => undefined);
    }
  }

  #report(operation: StoreOperation, error: unknown): Error {
    return reportStoreFailure(operation, error, this.#onError);
  }

  /** Runs one operation after the self-check; failures are reported, then rethrown (the caller fails closed). */
  async #run<T>(operation: StoreOperation, work: () => Promise<T>): Promise<T> {
    await this.selfCheck();
    try {
      return await work();
    } catch (error) {
      throw this.#report(operation, error);
    }
  }

  // EXAT needs a whole second in the future; a token already expired needs no entry at all.
  #expiry(expiresAt: number): number | null {
    const at = Math.ceil(expiresAt);
    return at > Date.now() / 1000 ? at : null;
  }

  async revoke(key: string, expiresAt: number): Promise<void> {
    const at = this.#expiry(expiresAt);
    if (at === null) return;
    const full = this.#prefix + key;
    await this.#run('revoke', async () => {
      if (await this.#send(['SET', full, '1', 'EXAT', String(at)], full, false) !== 'OK') throw new UnexpectedReplyError('SET', 'OK');
      await this.#announce([full]);
    });
  }

  /** One `EXISTS` for every key: the keys of one token share a hash tag, so this is one command on one slot. */
  async isRevoked(keys: readonly string[]): Promise<boolean> {
    if (keys.length === 0) return false;
    const cached = this.isRevokedNow(keys);
    if (cached !== undefined) return cached;
    const full = keys.map((key) => this.#prefix + key);
    return this.#run('isRevoked', async () => {
      const mark = this.#cache?.mark() ?? 0;
      const count = await this.#send(['EXISTS', ...full], full[0], true);
      if (typeof count !== 'number' || count < 0 || count > full.length) throw new UnexpectedReplyError('EXISTS', 'a count of keys');
      // Only an all-or-nothing count says which keys exist; a partial one (a revoked jti in a live family) is learnt
      // key by key after the answer, so that a revoked token presented again is refused from memory too.
      if (count === 0 || count === full.length) this.#cache?.remember(mark, full.map((key) => [key, count > 0] as const));
      else if (this.#cache !== undefined) this.#learnEach(full, mark);
      return count > 0;
    });
  }

  /** Asks Redis about each of `keys` (one slot: their hash tag) and remembers the answers; failures are left to the next check. */
  #learnEach(keys: readonly string[], mark: number): void {
    Promise.all(keys.map(async (key) => [key, await this.#send(['EXISTS', key], key, true)] as const)).then((answers) => {
      if (answers.every(([, count]) => count === 0 || count === 1)) this.#cache?.remember(mark, answers.map(([key, count]) => [key, count === 1] as const));
    }, () => undefined);
  }

  /**
   * `isRevoked` answered from the local cache: `undefined` when it cannot (no cache, a key not seen yet, or the
   * subscriber connection not subscribed), and then only Redis can answer.
   */
  isRevokedNow(keys: readonly string[]): boolean | undefined {
    if (keys.length === 0) return false;
    const known = this.#cache?.peek(keys.map((key) => this.#prefix + key));
    if (known === undefined) return undefined;
    // One key known revoked answers for all; otherwise every key must be known absent.
    if (known.includes(true)) return true;
    return known.includes(undefined) ? undefined : false;
  }

  async release(key: string, attempt?: string): Promise<void> {
    const full = this.#prefix + key;
    await this.#run('release', async () => {
      const reply = attempt === undefined
        ? await this.#send(['DEL', full], full, false)
        : await this.#send(['EVAL', RELEASE_SCRIPT, '1', full, attempt], full, false);
      if (typeof reply !== 'number') throw new UnexpectedReplyError(attempt === undefined ? 'DEL' : 'EVAL', 'a count');
      if (reply > 0) await this.#announce([full]);
    });
  }

  async use(key: string, expiresAt: number, attempt = '1'): Promise<boolean> {
    const at = this.#expiry(expiresAt);
    if (at === null) return false;
    const full = this.#prefix + key;
    return this.#run('use', async () => {
      const reply = await this.#send(['SET', full, attempt, 'NX', 'EXAT', String(at)], full, false);
      if (reply !== 'OK' && reply !== null) throw new UnexpectedReplyError('SET ... NX', 'OK or nil');
      if (reply === 'OK') await this.#announce([full]);
      return reply === 'OK';
    });
  }

  async retire(request: RetireRequest): Promise<StoreRetireOutcome> {
    const { familyKey, retiredKey, attempt, mode } = request;
    const now = Math.floor(Date.now() / 1000) + 1;
    const retiredUntil = Math.max(Math.ceil(request.retiredUntil), now);
    const familyUntil = Math.max(Math.ceil(request.familyUntil), now);
    const keys = [this.#prefix + familyKey, this.#prefix + retiredKey];
    return this.#run('retire', async () => {
      const reply = await this.#send(['EVAL', RETIRE_SCRIPT, '2', ...keys, attempt, String(retiredUntil), String(familyUntil),
        mode, String(Math.ceil(request.pendingMs)), String(Math.ceil(request.graceMs ?? 0)), request.successor ?? ''], keys[0], false);
      if (!RETIRE_OUTCOMES.has(reply) && !(typeof reply === 'string' && /^grace:[^:]+$/.test(reply))) throw new UnexpectedReplyError('EVAL (retire)', 'rotated, revoked, reused, pending, unused or grace');
      if (reply === 'rotated') await this.#announce([keys[1] as string]);
      if (reply === 'reused') await this.#announce([keys[0] as string]);
      return reply as StoreRetireOutcome;
    });
  }

  async revokeBefore(key: string, before: number, expiresAt: number): Promise<void> {
    const at = this.#expiry(expiresAt);
    if (at === null) return;
    const full = this.#prefix + key;
    await this.#run('revoke', async () => {
      const reply = await this.#send(['EVAL', REVOKE_BEFORE_SCRIPT, '1', full, String(Math.floor(before)), String(at)], full, false);
      if (reply !== 1) throw new UnexpectedReplyError('EVAL (revokeBefore)', '1');
      await this.#announce([full]);
    });
  }

  async revokedBefore(key: string): Promise<number | null> {
    const cached = this.revokedBeforeNow(key);
    if (cached !== undefined) return cached;
    const full = this.#prefix + key;
    return this.#run('isRevoked', async () => {
      const mark = this.#cache?.mark() ?? 0;
      const reply = await this.#send(['GET', full], full, true);
      const before = reply === null ? null : typeof reply === 'string' && /^\d+$/.test(reply) ? Number(reply) : NaN;
      if (Number.isNaN(before)) throw new UnexpectedReplyError('GET', 'a whole number of seconds or nil');
      this.#cache?.remember(mark, [[full, before]]);
      return before;
    });
  }

  /** `revokedBefore` from the local cache; `undefined` when only Redis can answer. */
  revokedBeforeNow(key: string): number | null | undefined {
    const known = this.#cache?.lookup([this.#prefix + key]);
    const value = known?.[0];
    return typeof value === 'number' || value === null ? value : undefined;
  }

  async confirm(retiredKey: string, attempt: string, successor?: string): Promise<boolean> {
    const full = this.#prefix + retiredKey;
    return this.#run('confirm', async () => {
      const reply = await this.#send(['EVAL', CONFIRM_SCRIPT, '1', full, attempt, successor ?? ''], full, false);
      if (reply !== 0 && reply !== 1) throw new UnexpectedReplyError('EVAL (confirm)', '0 or 1');
      return reply === 1;
    });
  }
}
