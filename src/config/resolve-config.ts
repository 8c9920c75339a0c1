/**
 * Resolving a whole configuration from its sources. Everything is checked here, once, with messages that say what to
 * fix.
 */
import { createSecretKey } from 'node:crypto';
import { AuthType } from '../keys/algorithms';
import { AuthData, MAX_AGE_LIMIT } from '../keys/auth-data';
import { KeyError, isKeyObject, normalizePem, privateSigningKey, publicVerifyingKey, type KeyInput } from '../keys/key-material';
import { keysFromEntries, type SignerSettings } from '../keys/key-ring';
import { thumbprint } from '../keys/jwk';
import { jwksUrl, remoteUrl, type RemoteJwksTiming } from '../keys/remote-jwks';
import type { VerificationKey } from '../keys/verification-key';
import type { VerifyPolicy } from '../token/verify';
import type { RevocationStore } from '../sessions/revocation-store';
import { InvalidConfigError, MissingConfigError } from '../errors';
import { trustedIssuersFrom, type TrustedIssuersConfig } from '../issuers/trusted-issuer';
import type { RawConfig } from './sources';
import type { ConfigName } from './tokens';

function required(raw: RawConfig, name: ConfigName): unknown {
  const value = raw[name];
  if (value === undefined) throw new MissingConfigError(name);
  return value;
}

/** A whole number in [0, limit], from a number or a decimal string. */
function wholeNumber(raw: RawConfig, name: ConfigName, fallback: number, limit: number, what: string): number {
  const value = raw[name];
  if (value === undefined) return fallback;
  const parsed = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof parsed !== 'number' || !Number.isSafeInteger(parsed) || parsed < 0 || parsed > limit) {
    throw new InvalidConfigError(name, `must be a whole, non-negative number ${what} (at most ${limit})`);
  }
  return parsed;
}

const maxAge = (raw: RawConfig, name: ConfigName, fallback: number): number =>
  wholeNumber(raw, name, fallback, MAX_AGE_LIMIT, 'of seconds, e.g. 3600,');

/** Seconds as a finite number (decimals allowed) in (0, limit], or [0, limit] when zero is allowed. */
function seconds(raw: RawConfig, name: ConfigName, fallback: number, limit: number, zeroAllowed = false): number {
  const value = raw[name];
  if (value === undefined) return fallback;
  const parsed = typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < 0 || (parsed === 0 && !zeroAllowed) || parsed > limit) {
    const least = zeroAllowed ? 'a non-negative' : 'a positive';
    throw new InvalidConfigError(name, `must be ${least} number of seconds, at most ${limit}`);
  }
  return parsed;
}

/** The most verified tokens a cache may hold. */
export const MAX_CACHE_SIZE = 1_000_000;


function keyInput(value: unknown, name: ConfigName, authType: AuthType): KeyInput {
  if (isKeyObject(value)) return value;
  if (Buffer.isBuffer(value)) return authType.family === 'hmac' ? createSecretKey(value) : value;
  if (typeof value !== 'string') {
    throw new InvalidConfigError(name, 'must be a string, a Buffer or a crypto.KeyObject');
  }
  if (authType.family === 'hmac') return value;
  // Asymmetric keys arrive as PEM text in the usual `.env` form; AuthData takes PEM bytes.
  return Buffer.from(normalizePem(value) ?? value, 'utf8');
}

/** Fallback max ages, read at configuration time so that changing AuthManager's statics takes effect. */
export interface MaxAgeDefaults {
  readonly authMaxAge: number;
  readonly refreshMaxAge: number;
}

/** Seconds a just-rotated refresh token answers its successor again: two tabs refreshing at once keep the login. */
export const DEFAULT_REFRESH_GRACE = 10;

/** The maximum clock-skew leeway, in seconds. */
export const MAX_LEEWAY = 300;

