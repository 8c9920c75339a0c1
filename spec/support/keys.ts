/** Key material for the specs, generated once per run (RSA key generation is slow). */
import { generateKeyPairSync, randomBytes } from 'node:crypto';

/** A PEM key pair. */
export interface PemPair {
  privateKey: string;
  publicKey: string;
}

const pairs = new Map<number, PemPair>();

/** An RSA key pair of `bits` bits in PKCS#8/SPKI PEM, cached per size. */
export function rsaPair(bits = 2048): PemPair {
  let pair = pairs.get(bits);
  if (!pair) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
    pair = {
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
    pairs.set(bits, pair);
  }
  return pair;
}

/** A random HMAC secret of `bytes` bytes as base64url text (longer than `bytes` characters). */
export function hmacSecret(bytes = 64): string {
  return randomBytes(bytes).toString('base64url');
}

/** Config values for each of the four seed algorithms, ready for `new AuthManager(config)`. */
export function configFor(alg: 'HS256' | 'HS512' | 'RS256' | 'RS512', issuer = 'routing-controllers-jwt-spec'): Record<string, string> {
  if (alg.startsWith('HS')) return { JWT_ISSUER: issuer, JWT_AUTHTYPE: alg, JWT_SECRET: hmacSecret(64) };
  const { privateKey, publicKey } = rsaPair();
  return { JWT_ISSUER: issuer, JWT_AUTHTYPE: alg, JWT_SECRET: privateKey, JWT_PUBLICKEY: publicKey };
}

/** The four seed algorithms. */
export const SEED_ALGORITHMS = ['HS256', 'HS512', 'RS256', 'RS512'] as const;

const ecPairs = new Map<string, PemPair>();

/** An EC key pair on `curve` (JWK name) in PKCS#8/SPKI PEM, cached per curve. */
export function ecPair(curve: 'P-256' | 'P-384' | 'P-521'): PemPair {
  let pair = ecPairs.get(curve);
  if (!pair) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
    pair = {
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
    ecPairs.set(curve, pair);
  }
  return pair;
}

let edKeys: PemPair | undefined;

/** An Ed25519 key pair in PKCS#8/SPKI PEM (EdDSA and Ed25519), made once. */
export function edPair(): PemPair {
  if (!edKeys) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    edKeys = {
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
  }
  return edKeys;
}
