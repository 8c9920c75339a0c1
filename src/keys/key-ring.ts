/**
 * The key ring: several keys, each with its `kid` and exactly one algorithm. Tokens are signed with the current key
 * and carry its `kid`; a token is verified with the key its `kid` names (never a key picked by the token's `alg`),
 * and a key removed from the ring stops verifying at once. Also the public JWK Set (RFC 7517) of the ring.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { AuthType } from './algorithms';
import { AuthData } from './auth-data';
import { InvalidConfigError } from '../errors';
import { hmacSecretKey, isKeyObject, isKeyPair, KeyError, privateSigningKey, publicVerifyingKey, type KeyInput } from './key-material';
import type { KeyLookup, VerificationKey } from './verification-key';
import type { JwkSet, PublicJwk } from './jwk';

/** One entry of `JWT_KEYS`. */
export interface KeyEntry {
  /** The key id; unique in the ring. */
  kid: string;
  /** The one algorithm this key is used with, e.g. `"ES256"`. */
  alg: string;
  /** HS*: the secret. */
  secret?: KeyInput;
  /** RS, PS and ES algorithms: the private key (PEM or KeyObject), for the key that signs. */
  privateKey?: KeyInput;
  /** RS, PS and ES algorithms: the public key; derived from `privateKey` when omitted. A key with only a public key verifies. */
  publicKey?: KeyInput;
  /** True for the key that signs new tokens; exactly one key with signing material may be current. */
  current?: boolean;
}

/** The keys that verify, looked up by `kid`. */
export class KeyRing {
  readonly #byKid = new Map<string, VerificationKey>();
  readonly #unnamed: VerificationKey | undefined;
  #jwks: JwkSet | undefined;

  constructor(keys: readonly VerificationKey[]) {
    let unnamed: VerificationKey | undefined;
    for (const key of keys) {
      if (key.kid === null) unnamed = key;
      else this.#byKid.set(key.kid, key);
    }
    this.#unnamed = unnamed;
  }

  /** The key a token header names: its `kid` when it has one, else the one-key configuration's unnamed key. */
  readonly lookup: KeyLookup = (header) => {
    const { kid } = header;
    if (kid === undefined) return this.#unnamed;
    return typeof kid === 'string' ? this.#byKid.get(kid) : undefined;
  };

