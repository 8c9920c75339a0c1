/**
 * checkDpopProof, the pure DPoP proof check (RFC 9449 §4.3): one table of proofs, each wrong in one way, against one
 * request, and the exact reason each is refused. Proofs are made by spec/support/dpop.ts with node:crypto.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { accessTokenHash, checkDpopProof, DPOP_ALGORITHMS, jwkThumbprint, type DpopProofPolicy } from 'routing-controllers-jwt';
import { hmacProof, makeProof, noneProof, proofKey, thumbprintOf, type ProofOptions } from '../support/dpop';

const URL_ = 'https://api.example/items/1';
const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl';
const policy: DpopProofPolicy = { algorithms: new Set(['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA']), window: 60 };
const key = proofKey('ES256');
const other = proofKey('ES256');
const request = (proof: string, extra: { jkt?: string; accessToken?: string; method?: string; url?: string } = {}) => ({
  proof,
  method: extra.method ?? 'GET',
  url: extra.url ?? URL_,
  accessToken: Object.hasOwn(extra, 'accessToken') ? extra.accessToken : TOKEN,
  jkt: Object.hasOwn(extra, 'jkt') ? extra.jkt : key.jkt,
});
const good: ProofOptions = { htm: 'GET', htu: URL_, accessToken: TOKEN };
const reasonOf = (proof: string, extra: Parameters<typeof request>[1] = {}): string => {
  const result = checkDpopProof(request(proof, extra), policy);
  return result.valid ? 'valid' : result.reason;
};

describe('DPoP proofs (pure check, RFC 9449 §4.3)', () => {
  it('accepts a proof of the bound key for this method, URL and token, and answers its thumbprint and jti', () => {
    for (const alg of ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA'] as const) {
      const own = proofKey(alg);
      const result = checkDpopProof(request(makeProof(own, good), { jkt: own.jkt }), policy);
      expect(result.valid, alg).to.equal(true);
      if (result.valid) expect(result.jkt, alg).to.equal(own.jkt);
    }
  });

  it('computes the RFC 7638 thumbprint and the ath exactly as an independent implementation does', () => {
    expect(jwkThumbprint(key.jwk)).to.equal(thumbprintOf(key.jwk));
    // RFC 7638 §3.1's example key and thumbprint.
    const rfc = { kty: 'RSA', e: 'AQAB', alg: 'RS256', kid: '2011-04-29',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw' };
    expect(jwkThumbprint(rfc)).to.equal('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
    expect(accessTokenHash(TOKEN)).to.equal(createHash('sha256').update(TOKEN).digest('base64url'));
  });

  const cases: Array<[name: string, reason: string, proof: () => string, extra?: Parameters<typeof request>[1]]> = [
    ['security: wrong method', 'htm', () => makeProof(key, { ...good, htm: 'POST' })],
    ['security: wrong URL (another path)', 'htu', () => makeProof(key, { ...good, htu: 'https://api.example/items/2' })],
    ['security: wrong URL (another host)', 'htu', () => makeProof(key, { ...good, htu: 'https://evil.example/items/1' })],
    ['security: wrong URL (http instead of https)', 'htu', () => makeProof(key, { ...good, htu: 'http://api.example/items/1' })],
    ['security: old iat', 'iat', () => makeProof(key, { ...good, claims: { iat: Math.floor(Date.now() / 1000) - 120 } })],
    ['security: iat in the future', 'iat', () => makeProof(key, { ...good, claims: { iat: Math.floor(Date.now() / 1000) + 120 } })],
    ['security: no iat', 'iat', () => makeProof(key, { ...good, claims: { iat: undefined } })],
    ['security: wrong ath (another token)', 'ath', () => makeProof(key, { ...good, accessToken: `${TOKEN}x` })],
    ['security: no ath with an access token', 'ath', () => makeProof(key, { ...good, accessToken: undefined })],
    ['security: other key (a valid proof of a key the token is not bound to)', 'jkt', () => makeProof(other, good)],
    ['security: signed by another key than the header\'s jwk', 'signature', () => makeProof(key, { ...good, signWith: other })],
    ['security: private jwk in the header', 'private_jwk', () => makeProof(key, { ...good, header: { jwk: key.privateKey.export({ format: 'jwk' }) } })],
    ['security: symmetric alg (HS256)', 'alg', () => hmacProof(key, good)],
    ['security: alg none (no signature)', 'malformed', () => noneProof(key, good)],
    ['security: alg none (with a signature)', 'alg', () => `${noneProof(key, good)}AAAA`],
    ['security: an alg not in the allowed list (ES512)', 'alg', () => makeProof(key, { ...good, header: { alg: 'ES512' } })],
    ['security: an alg that does not fit the key (RS256 with an EC jwk)', 'jwk_type', () => makeProof(key, { ...good, header: { alg: 'RS256' } })],
    ['security: typ is not dpop+jwt', 'typ', () => makeProof(key, { ...good, header: { typ: 'JWT' } })],
    ['security: no jwk', 'jwk', () => makeProof(key, { ...good, header: { jwk: undefined } })],
    ['security: a jwk that is no key', 'jwk', () => makeProof(key, { ...good, header: { jwk: { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' } } })],
    ['security: a critical header extension', 'crit', () => makeProof(key, { ...good, header: { crit: ['x'] } })],
    ['security: no jti', 'jti', () => makeProof(key, { ...good, claims: { jti: undefined } })],
    ['security: an ath on a proof without an access token (login)', 'ath', () => makeProof(key, good), { accessToken: undefined }],
    ['malformed: not a JWS', 'malformed', () => 'not-a-proof'],
    ['security: a payload changed after signing', 'signature', () => {
      const [header, , signature] = makeProof(key, good).split('.');
      return `${header}.${Buffer.from('{').toString('base64url')}.${signature}`;
    }],
  ];

  for (const [name, reason, proof, extra] of cases) {
    it(`${name}: refused as invalid_dpop_proof (${reason})`, () => {
      const result = checkDpopProof(request(proof(), extra), policy);
      expect(result.valid).to.equal(false);
      if (!result.valid) {
        expect(result.error).to.equal('invalid_dpop_proof');
        expect(result.reason).to.equal(reason);
      }
    });
  }

  it('compares htu after normalisation (RFC 3986 §6.2.2 and §6.2.3): case of scheme and host, default port, query and fragment ignored', () => {
    for (const htu of ['HTTPS://API.example/items/1', 'https://api.example:443/items/1', 'https://api.example/items/1?a=1', 'https://api.example/items/1#f']) {
      expect(reasonOf(makeProof(key, { ...good, htu })), htu).to.equal('valid');
    }
    expect(reasonOf(makeProof(key, good), { url: 'https://api.example/items/1?q=2' })).to.equal('valid');
    expect(reasonOf(makeProof(key, { ...good, htu: 'https://api.example:8443/items/1' }))).to.equal('htu');
  });

  it('asks for the server nonce (use_dpop_nonce) only once everything else holds', () => {
    const withNonce = (proof: string) => checkDpopProof({ ...request(proof), acceptNonce: (nonce) => nonce === 'n-1' }, policy);
    const missing = withNonce(makeProof(key, good));
    expect(missing.valid ? '' : missing.error).to.equal('use_dpop_nonce');
    expect(withNonce(makeProof(key, { ...good, nonce: 'n-1' })).valid).to.equal(true);
    const wrongMethod = withNonce(makeProof(key, { ...good, htm: 'POST' }));
    expect(wrongMethod.valid ? '' : wrongMethod.error).to.equal('invalid_dpop_proof');
  });

  it('never throws, whatever the input', () => {
    for (const proof of [undefined, null, 42, {}, '', '..', 'a.b.c', 'x'.repeat(10_000), `${makeProof(key, good)}.x`]) {
      expect(() => checkDpopProof({ proof, method: 'GET', url: URL_ }, policy)).not.to.throw();
      expect(checkDpopProof({ proof, method: 'GET', url: URL_ }, policy).valid).to.equal(false);
    }
    expect(checkDpopProof({ proof: makeProof(key, good), method: 'GET', url: 'not a url', accessToken: TOKEN }, policy).valid).to.equal(false);
  });

  it('lists asymmetric algorithms only', () => {
    expect(Object.keys(DPOP_ALGORITHMS).filter((alg) => /^HS|^none$/i.test(alg))).to.deep.equal([]);
  });
});
