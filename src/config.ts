/**
 * Configuration: the typedi tokens, and resolving each value from (1) an Express app's settings or a plain object,
 * (2) the typedi container, (3) `process.env` and an optional `.env` file. Everything is checked here, once, with
 * messages that say what to fix.
 */
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { Container, Token, type ContainerInstance } from 'typedi';
import { createSecretKey, type KeyObject } from 'node:crypto';
import { AuthType } from './algorithms';
import { AuthData, MAX_AGE_LIMIT } from './auth-data';
import { InvalidConfigError, MissingConfigError } from './errors';
import { KeyError, isKeyObject, normalizePem, privateSigningKey, publicVerifyingKey, type KeyInput } from './keys';
import { keysFromEntries, thumbprint, type KeyEntry, type SignerSettings } from './key-ring';
import { jwksUrl } from './remote-jwks';
import type { VerificationKey, VerifyPolicy } from './verify';
import type { RevocationStore } from './revocation-store';

/** The issuer (`iss`) of issued tokens, and the only issuer accepted. Required; not empty. */
export const JWT_ISSUER = new Token<string>('JWT_ISSUER');
/** The algorithm: `"HS256"`, `"HS512"`, `"RS256"`, `"RS512"` or an `AuthType`. Required. */
export const JWT_AUTHTYPE = new Token<string | AuthType>('JWT_AUTHTYPE');
/** HS*: the secret (at least as many bytes as the hash). RS*: the PEM private key. Required. */
export const JWT_SECRET = new Token<string | Buffer | KeyObject>('JWT_SECRET');
/** Seconds an auth token lives. Default `AuthManager.defaultAuthMaxAge` (3600). */
export const JWT_AUTHMAXAGE = new Token<number | string>('JWT_AUTHMAXAGE');
/** Seconds a refresh token lives. Default `AuthManager.defaultRefreshMaxAge` (604800). */
export const JWT_REFRESHMAXAGE = new Token<number | string>('JWT_REFRESHMAXAGE');
/** RS*: the PEM public key that verifies. Required for RS*, ignored for HS*. */
export const JWT_PUBLICKEY = new Token<string | Buffer | KeyObject>('JWT_PUBLICKEY');

/** How many verified tokens to cache (0 turns the cache off). Default 1000. */
export const JWT_CACHESIZE = new Token<number | string>('JWT_CACHESIZE');

/** A key ring: an array of `{ kid, alg, secret | privateKey | publicKey, current }` (JSON text in the environment). */
export const JWT_KEYS = new Token<string | KeyEntry[]>('JWT_KEYS');
/** A remote JWK Set to verify tokens with (https, or http on loopback): a verify-only service needs no secret. */
export const JWT_JWKSURL = new Token<string | URL>('JWT_JWKSURL');
/** Seconds of clock skew tolerated for exp, nbf and iat (0 to 300). Default 0. */
export const JWT_LEEWAY = new Token<number | string>('JWT_LEEWAY');
/** When set, issued tokens carry it as `aud` and verified tokens must (RFC 8725 §3.9). */
export const JWT_AUDIENCE = new Token<string>('JWT_AUDIENCE');
/** Where revocations are kept: an object implementing `RevocationStore` (e.g. `RedisRevocationStore`). Default: memory. */
export const JWT_REVOCATIONSTORE = new Token<RevocationStore>('JWT_REVOCATIONSTORE');
/** `true` to give auth tokens a `jti` and check them for revocation on every request. Default false. */
export const JWT_AUTHJTI = new Token<boolean | string>('JWT_AUTHJTI');

const TOKENS = {
  JWT_ISSUER,
  JWT_AUTHTYPE,
  JWT_SECRET,
  JWT_AUTHMAXAGE,
  JWT_REFRESHMAXAGE,
  JWT_PUBLICKEY,
  JWT_CACHESIZE,
  JWT_KEYS,
  JWT_JWKSURL,
  JWT_LEEWAY,
  JWT_AUDIENCE,
  JWT_REVOCATIONSTORE,
  JWT_AUTHJTI,
} as const;

/** The name of a configuration value. */
export type ConfigName = keyof typeof TOKENS;

/** An Express application (or anything with Express-style `settings`). */
export interface SettingsSource {
  settings: Record<string, unknown>;
}

/** Where configuration can come from first: an Express application, or a plain object keyed by config name. */
export type ConfigSource = SettingsSource | { [name: string]: unknown };

/** Everything a configuration is resolved from. */
export interface ConfigLayers {
  source?: ConfigSource;
  container?: ContainerInstance;
  dotenv?: Record<string, string>;
}

function isSettingsSource(source: ConfigSource): source is SettingsSource {
  return typeof source === 'function' && typeof (source as SettingsSource).settings === 'object';
}

/** Reads and parses a `.env` file with Node's own parser, without touching `process.env`. */
export function readDotenv(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new InvalidConfigError('dotenvPath', `cannot read the .env file ${JSON.stringify(path)} (${code})`);
  }
  return parseEnv(text) as Record<string, string>;
}

const isMissing = (value: unknown): boolean => value === undefined || value === null || value === '';

function readFromContainer(container: ContainerInstance | undefined, name: ConfigName): unknown {
  const token = TOKENS[name];
  if (container && container.has(token)) return container.get(token);
  return Container.has(token) ? Container.get(token) : undefined;
}

/** Resolves one value: the source first, then the container's token, then the environment and the `.env` file. */
function readValue(layers: ConfigLayers, name: ConfigName): unknown {
  const { source } = layers;
  if (source !== undefined && source !== null) {
    // Express settings are read as app.get() reads them: a mounted sub-app inherits its parent's through the
    // prototype. A plain object counts only with its own properties.
    const value = isSettingsSource(source) ? source.settings[name] : Object.hasOwn(source, name) ? source[name] : undefined;
    if (!isMissing(value)) return value;
  }
  const fromContainer = readFromContainer(layers.container, name);
  if (!isMissing(fromContainer)) return fromContainer;
  const fromEnv = process.env[name];
  if (!isMissing(fromEnv)) return fromEnv;
  return layers.dotenv?.[name];
}

function required(layers: ConfigLayers, name: ConfigName): unknown {
  const value = readValue(layers, name);
  if (isMissing(value)) throw new MissingConfigError(name);
  return value;
}

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
