/**
 * The token model: `TokenType` and `JWT` (the seed's JWT Object).
 */
import { sign as jwsSign, type Algorithm } from 'jsonwebtoken';
import type { AuthData, RefreshSuccessor } from '../keys/auth-data';
import { InvalidTokenError } from '../errors';
import { decodeJsonSegment, hasRegisteredClaims, MAX_TOKEN_LENGTH, splitToken } from './compact';
import { canonicalToken } from './canonical-signature';
import { signEdDsa } from './sign-eddsa';
import { RESERVED_CLAIMS, TokenType, type ClaimValue, type Claims, type Scope } from '../claims';

/** Claims that `sign` (re)computes from the signer. */
const SIGNER_CLAIMS = ['iss', 'iat', 'exp', 'rid'] as const;

function isTokenType(value: unknown): value is TokenType {
  return value === TokenType.AUTH || value === TokenType.REFRESH;
}

function checkSubject(sub: unknown): asserts sub is string | number {
  if (typeof sub !== 'string' && !(typeof sub === 'number' && Number.isFinite(sub))) {
    throw new TypeError('The subject (sub) must be a string or a finite number');
  }
}

/** A token that has been signed: `signed` is its compact serialisation, never `null`. */
export type SignedJWT = JWT & { signed: string };

/**
 * A JSON Web Token: its type, its claims and, once signed, its compact serialisation.
 *
 * @example
 * ```ts
 * const token = new JWT(TokenType.AUTH, 'user-1', { admin: true }, { tenant: 'acme' });
 * token.sign(authData);
 * token.signed; // 'eyJhbGciOi...'
 * ```
 */
export class JWT {
  /** The claims; include `sub` and `type`, and after signing `iss`, `iat`, `exp` (and `rid` for refresh tokens). */
  claims: Claims;
  /** The compact serialisation, or `null` until signed. */
  signed: string | null = null;
  /** The header's `typ`, always `"JWT"`. */
  readonly typ = 'JWT' as const;
  #alg: string | null = null;
  static #restoring = false;

