/**
 * Tokens of every kind for an app's own tests, signed for a given manager: valid ones, and each way a token is refused.
 */
import { createSecretKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { sign as jwsSign, type Algorithm } from 'jsonwebtoken';
import { AuthManager, runtimeOf } from '../auth-manager';
import type { Claims, Scope } from '../claims';
import { MissingSignerError } from '../errors';
import type { AuthData } from '../keys/auth-data';

/** What a minted auth token carries besides its subject. */
export interface TestTokenOptions {
  /** The `scope` claim. @default none */
  scope?: Scope | null;
  /** Other claims. @default {} */
  claims?: Claims;
}

/** Compact tokens for one manager, each a string to send as `Authorization: Bearer <token>` or in a cookie. */
export interface TestTokens {
  /** A valid auth token. */
  valid(subject?: string | number, options?: TestTokenOptions): string;
  /** A valid refresh token (on an auth route: 401 `ERR_TOKEN_TYPE`). */
  refresh(subject?: string | number): string;
  /** A refresh token where an auth token is required: 401 `ERR_TOKEN_TYPE`. */
  wrongType(subject?: string | number): string;
  /** An auth token that expired an hour ago (beyond any leeway): 401 `ERR_TOKEN_EXPIRED`. */
  expired(subject?: string | number, options?: TestTokenOptions): string;
  /** An auth token issued an hour from now (`iat` and `nbf`): 401 `ERR_TOKEN_NOT_YET_VALID`. */
  notYetValid(subject?: string | number, options?: TestTokenOptions): string;
  /** An auth token signed with a key of the same algorithm that the manager does not hold: 401 `ERR_TOKEN_SIGNATURE`. */
  wrongKey(subject?: string | number, options?: TestTokenOptions): string;
}

const HOUR = 3600;

/** A fresh key of the family `algorithm` belongs to, to sign with a key nobody trusts. */
function strangerKey(algorithm: string): KeyObject {
  if (algorithm.startsWith('HS')) return createSecretKey(randomBytes(64));
  if (algorithm.startsWith('RS') || algorithm.startsWith('PS')) return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  if (algorithm === 'EdDSA') return generateKeyPairSync('ed25519').privateKey;
  const curve = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }[algorithm];
  if (curve === undefined) throw new TypeError(`No test key for the algorithm ${algorithm}`);
  return generateKeyPairSync('ec', { namedCurve: curve }).privateKey;
}

/** Signs `claims` exactly as given, with the signer's algorithm and `kid`. */
function signRaw(signer: AuthData, claims: Claims, key: KeyObject = signer.signingKey): string {
  const algorithm = signer.algorithm() as Algorithm;
  const header = signer.kid === null ? { alg: algorithm, typ: 'JWT' } : { alg: algorithm, typ: 'JWT', kid: signer.kid };
  return jwsSign(JSON.stringify(claims), key, { algorithm, header });
}

/**
 * Mints tokens of every kind for `manager` (which must be able to sign: a secret, a private key or `JWT_KEYS`).
 *
 * @throws MissingSignerError for a verify-only manager.
 * @example
 * ```ts
 * const tokens = testTokens(manager);
 * await request(app).get('/me').auth(tokens.valid('alice', { scope: 'profile' }), { type: 'bearer' }).expect(200);
 * await request(app).get('/me').auth(tokens.expired('alice'), { type: 'bearer' }).expect(401);
 * ```
 */
export function testTokens(manager: AuthManager): TestTokens {
  const signer = (): AuthData => {
    // The manager's runtime exists once it has issued or verified a token; issuing one builds it.
    const runtime = runtimeOf(manager);
    if (runtime?.signer) return runtime.signer;
    throw new MissingSignerError();
  };
  const claimsOf = (subject: string | number, options: TestTokenOptions): Claims => ({
    ...manager.authToken(subject, options.scope ?? null, options.claims ?? {}).claims,
  });
  const shifted = (subject: string | number, options: TestTokenOptions, by: number, nbf: boolean): string => {
    const claims = claimsOf(subject, options);
    const iat = (claims.iat as number) + by;
    return signRaw(signer(), { ...claims, iat, exp: (claims.exp as number) + by, ...(nbf ? { nbf: iat } : {}) });
  };
  return Object.freeze({
    valid: (subject: string | number = 'test-user', options: TestTokenOptions = {}) =>
      manager.authToken(subject, options.scope ?? null, options.claims ?? {}).signed,
    refresh: (subject: string | number = 'test-user') => manager.refreshToken(subject).signed,
    wrongType: (subject: string | number = 'test-user') => manager.refreshToken(subject).signed,
    // Shifted by the token's whole lifetime and an hour more, so that no leeway covers it.
    expired: (subject: string | number = 'test-user', options: TestTokenOptions = {}) => {
      const claims = claimsOf(subject, options);
      return signRaw(signer(), { ...claims, iat: (claims.iat as number) - HOUR - ((claims.exp as number) - (claims.iat as number)), exp: (claims.iat as number) - HOUR });
    },
    notYetValid: (subject: string | number = 'test-user', options: TestTokenOptions = {}) => shifted(subject, options, HOUR, true),
    wrongKey: (subject: string | number = 'test-user', options: TestTokenOptions = {}) => {
      // The claims first: issuing them builds the manager's runtime, and so its signer.
      const claims = claimsOf(subject, options);
      const signing = signer();
      return signRaw(signing, claims, strangerKey(signing.algorithm()));
    },
  });
}