/** Everything a manager is built from. */
export interface ResolvedConfig {
  /** The key that signs, or `null` for a verify-only configuration. */
  signer: AuthData | null;
  /** The local keys that verify. */
  keys: VerificationKey[];
  policy: VerifyPolicy;
  cacheSize: number;
  /** A remote JWK Set to verify with and its timing, when configured. */
  remote: { readonly url: URL; readonly timing: RemoteJwksTiming } | null;
  /** The trusted external issuers (`JWT_ISSUERS`), when configured. */
  trustedIssuers: TrustedIssuersConfig | null;
  /** The URL of the protected-resource metadata (RFC 9728) challenges name, when configured. */
  resourceMetadata: URL | null;
  /** The timing of every remote key set (JWT_JWKSURL and the trusted issuers'). */
  remoteTiming: RemoteJwksTiming;
  /** The revocation store, when one is configured. */
  revocationStore: RevocationStore | null;
  /** Whether auth tokens get a jti and are checked for revocation. */
  authJti: boolean;
  /** Milliseconds a revocation-store call may take before the answer is 503. */
  revocationTimeoutMs: number;
  /** Milliseconds a just-rotated refresh token answers its successor again (JWT_REFRESHGRACE); 0 when off. */
  refreshGraceMs: number;
  /** The refresh-token max age (also of verify-only configurations): the least time a family stays revoked. */
  refreshMaxAge: number;
}

function isRevocationStore(value: unknown): value is RevocationStore {
  const store = value as RevocationStore;
  return typeof value === 'object' && value !== null
    && typeof store.revoke === 'function' && typeof store.isRevoked === 'function' && typeof store.use === 'function';
}

function flag(raw: RawConfig, name: ConfigName): boolean {
  const value = raw[name];
  if (value === undefined || value === false || value === 'false' || value === '0') return false;
  if (value === true || value === 'true' || value === '1') return true;
  throw new InvalidConfigError(name, 'must be true or false');
}

function optionalString(raw: RawConfig, name: ConfigName, why: string): string | null {
  const value = raw[name];
  if (value === undefined) return null;
  if (typeof value !== 'string' || value.trim() === '') throw new InvalidConfigError(name, why);
  return value;
}

/** The one-key configuration: JWT_AUTHTYPE, JWT_SECRET (and JWT_PUBLICKEY). */
function singleKey(raw: RawConfig, settings: SignerSettings): { signer: AuthData; keys: VerificationKey[] } {
  const authTypeValue = required(raw, 'JWT_AUTHTYPE');
  const authType = authTypeValue instanceof AuthType ? authTypeValue : AuthType.from(String(authTypeValue));
  const secret = keyInput(required(raw, 'JWT_SECRET'), 'JWT_SECRET', authType);
  const publicKey = authType.family !== 'hmac' ? keyInput(required(raw, 'JWT_PUBLICKEY'), 'JWT_PUBLICKEY', authType) : null;
  let signer: AuthData;
  try {
    // An asymmetric key gets its RFC 7638 thumbprint as kid, so that it can be published in a JWK Set; tokens
    // issued without a kid keep verifying with the same key.
    // The private key is read (and checked) first, so that a weak pair is reported as JWT_SECRET.
    const signing = publicKey === null ? secret : privateSigningKey(secret, authType);
    const publicKeyObject = publicKey === null ? null : publicVerifyingKey(publicKey, authType);
    const kid = publicKeyObject === null ? null : thumbprint(publicKeyObject);
    signer = new AuthData(authType, signing, settings.issuer, settings.authMaxAge, settings.refreshMaxAge, publicKeyObject, { kid, audience: settings.audience });
  } catch (err) {
    if (err instanceof KeyError) {
      throw new InvalidConfigError(err.field === 'secret' ? 'JWT_SECRET' : 'JWT_PUBLICKEY', err.message);
    }
    throw err;
  }
  const key = signer.verifyingKey;
  const keys: VerificationKey[] = [{ kid: null, authType, key }];
  if (signer.kid !== null) keys.push({ kid: signer.kid, authType, key });
  return { signer, keys };
}

