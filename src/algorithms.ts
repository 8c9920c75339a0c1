/**
 * The algorithm table. Each supported JWS algorithm is one row of data; code looks rows up instead of branching on
 * algorithm names.
 */
import { InvalidConfigError } from './errors';

/** The key family an algorithm belongs to; a key of one family is never used for another (RFC 8725 §3.1). */
export type KeyFamily = 'hmac' | 'rsa';

/**
 * A signing algorithm (the seed's AuthType). `name === algorithm`, the value of the token header's `alg`.
 *
 * @example
 * ```ts
 * AuthType.from('RS256').secretType; // 'bytes': a PEM private key
 * ```
 */
export class AuthType {
  /** HMAC with SHA-256. Secret: a string of at least 32 bytes. */
  static readonly HS256 = new AuthType('HS256', 'string', 'hmac', 'sha256', 32);
  /** HMAC with SHA-512. Secret: a string of at least 64 bytes. */
  static readonly HS512 = new AuthType('HS512', 'string', 'hmac', 'sha512', 64);
  /** RSASSA-PKCS1-v1_5 with SHA-256. Secret: a PEM private key of at least 2048 bits. */
  static readonly RS256 = new AuthType('RS256', 'bytes', 'rsa', 'sha256', 32);
  /** RSASSA-PKCS1-v1_5 with SHA-512. Secret: a PEM private key of at least 2048 bits. */
  static readonly RS512 = new AuthType('RS512', 'bytes', 'rsa', 'sha512', 64);

  private static readonly table: readonly AuthType[] = [AuthType.HS256, AuthType.HS512, AuthType.RS256, AuthType.RS512];

  /** The JWS `alg` value. Same as `name`. */
  readonly algorithm: string;

  private constructor(
    /** The algorithm's name, e.g. `"HS256"`. */
    readonly name: string,
    /** What a secret must be: `'string'` for HMAC, `'bytes'` (a Buffer holding a PEM private key) for RSA. */
    readonly secretType: 'string' | 'bytes',
    /** The key family; keys never cross families. */
    readonly family: KeyFamily,
    /** The Node.js digest name. */
    readonly hash: 'sha256' | 'sha512',
    /** The digest size in bytes; also the minimum HMAC secret length (RFC 7518 §3.2). */
    readonly hashSize: number,
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
      throw new InvalidConfigError('JWT_AUTHTYPE', `${JSON.stringify(String(name))} is not supported; use one of ${names}`);
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
