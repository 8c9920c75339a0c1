/**
 * Rotation and revocation over a revocation store, for one configuration. The store keys are named here (and the
 * subject's entry of logout everywhere in subject-revocation.ts). Every store call is bounded in time and fails closed ('unavailable'), never open. Answers are data; the
 * manager and the guards turn them into 401/503.
 */
import { randomBytes } from 'node:crypto';
import { TokenType } from '../claims';
import type { RefreshSuccessor } from '../keys/auth-data';
import type { JWT } from '../token/jwt';
import { oncePerToken } from '../token/once-per-token';
import type { RetireRequest, RevocationStore, StoreRetireOutcome } from './revocation-store';
import { withSubjectRevocation } from './subject-revocation';

/**
 * The store keys. A family is every refresh token descended from one login (`fam`); `used:` marks a retired rid.
 * Every key of a family carries the family as its Redis Cluster hash tag (`{family}`), so that all the keys one token
 * is checked by live on one slot and are read by one command (a check across slots is refused with CROSSSLOT).
 * An auth token without a family is tagged by its own jti.
 */
const storeKey = {
  family: (family: string): string => `fam:{${family}}`,
  authToken: (jti: string, family?: string): string => family === undefined ? `jti:{${jti}}` : `jti:{${family}}:${jti}`,
  retired: (family: string, rid: string): string => `used:{${family}}:${rid}`,
  dpopProof: (jkt: string, jti: string): string => `dpop:${jkt}:${jti}`,
} as const;

/** How often, and from how long a pause on, the undoing of a timed-out rotation is tried again (about 30 s in all). */
const RELEASE_RETRIES = 7;
const RELEASE_RETRY_MS = 250;

/** How much longer than the store timeout an unconfirmed retirement counts as pending. */
const PENDING_MARGIN_MS = 1000;

/** A random value naming one attempt (a rotation, a reuse check) in the store. */
const newAttempt = (): string => randomBytes(12).toString('base64url');

/** What a sessions module is built from, checked by the configuration. */
export interface SessionsOptions {
  readonly store: RevocationStore;
  /** How long a store call may take before the answer is 'unavailable' (fail closed). */
  readonly timeoutMs: number;
  /** Seconds of clock skew tolerated: a token verifies until exp + leeway, so its revocation lasts as long. */
  readonly leeway: number;
  /** The configured refresh-token max age: the least time a family revocation lasts. */
  readonly refreshMaxAge: number;
  /**
   * Milliseconds after a rotation during which the rotated refresh token presented again answers the same successor
   * (signed again from its id) instead of revoking the family (JWT_REFRESHGRACE).
   * @default 0
   */
  readonly graceMs?: number;
  /**
   * The app's own issuer. Tokens of trusted external issuers (JWT_ISSUERS) carry a `jti` too (RFC 9068 §2.2), but
   * they are revoked at their issuer: they never cost a store round trip, and cannot be revoked here.
   * @default every token is the app's own
   */
  readonly issuer?: string;
}

/** Whether a verified token may be used: 'unavailable' when the store did not answer in time. */
export type RevocationStatus = 'valid' | 'revoked' | 'unavailable';

/**
 * The store step of a rotation: `{ successor }` within the grace window, naming the refresh token the rotation that
 * won issued, to be signed again (the same `rid`, so one live refresh token).
 */
export type RotationOutcome = 'rotated' | 'revoked' | 'reused' | 'unavailable' | { readonly successor: RefreshSuccessor };

/** The store form of a successor: `<rid>.<iat>` (a rid is base64url: never a dot or a colon). */
const successorId = (successor: RefreshSuccessor): string => `${successor.rid}.${successor.iat}`;

const isGrace = (outcome: StoreRetireOutcome): outcome is `grace:${string}` => outcome.startsWith('grace:');

function parseSuccessor(id: string): RefreshSuccessor | undefined {
  const match = /^([\w-]+)\.(\d+)$/.exec(id);
  return match === null ? undefined : { rid: match[1], iat: Number(match[2]) };
}

/**
 * The family of a token: its `fam`, or for a refresh token issued without one (`new JWT(REFRESH).sign(signer)`),
 * its own `rid`, so that every refresh token can be revoked and checked.
 */
export function familyOf(token: JWT): string | undefined {
  const { fam, rid } = token.claims;
  if (typeof fam === 'string') return fam;
  return token.tokenType === TokenType.REFRESH && typeof rid === 'string' ? rid : undefined;
}

