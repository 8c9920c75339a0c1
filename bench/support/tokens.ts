/** Keys, managers and tokens for the benchmarks: one configuration per algorithm, with the verify cache on and off. */
import { createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { AuthManager } from 'routing-controllers-jwt';

/** The algorithms benchmarked. */
export const ALGORITHMS = ['HS256', 'HS512', 'RS256', 'RS512'] as const;
/** One of them. */
export type Algorithm = (typeof ALGORITHMS)[number];

/** Everything a benchmark needs for one algorithm. */
export interface Fixture {
  algorithm: Algorithm;
  /** The secret text (HS*) or the PEM private key (RS*). */
  secretText: string;
  /** The KeyObject that verifies: the secret, or the public key. */
  verifyKey: KeyObject;
  /** The KeyObject that signs. */
  signKey: KeyObject;
  /** The public key PEM (RS*), or the secret text (HS*). */
  verifyText: string;
  config: Record<string, string>;
  cached: AuthManager;
  uncached: AuthManager;
  token: string;
}

export const ISSUER = 'bench.routing-controllers-jwt';

let rsa: { privatePem: string; publicPem: string } | undefined;
function rsaPems(): { privatePem: string; publicPem: string } {
  rsa ??= (() => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return {
      privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
  })();
  return rsa;
}

/** Builds the fixture of `algorithm`. */
export function fixture(algorithm: Algorithm): Fixture {
  const hmac = algorithm.startsWith('HS');
  const secretText = hmac ? randomBytes(64).toString('base64url') : rsaPems().privatePem;
  const config: Record<string, string> = { JWT_ISSUER: ISSUER, JWT_AUTHTYPE: algorithm, JWT_SECRET: secretText };
  if (!hmac) config.JWT_PUBLICKEY = rsaPems().publicPem;
  const cached = new AuthManager({ ...config });
  const uncached = new AuthManager({ ...config, JWT_CACHESIZE: '0' });
  const signKey = hmac ? createSecretKey(Buffer.from(secretText)) : createPrivateKey(secretText);
  const verifyKey = hmac ? signKey : createPublicKey(rsaPems().publicPem);
  return {
    algorithm,
    secretText,
    verifyKey,
    signKey,
    verifyText: hmac ? secretText : rsaPems().publicPem,
    config,
    cached,
    uncached,
    token: cached.authToken('user-42', 'read write', { tenant: 'acme' }).signed,
  };
}
