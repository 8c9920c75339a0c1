/**
 * Revocation: where retired refresh-token ids, revoked token families and revoked auth-token ids are kept until the
 * tokens they concern expire. The store is asynchronous so that several instances can share one (Redis); an
 * in-memory store serves a single process.
 */

/** A place to keep revocations. Entries may be forgotten once `expiresAt` has passed. */
export interface RevocationStore {
  /** Marks `key` revoked until `expiresAt` (seconds since the epoch). */
  revoke(key: string, expiresAt: number): Promise<void>;
  /** True when any of `keys` is revoked. */
  isRevoked(keys: readonly string[]): Promise<boolean>;
  /**
   * Atomically marks `key` used until `expiresAt`; resolves `false` when it already was. This is what makes a
   * refresh token single-use: of two concurrent exchanges, exactly one wins.
   */
  use(key: string, expiresAt: number, attempt?: string): Promise<boolean>;
  /**
   * Answers `isRevoked` at once, without a round trip, when the store can (the memory store). Lets a guarded method
   * called later from a timer or a queue (no request to wait on) still refuse a revoked token.
   */
  isRevokedNow?(keys: readonly string[]): boolean;
  /**
   * Undoes a `use` whose answer came too late to be acted on, so that the client's retry is not taken as reuse. With
   * `attempt`, only while the key still holds that attempt's value (never another attempt's retirement).
   */
  release?(key: string, attempt?: string): Promise<void>;
  /**
   * The whole store step of a rotation in one atomic step (one Redis command): 'revoked' when the family is revoked,
   * else 'rotated' when `retiredKey` was set to `attempt`, else the family is revoked and the answer is 'reused'.
   * Stores without it get `isRevoked`, `use` and `revoke` in sequence.
   */
  retire?(request: RetireRequest): Promise<StoreRetireOutcome>;
}

/** What `RevocationStore.retire` is asked to do (times in seconds since the epoch). */
export interface RetireRequest {
  readonly familyKey: string;
  readonly retiredKey: string;
  /** A random value of this rotation attempt: a late write of one attempt is told apart from another's. */
  readonly attempt: string;
  readonly retiredUntil: number;
  readonly familyUntil: number;
}

/** What a store's `retire` answers. */
export type StoreRetireOutcome = 'rotated' | 'revoked' | 'reused';