/**
 * The keys a token can be revoked by: a refresh token by its family; an auth token by its jti and its family (issued
 * with JWT_AUTHJTI). A retired refresh token's `used:` key is looked at separately: seeing it again is a reuse.
 */
// Worked out once per verified token: every checked request asks for them (see once-per-token.ts).
const revocationKeys = oncePerToken((token): readonly string[] => Object.freeze(keysFromClaims(token)));

function keysFromClaims(token: JWT): string[] {
  const family = familyOf(token);
  if (token.tokenType === TokenType.REFRESH) return family === undefined ? [] : [storeKey.family(family)];
  const { jti } = token.claims;
  if (typeof jti !== 'string') return [];
  return family === undefined ? [storeKey.authToken(jti)] : [storeKey.authToken(jti, family), storeKey.family(family)];
}

/** Rotation and revocation for one configuration. */
export interface Sessions {
  readonly store: RevocationStore;
  /** True when a guard must ask the store about `token` (refresh tokens, and auth tokens with a jti). */
  needsCheck(token: JWT): boolean;
  /** Whether `token` was revoked; a retired refresh token seen again revokes its whole family (reuse). */
  status(token: JWT): Promise<RevocationStatus>;
  /**
   * Whether `token` was revoked (its family or jti; a retirement by rotation is not a revocation), answered at once
   * when the store can (memory); `undefined` when it would take a round trip.
   */
  statusNow(token: JWT): RevocationStatus | undefined;
  /**
   * What `status` would answer, when the store can say it at once (the memory store, or Redis's local cache):
   * `undefined` when only `status` can (a key not known here, or a retired refresh token, whose reuse must be acted on).
   * Lets a guard answer without a round trip.
   */
  checkNow(token: JWT): RevocationStatus | undefined;
  /**
   * Retires a refresh token for a rotation: exactly one of concurrent rotations of one token is 'rotated'; with a
   * grace window, the others within it answer `{ successor }`, the successor of the one that won.
   */
  retire(token: JWT, successor?: RefreshSuccessor): Promise<RotationOutcome>;
  /**
   * Revokes a refresh token's family or an auth token's jti, for as long as the tokens concerned would verify.
   *
   * @throws TypeError for an auth token without a jti.
   */
  revoke(token: JWT): Promise<'revoked' | 'unavailable'>;
  /**
   * Marks a DPoP proof (its key's thumbprint and its `jti`) seen until `until`, with the store's atomic `use`:
   * 'replayed' when it was seen before (RFC 9449 §11.1), 'unavailable' when the store did not answer in time.
   */
  useProof(jkt: string, jti: string, until: number): Promise<'fresh' | 'replayed' | 'unavailable'>;
  /**
   * Logout everywhere: revokes every token of `sub` issued up to now that the sessions check (all its refresh-token
   * families, and its auth tokens with a jti), for as long as they can verify (see subject-revocation.ts).
   *
   * @throws TypeError when the store cannot keep subject revocations.
   */
  revokeSubject(sub: string | number): Promise<'revoked' | 'unavailable'>;
}

