/**
 * Verifying a compact JWS. Order matters and follows RFC 8725: the header is checked first (a key the token names
 * and that key's one algorithm, no unknown critical extensions), then the signature, and only then is the payload
 * decoded and its claims checked. Never throws for bad input.
 */
import { constants, createHmac, timingSafeEqual, verify as cryptoVerify } from 'node:crypto';
import type { AuthType } from '../keys/algorithms';
import type { KeyLookup, VerificationKey } from '../keys/verification-key';
import { JWT } from './jwt';
import { decodeJsonSegment, hasRegisteredClaims, splitToken } from './compact';
import type { Claims } from '../claims';

/** Why a token was refused. Stable values; safe to log (they never contain the token). */
export type InvalidTokenReason =
  | 'malformed'
  | 'algorithm'
  | 'unknown_key'
  | 'key_unavailable'
  | 'critical_header'
  | 'signature'
  | 'claims'
  | 'issuer'
  | 'audience'
  | 'expired'
  | 'not_yet_valid'
  /** A trusted issuer's token whose header `typ` is not that of an access token of its profile. */
  | 'token_type';

/** The outcome of checking a token: the verified token, or why it was refused. */
export type TokenCheck = { valid: true; token: JWT } | { valid: false; reason: InvalidTokenReason };

/** What a verified token's claims must satisfy besides the signature. */
export interface VerifyPolicy {
  /** The only accepted `iss`. */
  readonly issuer: string;
  /** When set, `aud` must be (or contain) it (RFC 8725 §3.9). */
  readonly audience: string | null;
  /** Seconds of clock skew tolerated for `exp`, `nbf` and `iat`. */
  readonly leeway: number;
}

const fail = (reason: InvalidTokenReason): TokenCheck => ({ valid: false, reason });

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}

function signatureMatches(verifier: VerificationKey, signingInput: string, signatureSegment: string): boolean {
  // splitToken accepted only the canonical spelling of the signature: one token has exactly one spelling.
  const signature = Buffer.from(signatureSegment, 'base64url');
  const { authType, key } = verifier;
  switch (authType.family) {
    case 'hmac': {
      const expected = createHmac(authType.hash, key).update(signingInput).digest();
      return expected.length === signature.length && timingSafeEqual(expected, signature);
    }
    case 'rsa':
      return safeVerify(authType, signingInput, key, signature);
    case 'rsa-pss':
      return safeVerify(authType, signingInput, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, signature);
    case 'ec':
      // JWS ECDSA signatures are R || S of a fixed size (RFC 7518 §3.4), never DER.
      return signature.length === authType.signatureSize && safeVerify(authType, signingInput, { key, dsaEncoding: 'ieee-p1363' }, signature);
    case 'okp':
      // RFC 8032 §5.1.7: Node (OpenSSL) refuses S >= L, so an EdDSA signature has one spelling.
      return signature.length === authType.signatureSize && safeVerify(null, signingInput, key, signature);
  }
}

/** Verifies with `authType`'s hash, or with none (`null`) for EdDSA, whose hash is part of the scheme. */
function safeVerify(authType: AuthType | null, signingInput: string, key: Parameters<typeof cryptoVerify>[2], signature: Buffer): boolean {
  try {
    return cryptoVerify(authType === null ? null : authType.hash, Buffer.from(signingInput), key, signature);
  } catch {
    return false;
  }
}

/** True when `aud` is `audience` or an array holding it (RFC 7519 §4.1.3). */
export function audienceMatches(aud: unknown, audience: string): boolean {
  return aud === audience || (Array.isArray(aud) && aud.includes(audience));
}

/**
 * Verifies `token` with the key its header names (from `keys`, never one picked by the token's `alg`) and checks its
 * registered claims against `policy`: `iss`, `aud` when required, `exp` in the future, `iat` and `nbf` not in the
 * future (each within the leeway).
 *
 * @param nowSeconds - The current time in seconds since the epoch.
 */
export function checkSignedToken(token: unknown, keys: KeyLookup, policy: VerifyPolicy, nowSeconds = Date.now() / 1000): TokenCheck {
  const signed = verifySignature(token, keys);
  if (!signed.valid) return signed;
  const { claims, verifier } = signed;
  if (!hasRegisteredClaims(claims)) return fail('claims');
  if (claims.iss !== policy.issuer) return fail('issuer');
  if (policy.audience !== null && !audienceMatches(claims.aud, policy.audience)) return fail('audience');
  const { leeway } = policy;
  if (nowSeconds >= claims.exp + leeway) return fail('expired');
  if (claims.iat > nowSeconds + leeway || (typeof claims.nbf === 'number' && claims.nbf > nowSeconds + leeway)) {
    return fail('not_yet_valid');
  }
  // Verified tokens are read-only: the same object may be served again from the verify cache.
  const verified = JWT.restore(verifier.authType.name, deepFreeze(claims) as Claims, token as string);
  Object.freeze(verified);
  return { valid: true, token: verified };
}

/** A token whose signature matched: its header, the key that verified it and its decoded (unchecked) claims. */
export type SignatureCheck =
  | { valid: true; header: Readonly<Record<string, unknown>>; verifier: VerificationKey; claims: Record<string, unknown> }
  | { valid: false; reason: InvalidTokenReason };

/**
 * The first half of verifying, shared by the app's own tokens and those of trusted issuers: the header names a key
 * (from `keys`, never one picked by the token's `alg`), that key's one algorithm, no critical extension, a matching
 * signature, and only then a payload decoded as a JSON object. No claim is checked here.
 */
export function verifySignature(token: unknown, keys: KeyLookup): SignatureCheck {
  const parts = splitToken(token);
  if (parts === null) return { valid: false, reason: 'malformed' };
  const { header } = parts;
  if (typeof header.alg !== 'string') return { valid: false, reason: 'algorithm' };
  const verifier = keys(header);
  if (verifier === undefined) return { valid: false, reason: 'unknown_key' };
  // The key's own algorithm, compared exactly: never "none", never a key of another family (CVE-2015-9235,
  // CVE-2022-23540, CVE-2022-23541, CVE-2020-15084); "hs256" or "HS256 " are other names.
  if (header.alg !== verifier.authType.name && (verifier.alsoNamed === undefined || header.alg !== verifier.alsoNamed)) {
    return { valid: false, reason: 'algorithm' };
  }
  // RFC 7515 §4.1.11: a recipient that does not understand a critical extension must reject the token.
  if (header.crit !== undefined) return { valid: false, reason: 'critical_header' };
  if (!signatureMatches(verifier, parts.signingInput, parts.signatureSegment)) return { valid: false, reason: 'signature' };
  const claims = decodeJsonSegment(parts.payloadSegment);
  if (claims === null) return { valid: false, reason: 'claims' };
  return { valid: true, header, verifier, claims };
}

/** Read-only, all the way down: a verified token's claims may be served again from the verify cache. */
export { deepFreeze as freezeClaims };
