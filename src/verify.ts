/**
 * Verifying a compact JWS against one signer. Order matters and follows RFC 8725: the header is checked first (one
 * pinned algorithm, no unknown critical extensions), then the signature, and only then is the payload decoded and its
 * claims checked. Never throws for bad input.
 */
import { createHmac, timingSafeEqual, verify as cryptoVerify } from 'node:crypto';
import type { AuthData } from './auth-data';
import { JWT } from './jwt';
import { decodeJsonSegment, hasRegisteredClaims, splitToken } from './token-codec';
import type { Claims } from './types';

/** Why a token was refused. Stable values; safe to log (they never contain the token). */
export type InvalidTokenReason =
  | 'malformed'
  | 'algorithm'
  | 'critical_header'
  | 'signature'
  | 'claims'
  | 'issuer'
  | 'expired'
  | 'not_yet_valid';

/** The outcome of checking a token: the verified token, or why it was refused. */
export type TokenCheck = { valid: true; token: JWT } | { valid: false; reason: InvalidTokenReason };

const fail = (reason: InvalidTokenReason): TokenCheck => ({ valid: false, reason });

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}

function signatureMatches(signer: AuthData, signingInput: string, signatureSegment: string): boolean {
  // splitToken accepted only the canonical spelling of the signature: one token has exactly one spelling.
  const signature = Buffer.from(signatureSegment, 'base64url');
  const { authType } = signer;
  if (authType.family === 'hmac') {
    const expected = createHmac(authType.hash, signer.verifyingKey).update(signingInput).digest();
    return expected.length === signature.length && timingSafeEqual(expected, signature);
  }
  try {
    return cryptoVerify(authType.hash, Buffer.from(signingInput), signer.verifyingKey, signature);
  } catch {
    return false;
  }
}

/**
 * Verifies `token` with `signer`'s key and algorithm and checks its registered claims: `iss` equal to the signer's
 * issuer, `exp` in the future, `iat` (and `nbf`, when present) not in the future.
 *
 * @param nowSeconds - The current time in seconds since the epoch.
 */
export function checkSignedToken(token: unknown, signer: AuthData, nowSeconds = Date.now() / 1000): TokenCheck {
  const parts = splitToken(token);
  if (parts === null) return fail('malformed');
  const { header } = parts;
  // Pin the one configured algorithm: never "none", never a key of another family (CVE-2015-9235, CVE-2022-23540,
  // CVE-2022-23541, CVE-2020-15084). Compared exactly: "hs256" or "HS256 " are other names.
  if (header.alg !== signer.authType.name) return fail('algorithm');
  // RFC 7515 §4.1.11: a recipient that does not understand a critical extension must reject the token.
  if (header.crit !== undefined) return fail('critical_header');
  if (!signatureMatches(signer, parts.signingInput, parts.signatureSegment)) return fail('signature');
  const claims = decodeJsonSegment(parts.payloadSegment);
  if (claims === null || !hasRegisteredClaims(claims)) return fail('claims');
  if (claims.iss !== signer.issuer) return fail('issuer');
  if (nowSeconds >= claims.exp) return fail('expired');
  if (claims.iat > nowSeconds || (typeof claims.nbf === 'number' && claims.nbf > nowSeconds)) return fail('not_yet_valid');
  // Verified tokens are read-only: the same object may be served again from the verify cache.
  const verified = JWT.restore(signer.authType.name, deepFreeze(claims) as Claims, token as string);
  Object.freeze(verified);
  return { valid: true, token: verified };
}