/** Builds the sessions module of one configuration. */
export function createSessions(options: SessionsOptions): Sessions {
  const { store, timeoutMs, leeway, refreshMaxAge, issuer, graceMs = 0 } = options;
  const isExternal = (token: JWT): boolean => issuer !== undefined && token.iss !== issuer;
  const keysOf = (token: JWT): readonly string[] => (isExternal(token) ? [] : revocationKeys(token));
  // An unconfirmed retirement stays pending while its rotation may still answer (within the timeout); after that its
  // rotation was answered 503 and delivered nothing, so the rid is free again. A second of margin for timers that
  // fire late; a confirmation that comes later still is refused (confirm answers false), never answered.
  const pendingMs = timeoutMs + PENDING_MARGIN_MS;

  /**
   * Runs store work within the timeout: 'unavailable' when it fails or is late. `onTimeout` runs once when it is
   * given up on (late or failed); `afterTimeout` receives the result of work that finished after that.
   */
  async function withinTimeout<T>(
    work: () => Promise<T>,
    afterTimeout?: (late: T | 'unavailable') => void,
    onTimeout?: () => void,
  ): Promise<T | 'unavailable'> {
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const timeout = new Promise<'unavailable'>((resolve) => {
      timer = setTimeout(() => {
        if (!timedOut) {
          timedOut = true;
          onTimeout?.();
        }
        resolve('unavailable');
      }, timeoutMs);
    });
    // A failed store call may have run all the same (its reply lost): given up on, like a late one.
    const running = (async () => work())().catch(() => {
      if (!timedOut) {
        timedOut = true;
        onTimeout?.();
      }
      return 'unavailable' as const;
    });
    if (afterTimeout) void running.then((late) => timedOut && afterTimeout(late));
    try {
      return await Promise.race([running, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A family is revoked for as long as any of its refresh tokens can verify: tokens issued up to now live at most
   * the family's own lifetime (exp - iat of the token at hand, which a verify-only service learns from the token,
   * not from its own settings), and never less than the configured max age; plus the leeway.
   */
  function familyRevokedUntil(token: JWT): number {
    const now = Date.now() / 1000;
    const exp = token.exp ?? now;
    const lifetime = exp - (token.iat ?? exp);
    return Math.max(exp, now + lifetime, now + refreshMaxAge) + leeway + 1;
  }

  function revokeFamily(token: JWT, family: string): Promise<void> {
    return store.revoke(storeKey.family(family), familyRevokedUntil(token));
  }

  /**
   * Undoes an attempt's write (compare-and-delete: never another attempt's), tried again a few times when the store is
   * away, since the write it undoes may still land when the connection comes back.
   */
  function releaseAttempt(key: string, attempt: string, tries = 0): void {
    store.release?.(key, attempt).catch(() => {
      if (tries >= RELEASE_RETRIES) return;
      setTimeout(() => releaseAttempt(key, attempt, tries + 1), RELEASE_RETRY_MS * 2 ** tries).unref();
    });
  }

  /** What the store's `retire` is asked, for `token` of `family`. */
  function retireRequest(mode: RetireRequest['mode'], token: JWT, family: string, attempt: string): RetireRequest {
    return {
      mode,
      familyKey: storeKey.family(family),
      retiredKey: retiredKey(token),
      attempt,
      // The token verifies until exp + leeway, so it stays retired as long.
      retiredUntil: (token.exp as number) + leeway,
      familyUntil: familyRevokedUntil(token),
      pendingMs,
      graceMs,
    };
  }

  const retiredKey = (token: JWT): string => storeKey.retired(familyOf(token) as string, token.claims.rid as string);

  return withSubjectRevocation(Object.freeze({
    store,
    needsCheck: (token: JWT): boolean => keysOf(token).length > 0,

    status(token: JWT): Promise<RevocationStatus> {
      const keys = keysOf(token);
      if (keys.length === 0) return Promise.resolve('valid');
      if (token.tokenType !== TokenType.REFRESH) {
        return withinTimeout(async () => (await store.isRevoked(keys) ? 'revoked' as const : 'valid' as const));
      }
      const family = familyOf(token) as string;
      const { retire } = store;
      if (retire === undefined) {
        return withinTimeout(async () => {
          if (!await store.isRevoked([...keys, retiredKey(token)])) return 'valid' as const;
          if (await store.isRevoked(keys)) return 'revoked' as const;
          // A retired refresh token presented anywhere is a reuse: the family goes, not only this request.
          await revokeFamily(token, family);
          return 'revoked' as const;
        });
      }
      const attempt = newAttempt();
      let gaveUp = false;
      let asked = false;
      return withinTimeout(async () => {
        // One command for the usual answer (neither the family revoked nor the rid retired: same hash tag, one slot);
        // only a token that is one of both is looked at again.
        if (!await store.isRevoked([...keys, retiredKey(token)])) return 'valid' as const;
        // A check answered 503 decides nothing (a real reuse is caught when its presenter comes back).
        if (gaveUp) return 'unavailable' as const;
        asked = true;
        // A retired refresh token presented anywhere is a reuse, and the family goes; unless its retirement is still
        // pending: that rotation may have been answered 503, and this be the client's retry (503: try again).
        const outcome = await retire.call(store, retireRequest('check', token, family, attempt));
        if (outcome === 'unused') return 'valid' as const;
        return outcome === 'pending' ? 'unavailable' as const : 'revoked' as const;
      }, undefined, () => {
        gaveUp = true;
        if (asked) releaseAttempt(storeKey.family(family), attempt);
      });
    },

    statusNow(token: JWT): RevocationStatus | undefined {
      const keys = keysOf(token);
      if (keys.length === 0) return 'valid';
      const revoked = store.isRevokedNow?.(keys);
      if (revoked === undefined) return undefined;
      return revoked ? 'revoked' : 'valid';
    },

    checkNow(token: JWT): RevocationStatus | undefined {
      const keys = keysOf(token);
      if (keys.length === 0) return 'valid';
      if (store.isRevokedNow === undefined) return undefined;
      if (token.tokenType !== TokenType.REFRESH) {
        const revoked = store.isRevokedNow(keys);
        return revoked === undefined ? undefined : revoked ? 'revoked' : 'valid';
      }
      // Valid only when neither the family is revoked nor this token retired; a revoked family answers for itself.
      if (store.isRevokedNow([...keys, retiredKey(token)]) === false) return 'valid';
      return store.isRevokedNow(keys) === true ? 'revoked' : undefined;
    },

    async retire(token: JWT, successor?: RefreshSuccessor): Promise<RotationOutcome> {
      const family = familyOf(token) as string;
      const usedKey = retiredKey(token);
      const attempt = newAttempt();
      const { retire } = store;
      if (retire !== undefined) {
        return withinTimeout(async () => {
          const request = retireRequest('retire', token, family, attempt);
          const named = successor === undefined || graceMs === 0 ? undefined : successorId(successor);
          const outcome = await retire.call(store, named === undefined ? request : { ...request, successor: named });
          if (isGrace(outcome)) {
            // Within the grace window (RFC 9700 §4.14.2 allows for concurrent refreshes): the winner's successor again.
            const answered = parseSuccessor(outcome.slice('grace:'.length));
            return answered === undefined ? 'unavailable' as const : { successor: answered };
          }
          if (outcome === 'rotated') {
            // Done before the answer: from now on this token presented again is reuse, on every instance. Not done
            // (taken over after pendingMs): these tokens are never answered, so there is one live chain only.
            return await store.confirm?.(usedKey, attempt, named) === false ? 'unavailable' as const : 'rotated' as const;
          }
          // Pending: another attempt of this token is under way or was answered 503; the client tries again.
          return outcome === 'pending' ? 'unavailable' as const : outcome === 'unused' ? 'revoked' as const : outcome;
        }, undefined, () => {
          // An attempt answered 503 must leave nothing behind, whenever its writes land (issue 15: 10 of 10 logins
          // lost). Sent at once, not when the late answer arrives: on the same connection it runs after them.
          releaseAttempt(usedKey, attempt);
          releaseAttempt(storeKey.family(family), attempt);
        });
      }
      // The token verifies until exp + leeway, so it stays retired as long.
      const expiresAt = (token.exp as number) + leeway;
      return withinTimeout(async () => {
        if (await store.isRevoked([storeKey.family(family)])) return 'revoked' as const;
        if (await store.use(usedKey, expiresAt, attempt)) return 'rotated' as const;
        await revokeFamily(token, family);
        return 'reused' as const;
      }, (late) => {
        // The client was told 503 and will retry with the same token: a use that landed after all must not count.
        if (late === 'rotated') void store.release?.(usedKey, attempt).catch(() => undefined);
      });
    },

    async revoke(token: JWT): Promise<'revoked' | 'unavailable'> {
      const family = familyOf(token);
      const { jti } = token.claims;
      if (isExternal(token)) throw new TypeError('This token was issued by a trusted issuer (JWT_ISSUERS): revoke it there');
      if (token.tokenType === TokenType.AUTH && typeof jti !== 'string') {
        throw new TypeError('This auth token has no jti to revoke it by: turn JWT_AUTHJTI on');
      }
      if (token.tokenType === TokenType.REFRESH && family === undefined) {
        throw new TypeError('This refresh token has neither a family (fam) nor an id (rid) to revoke it by');
      }
      const outcome = await withinTimeout(() => token.tokenType === TokenType.REFRESH
        ? revokeFamily(token, family as string)
        : store.revoke(storeKey.authToken(jti as string, family), (token.exp as number) + leeway));
      return outcome === 'unavailable' ? 'unavailable' : 'revoked';
    },

    useProof(jkt: string, jti: string, until: number): Promise<'fresh' | 'replayed' | 'unavailable'> {
      return withinTimeout(async () => (await store.use(storeKey.dpopProof(jkt, jti), until + leeway) ? 'fresh' as const : 'replayed' as const));
    },
  }), { timeoutMs, leeway, refreshMaxAge, isExternal });
}
