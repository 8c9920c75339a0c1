/** DPoP keys and proofs for the benchmarks (node:crypto, ES256): one key, and as many fresh proofs as asked for. */
import { createHash, generateKeyPairSync, randomBytes, sign, type JsonWebKey, type KeyObject } from 'node:crypto';

/** An ES256 proof key and the RFC 7638 thumbprint of its public JWK. */
export interface BenchProofKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: JsonWebKey;
  jkt: string;
}

export function benchProofKey(): BenchProofKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const jkt = createHash('sha256').update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })).digest('base64url');
  return { privateKey, publicKey, jwk, jkt };
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A proof for `method` `url` with `accessToken`, with a fresh jti. */
export function benchProof(key: BenchProofKey, method: string, url: string, accessToken: string): string {
  const input = `${b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk })}.${b64({
    jti: randomBytes(12).toString('base64url'),
    htm: method,
    htu: url,
    iat: Math.floor(Date.now() / 1000),
    ath: createHash('sha256').update(accessToken).digest('base64url'),
  })}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}
