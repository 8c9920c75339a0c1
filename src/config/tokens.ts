/**
 * The typedi tokens of every configuration value. Each is read from an app's settings, the container, the
 * environment or a `.env` file, in that order (see sources.ts).
 */
import { Token } from 'typedi';
import type { KeyObject } from 'node:crypto';
import type { AuthType } from '../keys/algorithms';
import type { KeyEntry } from '../keys/key-ring';
import type { RevocationStore } from '../sessions/revocation-store';
import type { TrustedIssuerEntry, TrustedIssuerResolver } from '../issuers/trusted-issuer';

/** The issuer (`iss`) of issued tokens; the only one accepted besides those of `JWT_ISSUERS`. Required; not empty. */
export const JWT_ISSUER = new Token<string>('JWT_ISSUER');
/**
 * The algorithm of the app's own tokens: a name of the AuthType table (`HS256`/`384`/`512`, `RS*`, `PS*`, `ES*`,
 * `EdDSA`, `Ed25519`) or an `AuthType`. Required unless `JWT_KEYS`, `JWT_JWKSURL` or `JWT_ISSUERS` is set.
 * @default none (required)
 * @example Container.set(JWT_AUTHTYPE, 'ES256');
 */
export const JWT_AUTHTYPE = new Token<string | AuthType>('JWT_AUTHTYPE');
/**
 * HS*: the secret (at least as many bytes as the hash). RS*, PS*, ES*, EdDSA: the PEM private key (or a KeyObject).
 * @default none (required with JWT_AUTHTYPE)
 */
export const JWT_SECRET = new Token<string | Buffer | KeyObject>('JWT_SECRET');
/** Seconds an auth token lives. Default `AuthManager.defaultAuthMaxAge` (3600). */
export const JWT_AUTHMAXAGE = new Token<number | string>('JWT_AUTHMAXAGE');
/** Seconds a refresh token lives. Default `AuthManager.defaultRefreshMaxAge` (604800). */
export const JWT_REFRESHMAXAGE = new Token<number | string>('JWT_REFRESHMAXAGE');
/**
 * The PEM public key (or public KeyObject) that verifies: required for the asymmetric algorithms, ignored for HS*.
 * @default none
 */
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
/**
 * Seconds the revocation store may take before a request is answered 503 (fail closed); more than 0, at most 60.
 * @default 1
 */
export const JWT_REVOCATIONTIMEOUT = new Token<number | string>('JWT_REVOCATIONTIMEOUT');
/**
 * Seconds during which a refresh token just rotated may be presented again (two tabs refreshing at once) and answers
 * the same successor refresh token instead of revoking its family; 0 turns it off, at most 60.
 * @default 10
 * @example Container.set(JWT_REFRESHGRACE, 0); // every second presentation is reuse
 */
export const JWT_REFRESHGRACE = new Token<number | string>('JWT_REFRESHGRACE');
/** Seconds between two fetches of the remote JWK Set (also when tokens name unknown keys); at most 3600. @default 30 */
export const JWT_JWKSCOOLDOWN = new Token<number | string>('JWT_JWKSCOOLDOWN');
/** Seconds a fetch of the remote JWK Set may take; more than 0, at most 60. @default 5 */
export const JWT_JWKSTIMEOUT = new Token<number | string>('JWT_JWKSTIMEOUT');
/** Seconds after which remote keys are reloaded in the background; more than 0, at most 86400. @default 600 */
export const JWT_JWKSMAXAGE = new Token<number | string>('JWT_JWKSMAXAGE');
/**
 * DPoP (RFC 9449) by default for every guard: `'off'` (the `DPoP` scheme is refused), `'allowed'` (Bearer or DPoP) or
 * `'required'` (DPoP only). A token bound to a key (`cnf.jkt`) always needs its proof, whatever this says.
 * @default 'allowed'
 */
export const JWT_DPOP = new Token<string>('JWT_DPOP');
/**
 * Server nonces for DPoP proofs (RFC 9449 §8): `false`, `true` (a random key per process), or a key of at least 32
 * characters shared by every instance so that each accepts the others' nonces.
 * @default false
 */
export const JWT_DPOPNONCE = new Token<boolean | string>('JWT_DPOPNONCE');
/** The algorithms a DPoP proof may use, space-separated (asymmetric only). @default 'ES256 ES384 ES512 PS256 PS384 PS512 RS256 EdDSA Ed25519' */
export const JWT_DPOPALGS = new Token<string | string[]>('JWT_DPOPALGS');
/**
 * Trusted external issuers (authorization servers) whose access tokens are accepted beside the app's own: a list of
 * `{ issuer, audience, audienceClaim?, jwksUrl?, algorithms?, profile?, leeway?, maxTokenAge?, scopeClaim? }` (JSON
 * text in the environment), or a resolver `(iss) => entry | undefined`. See "Verifying tokens from an authorization server".
 * @default none
 */
export const JWT_ISSUERS = new Token<string | readonly TrustedIssuerEntry[] | TrustedIssuerResolver>('JWT_ISSUERS');
/**
 * The URL of this resource server's protected-resource metadata (RFC 9728, served with `serveResourceMetadata`):
 * every challenge then names it as `resource_metadata="..."` (§5.1). https, or http on loopback.
 * @default none
 */
export const JWT_RESOURCEMETADATA = new Token<string | URL>('JWT_RESOURCEMETADATA');

export const TOKENS = {
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
  JWT_REVOCATIONTIMEOUT,
  JWT_REFRESHGRACE,
  JWT_JWKSCOOLDOWN,
  JWT_JWKSTIMEOUT,
  JWT_JWKSMAXAGE,
  JWT_DPOP,
  JWT_DPOPNONCE,
  JWT_DPOPALGS,
  JWT_ISSUERS,
  JWT_RESOURCEMETADATA,
} as const;

/** The name of a configuration value. */
export type ConfigName = keyof typeof TOKENS;