  /** Every key with an id. */
  get named(): VerificationKey[] {
    return [...this.#byKid.values()];
  }

  /** How many keys verify. */
  get size(): number {
    return this.#byKid.size + (this.#unnamed ? 1 : 0);
  }

  /** The public JWK Set: asymmetric keys only, never private parts, never HMAC secrets. Built once: keys never change. */
  jwks(): JwkSet {
    this.#jwks ??= this.#buildJwks();
    return structuredClone(this.#jwks);
  }

  #buildJwks(): JwkSet {
    const keys: PublicJwk[] = [];
    for (const { kid, authType, key } of this.#byKid.values()) {
      if (authType.family === 'hmac' || kid === null) continue;
      const { kty, n, e, crv, x, y } = (key.type === 'public' ? key : createPublicKey(key)).export({ format: 'jwk' });
      // RFC 8037 §2: an OKP public key is crv and x only.
      const material = kty === 'RSA' ? { kty, n, e } : kty === 'OKP' ? { kty, crv, x } : { kty, crv, x, y };
      keys.push({ ...material, kid, alg: authType.name, use: 'sig' });
    }
    return { keys };
  }
}

/** The signer and the verifying keys a configuration describes. */
export interface KeySetup {
  signer: AuthData | null;
  keys: VerificationKey[];
}

/** Signer settings shared by every key. */
export interface SignerSettings {
  issuer: string;
  authMaxAge: number;
  refreshMaxAge: number;
  audience: string | null;
}

function entryError(index: number, message: string): InvalidConfigError {
  return new InvalidConfigError('JWT_KEYS', `key ${index}: ${message}`);
}

function isEntry(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Builds the ring from `JWT_KEYS` (an array of entries, or its JSON text as the environment gives it).
 *
 * @throws InvalidConfigError naming the entry and what is wrong with it.
 */
export function keysFromEntries(value: unknown, settings: SignerSettings): KeySetup {
  let entries: unknown = value;
  if (typeof value === 'string') {
    try {
      entries = JSON.parse(value);
    } catch {
      throw new InvalidConfigError('JWT_KEYS', 'must be a JSON array of { kid, alg, secret | privateKey | publicKey, current }');
    }
  }
  if (!Array.isArray(entries) || entries.length === 0) {
    throw new InvalidConfigError('JWT_KEYS', 'must be a non-empty array of { kid, alg, secret | privateKey | publicKey, current }');
  }
  const keys: VerificationKey[] = [];
  const kids = new Set<string>();
  let signer: AuthData | null = null;
  let signers = 0;
  entries.forEach((entry: unknown, index) => {
    if (!isEntry(entry)) throw entryError(index, 'must be an object');
    const { kid, alg, secret, privateKey, publicKey, current } = entry;
    if (typeof kid !== 'string' || kid === '') throw entryError(index, 'needs a kid (a non-empty string)');
    if (kids.has(kid)) throw entryError(index, 'its kid is the same as an earlier key\'s; give every key its own kid');
    kids.add(kid);
    if (typeof alg !== 'string') throw entryError(index, 'needs an alg, e.g. "ES256"');
    const authType = (() => {
      try {
        return AuthType.from(alg);
      } catch (error) {
        throw entryError(index, (error as Error).message.replace(/^Invalid config "JWT_AUTHTYPE": /, ''));
      }
    })();
    const signing = authType.family === 'hmac' ? secret : privateKey;
    if (current !== undefined && typeof current !== 'boolean') throw entryError(index, 'current must be true or false');
    try {
      // Each key is read once; the signer below is built from these KeyObjects, not from the text again.
      let verifying: KeyObject;
      let signingKey: KeyObject | null;
      if (authType.family === 'hmac') {
        if (signing === undefined) throw new KeyError('secret', `${alg} needs a secret`);
        verifying = hmacSecretKey(signing as KeyInput, authType);
        signingKey = verifying;
      } else {
        const privateKeyObject = signing === undefined ? null : privateSigningKey(pemOrKey(signing), authType);
        signingKey = privateKeyObject;
        verifying = publicKey !== undefined
          ? publicVerifyingKey(pemOrKey(publicKey), authType)
          : privateKeyObject !== null ? createPublicKey(privateKeyObject) : missing(alg);
        if (privateKeyObject !== null && !isKeyPair(privateKeyObject, verifying)) {
          throw new KeyError('publicKey', 'the public key is not the public half of the private key');
        }
      }
      keys.push(Object.freeze({ kid, authType, key: verifying }));
      if (signingKey !== null && (current === true || (current === undefined && entries.length === 1))) {
        signers++;
        const options = { kid, audience: settings.audience };
        signer = new AuthData(authType, signingKey, settings.issuer, settings.authMaxAge, settings.refreshMaxAge,
          authType.family === 'hmac' ? null : verifying, options);
      } else if (current === true) {
        throw new KeyError('secret', 'is marked current but has no signing key (secret or privateKey)');
      }
    } catch (error) {
      if (error instanceof KeyError) throw entryError(index, error.message);
      throw error;
    }
  });
  if (signers > 1) throw new InvalidConfigError('JWT_KEYS', 'more than one key is marked current; mark exactly one');
  const withSigningMaterial = entries.filter((entry: unknown) => isEntry(entry) && (entry.secret !== undefined || entry.privateKey !== undefined));
  if (signers === 0 && withSigningMaterial.length > 1) {
    throw new InvalidConfigError('JWT_KEYS', 'several keys can sign but none is marked current; mark the one that signs with "current": true');
  }
  return { signer, keys };
}

function missing(alg: string): never {
  throw new KeyError('publicKey', `${alg} needs a privateKey or a publicKey`);
}

function pemOrKey(value: unknown): KeyInput {
  if (isKeyObject(value) || Buffer.isBuffer(value) || typeof value === 'string') return value;
  throw new KeyError('secret', 'keys must be PEM text, a Buffer or a KeyObject');
}
