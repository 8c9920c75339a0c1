/**
 * Resolving a whole configuration from its sources. Everything is checked here, once, with messages that say what to
 * fix.
 */
import { createSecretKey } from 'node:crypto';
import { AuthType } from '../keys/algorithms';
import { AuthData, MAX_AGE_LIMIT } from '../keys/auth-data';
import { InvalidConfigError } from '../errors';
import { KeyError, isKeyObject, normalizePem, privateSigningKey, publicVerifyingKey, type KeyInput } from '../keys/key-material';
import { keysFromEntries, type SignerSettings } from '../keys/key-ring';
import { thumbprint } from '../keys/jwk';
import { jwksUrl } from '../keys/remote-jwks';
import type { VerificationKey } from '../keys/verification-key';
import type { VerifyPolicy } from '../token/verify';
import type { RevocationStore } from '../sessions/revocation-store';
import { isMissing, readValue, required, type ConfigLayers } from './sources';
import type { ConfigName } from './tokens';

/** A whole number in [0, limit], from a number or a decimal string. */
function wholeNumber(layers: ConfigLayers, name: ConfigName, fallback: number, limit: number, what: string): number {
  const value = readValue(layers, name);
  if (isMissing(value)) return fallback;
  const parsed = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof parsed !== 'number' || !Number.isSafeInteger(parsed) || parsed < 0 || parsed > limit) {
    throw new InvalidConfigError(name, `must be a whole, non-negative number ${what} (at most ${limit})`);
  }
  return parsed;
}

const maxAge = (layers: ConfigLayers, name: ConfigName, fallback: number): number =>
  wholeNumber(layers, name, fallback, MAX_AGE_LIMIT, 'of seconds, e.g. 3600,');

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
  authMaxAge: number;
  refreshMaxAge: number;
}

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
  /** A remote JWK Set to verify with, when configured. */
  jwksUrl: URL | null;
  /** The revocation store, when one is configured. */
  revocationStore: RevocationStore | null;
  /** Whether auth tokens get a jti and are checked for revocation. */
  authJti: boolean;
}

function isRevocationStore(value: unknown): value is RevocationStore {
  const store = value as RevocationStore;
  return typeof value === 'object' && value !== null
    && typeof store.revoke === 'function' && typeof store.isRevoked === 'function' && typeof store.use === 'function';
}

function flag(layers: ConfigLayers, name: ConfigName): boolean {
  const value = readValue(layers, name);
  if (isMissing(value) || value === false || value === 'false' || value === '0') return false;
  if (value === true || value === 'true' || value === '1') return true;
  throw new InvalidConfigError(name, 'must be true or false');
}

function optionalString(layers: ConfigLayers, name: ConfigName, why: string): string | null {
  const value = readValue(layers, name);
  if (isMissing(value)) return null;
  if (typeof value !== 'string' || value.trim() === '') throw new InvalidConfigError(name, why);
  return value;
}

/** The one-key configuration: JWT_AUTHTYPE, JWT_SECRET (and JWT_PUBLICKEY). */
function singleKey(layers: ConfigLayers, settings: SignerSettings): { signer: AuthData; keys: VerificationKey[] } {
  const authTypeValue = required(layers, 'JWT_AUTHTYPE');
  const authType = authTypeValue instanceof AuthType ? authTypeValue : AuthType.from(String(authTypeValue));
  const secret = keyInput(required(layers, 'JWT_SECRET'), 'JWT_SECRET', authType);
  const publicKey = authType.family !== 'hmac' ? keyInput(required(layers, 'JWT_PUBLICKEY'), 'JWT_PUBLICKEY', authType) : null;
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
export function resolveConfig(layers: ConfigLayers, defaults: MaxAgeDefaults & { cacheSize: number }): ResolvedConfig {
  const issuer = required(layers, 'JWT_ISSUER');
  if (typeof issuer !== 'string' || issuer.trim() === '') {
    throw new InvalidConfigError('JWT_ISSUER', 'must be a non-empty string (an empty issuer would disable the issuer check)');
  }
  const audience = optionalString(layers, 'JWT_AUDIENCE', 'must be a non-empty string');
  const leeway = wholeNumber(layers, 'JWT_LEEWAY', 0, MAX_LEEWAY, 'of seconds');
  const settings: SignerSettings = {
    issuer,
    audience,
    authMaxAge: maxAge(layers, 'JWT_AUTHMAXAGE', defaults.authMaxAge),
    refreshMaxAge: maxAge(layers, 'JWT_REFRESHMAXAGE', defaults.refreshMaxAge),
  };
  const ring = readValue(layers, 'JWT_KEYS');
  const remote = readValue(layers, 'JWT_JWKSURL');
  const jwks = isMissing(remote) ? null : jwksUrl(remote);
  let setup: { signer: AuthData | null; keys: VerificationKey[] };
  if (!isMissing(ring)) {
    if (!isMissing(readValue(layers, 'JWT_SECRET'))) {
      throw new InvalidConfigError('JWT_KEYS', 'set either JWT_KEYS or JWT_AUTHTYPE/JWT_SECRET, not both');
    }
    setup = keysFromEntries(ring, settings);
  } else if (jwks !== null && isMissing(readValue(layers, 'JWT_SECRET'))) {
    setup = { signer: null, keys: [] };
  } else {
    setup = singleKey(layers, settings);
  }
  return {
    ...setup,
    policy: Object.freeze({ issuer, audience, leeway }),
    cacheSize: wholeNumber(layers, 'JWT_CACHESIZE', defaults.cacheSize, MAX_CACHE_SIZE, 'of tokens, 0 to turn the cache off,'),
    jwksUrl: jwks,
    revocationStore: (() => {
      const store = readValue(layers, 'JWT_REVOCATIONSTORE');
      if (isMissing(store)) return null;
      if (!isRevocationStore(store)) throw new InvalidConfigError('JWT_REVOCATIONSTORE', 'must implement revoke, isRevoked and use (e.g. a RedisRevocationStore)');
      return store;
    })(),
    authJti: flag(layers, 'JWT_AUTHJTI'),
  };
}
