/**
 * `AuthData`, the signer: an algorithm, its keys as KeyObjects, the issuer and the max ages.
 */
import { createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { AuthType } from './algorithms';
import { hmacSecretKey, isKeyObject, isKeyPair, KeyError, privateSigningKey, publicVerifyingKey, type KeyInput } from './key-material';
import { TokenType } from '../claims';
import type { Claims } from '../claims';

/** Optional parts of a signer. */
export interface AuthDataOptions {
  /** The key id for the `kid` header. */
  kid?: string | null;
  /** The `aud` claim of every token signed. */
  audience?: string | null;
}

/** Bytes of randomness in a refresh token's `rid`: 128 bits. */
const RID_BYTES = 16;

/** A fresh refresh-token id (`rid`). */
export const newRefreshId = (): string => randomBytes(RID_BYTES).toString('base64url');

/**
 * The `rid` and `iat` a refresh token is signed with when they were chosen before signing: the successor of a
 * rotation, signed again with the same claims for a request within the refresh grace window (one live token).
 */
export interface RefreshSuccessor {
  readonly rid: string;
  readonly iat: number;
}

/** The longest max age accepted: 100 years, far below where `iat + maxAge` would leave the safe-integer range. */
export const MAX_AGE_LIMIT = 100 * 365 * 24 * 3600;

function checkAge(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_AGE_LIMIT) {
    throw new TypeError(`${name} must be a whole, non-negative number of seconds, at most ${MAX_AGE_LIMIT} (100 years)`);
  }
  return value;
}

/**
 * What a manager signs with (the seed's AuthData). Keys are turned into `crypto.KeyObject`s here, once, and checked:
 * HMAC secrets at least as long as the hash, RSA keys of at least 2048 bits, never a PEM as an HMAC secret, never a
 * private key as the public key.
 *
 * @example
 * ```ts
 * const signer = new AuthData(AuthType.HS256, process.env.JWT_SECRET!, 'my-api', 3600, 604800);
 * new JWT(TokenType.AUTH, 'user-1').sign(signer);
 * ```
 */
export class AuthData {
  /** The signing key: a secret KeyObject for HS*, a private KeyObject otherwise. */
  readonly secret: KeyObject;
  /** The public key that verifies, or `null` for HMAC. */
  readonly publicKey: KeyObject | null;
  /** The key id put in the header of every token signed (`kid`), or `null`. */
  readonly kid: string | null;
  /** The audience put in every token signed (`aud`), or `null`. */
  readonly audience: string | null;

  /**
   * @param authType - The algorithm.
   * @param secret - HS*: a string (or secret KeyObject); RS*: a Buffer holding a PEM private key (or private KeyObject).
   * @param issuer - The `iss` of every token; must not be empty.
   * @param authMaxAge - Seconds an auth token lives.
   * @param refreshMaxAge - Seconds a refresh token lives.
   * @param publicKey - RS, PS and ES algorithms: the public key (PEM or public KeyObject); derived from the private key when omitted.
   * @param options - `kid` for the header and `audience` for the `aud` claim of signed tokens.
   * @throws TypeError when a key is of the wrong kind or too weak, or a value is out of range.
   */
  constructor(
    readonly authType: AuthType,
    secret: KeyInput,
    readonly issuer: string,
    readonly authMaxAge: number,
    readonly refreshMaxAge: number,
    publicKey?: KeyInput | null,
    options: AuthDataOptions = {},
  ) {
    if (!(authType instanceof AuthType)) throw new TypeError('authType must be an AuthType, e.g. AuthType.HS256');
    if (typeof issuer !== 'string' || issuer.trim() === '') {
      throw new TypeError('issuer must be a non-empty string: an empty issuer would disable the issuer check');
    }
    checkAge('authMaxAge', authMaxAge);
    checkAge('refreshMaxAge', refreshMaxAge);
    const kindMatches = isKeyObject(secret) || (authType.secretType === 'string' ? typeof secret === 'string' : Buffer.isBuffer(secret));
    if (!kindMatches) {
      throw new KeyError('secret', authType.secretType === 'string'
        ? `${authType.name} needs a string secret`
        : `${authType.name} needs a Buffer holding a PEM private key`);
    }
    if (authType.family === 'hmac') {
      this.secret = hmacSecretKey(secret, authType);
      this.publicKey = null;
    } else {
      this.secret = privateSigningKey(secret, authType);
      this.publicKey = publicKey == null ? createPublicKey(this.secret) : publicVerifyingKey(publicKey, authType);
      if (!isKeyPair(this.secret, this.publicKey)) {
        throw new KeyError('publicKey', 'the public key is not the public half of the private key');
      }
    }
    this.kid = options.kid ?? null;
    this.audience = options.audience ?? null;
    if (this.kid !== null && (typeof this.kid !== 'string' || this.kid === '')) throw new TypeError('kid must be a non-empty string');
    if (this.audience !== null && (typeof this.audience !== 'string' || this.audience === '')) {
      throw new TypeError('audience must be a non-empty string');
    }
    Object.freeze(this);
  }

  /** The algorithm name (`authType.name`). */
  algorithm(): string {
    return this.authType.name;
  }

  /** The key that signs. */
  get signingKey(): KeyObject {
    return this.secret;
  }

  /** The key that verifies: the secret for HMAC, the public key for RSA. */
  get verifyingKey(): KeyObject {
    return this.publicKey ?? this.secret;
  }

  /**
   * Returns `claims` extended with `iss`, `iat` (now), `exp` (iat + the max age of `tokenType`) and, for refresh
   * tokens, a random 128-bit `rid`.
   *
   * @throws TypeError when `claims` already holds one of those.
   */
  extendClaims(tokenType: TokenType, claims: Claims, successor?: RefreshSuccessor): Claims {
    for (const key of ['iss', 'iat', 'exp', 'rid']) {
      if (Object.hasOwn(claims, key)) throw new TypeError(`"${key}" is a reserved claim set by the signer`);
    }
    const iat = successor?.iat ?? Math.floor(Date.now() / 1000);
    const maxAge = tokenType === TokenType.REFRESH ? this.refreshMaxAge : this.authMaxAge;
    if (this.audience !== null && Object.hasOwn(claims, 'aud')) throw new TypeError('"aud" is set by the signer\'s audience');
    const extended: Claims = { ...claims, iss: this.issuer, iat, exp: iat + maxAge };
    if (this.audience !== null) extended.aud = this.audience;
    if (tokenType === TokenType.REFRESH) extended.rid = successor?.rid ?? newRefreshId();
    return extended;
  }
}
