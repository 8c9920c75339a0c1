/**
 * Turning configured secrets and PEM text into `crypto.KeyObject`s, once, with the strength and kind checks of
 * RFC 7518 §3.2 and RFC 8725 §3.5. Nothing here runs per request.
 */
import { createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import type { AuthType } from './algorithms';

/** Which configured value a key problem is about, so that configuration can name it. */
export type KeyField = 'secret' | 'publicKey';

/** A refused key. A `TypeError`, as the contract asks of `AuthData`; configuration re-throws it as InvalidConfigError. */
export class KeyError extends TypeError {
  constructor(
    readonly field: KeyField,
    message: string,
  ) {
    super(message);
    this.name = 'TypeError';
  }
}

const PEM_ARMOR = /-----BEGIN [A-Z0-9 ]+-----/;
const MIN_RSA_BITS = 2048;
const RSA_HOWTO =
  'generate a proper pair with: openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out private.pem ' +
  '&& openssl pkey -in private.pem -pubout -out public.pem';

/** Key material as configuration or callers hand it over. */
export type KeyInput = string | Buffer | KeyObject;

function isKeyObject(value: unknown): value is KeyObject {
  return typeof value === 'object' && value !== null && 'type' in value && 'export' in value
    && typeof (value as KeyObject).export === 'function' && typeof (value as KeyObject).type === 'string';
}

/**
 * Normalises PEM text as it arrives from `.env` files and secret stores: surrounding white space is dropped and
 * literal `\n` escapes become line breaks. Returns `null` when the text holds no PEM armour.
 */
export function normalizePem(text: string): string | null {
  const unescaped = text.replace(/\\r\\n|\\n/g, '\n').replace(/\r\n/g, '\n').trim();
  return PEM_ARMOR.test(unescaped) ? unescaped : null;
}

/**
 * True when the bytes hold PEM armour anywhere, in any of the forms `normalizePem` accepts. Such text must never be
 * used as an HMAC secret: that is how RS256 public keys became HS256 secrets (CVE-2015-9235, CVE-2023-48223).
 */
export function containsPem(material: string | Buffer): boolean {
  return PEM_ARMOR.test(typeof material === 'string' ? material : material.toString('latin1'));
}

/** Builds the HMAC KeyObject for `authType`, refusing short secrets and anything that is a PEM. */
export function hmacSecretKey(secret: KeyInput, authType: AuthType): KeyObject {
  let key: KeyObject;
  if (isKeyObject(secret)) {
    if (secret.type !== 'secret') {
      throw new KeyError('secret', `${authType.name} needs a secret key; got a ${secret.type} key. Use an RS algorithm for key pairs`);
    }
    key = secret;
  } else if (typeof secret === 'string' || Buffer.isBuffer(secret)) {
    key = createSecretKey(typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret);
  } else {
    throw new KeyError('secret', `${authType.name} needs a string secret`);
  }
  if (containsPem(key.export())) {
    throw new KeyError('secret', `a PEM key is never used as an ${authType.name} secret; use an RS algorithm for key pairs`);
  }
  const size = key.symmetricKeySize ?? 0;
  if (size < authType.hashSize) {
    throw new KeyError(
      'secret',
      // The secret's actual length is not said: it narrows a guess of the secret.
      `an ${authType.name} secret must be at least ${authType.hashSize} bytes (RFC 7518 §3.2). ` +
        `Generate one with: node -e "console.log(require('crypto').randomBytes(${authType.hashSize}).toString('base64url'))"`,
    );
  }
  return key;
}

const NODE_CURVES: Readonly<Record<string, string>> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' };
const EC_HOWTO = (curve: string): string =>
  `generate a proper pair with: openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:${curve} -out private.pem ` +
  '&& openssl pkey -in private.pem -pubout -out public.pem';

const OKP_HOWTO = 'generate a proper pair with: openssl genpkey -algorithm ed25519 -out private.pem ' +
  '&& openssl pkey -in private.pem -pubout -out public.pem';

/** How to make a key for `authType`, for error messages. */
function howTo(authType: AuthType): string {
  if (authType.family === 'okp') return OKP_HOWTO;
  return authType.curve ? EC_HOWTO(authType.curve) : RSA_HOWTO;
}

/**
 * Checks that an asymmetric key fits `authType`: RSA (or RSA-PSS for PS*) of at least 2048 bits, EC on the
 * algorithm's own curve, or Ed25519 for EdDSA (RFC 7518 §3.3, §3.4, §3.5; RFC 8037 §3.1; RFC 8725 §3.1: one key, one
 * algorithm).
 */
export function checkAsymmetricKey(key: KeyObject, authType: AuthType, field: KeyField): KeyObject {
  const type = key.asymmetricKeyType ?? 'unknown';
  if (authType.family === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (type !== 'ec' || curve !== NODE_CURVES[authType.curve ?? '']) {
      throw new KeyError(field, `${authType.name} needs an EC key on ${authType.curve}; got ${type === 'ec' ? `curve ${curve ?? 'unknown'}` : `a ${type} key`}. ${howTo(authType)}`);
    }
    return key;
  }
  if (authType.family === 'okp') {
    // RFC 8037 §3.1: EdDSA with the Ed25519 curve only (an X25519 key agrees keys, it never signs).
    if (type !== 'ed25519') throw new KeyError(field, `${authType.name} needs an Ed25519 key; got a ${type} key. ${howTo(authType)}`);
    return key;
  }
  const allowed = authType.family === 'rsa-pss' ? ['rsa', 'rsa-pss'] : ['rsa'];
  if (!allowed.includes(type)) {
    throw new KeyError(field, `${authType.name} needs an RSA key; got a ${type} key. ${howTo(authType)}`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) {
    throw new KeyError(field, `an RSA key must be at least ${MIN_RSA_BITS} bits (RFC 7518 §3.3); got ${bits}. ${RSA_HOWTO}`);
  }
  return key;
}

function pemText(material: string | Buffer, field: KeyField, what: string, authType: AuthType): string {
  if (typeof material !== 'string' && !Buffer.isBuffer(material)) {
    throw new KeyError(field, `expected ${what} in PEM form (a string or a Buffer)`);
  }
  const pem = normalizePem(typeof material === 'string' ? material : material.toString('utf8'));
  if (pem === null) {
    throw new KeyError(field, `expected ${what} in PEM form (-----BEGIN ...-----). ${howTo(authType)}`);
  }
  return pem;
}

/** Builds the private KeyObject that signs, from PEM (PKCS#1, SEC1 or PKCS#8) or a private KeyObject. */
export function privateSigningKey(secret: KeyInput, authType: AuthType): KeyObject {
  if (isKeyObject(secret)) {
    if (secret.type !== 'private') {
      throw new KeyError('secret', `${authType.name} signs with a private key; got a ${secret.type} key`);
    }
    return checkAsymmetricKey(secret, authType, 'secret');
  }
  const pem = pemText(secret, 'secret', 'a private key', authType);
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new KeyError('secret', `the private key could not be read (encrypted keys are not supported). ${howTo(authType)}`);
  }
  return checkAsymmetricKey(key, authType, 'secret');
}

/**
 * Builds the public KeyObject that verifies, from PEM (SPKI, or PKCS#1 for RSA) or a public KeyObject. A private key
 * is refused: Node would quietly derive the public half, but a private key in a verify-side setting is a leak.
 */
export function publicVerifyingKey(publicKey: KeyInput, authType: AuthType): KeyObject {
  if (isKeyObject(publicKey)) {
    if (publicKey.type !== 'public') {
      throw new KeyError('publicKey', `a ${publicKey.type} key was given as the public key; give the public half only`);
    }
    return checkAsymmetricKey(publicKey, authType, 'publicKey');
  }
  const pem = pemText(publicKey, 'publicKey', 'a public key', authType);
  if (/PRIVATE KEY/.test(pem)) {
    throw new KeyError('publicKey', 'a private key was given as the public key; give the public half only (openssl pkey -in private.pem -pubout)');
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new KeyError('publicKey', `the public key could not be read. ${howTo(authType)}`);
  }
  return checkAsymmetricKey(key, authType, 'publicKey');
}

/** True when `publicKey` is the public half of `privateKey`. */
export function isKeyPair(privateKey: KeyObject, publicKey: KeyObject): boolean {
  const derived = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  return derived.equals(publicKey.export({ type: 'spki', format: 'der' }));
}

export { isKeyObject };
