/**
 * The verifier of one configuration: built once (key lookup, remote keys, policy, cache), then a small closure per
 * token. Every manager built from the same configuration shares it, and so shares its cache and remote keys.
 */
import type { KeyRing } from '../keys/key-ring';
import { RemoteJwks, type RemoteJwksTiming } from '../keys/remote-jwks';
import type { KeyLookup } from '../keys/verification-key';
import { decodeJsonSegment, splitToken } from './compact';
import { canonicalToken } from './canonical-signature';
import { checkSignedToken, type TokenCheck, type VerifyPolicy } from './verify';
import { VerifiedTokenCache } from './verify-cache';

/**
 * The keys and rules of one trusted external issuer (an authorization server of `JWT_ISSUERS`), as the verifier
 * uses them. Built in src/issuers/; it only ever verifies tokens whose `iss` is that issuer.
 */
export interface TrustedIssuerSource {
  /** Checks a token claiming this issuer with this issuer's keys and profile; `unknown_key` when a fetch may help. */
  check(signed: string, nowSeconds: number): TokenCheck;
  /** Discovers (once) and fetches this issuer's keys, at most once per cooldown; resolves to whether they are fresh. */
  refresh(): Promise<boolean>;
  /** True when the keys cannot be had: never fetched, or the last attempt failed. */
  readonly unavailable: boolean;
  /** Seconds of clock skew tolerated for this issuer's tokens. */
  readonly leeway: number;
  /** Called on a cache hit: starts a background reload once the keys are older than their max age. */
  touch(): void;
  /** This issuer's DPoP mode, or `null` when its entry sets none. */
  readonly dpop: 'off' | 'allowed' | 'required' | null;
}

/** The trusted external issuers of a configuration. */
export interface TrustedIssuers {
  /** The source of issuer `iss`, or `undefined` when it is not trusted (it is then never fetched). */
  find(iss: string): TrustedIssuerSource | undefined;
}

/** The `iss` a token claims, read before any verification only to pick the keys that may verify it. */
function claimedIssuer(signed: string): unknown {
  const parts = splitToken(signed);
  return parts === null ? undefined : decodeJsonSegment(parts.payloadSegment)?.iss;
}

/** What a verifier is built from, checked by the configuration. */
export interface VerifierOptions {
  /** The local keys. */
  readonly ring: KeyRing;
  /** A remote JWK Set and its timing, or `null`. */
  readonly remote: { readonly url: URL; readonly timing: RemoteJwksTiming } | null;
  readonly policy: VerifyPolicy;
  /** How many verified tokens to keep; 0 turns the cache off. */
  readonly cacheSize: number;
  /**
   * Builds the trusted external issuers (`JWT_ISSUERS`), or `null`; `onKeysChanged` must be called when an
   * issuer's reload dropped or changed a key.
   */
  readonly trustedIssuers?: ((onKeysChanged: () => void) => TrustedIssuers) | null;
}

/** Checks tokens for one configuration. */
export interface Verifier {
  /** Checks with the keys at hand; a token naming a remote key not fetched yet is `unknown_key`. Never throws. */
  check(signed: unknown): TokenCheck;
  /**
   * Like `check`, and when the token names a key that is not known yet and a remote JWK Set is configured, fetches
   * the set (at most once per cooldown) and checks again; `key_unavailable` when the set cannot be had. Synchronous
   * (no promise) whenever no fetch can be needed.
   */
  checkWithRemote(signed: unknown): TokenCheck | Promise<TokenCheck>;
  /** How many verified tokens are cached. */
  readonly cachedCount: number;
  /** True when a remote JWK Set or a trusted issuer is configured (a check may have to fetch). */
  readonly remote: boolean;
  /** The DPoP mode the trusted issuer `iss` sets, or `null` (the app's own issuer, or an entry that sets none). */
  issuerDpopMode(iss: string | null): 'off' | 'allowed' | 'required' | null;
}

