/**
 * One token, one spelling, for ECDSA. An ECDSA signature (r, s) verifies exactly when its twin (r, n - s) does, so
 * anyone holding an ES token can write a second, valid spelling of it without a key. Refusing the high-S half would
 * refuse about half of the tokens standard issuers sign (OpenSSL, and so Node, jsonwebtoken and jose, do not
 * normalise s; low-S is a Bitcoin rule, not a JOSE one: RFC 7518 §3.4 says nothing of it). Instead, whatever is keyed
 * by a token's text (the verify cache, `token.signed`) is keyed by its canonical spelling: the low-S one.
 */
import { splitToken } from './compact';

/** The group order n of each ECDSA curve (SEC 2 §2.4.2, §2.5.1, §2.6.1). */
const ORDERS: Readonly<Record<string, bigint>> = {
  ES256: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  ES384: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  ES512: 0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
};

/** n and floor(n / 2) as fixed-size big-endian bytes, so that the common low-S case is one byte comparison. */
interface Curve {
  readonly order: bigint;
  readonly bytes: number;
  readonly orderBytes: Buffer;
  readonly halfBytes: Buffer;
}

function toBytes(value: bigint, size: number): Buffer {
  return Buffer.from(value.toString(16).padStart(size * 2, '0'), 'hex');
}

const CURVES = new Map<string, Curve>(Object.entries(ORDERS).map(([alg, order]) => {
  const bytes = { ES256: 32, ES384: 48, ES512: 66 }[alg] as number;
  return [alg, { order, bytes, orderBytes: toBytes(order, bytes), halfBytes: toBytes(order >> 1n, bytes) }];
}));

/**
 * The canonical spelling of `token`: for an ES256/384/512 token whose s is in the upper half (n/2 < s < n), the same
 * token with s replaced by n - s; every other input unchanged (including malformed ones, which verification refuses).
 * Both spellings verify or neither does, so verifying the canonical one decides for both.
 *
 * @example
 * ```ts
 * canonicalToken(highS) === canonicalToken(lowS); // true: one token, one spelling
 * ```
 */
export function canonicalToken(token: string): string {
  const parts = splitToken(token);
  const curve = parts !== null && typeof parts.header.alg === 'string' ? CURVES.get(parts.header.alg) : undefined;
  if (parts === null || curve === undefined) return token;
  const signature = Buffer.from(parts.signatureSegment, 'base64url');
  if (signature.length !== curve.bytes * 2) return token;
  const s = signature.subarray(curve.bytes);
  // s <= n/2 is already canonical; s >= n is no signature at all and is left for verification to refuse.
  if (s.compare(curve.halfBytes) <= 0 || s.compare(curve.orderBytes) >= 0) return token;
  const twin = toBytes(curve.order - BigInt(`0x${s.toString('hex')}`), curve.bytes);
  return `${parts.signingInput}.${Buffer.concat([signature.subarray(0, curve.bytes), twin]).toString('base64url')}`;
}
