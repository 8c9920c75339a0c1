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
  use(key: string, expiresAt: number): Promise<boolean>;
  /**
   * Answers `isRevoked` at once, without a round trip, when the store can (the memory store). Lets a guarded method
   * called later from a timer or a queue (no request to wait on) still refuse a revoked token.
   */
  isRevokedNow?(keys: readonly string[]): boolean;
  /** Undoes a `use` whose answer came too late to be acted on, so that the client's retry is not taken as reuse. */
  release?(key: string): Promise<void>;
}
