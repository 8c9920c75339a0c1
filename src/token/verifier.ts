/**
 * The verifier of one configuration: built once (key lookup, remote keys, policy, cache), then a small closure per
 * token. Every manager built from the same configuration shares it, and so shares its cache and remote keys.
 */
import type { KeyRing } from '../keys/key-ring';
import { RemoteJwks, type RemoteJwksTiming } from '../keys/remote-jwks';
import type { KeyLookup } from '../keys/verification-key';
import { checkSignedToken, type TokenCheck, type VerifyPolicy } from './verify';
import { VerifiedTokenCache } from './verify-cache';

/** What a verifier is built from, checked by the configuration. */
export interface VerifierOptions {
  /** The local keys. */
  readonly ring: KeyRing;
  /** A remote JWK Set and its timing, or `null`. */
  readonly remote: { readonly url: URL; readonly timing: RemoteJwksTiming } | null;
  readonly policy: VerifyPolicy;
  /** How many verified tokens to keep; 0 turns the cache off. */
  readonly cacheSize: number;
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
  /** True when a remote JWK Set is configured (a check may have to fetch). */
  readonly remote: boolean;
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

  function check(signed: unknown): TokenCheck {
    if (cache === null || typeof signed !== 'string') return checkSignedToken(signed, lookup, policy);
    const now = Date.now() / 1000;
    const cached = cache.get(signed, now);
    if (cached !== undefined) return { valid: true, token: cached };
    const result = checkSignedToken(signed, lookup, policy, now);
    // Only verified tokens are cached: garbage never evicts a good entry.
    if (result.valid) cache.set(signed, result.token, (result.token.exp as number) + policy.leeway);
    return result;
  }

  async function fetchAndCheck(signed: unknown, source: RemoteJwks): Promise<TokenCheck> {
    const fresh = await source.refresh();
    const again = check(signed);
    if (!again.valid && again.reason === 'unknown_key' && !fresh && !source.loaded) return { valid: false, reason: 'key_unavailable' };
    return again;
  }

  return Object.freeze({
    check,
    checkWithRemote(signed: unknown): TokenCheck | Promise<TokenCheck> {
      const result = check(signed);
      if (result.valid || remote === null || result.reason !== 'unknown_key') return result;
      return fetchAndCheck(signed, remote);
    },
    get cachedCount(): number {
      return cache?.size ?? 0;
    },
    remote: remote !== null,
  });
}
