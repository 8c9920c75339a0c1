/**
 * The physical floor of verifying a JWT: what a hand-written verifier must do at the least. Split, one HMAC (or RSA
 * verify) with a KeyObject made once, a constant-time compare, JSON.parse of the payload, an exp check. No header
 * checks, no claim checks: nothing safe to ship, only the yardstick.
 */
import { createHmac, timingSafeEqual, verify, type KeyObject } from 'node:crypto';

/** Verifies an HMAC-signed token; throws when it is not valid. */
export function floorVerifyHmac(token: string, key: KeyObject, hash: 'sha256' | 'sha512'): unknown {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  const signature = Buffer.from(token.slice(second + 1), 'base64url');
  const expected = createHmac(hash, key).update(token.slice(0, second)).digest();
  if (expected.length !== signature.length || !timingSafeEqual(expected, signature)) throw new Error('signature');
  const payload = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString()) as { exp: number };
  if (!(payload.exp > Date.now() / 1000)) throw new Error('expired');
  return payload;
}

/** Verifies an RSA-signed token; throws when it is not valid. */
export function floorVerifyRsa(token: string, key: KeyObject, hash: 'sha256' | 'sha512'): unknown {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  const signature = Buffer.from(token.slice(second + 1), 'base64url');
  if (!verify(hash, Buffer.from(token.slice(0, second)), key, signature)) throw new Error('signature');
  const payload = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString()) as { exp: number };
  if (!(payload.exp > Date.now() / 1000)) throw new Error('expired');
  return payload;
}

/** Verifies an ECDSA-signed token (R || S, RFC 7518 §3.4); throws when it is not valid. */
export function floorVerifyEcdsa(token: string, key: KeyObject, hash: 'sha256' | 'sha384' | 'sha512'): unknown {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  const signature = Buffer.from(token.slice(second + 1), 'base64url');
  if (!verify(hash, Buffer.from(token.slice(0, second)), { key, dsaEncoding: 'ieee-p1363' }, signature)) throw new Error('signature');
  const payload = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString()) as { exp: number };
  if (!(payload.exp > Date.now() / 1000)) throw new Error('expired');
  return payload;
}

/** Verifies an Ed25519-signed token (EdDSA, RFC 8037 §3.1: no digest is chosen); throws when it is not valid. */
export function floorVerifyEd25519(token: string, key: KeyObject): unknown {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  const signature = Buffer.from(token.slice(second + 1), 'base64url');
  if (!verify(null, Buffer.from(token.slice(0, second)), key, signature)) throw new Error('signature');
  const payload = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString()) as { exp: number };
  if (!(payload.exp > Date.now() / 1000)) throw new Error('expired');
  return payload;
}
