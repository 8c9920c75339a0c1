/**
 * Signing EdDSA tokens with Node's own crypto: jsonwebtoken 9 does not know EdDSA, so the compact JWS is built here
 * (RFC 7515 §7.1) while every other algorithm keeps jsonwebtoken's path.
 */
import { sign as cryptoSign, type KeyObject } from 'node:crypto';

/** A JOSE header as `JWT.sign` writes it: `alg`, `typ` and, for a key of a ring, `kid`. */
export interface SigningHeader {
  readonly alg: string;
  readonly typ: string;
  readonly kid?: string;
}

/**
 * Returns `base64url(header) . base64url(payload) . base64url(Ed25519 signature)`.
 *
 * @param payload - The claims as JSON text.
 * @param privateKey - An Ed25519 private key (checked at configuration).
 * @example
 * ```ts
 * signEdDsa({ alg: 'EdDSA', typ: 'JWT' }, JSON.stringify(claims), privateKey); // 'eyJhbGciOiJFZERTQSIs...'
 * ```
 */
export function signEdDsa(header: SigningHeader, payload: string, privateKey: KeyObject): string {
  const signingInput = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(payload).toString('base64url')}`;
  // RFC 8037 §3.1: the signature is the 64-byte Ed25519 signature of the signing input; no digest is chosen (null).
  const signature = cryptoSign(null, Buffer.from(signingInput), privateKey);
  return `${signingInput}.${signature.toString('base64url')}`;
}
