/** Hand-built tokens for the specs: base64url JSON segments signed with node:crypto directly. */
import { constants, createHmac, createPrivateKey, sign as cryptoSign, type KeyObject } from 'node:crypto';

/** Seconds since the epoch, whole. */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** base64url of a JSON value, or of the given text as is (to craft JSON that JSON.stringify cannot produce). */
export function segment(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64url');
}

/** The decoded JSON of segment `index` (0 header, 1 payload) of a compact token. */
export function decodeSegment(token: string, index: 0 | 1): Record<string, unknown> {
  const value: unknown = JSON.parse(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString('utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('segment is not an object');
  return value as Record<string, unknown>;
}

/** A valid set of registered claims for `issuer`, issued now and expiring in an hour, with `overrides` applied. */
export function claimsFor(issuer: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = nowSeconds();
  return { sub: 'user-1', type: 'auth', iss: issuer, iat, exp: iat + 3600, ...overrides };
}

/** Removes `keys` from a copy of `claims`. */
export function without(claims: Record<string, unknown>, ...keys: string[]): Record<string, unknown> {
  const copy = { ...claims };
  for (const key of keys) delete copy[key];
  return copy;
}

/** A compact JWS whose signature is HMAC-`hash` over the segments with `key`. Header and payload: object or raw JSON text. */
export function hmacToken(
  header: unknown,
  payload: unknown,
  key: string | Buffer | KeyObject,
  hash: 'sha256' | 'sha512' = 'sha256',
): string {
  const input = `${segment(header)}.${segment(payload)}`;
  return `${input}.${createHmac(hash, key).update(input).digest('base64url')}`;
}

/** A compact JWS signed with RSASSA-PKCS1-v1_5 and `hash`. */
export function rsaToken(
  header: unknown,
  payload: unknown,
  privateKey: string | KeyObject,
  hash: 'sha256' | 'sha512' = 'sha256',
): string {
  const input = `${segment(header)}.${segment(payload)}`;
  return `${input}.${cryptoSign(hash, Buffer.from(input), privateKey).toString('base64url')}`;
}

/** Replaces the payload segment of `token` with `payload`, keeping header and signature. */
export function withPayload(token: string, payload: unknown): string {
  const [header, , signature] = token.split('.');
  return `${header}.${segment(payload)}.${signature}`;
}

/** Runs `fn` and returns what it threw; fails the test when it returns normally. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to throw, but it returned');
}

/** The TypeError `fn` throws; fails when it throws something else or nothing. */
export function typeErrorOf(fn: () => unknown): TypeError {
  const thrown = thrownBy(fn);
  if (!(thrown instanceof TypeError)) throw new Error(`expected a TypeError, got ${String(thrown)}`);
  return thrown;
}

/** A compact JWS over exactly `header` and `payload`, signed with node:crypto for `alg` (HS, RS, PS or ES). */
export function jws(header: Record<string, unknown>, payload: Record<string, unknown>, alg: string, key: string): string {
  const input = `${segment(header)}.${segment(payload)}`;
  const hash = `sha${alg.slice(2)}`;
  if (alg.startsWith('HS')) return `${input}.${createHmac(hash, key).update(input).digest('base64url')}`;
  const privateKey = createPrivateKey(key);
  const options = alg.startsWith('PS')
    ? { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
    : { key: privateKey, dsaEncoding: 'ieee-p1363' as const };
  return `${input}.${cryptoSign(hash, Buffer.from(input), options).toString('base64url')}`;
}

/** Runs `fn` with Date.now() moved `seconds` ahead. */
export function later<T>(seconds: number, fn: () => T): T {
  const realNow = Date.now;
  const shifted = realNow() + seconds * 1000;
  Date.now = () => shifted;
  try {
    return fn();
  } finally {
    Date.now = realNow;
  }
}
