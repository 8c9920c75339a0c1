/**
 * Logout everywhere: one entry per subject saying "every token of this subject issued at or before this second is
 * revoked". Checked beside a token's own keys, never instead of them.
 *
 * Why a second command and not one: the keys of a token share its family's Redis Cluster hash tag, and a subject has
 * many families, each on its own slot; tagging every key by subject instead would put a user's whole history on one
 * slot. So the subject entry has its own hash tag and is read by a command sent together with the family's (the same
 * round trip in time: pipelined on one connection, or in parallel to two Cluster nodes).
 */
import type { JWT } from '../token/jwt';
import { oncePerToken } from '../token/once-per-token';
import type { RevocationStore } from './revocation-store';

/** The store key of a subject (base64url: any `sub`, braces included, is one hash tag). */
export const subjectKey = (sub: string | number): string => `sub:{${Buffer.from(String(sub), 'utf8').toString('base64url')}}`;

/** True when `store` can keep subject revocations. */
export const keepsSubjects = (store: RevocationStore): boolean =>
  typeof store.revokeBefore === 'function' && typeof store.revokedBefore === 'function';

/** `subjectKey` of a token's `sub`, once per verified token: this runs on every checked request. */
const subjectKeyOf = oncePerToken((token) => subjectKey(token.sub));

/**
 * Whether `token` was issued at or before its subject's revocation. A token issued in the same second as the
 * revocation is revoked too (`iat` has whole seconds: fail closed); a new login a second later is not.
 */
export async function subjectRevoked(store: RevocationStore, token: JWT): Promise<boolean> {
  const before = await store.revokedBefore?.(subjectKeyOf(token));
  return before !== undefined && before !== null && (token.iat ?? 0) <= before;
}

/** `subjectRevoked` answered at once when the store can (memory); `undefined` when it would take a round trip. */
export function subjectRevokedNow(store: RevocationStore, token: JWT): boolean | undefined {
  if (store.revokedBeforeNow === undefined) return keepsSubjects(store) ? undefined : false;
  const before = store.revokedBeforeNow(subjectKeyOf(token));
  if (before === undefined) return undefined;
  return before !== null && (token.iat ?? 0) <= before;
}

/** What the subject check is built from: the configuration's sessions without it, and their timing. */
export interface SubjectCheckOptions {
  readonly timeoutMs: number;
  readonly leeway: number;
  readonly refreshMaxAge: number;
  /** Tokens of trusted issuers (JWT_ISSUERS) are revoked at their issuer, never here. */
  readonly isExternal: (token: JWT) => boolean;
}

/** Store work bounded by the timeout: 'unavailable' when it fails or is late (fail closed). */
async function bounded<T>(work: () => Promise<T>, timeoutMs: number): Promise<T | 'unavailable'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'unavailable'>((resolve) => {
    timer = setTimeout(() => resolve('unavailable'), timeoutMs);
  });
  try {
    return await Promise.race([work().catch(() => 'unavailable' as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

type Status = 'valid' | 'revoked' | 'unavailable';

/** The shape of the sessions module this wraps (see sessions.ts). */
interface CheckedSessions {
  readonly store: RevocationStore;
  needsCheck(token: JWT): boolean;
  status(token: JWT): Promise<Status>;
  statusNow(token: JWT): Status | undefined;
  checkNow(token: JWT): Status | undefined;
  retire(...args: never[]): Promise<unknown>;
}

/**
 * Adds the subject check to every token the sessions already check (refresh tokens, auth tokens with a jti), sent
 * together with the token's own check; and `revokeSubject`. Plain auth tokens (no jti) are never looked up, so they
 * live on until they expire, as with `revoke`.
 */
export function withSubjectRevocation<S extends CheckedSessions>(sessions: S, options: SubjectCheckOptions): S & {
  revokeSubject(sub: string | number): Promise<'revoked' | 'unavailable'>;
} {
  const { store } = sessions;
  const { timeoutMs, leeway, refreshMaxAge, isExternal } = options;
  const checks = (token: JWT): boolean => keepsSubjects(store) && !isExternal(token) && sessions.needsCheck(token);
  const subjectStatus = async (token: JWT): Promise<Status> => {
    const revoked = await bounded(() => subjectRevoked(store, token), timeoutMs);
    return revoked === 'unavailable' ? revoked : revoked ? 'revoked' : 'valid';
  };
  // Revoked wins over unavailable, unavailable over valid: never valid unless both say so.
  const worst = (a: Status, b: Status): Status => (a === 'revoked' || b === 'revoked' ? 'revoked' : a === 'unavailable' ? a : b);
  // An answer at once about the token itself, with its subject's answer at once: `undefined` unless both are known.
  const withSubjectNow = (token: JWT, own: Status | undefined): Status | undefined => {
    if (own === undefined || !checks(token)) return own;
    const subject = subjectRevokedNow(store, token);
    return subject === undefined ? undefined : worst(own, subject ? 'revoked' : 'valid');
  };
  const retire = sessions.retire.bind(sessions) as (...args: unknown[]) => Promise<unknown>;

  return Object.freeze({
    ...sessions,
    async status(token: JWT): Promise<Status> {
      if (!checks(token)) return sessions.status(token);
      const [own, subject] = await Promise.all([sessions.status(token), subjectStatus(token)]);
      return worst(own, subject);
    },
    statusNow(token: JWT): Status | undefined {
      return withSubjectNow(token, sessions.statusNow(token));
    },
    checkNow(token: JWT): Status | undefined {
      return withSubjectNow(token, sessions.checkNow(token));
    },
    async retire(token: JWT, ...rest: unknown[]): Promise<unknown> {
      // Checked before the retirement: a revoked subject's refresh token retires nothing and delivers nothing.
      if (checks(token)) {
        const subject = await subjectStatus(token);
        if (subject !== 'valid') return subject;
      }
      return retire(token, ...rest);
    },
    async revokeSubject(sub: string | number): Promise<'revoked' | 'unavailable'> {
      if (!keepsSubjects(store)) throw new TypeError('This revocation store cannot revoke a subject: it needs revokeBefore and revokedBefore');
      const now = Math.floor(Date.now() / 1000);
      // Every token issued up to now expires within the refresh max age (the longest lifetime issued), plus the leeway.
      const outcome = await bounded(() => store.revokeBefore?.(subjectKey(sub), now, now + refreshMaxAge + leeway + 1) ?? Promise.resolve(), timeoutMs);
      return outcome === 'unavailable' ? 'unavailable' : 'revoked';
    },
  }) as S & { revokeSubject(sub: string | number): Promise<'revoked' | 'unavailable'> };
}
