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
import { fetchJsonObject } from './fetch-json';
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

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** Parses and checks the JWKS URL: https, or http on the loopback interface only. */
export function jwksUrl(value: unknown): URL {
  return remoteUrl(value, 'JWT_JWKSURL', 'the value');
}

/**
 * Parses and checks a URL keys or metadata are fetched from: absolute, https (or http on the loopback interface
 * only), and without credentials (they would travel to every fetch and sit in logs and in the configuration).
 *
 * @param name - The configuration value it comes from, named by the error.
 * @param what - Which part of that value it is (e.g. `entry 0: jwksUrl`), named by the error.
 * @throws InvalidConfigError saying what to fix; the URL itself is never repeated.
 */
export function remoteUrl(value: unknown, name: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new InvalidConfigError(name, `${what} must be an absolute URL, e.g. https://auth.example.com/.well-known/jwks.json`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new InvalidConfigError(name, `${what} must use https (plain http is accepted for 127.0.0.1, [::1] and localhost only)`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new InvalidConfigError(name, `${what} must not carry credentials (user:password@): a key set is public`);
  }
  return url;
}

/** The largest RSA public exponent accepted: 2^32 - 1 (65537 is the usual one; a huge one costs CPU per token). */
const MAX_RSA_EXPONENT_BYTES = 4;
/** The largest RSA modulus accepted, in bits: bigger keys only cost CPU per token. */
const MAX_RSA_MODULUS_BITS = 8192;

/** The big-endian unsigned integer of a base64url JWK member, without leading zero bytes; `null` when absent. */
function unsignedBytes(value: unknown): Buffer | null {
  if (typeof value !== 'string' || value === '') return null;
  const bytes = Buffer.from(value, 'base64url');
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start++;
  return bytes.subarray(start);
}

/**
 * True when an RSA JWK's public exponent is odd, at least 3 and at most 32 bits, and its modulus at most 8192 bits
 * (RFC 8017 §3.1: e is odd and 3 <= e < n; a ~3000-bit exponent made each garbage token 70 times the CPU).
 */
function reasonableRsa(jwk: Record<string, unknown>): boolean {
  const e = unsignedBytes(jwk.e);
  const n = unsignedBytes(jwk.n);
  if (e === null || n === null || e.length === 0 || e.length > MAX_RSA_EXPONENT_BYTES) return false;
  if ((e[e.length - 1] & 1) === 0 || (e.length === 1 && e[0] < 3)) return false;
  return n.length * 8 <= MAX_RSA_MODULUS_BITS;
}

/**
 * The one algorithm a JWK verifies: its `alg` when given (and allowed); without one, the algorithm its curve names
 * (EC, OKP), or the one allowed algorithm of its key type (RSA). `undefined` when that is ambiguous or not allowed.
 */
function algorithmOf(jwk: Record<string, unknown>, allowed: readonly AuthType[] | null): AuthType | undefined {
  const { alg, kty, crv } = jwk;
  if (typeof alg === 'string') {
    const named = AuthType.values().find((type) => type.name === alg);
    return named !== undefined && (allowed === null || allowed.includes(named)) ? named : undefined;
  }
  if (alg !== undefined) return undefined;
  if (kty === 'OKP') return okpAlgorithm(crv, allowed);
  const candidates = (allowed ?? AuthType.values()).filter((type) =>
    kty === 'EC' ? type.family === 'ec' && type.curve === crv : kty === 'RSA' && (type.family === 'rsa' || type.family === 'rsa-pss'));
  // An EC curve has one algorithm (RFC 7518 §3.4); an RSA key fits several, so only an allow-list of one decides.
  if (kty === 'EC') return candidates.length === 1 ? candidates[0] : undefined;
  return allowed !== null && candidates.length === 1 ? candidates[0] : undefined;
}

/**
 * An OKP key without `alg`: its curve names one scheme (RFC 8037 §3.1), spelt `EdDSA` or, fully specified, `Ed25519`
 * (RFC 9864 §2.2). The key is bound to `EdDSA` when allowed, else `Ed25519`; `aliasOf` lets the other spelling verify.
 */
function okpAlgorithm(crv: unknown, allowed: readonly AuthType[] | null): AuthType | undefined {
  if (crv !== 'Ed25519') return undefined;
  return [AuthType.EdDSA, AuthType.Ed25519].find((type) => allowed === null || allowed.includes(type));
}

/** Turns one JWK into a verification key, or `undefined` when it is not a usable signing key. */
function keyFromJwk(value: unknown, allowed: readonly AuthType[] | null): VerificationKey | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const jwk = value as Record<string, unknown>;
  const { kid, use, kty } = jwk;
  if (typeof kid !== 'string' || kid === '') return undefined;
  // RFC 7517 §4.2 and §4.3: a key meant for encryption, or whose operations exclude verify, never verifies.
  if (use !== undefined && use !== 'sig') return undefined;
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) return undefined;
  // Never an HMAC secret from the network: a shared secret published is no secret.
  if (kty !== 'RSA' && kty !== 'EC' && kty !== 'OKP') return undefined;
  if (kty === 'RSA' && !reasonableRsa(jwk)) return undefined;
  const authType = algorithmOf(jwk, allowed);
  if (authType === undefined || authType.family === 'hmac') return undefined;
  try {
    // Only the public members are handed to Node: a published private part is ignored, never used.
    const key = checkAsymmetricKey(createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }), authType, 'publicKey');
    if (key.type !== 'public') return undefined;
    // A key without alg bound to EdDSA also verifies the fully specified spelling, when it is allowed too.
    const alsoNamed = authType === AuthType.EdDSA && jwk.alg === undefined && (allowed === null || allowed.includes(AuthType.Ed25519));
    return Object.freeze(alsoNamed ? { kid, authType, key, alsoNamed: AuthType.Ed25519.name } : { kid, authType, key });
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
  #lastFailed = false;

  /**
   * @param onChange - Called when a reload dropped or changed a key, so that tokens verified with it (and cached)
   *   stop being accepted at once.
   * @param algorithms - The algorithms keys may verify; a key naming another is ignored, and a key without `alg` is
   *   usable when its curve or this list names exactly one algorithm for it. `null`: every asymmetric algorithm.
   */
  constructor(
    readonly url: URL,
    readonly timing: RemoteJwksTiming,
    private readonly onChange: () => void = () => undefined,
    private readonly algorithms: readonly AuthType[] | null = null,
  ) {}

  /** The cached key named `kid`; starts a background reload when the cache is older than its max age. */
  lookup(kid: string): VerificationKey | undefined {
    this.touch();
    return this.#keys.get(kid);
  }

  /**
   * Starts a background reload when the keys are older than their max age: also called for tokens served from the
   * verify cache, so that a key retired at the issuer stops verifying within max age + cooldown, cached tokens too.
   */
  touch(): void {
    if (this.#loadedAt !== 0 && Date.now() - this.#loadedAt > this.timing.maxAgeMs) void this.refresh();
  }

  /** True when the keys cannot be had: never fetched, or the last attempt failed. */
  get unavailable(): boolean {
    return this.#loadedAt === 0 || this.#lastFailed;
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
    const body = await fetchJsonObject(this.url, { timeoutMs: this.timing.timeoutMs, accept: 'application/jwk-set+json, application/json' });
    const list = body?.keys;
    if (!Array.isArray(list)) {
      this.#lastFailed = true;
      return false;
    }
    const keys = new Map<string, VerificationKey>();
    for (const jwk of list) {
      const key = keyFromJwk(jwk, this.algorithms);
      if (key && key.kid !== null && !keys.has(key.kid)) keys.set(key.kid, key);
    }
    const changed = [...this.#keys].some(([kid, old]) => !keys.get(kid)?.key.equals(old.key));
    this.#keys = keys;
    this.#loadedAt = Date.now();
    this.#lastFailed = false;
    if (changed) this.onChange();
    return true;
  }
}
