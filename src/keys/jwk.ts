/** Public JWKs (RFC 7517) and the RFC 7638 thumbprint. */
import { createHash, type JsonWebKey, type KeyObject } from 'node:crypto';

/** A public JWK as published in a JWK Set. */
export interface PublicJwk extends JsonWebKey {
  kid: string;
  alg: string;
  use: 'sig';
}

/** A JWK Set (RFC 7517 §5). */
export interface JwkSet {
  keys: PublicJwk[];
}

/** The RFC 7638 thumbprint of a public key: a stable `kid` for a key that was given none. */
export function thumbprint(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  // The required members in lexicographic order (RFC 7638 §3.2; RFC 8037 §2 for OKP: crv, kty, x).
  const members = jwk.kty === 'RSA' ? { e: jwk.e, kty: jwk.kty, n: jwk.n }
    : jwk.kty === 'OKP' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x }
      : { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}
