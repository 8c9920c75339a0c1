/**
 * A DPoP client of our own, with node:crypto only: keys and proofs (RFC 9449 §4.2), and every way of getting a proof
 * wrong that the specs need (a claim left out or changed, a private jwk, an HMAC or "none").
 */
import { createHash, createHmac, generateKeyPairSync, randomBytes, sign, type JsonWebKey, type KeyObject } from 'node:crypto';

/** A proof key: the private key that signs, the public JWK that goes in the header, its thumbprint. */
export interface ProofKey {
  readonly alg: 'ES256' | 'PS256' | 'RS256' | 'EdDSA' | 'ES384';
  readonly privateKey: KeyObject;
  readonly jwk: JsonWebKey;
  readonly jkt: string;
}

/** The RFC 7638 thumbprint, computed here independently of the library. */
export function thumbprintOf(jwk: JsonWebKey): string {
  const members = jwk.kty === 'RSA' ? { e: jwk.e, kty: 'RSA', n: jwk.n } : jwk.kty === 'OKP' ? { crv: jwk.crv, kty: 'OKP', x: jwk.x } : { crv: jwk.crv, kty: 'EC', x: jwk.x, y: jwk.y };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

/** A new proof key. */
export function proofKey(alg: ProofKey['alg'] = 'ES256'): ProofKey {
  const pair = alg === 'ES256' || alg === 'ES384'
    ? generateKeyPairSync('ec', { namedCurve: alg === 'ES256' ? 'P-256' : 'P-384' })
    : alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = pair.publicKey.export({ format: 'jwk' });
  return { alg, privateKey: pair.privateKey, jwk, jkt: thumbprintOf(jwk) };
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** What a proof says; every field can be overridden or (as `undefined`) left out. */
export interface ProofOptions {
  htm: string;
  htu: string;
  accessToken?: string;
  nonce?: string;
  /** Claims and header members to change, or remove with `undefined`. */
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  /** Sign with this key instead (the header still carries `key`'s jwk). */
  signWith?: ProofKey;
}

/** A proof of possession of `key` for one request. */
export function makeProof(key: ProofKey, options: ProofOptions): string {
  const header: Record<string, unknown> = { typ: 'dpop+jwt', alg: key.alg, jwk: key.jwk, ...options.header };
  const claims: Record<string, unknown> = {
    jti: randomBytes(16).toString('base64url'),
    htm: options.htm,
    htu: options.htu,
    iat: Math.floor(Date.now() / 1000),
    ...(options.accessToken === undefined ? {} : { ath: createHash('sha256').update(options.accessToken).digest('base64url') }),
    ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
    ...options.claims,
  };
  const input = `${b64(header)}.${b64(claims)}`;
  const signer = options.signWith ?? key;
  const signature = signer.alg === 'EdDSA'
    ? sign(null, Buffer.from(input), signer.privateKey)
    : signer.alg === 'PS256'
      ? sign('sha256', Buffer.from(input), { key: signer.privateKey, padding: 6, saltLength: 32 })
      : sign(signer.alg === 'ES384' ? 'sha384' : 'sha256', Buffer.from(input), signer.alg.startsWith('ES') ? { key: signer.privateKey, dsaEncoding: 'ieee-p1363' } : signer.privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

/** A proof MAC'ed with a secret (alg HS256): must never be accepted (RFC 9449 §4.3 step 5). */
export function hmacProof(key: ProofKey, options: ProofOptions): string {
  const input = `${b64({ typ: 'dpop+jwt', alg: 'HS256', jwk: key.jwk })}.${b64({ jti: randomBytes(8).toString('hex'), htm: options.htm, htu: options.htu, iat: Math.floor(Date.now() / 1000) })}`;
  return `${input}.${createHmac('sha256', 'secret').update(input).digest('base64url')}`;
}

/** An unsigned proof (alg none). */
export function noneProof(key: ProofKey, options: ProofOptions): string {
  return `${b64({ typ: 'dpop+jwt', alg: 'none', jwk: key.jwk })}.${b64({ jti: 'j', htm: options.htm, htu: options.htu, iat: Math.floor(Date.now() / 1000) })}.`;
}

/** The headers of a DPoP request. */
export const dpopHeaders = (token: string, proof: string): Record<string, string> => ({ authorization: `DPoP ${token}`, dpop: proof });
