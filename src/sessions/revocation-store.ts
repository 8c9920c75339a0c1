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
   * Answers `isRevoked` at once, without a round trip, when the store can (the memory store; the Redis store's local
   * cache, `undefined` when it cannot tell now). Lets a guarded method called later from a timer or a queue (no
   * request to wait on) still refuse a revoked token.
   */
  isRevokedNow?(keys: readonly string[]): boolean | undefined;
  /**
   * Undoes a `use` whose answer came too late to be acted on, so that the client's retry is not taken as reuse. With
   * `attempt`, only while the key still holds that attempt's value (never another attempt's retirement).
   */
  release?(key: string, attempt?: string): Promise<void>;
  /**
   * The store step of a rotation, or of the reuse check of a retired refresh token, in one atomic step (one Redis
   * command). 'revoked' when the family is revoked. When `retiredKey` is free (never retired, or retired by an attempt
   * that was not confirmed within `pendingMs`, which therefore delivered no tokens): in mode 'retire' it now holds this
   * attempt, pending until `confirm`, and the answer is 'rotated'; in mode 'check', 'unused'. When it holds an attempt
   * still pending (its caller may have been answered 503 and its undoing be on the way): 'pending'. Otherwise the
   * family is revoked (its entry holding `attempt`) and the answer is 'reused'. `release(key, attempt)` undoes this
   * attempt's writes, and only them. Stores without it get `isRevoked`, `use` and `revoke` in sequence.
   */
  retire?(request: RetireRequest): Promise<StoreRetireOutcome>;
  /**
   * Marks this attempt's retirement done: from now on the token presented again is reuse. `false` when the
   * retirement is no longer this attempt's (it was not confirmed in time): the rotation must not answer its tokens.
   * `true` as well when a request within the grace window made it done naming `successor`, this attempt's successor.
   */
  confirm?(retiredKey: string, attempt: string, successor?: string): Promise<boolean>;
  /**
   * Logout everywhere: records that every token of a subject issued at or before `before` (seconds since the epoch)
   * is revoked, until `expiresAt`; a later call with an earlier `before` never moves it back.
   */
  revokeBefore?(key: string, before: number, expiresAt: number): Promise<void>;
  /** The `before` recorded for `key`, or `null`. */
  revokedBefore?(key: string): Promise<number | null>;
  /** `revokedBefore` at once, without a round trip, when the store can (memory). */
  revokedBeforeNow?(key: string): number | null | undefined;
}

/** What `RevocationStore.retire` is asked to do (times in seconds since the epoch). */
export interface RetireRequest {
  /** 'retire' for a rotation; 'check' for a guard that found the token's rid retired. */
  readonly mode: 'retire' | 'check';
  readonly familyKey: string;
  readonly retiredKey: string;
  /** A random value of this attempt: a late write of one attempt is told apart from another's. */
  readonly attempt: string;
  readonly retiredUntil: number;
  readonly familyUntil: number;
  /** How long (milliseconds) an unconfirmed retirement counts as pending rather than done. */
  readonly pendingMs: number;
  /**
   * The refresh grace window (milliseconds, 0 when off): a retirement done less than this ago, or still pending, that
   * names its successor answers `grace:<successor>` ('unused' in mode 'check') instead of revoking the family; a
   * pending one becomes done for good (no attempt may undo it now; its own rotation's confirm by successor succeeds).
   * @default 0
   */
  readonly graceMs?: number;
  /**
   * In mode 'retire': the id of the successor refresh token, `<rid>.<iat>` (not a secret: the token is re-signed from
   * it and the presented token's claims), kept with the retirement for the grace window.
   * @default undefined
   */
  readonly successor?: string;
}

/** What a store's `retire` answers. */
export type StoreRetireOutcome = 'rotated' | 'revoked' | 'reused' | 'pending' | 'unused' | `grace:${string}`;