/**
 * Builds everything from the layers: the issuer and audience, the keys (one key, a JWT_KEYS ring, a remote JWK Set,
 * or a ring plus a remote set), the leeway and the cache size.
 *
 * @throws MissingConfigError naming the first required value that is not set.
 * @throws InvalidConfigError naming the value that is unusable, with how to fix it.
 */
export function resolveConfig(raw: RawConfig, defaults: MaxAgeDefaults & { readonly cacheSize: number }): ResolvedConfig {
  const issuer = required(raw, 'JWT_ISSUER');
  if (typeof issuer !== 'string' || issuer.trim() === '') {
    throw new InvalidConfigError('JWT_ISSUER', 'must be a non-empty string (an empty issuer would disable the issuer check)');
  }
  const audience = optionalString(raw, 'JWT_AUDIENCE', 'must be a non-empty string');
  const leeway = wholeNumber(raw, 'JWT_LEEWAY', 0, MAX_LEEWAY, 'of seconds');
  const settings: SignerSettings = {
    issuer,
    audience,
    authMaxAge: maxAge(raw, 'JWT_AUTHMAXAGE', defaults.authMaxAge),
    refreshMaxAge: maxAge(raw, 'JWT_REFRESHMAXAGE', defaults.refreshMaxAge),
  };
  const ring = raw.JWT_KEYS;
  const remote = raw.JWT_JWKSURL;
  const jwks = remote === undefined ? null : jwksUrl(remote);
  let setup: { signer: AuthData | null; keys: VerificationKey[] };
  if (ring !== undefined) {
    if (raw.JWT_SECRET !== undefined) {
      throw new InvalidConfigError('JWT_KEYS', 'set either JWT_KEYS or JWT_AUTHTYPE/JWT_SECRET, not both');
    }
    setup = keysFromEntries(ring, settings);
  } else if ((jwks !== null || raw.JWT_ISSUERS !== undefined) && raw.JWT_SECRET === undefined) {
    // Verify-only: the keys are remote (JWT_JWKSURL) or the trusted issuers' (JWT_ISSUERS).
    setup = { signer: null, keys: [] };
  } else {
    setup = singleKey(raw, settings);
  }
  const remoteTiming: RemoteJwksTiming = Object.freeze({
    cooldownMs: seconds(raw, 'JWT_JWKSCOOLDOWN', 30, 3600, true) * 1000,
    timeoutMs: seconds(raw, 'JWT_JWKSTIMEOUT', 5, 60) * 1000,
    maxAgeMs: seconds(raw, 'JWT_JWKSMAXAGE', 600, 86400) * 1000,
  });
  return {
    ...setup,
    policy: Object.freeze({ issuer, audience, leeway }),
    trustedIssuers: raw.JWT_ISSUERS === undefined ? null : trustedIssuersFrom(raw.JWT_ISSUERS, issuer, leeway),
    remoteTiming,
    resourceMetadata: raw.JWT_RESOURCEMETADATA === undefined ? null : remoteUrl(raw.JWT_RESOURCEMETADATA, 'JWT_RESOURCEMETADATA', 'the value'),
    cacheSize: wholeNumber(raw, 'JWT_CACHESIZE', defaults.cacheSize, MAX_CACHE_SIZE, 'of tokens, 0 to turn the cache off,'),
    remote: jwks === null ? null : Object.freeze({ url: jwks, timing: remoteTiming }),
    revocationStore: (() => {
      const store = raw.JWT_REVOCATIONSTORE;
      if (store === undefined) return null;
      if (!isRevocationStore(store)) throw new InvalidConfigError('JWT_REVOCATIONSTORE', 'must implement revoke, isRevoked and use (e.g. a RedisRevocationStore)');
      return store;
    })(),
    authJti: flag(raw, 'JWT_AUTHJTI'),
    revocationTimeoutMs: seconds(raw, 'JWT_REVOCATIONTIMEOUT', 1, 60) * 1000,
    refreshGraceMs: seconds(raw, 'JWT_REFRESHGRACE', DEFAULT_REFRESH_GRACE, 60, true) * 1000,
    refreshMaxAge: settings.refreshMaxAge,
  };
}
