/**
 * Keys from a remote JWK Set (a verify-only service trusting an issuer elsewhere), fetched with Node's own fetch:
 * cached, reloaded when a token names an unknown `kid` (at most once per cooldown), with a timeout, and failing
 * closed: when the endpoint is down, tokens with unknown keys are refused (401), never a 500. Keys come only from the
 * configured URL; a token's `jku`, `x5u` or `jwk` header is never followed (RFC 8725 §3.10).
 */
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { AuthType } from './algorithms';
import { InvalidConfigError } from '../errors';
import { checkAsymmetricKey } from './key-material';
import type { VerificationKey } from './verification-key';

/** Timing of a remote JWK Set, in milliseconds. */
export interface RemoteJwksTiming {
  /** The least time between two fetches (reloads for unknown kids wait for it). */
  cooldownMs: number;
  /** How long a fetch may take. */
  timeoutMs: number;
  /** Keys older than this are reloaded in the background. */
  maxAgeMs: number;
}

/** A JWK Set larger than this is refused. */
const MAX_JWKS_BYTES = 1 << 20;
const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** Parses and checks the JWKS URL: https, or http on the loopback interface only. */
export function jwksUrl(value: unknown): URL {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new InvalidConfigError('JWT_JWKSURL', 'must be an absolute URL, e.g. https://auth.example.com/.well-known/jwks.json');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new InvalidConfigError('JWT_JWKSURL', 'must use https (plain http is accepted for 127.0.0.1, [::1] and localhost only)');
  }
  return url;
}

/** Turns one JWK into a verification key, or `undefined` when it is not a usable signing key. */
function keyFromJwk(jwk: unknown): VerificationKey | undefined {
  if (typeof jwk !== 'object' || jwk === null) return undefined;
  const { kid, alg, use, kty } = jwk as Record<string, unknown>;
  if (typeof kid !== 'string' || kid === '' || typeof alg !== 'string') return undefined;
  if (use !== undefined && use !== 'sig') return undefined;
  // Never an HMAC secret from the network: a shared secret published is no secret.
  if (kty !== 'RSA' && kty !== 'EC') return undefined;
  let authType: AuthType;
  try {
    authType = AuthType.from(alg);
  } catch {
    return undefined;
  }
  if (authType.family === 'hmac') return undefined;
  try {
    const key = checkAsymmetricKey(createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }), authType, 'publicKey');
    if (key.type !== 'public') return undefined;
    return Object.freeze({ kid, authType, key });
  } catch {
    // A key of the wrong kind, size or curve, or one Node cannot read, is left out.
    return undefined;
  }
}

/** A remote JWK Set and its cache. */
export class RemoteJwks {
  #keys = new Map<string, VerificationKey>();
  #loadedAt = 0;
  #lastAttempt = -Infinity;
  #pending: Promise<boolean> | null = null;

  /**
   * @param onChange - Called when a reload dropped or changed a key, so that tokens verified with it (and cached)
   *   stop being accepted at once.
   */
  constructor(
    readonly url: URL,
    readonly timing: RemoteJwksTiming,
    private readonly onChange: () => void = () => undefined,
  ) {}

  /** The cached key named `kid`; starts a background reload when the cache is older than its max age. */
  lookup(kid: string): VerificationKey | undefined {
    if (this.#loadedAt !== 0 && Date.now() - this.#loadedAt > this.timing.maxAgeMs) void this.refresh();
    return this.#keys.get(kid);
  }

  /** True once a fetch succeeded. */
  get loaded(): boolean {
    return this.#loadedAt !== 0;
  }

  /** How many keys are cached. */
  get size(): number {
    return this.#keys.size;
  }

  /**
   * Fetches the set again, unless the last attempt was within the cooldown; concurrent callers share one fetch.
   * Resolves to whether the keys are fresh now. Never rejects: a failed fetch keeps the keys it had.
   */
  refresh(): Promise<boolean> {
    if (this.#pending) return this.#pending;
    if (Date.now() - this.#lastAttempt < this.timing.cooldownMs) return Promise.resolve(false);
    this.#lastAttempt = Date.now();
    this.#pending = this.#fetch().finally(() => {
      this.#pending = null;
    });
    return this.#pending;
  }

  async #fetch(): Promise<boolean> {
    try {
      const response = await fetch(this.url, {
        signal: AbortSignal.timeout(this.timing.timeoutMs),
        headers: { accept: 'application/jwk-set+json, application/json' },
        redirect: 'error',
      });
      if (!response.ok) return false;
      const text = await response.text();
      if (text.length > MAX_JWKS_BYTES) return false;
      const body: unknown = JSON.parse(text);
      const list = typeof body === 'object' && body !== null ? (body as { keys?: unknown }).keys : undefined;
      if (!Array.isArray(list)) return false;
      const keys = new Map<string, VerificationKey>();
      for (const jwk of list) {
        const key = keyFromJwk(jwk);
        if (key && key.kid !== null && !keys.has(key.kid)) keys.set(key.kid, key);
      }
      const changed = [...this.#keys].some(([kid, old]) => !keys.get(kid)?.key.equals(old.key));
      this.#keys = keys;
      this.#loadedAt = Date.now();
      if (changed) this.onChange();
      return true;
    } catch {
      return false;
    }
  }
}