/** Builds the verifier of one configuration. */
export function createVerifier(options: VerifierOptions): Verifier {
  const { ring, policy } = options;
  const cache = options.cacheSize > 0 ? new VerifiedTokenCache(options.cacheSize) : null;
  // A key dropped or changed at the remote end must stop verifying at once, cached tokens included.
  const remote = options.remote === null ? null : new RemoteJwks(options.remote.url, options.remote.timing, () => cache?.clear());
  // Local keys first; a kid the ring does not know is looked up in the remote set.
  const lookup: KeyLookup = remote === null ? ring.lookup : (header) => {
    const local = ring.lookup(header);
    return local !== undefined || typeof header.kid !== 'string' ? local : remote.lookup(header.kid);
  };

  const trusted = options.trustedIssuers ? options.trustedIssuers(() => cache?.clear()) : null;
  // The issuer each cached external token came from, so that a cache hit still notices keys past their max age.
  const sourceOf = new WeakMap<object, TrustedIssuerSource>();

  /**
   * The trusted issuer a token claims, `'own'` for the app's own issuer, or `null` for any other: an issuer's keys
   * verify only that issuer's tokens, and an issuer not listed is never fetched.
   */
  function sourceFor(signed: string): TrustedIssuerSource | 'own' | null {
    if (trusted === null) return 'own';
    const iss = claimedIssuer(signed);
    if (iss === policy.issuer || typeof iss !== 'string') return 'own';
    return trusted.find(iss) ?? null;
  }

  /** A cached verified token for `signed` (always a canonical spelling), touching its keys' age. */
  function cachedToken(signed: string, now: number): TokenCheck | undefined {
    const cached = cache?.get(signed, now);
    if (cached === undefined) return undefined;
    // A cache hit still reloads keys past their max age, so that a retired key's tokens stop within max age + cooldown.
    (sourceOf.get(cached) ?? remote)?.touch();
    return { valid: true, token: cached };
  }

  function check(presented: unknown): TokenCheck {
    const now = Date.now() / 1000;
    // The cache holds canonical spellings only, so the token as presented is looked up first: the hit path stays a
    // single map lookup. On a miss, an ECDSA token's high-S twin is the same token: it is checked, cached and served
    // as its low-S spelling.
    if (typeof presented === 'string') {
      const hit = cachedToken(presented, now);
      if (hit !== undefined) return hit;
    }
    const signed = typeof presented === 'string' ? canonicalToken(presented) : presented;
    if (cache === null || typeof signed !== 'string') {
      const source = typeof signed === 'string' ? sourceFor(signed) : 'own';
      if (source === null) return { valid: false, reason: 'issuer' };
      return source === 'own' ? checkSignedToken(signed, lookup, policy, now) : source.check(signed as string, now);
    }
    if (signed !== presented) {
      const hit = cachedToken(signed, now);
      if (hit !== undefined) return hit;
    }
    const source = sourceFor(signed);
    if (source === null) return { valid: false, reason: 'issuer' };
    const result = source === 'own' ? checkSignedToken(signed, lookup, policy, now) : source.check(signed, now);
    // Only verified tokens are cached: garbage never evicts a good entry.
    if (result.valid) {
      const leeway = source === 'own' ? policy.leeway : source.leeway;
      if (source !== 'own') sourceOf.set(result.token, source);
      cache.set(signed, result.token, (result.token.exp as number) + leeway);
    }
    return result;
  }

  async function fetchAndCheck(signed: unknown, source: RemoteJwks): Promise<TokenCheck> {
    const fresh = await source.refresh();
    const again = check(signed);
    if (!again.valid && again.reason === 'unknown_key' && !fresh && !source.loaded) return { valid: false, reason: 'key_unavailable' };
    return again;
  }

  async function fetchIssuerAndCheck(signed: string, source: TrustedIssuerSource): Promise<TokenCheck> {
    await source.refresh();
    const again = check(signed);
    // Fail closed, and say why: the keys that could verify the token cannot be had now (RFC 6750 §3.1 invalid_token).
    if (!again.valid && again.reason === 'unknown_key' && source.unavailable) return { valid: false, reason: 'key_unavailable' };
    return again;
  }

  return Object.freeze({
    check,
    checkWithRemote(signed: unknown): TokenCheck | Promise<TokenCheck> {
      const result = check(signed);
      if (result.valid || result.reason !== 'unknown_key') return result;
      if (trusted !== null && typeof signed === 'string') {
        const source = sourceFor(signed);
        if (source !== 'own') return source === null ? result : fetchIssuerAndCheck(signed, source);
      }
      return remote === null ? result : fetchAndCheck(signed, remote);
    },
    get cachedCount(): number {
      return cache?.size ?? 0;
    },
    remote: remote !== null || trusted !== null,
    issuerDpopMode: (iss: string | null) => (iss === null || trusted === null ? null : trusted.find(iss)?.dpop ?? null),
  });
}
