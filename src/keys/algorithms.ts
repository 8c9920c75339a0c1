/**
 * The algorithm table. Each supported JWS algorithm is one row of data; code looks rows up instead of branching on
 * algorithm names.
 */
import { InvalidConfigError } from '../errors';

/**
 * The key family an algorithm belongs to; a key of one family is never used for another (RFC 8725 §3.1).
 * `rsa` is RSASSA-PKCS1-v1_5 (RS*), `rsa-pss` RSASSA-PSS (PS*), `ec` ECDSA (ES*), `okp` EdDSA on Ed25519 (RFC 8037).
 */
export type KeyFamily = 'hmac' | 'rsa' | 'rsa-pss' | 'ec' | 'okp';

/** The Node.js digest names the table uses. */
export type HashName = 'sha256' | 'sha384' | 'sha512';

/**
 * A signing algorithm (the seed's AuthType). `name === algorithm`, the value of the token header's `alg`.
 *
 * @example
 * ```ts
 * AuthType.from('ES256').curve; // 'P-256'
 * AuthType.from('RS256').secretType; // 'bytes': a PEM private key
 * ```
 */
export class AuthType {
  /** HMAC with SHA-256. Secret: a string of at least 32 bytes. */
  static readonly HS256 = new AuthType('HS256', 'string', 'hmac', 'sha256', 32);
  /** HMAC with SHA-384. Secret: a string of at least 48 bytes. */
  static readonly HS384 = new AuthType('HS384', 'string', 'hmac', 'sha384', 48);
  /** HMAC with SHA-512. Secret: a string of at least 64 bytes. */
  static readonly HS512 = new AuthType('HS512', 'string', 'hmac', 'sha512', 64);
  /** RSASSA-PKCS1-v1_5 with SHA-256. Secret: a PEM RSA private key of at least 2048 bits. */
  static readonly RS256 = new AuthType('RS256', 'bytes', 'rsa', 'sha256', 32);
  /** RSASSA-PKCS1-v1_5 with SHA-384. */
  static readonly RS384 = new AuthType('RS384', 'bytes', 'rsa', 'sha384', 48);
  /** RSASSA-PKCS1-v1_5 with SHA-512. */
  static readonly RS512 = new AuthType('RS512', 'bytes', 'rsa', 'sha512', 64);
  /** RSASSA-PSS with SHA-256 (salt as long as the hash). Secret: a PEM RSA private key of at least 2048 bits. */
  static readonly PS256 = new AuthType('PS256', 'bytes', 'rsa-pss', 'sha256', 32);
  /** RSASSA-PSS with SHA-384. */
  static readonly PS384 = new AuthType('PS384', 'bytes', 'rsa-pss', 'sha384', 48);
  /** RSASSA-PSS with SHA-512. */
  static readonly PS512 = new AuthType('PS512', 'bytes', 'rsa-pss', 'sha512', 64);
  /** ECDSA on P-256 with SHA-256. Secret: a PEM EC private key on that curve. */
  static readonly ES256 = new AuthType('ES256', 'bytes', 'ec', 'sha256', 32, 'P-256', 64);
  /** ECDSA on P-384 with SHA-384. */
  static readonly ES384 = new AuthType('ES384', 'bytes', 'ec', 'sha384', 48, 'P-384', 96);
  /** ECDSA on P-521 with SHA-512. */
  static readonly ES512 = new AuthType('ES512', 'bytes', 'ec', 'sha512', 64, 'P-521', 132);
  /**
   * EdDSA (RFC 8037 §3.1) with an Ed25519 key, the only curve offered. Secret: a PEM Ed25519 private key. The hash
   * (SHA-512) is part of the scheme: Node is never handed a digest name for it.
   */
  static readonly EdDSA = new AuthType('EdDSA', 'bytes', 'okp', 'sha512', 64, 'Ed25519', 64);
  /** Ed25519, the fully specified name of the same scheme (RFC 9864 §2.2). Secret: a PEM Ed25519 private key. */
  static readonly Ed25519 = new AuthType('Ed25519', 'bytes', 'okp', 'sha512', 64, 'Ed25519', 64);

  private static readonly table: readonly AuthType[] = [
    AuthType.HS256, AuthType.HS384, AuthType.HS512,
    AuthType.RS256, AuthType.RS384, AuthType.RS512,
    AuthType.PS256, AuthType.PS384, AuthType.PS512,
    AuthType.ES256, AuthType.ES384, AuthType.ES512,
    AuthType.EdDSA, AuthType.Ed25519,
  ];

  /** The JWS `alg` value. Same as `name`. */
  readonly algorithm: string;

  private constructor(
    /** The algorithm's name, e.g. `"HS256"`. */
    readonly name: string,
    /** What a secret must be: `'string'` for HMAC, `'bytes'` (a Buffer holding a PEM private key) otherwise. */
    readonly secretType: 'string' | 'bytes',
    /** The key family; keys never cross families. */
    readonly family: KeyFamily,
    /** The Node.js digest name. */
    readonly hash: HashName,
    /** The digest size in bytes; also the minimum HMAC secret length (RFC 7518 §3.2). */
    readonly hashSize: number,
    /** ES*, EdDSA and Ed25519: the JWK curve name (`crv`) the key must be on. */
    readonly curve: 'P-256' | 'P-384' | 'P-521' | 'Ed25519' | null = null,
    /** ES*: the exact signature size in bytes (R || S, RFC 7518 §3.4); EdDSA and Ed25519: 64 (RFC 8032 §5.1.6). */
    readonly signatureSize: number | null = null,
  ) {
    this.algorithm = name;
    Object.freeze(this);
  }

  /**
   * Looks an algorithm up by its exact name.
   *
   * @throws InvalidConfigError (`JWT_AUTHTYPE`) for a name that is not in the table.
   */
  static from(name: string): AuthType {
    const found = AuthType.table.find((entry) => entry.name === name);
    if (!found) {
      const names = AuthType.table.map((entry) => entry.name).join(', ');
      // The value is never repeated: a secret pasted here by mistake must not reach a log or a response body.
      throw new InvalidConfigError('JWT_AUTHTYPE', `is not a supported algorithm; use one of ${names}`);
    }
    return found;
  }

  /** Every supported algorithm, in table order. */
  static values(): AuthType[] {
    return [...AuthType.table];
  }

  /** The name, so that an AuthType prints and serialises as its `alg`. */
  toString(): string {
    return this.name;
  }

  /** Serialises as the algorithm name. */
  toJSON(): string {
    return this.name;
  }
}
