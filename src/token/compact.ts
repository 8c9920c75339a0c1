/**
 * Strict reading of the JWS compact serialisation. Pure functions, no keys, no clocks: shared by
 * `JWT.fromSignedToken` (no verification) and the verifier.
 */
import type { Claims } from '../claims';

/**
 * Tokens longer than this are refused before any decoding, so that a huge token costs nothing. 8 KiB holds any
 * sensible JWT (Node caps the whole header block at 16 KiB).
 */
export const MAX_TOKEN_LENGTH = 8192;

/** Headers longer than this (in base64url characters) are refused before their JSON is parsed. */
const MAX_HEADER_LENGTH = 1024;

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The three segments of a compact JWS, kept as text, plus the decoded header. */
export interface SplitToken {
  header: Readonly<Record<string, unknown>>;
  /** `base64url(header) + "." + base64url(payload)`: the bytes the signature covers. */
  signingInput: string;
  payloadSegment: string;
  signatureSegment: string;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * True when `segment` is the one canonical base64url spelling of its bytes: only the alphabet, no padding, a length
 * that is not 1 mod 4, and zero bits where the last character has bits to spare. Buffer's decoder accepts all of
 * these silently, which would give one token many spellings.
 */
export function isCanonicalBase64url(segment: string): boolean {
  if (!BASE64URL.test(segment)) return false;
  const spare = segment.length % 4;
  if (spare === 0) return true;
  if (spare === 1) return false;
  const last = BASE64URL_ALPHABET.indexOf(segment[segment.length - 1]);
  return (last & (spare === 2 ? 0b1111 : 0b11)) === 0;
}

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

// RFC 7519 §7.2: the header and claims are UTF-8. A lenient decoder turns every invalid byte into U+FFFD, so "a\xff"
// and "a\xfe" would read as the same subject: invalid UTF-8 is refused instead.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function parseJsonObject(segment: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(strictUtf8.decode(Buffer.from(segment, 'base64url')));
    return isPlainObject(value) ? value : null;
  } catch {
    return null;
  }
}

/** Decodes one base64url segment as a JSON object; `null` when it is anything else. */
export function decodeJsonSegment(segment: string): Record<string, unknown> | null {
  return isCanonicalBase64url(segment) ? parseJsonObject(segment) : null;
}

// A service sees very few distinct headers (one per key and algorithm): their decoded, frozen form is kept.
const HEADER_CACHE_LIMIT = 32;
const decodedHeaders = new Map<string, Readonly<Record<string, unknown>>>();

function decodeHeader(segment: string): Readonly<Record<string, unknown>> | null {
  const known = decodedHeaders.get(segment);
  if (known !== undefined) return known;
  const header = decodeJsonSegment(segment);
  if (header === null) return null;
  if (decodedHeaders.size >= HEADER_CACHE_LIMIT) decodedHeaders.clear();
  decodedHeaders.set(segment, Object.freeze(header));
  return header;
}

/**
 * Splits a compact JWS into exactly three non-empty base64url segments and decodes its header. The payload is not
 * decoded here: the verifier decodes it only after the signature matched. `null` for anything malformed, including
 * padding, `+`/`/`, white space, a non-canonical signature spelling and over-long input.
 */
export function splitToken(token: unknown): SplitToken | null {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return null;
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first <= 0 || second <= first + 1 || token.indexOf('.', second + 1) !== -1 || second === token.length - 1) {
    return null;
  }
  const headerSegment = token.slice(0, first);
  const signatureSegment = token.slice(second + 1);
  if (headerSegment.length > MAX_HEADER_LENGTH || !isCanonicalBase64url(signatureSegment)) return null;
  const header = decodeHeader(headerSegment);
  if (header === null) return null;
  return {
    header,
    signingInput: token.slice(0, second),
    payloadSegment: token.slice(first + 1, second),
    signatureSegment,
  };
}

/** The registered claims every token of this library carries, checked for presence and type. */
export interface RegisteredClaims extends Claims {
  iss: string;
  sub: string | number;
  iat: number;
  exp: number;
  type: 'auth' | 'refresh';
}

/**
 * True when `claims` carries `iss`, `sub`, `iat`, `exp` and `type` with usable types: finite numeric dates (JSON's
 * `1e309` parses to Infinity, which would never expire), a string issuer, a string or finite-number subject.
 */
export function hasRegisteredClaims(claims: Record<string, unknown>): claims is RegisteredClaims {
  const { iss, sub, iat, exp, type } = claims;
  return (
    typeof iss === 'string' &&
    (typeof sub === 'string' || (typeof sub === 'number' && Number.isFinite(sub))) &&
    typeof iat === 'number' && Number.isFinite(iat) &&
    typeof exp === 'number' && Number.isFinite(exp) &&
    (type === 'auth' || type === 'refresh') &&
    (claims.nbf === undefined || (typeof claims.nbf === 'number' && Number.isFinite(claims.nbf)))
  );
}
