/**
 * A revocation store in Redis, shared by every instance of a service. Entries expire with the token they concern
 * (`SET ... EXAT`), and `use` is one atomic `SET ... NX`. Any client with ioredis's `set`/`exists` signatures works;
 * the library does not depend on one.
 */
import type { RevocationStore } from './revocation-store';

/** The part of a Redis client this store uses (ioredis's signatures). */
export interface RedisLikeClient {
  set(key: string, value: string, expiry: 'EXAT', unixSeconds: number): Promise<unknown>;
  set(key: string, value: string, expiry: 'EXAT', unixSeconds: number, mode: 'NX'): Promise<unknown>;
  exists(...keys: string[]): Promise<number>;
  del(...keys: string[]): Promise<number>;
}

/** Options of `RedisRevocationStore`. */
export interface RedisRevocationStoreOptions {
  /** Prefix of every key. @default 'rcjwt:revoked:' */
  prefix?: string;
}

/**
 * Revocations in Redis.
 *
 * @example
 * ```ts
 * import Redis from 'ioredis';
 * Container.set(JWT_REVOCATIONSTORE, new RedisRevocationStore(new Redis(process.env.REDIS_URL)));
 * ```
 */
export class RedisRevocationStore implements RevocationStore {
  readonly #prefix: string;

  constructor(
    private readonly client: RedisLikeClient,
    options: RedisRevocationStoreOptions = {},
  ) {
    this.#prefix = options.prefix ?? 'rcjwt:revoked:';
  }

  // EXAT needs a whole second in the future; a token already expired needs no entry at all.
  #expiry(expiresAt: number): number | null {
    const at = Math.ceil(expiresAt);
    return at > Date.now() / 1000 ? at : null;
  }

  async revoke(key: string, expiresAt: number): Promise<void> {
    const at = this.#expiry(expiresAt);
    if (at !== null) await this.client.set(this.#prefix + key, '1', 'EXAT', at);
  }

  async isRevoked(keys: readonly string[]): Promise<boolean> {
    if (keys.length === 0) return false;
    return (await this.client.exists(...keys.map((key) => this.#prefix + key))) > 0;
  }

  async release(key: string): Promise<void> {
    await this.client.del(this.#prefix + key);
  }

  async use(key: string, expiresAt: number): Promise<boolean> {
    const at = this.#expiry(expiresAt);
    if (at === null) return false;
    return (await this.client.set(this.#prefix + key, '1', 'EXAT', at, 'NX')) === 'OK';
  }
}