  /**
   * @param tokenType - `TokenType.AUTH` or `TokenType.REFRESH`.
   * @param sub - The subject.
   * @param scope - The `scope` claim (auth tokens only).
   * @param claims - Extra claims. Reserved names (iss, iat, exp, type, rid, sub) are a `TypeError`.
   */
  constructor(
    readonly tokenType: TokenType,
    sub: string | number,
    scope?: Scope | null,
    claims: Claims = {},
  ) {
    if (JWT.#restoring) {
      this.claims = claims;
      return;
    }
    if (!isTokenType(tokenType)) throw new TypeError('tokenType must be TokenType.AUTH or TokenType.REFRESH');
    checkSubject(sub);
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
      throw new TypeError('Extra claims must be a plain object');
    }
    for (const key of Object.keys(claims)) {
      if (RESERVED_CLAIMS.has(key)) {
        throw new TypeError(`"${key}" is a reserved claim set by the manager; it cannot be passed as an extra claim`);
      }
    }
    if (Object.hasOwn(claims, 'nbf') && !(typeof claims.nbf === 'number' && Number.isFinite(claims.nbf))) {
      throw new TypeError('nbf must be a finite number of seconds since the epoch');
    }
    const hasScope = scope !== undefined && scope !== null;
    if (hasScope && Object.hasOwn(claims, 'scope')) {
      throw new TypeError('The scope is given twice: as the scope argument and as an extra claim');
    }
    if (tokenType === TokenType.REFRESH && (hasScope || Object.hasOwn(claims, 'scope'))) {
      throw new TypeError('A refresh token never carries a scope');
    }
    this.claims = { ...claims, sub, type: tokenType };
    if (hasScope) this.claims.scope = scope;
  }

  /** The algorithm from the header, or `null` before signing. */
  get alg(): string | null {
    return this.#alg;
  }

  /** The JOSE header. */
  get header(): { typ: 'JWT'; alg: string | null } {
    return { typ: this.typ, alg: this.#alg };
  }

  /** Expiry (seconds since the epoch), or `null` before signing. */
  get exp(): number | null {
    return typeof this.claims.exp === 'number' ? this.claims.exp : null;
  }

  /** Issued-at (seconds since the epoch), or `null` before signing. */
  get iat(): number | null {
    return typeof this.claims.iat === 'number' ? this.claims.iat : null;
  }

  /** The issuer, or `null` before signing. */
  get iss(): string | null {
    return typeof this.claims.iss === 'string' ? this.claims.iss : null;
  }

  /** `exp - iat` in seconds, or `null` before signing. */
  get maxAge(): number | null {
    const { exp, iat } = this;
    return exp === null || iat === null ? null : exp - iat;
  }

  /** The `scope` claim, or `null` when there is none. */
  get scope(): Scope | null {
    const scope: ClaimValue | undefined = this.claims.scope;
    if (typeof scope === 'string' || typeof scope === 'number') return scope;
    if (typeof scope === 'object' && scope !== null && !Array.isArray(scope)) return scope;
    return null;
  }

  /** The subject. */
  get sub(): string | number {
    return this.claims.sub as string | number;
  }

  /** True once `signed` holds a token. */
  isSigned(): boolean {
    return this.signed !== null;
  }

  /**
   * Signs the token: sets `iat` to now, `iss` and `exp` from the signer (and a fresh `rid` for refresh tokens),
   * then stores and returns the compact serialisation. `successor` (internal) fixes a refresh token's `rid` and `iat`.
   */
  sign(authData: AuthData, successor?: RefreshSuccessor): string {
    const base: Claims = { ...this.claims };
    for (const key of SIGNER_CLAIMS) delete base[key];
    const claims = authData.extendClaims(this.tokenType, base, successor);
    let signed: string;
    try {
      // The payload goes as JSON text: jsonwebtoken's object checks look claim names up through the prototype, so
      // a claim named e.g. "toString" would break them. Every registered claim here was set and checked above.
      const algorithm = authData.algorithm() as Algorithm;
      const header = authData.kid === null ? { alg: algorithm, typ: 'JWT' } : { alg: algorithm, typ: 'JWT', kid: authData.kid };
      signed = authData.authType.family === 'okp'
        ? signEdDsa(header, JSON.stringify(claims), authData.signingKey)
        : jwsSign(JSON.stringify(claims), authData.signingKey, { algorithm, header });
      // OpenSSL leaves s in the upper half for about half of ES signatures: issue the low-S spelling, the one
      // verification keys tokens by (see canonical-signature.ts), so what the app hands out is what it verifies.
      if (authData.authType.family === 'ec') signed = canonicalToken(signed);
    } catch (error) {
      // jsonwebtoken refuses some claim values (e.g. a non-numeric nbf) with a plain Error.
      throw new TypeError(`The token cannot be signed: ${(error as Error).message}`, { cause: error });
    }
    if (signed.length > MAX_TOKEN_LENGTH) {
      throw new TypeError(`The signed token is ${signed.length} characters, over the ${MAX_TOKEN_LENGTH} that verification accepts: carry fewer claims`);
    }
    this.claims = claims;
    this.signed = signed;
    this.#alg = authData.algorithm();
    return signed;
  }

  /**
   * Reads a signed token WITHOUT verifying it.
   *
   * @throws InvalidTokenError when it is not a well-formed JWT carrying `exp`, `iss`, `sub`, `iat` and `type`.
   */
  static fromSignedToken(signed: string): JWT {
    const parts = splitToken(signed);
    const claims = parts && decodeJsonSegment(parts.payloadSegment);
    if (!parts || !claims || !hasRegisteredClaims(claims) || typeof parts.header.alg !== 'string') {
      throw new InvalidTokenError();
    }
    return JWT.restore(parts.header.alg, claims as Claims, signed as string);
  }

  /**
   * Rebuilds a token object from decoded, already-checked parts. `tokenType` is given for an access token of a
   * trusted issuer, which carries no `type` claim and counts as an auth token.
   * @internal
   */
  static restore(alg: string, claims: Claims, signed: string, tokenType = claims.type as TokenType): JWT {
    // The claims were checked by the caller: skip the constructor's checks, which are for claims given by hand.
    JWT.#restoring = true;
    let token: JWT;
    try {
      token = new JWT(tokenType, claims.sub as string | number, null, claims);
    } finally {
      JWT.#restoring = false;
    }
    token.signed = signed;
    token.#alg = alg;
    return token;
  }
}
