/**
 * EdDSA (RFC 8037) and its fully specified name Ed25519 (RFC 9864), issue 12: the app signs with node:crypto (which
 * jsonwebtoken cannot), verifies with a JWT_AUTHTYPE pair, a JWT_KEYS entry or a remote key set, publishes OKP keys
 * in jwks() with their RFC 7638 thumbprint, and never lets an Ed25519 key cross into another algorithm.
 */
import { expect } from 'chai';
import { createHash, createHmac, createPublicKey, generateKeyPairSync, randomBytes, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { AuthManager, InvalidConfigError, thumbprint, type TokenCheck } from 'routing-controllers-jwt';
import { listen, type RunningServer } from '../support/server';
import { claimsFor, decodeSegment, segment, thrownBy } from '../support/tokens';
import { ecPair } from '../support/keys';

const ISSUER = 'https://eddsa.example';

const ed = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const pem = (key: KeyObject): string => key.export({ type: key.type === 'private' ? 'pkcs8' : 'spki', format: 'pem' }).toString();

/** A compact JWS over `header` and `payload` signed with an Ed25519 key by node:crypto. */
function edToken(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject = ed.privateKey): string {
  const input = `${segment(header)}.${segment(payload)}`;
  return `${input}.${cryptoSign(null, Buffer.from(input), key).toString('base64url')}`;
}

const reasonOf = (result: TokenCheck): string => (result.valid ? 'valid' : result.reason);

function singleKey(alg: 'EdDSA' | 'Ed25519'): AuthManager {
  return new AuthManager({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: alg, JWT_SECRET: pem(ed.privateKey), JWT_PUBLICKEY: pem(ed.publicKey) });
}

describe('EdDSA and Ed25519', () => {
  describe('round trip with a PEM Ed25519 pair as JWT_AUTHTYPE', () => {
    for (const alg of ['EdDSA', 'Ed25519'] as const) {
      it(`${alg}: signs with node:crypto, verifies, and the signature is Ed25519 over the signing input`, () => {
        const manager = singleKey(alg);
        const token = manager.authToken('user-1', 'read');
        const header = decodeSegment(token.signed, 0);
        expect(header).to.include({ alg, typ: 'JWT' });
        expect(token.alg).to.equal(alg);
        const result = manager.checkToken(token.signed);
        expect(reasonOf(result)).to.equal('valid');
        if (result.valid) expect(result.token.alg).to.equal(alg);
        const [h, p, s] = token.signed.split('.');
        expect(Buffer.from(s, 'base64url')).to.have.length(64);
        expect(cryptoVerify(null, Buffer.from(`${h}.${p}`), ed.publicKey, Buffer.from(s, 'base64url'))).to.equal(true);
        expect(reasonOf(manager.checkToken(manager.refreshToken('user-1').signed))).to.equal('valid');
      });
    }

    it('the single key\'s kid is its RFC 7638 thumbprint over crv, kty and x', () => {
      const { crv, x } = ed.publicKey.export({ format: 'jwk' });
      const expected = createHash('sha256').update(JSON.stringify({ crv, kty: 'OKP', x })).digest('base64url');
      const token = singleKey('EdDSA').authToken('user-1');
      expect(decodeSegment(token.signed, 0).kid).to.equal(expected);
      expect(thumbprint(ed.publicKey)).to.equal(expected);
    });

    it('thumbprint matches the RFC 8037 Appendix A.3 example', () => {
      const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }, format: 'jwk' });
      expect(thumbprint(key)).to.equal('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
    });
  });

  describe('keys of the wrong kind are refused at configuration, saying how to make one', () => {
    it('an EC key for EdDSA, an Ed25519 key for ES256, an X25519 key for Ed25519', () => {
      const x25519 = generateKeyPairSync('x25519');
      const cases: Array<[string, string, string, string]> = [
        ['EdDSA', ecPair('P-256').privateKey, ecPair('P-256').publicKey, 'needs an Ed25519 key; got a ec key'],
        ['ES256', pem(ed.privateKey), pem(ed.publicKey), 'needs an EC key on P-256; got a ed25519 key'],
        ['Ed25519', pem(x25519.privateKey), pem(x25519.publicKey), 'needs an Ed25519 key; got a x25519 key'],
      ];
      for (const [alg, secret, publicKey, message] of cases) {
        const error = thrownBy(() => new AuthManager({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: alg, JWT_SECRET: secret, JWT_PUBLICKEY: publicKey }));
        expect(error, alg).to.be.instanceOf(InvalidConfigError);
        expect((error as Error).message, alg).to.include(message);
        if (alg !== 'ES256') expect((error as Error).message, alg).to.include('openssl genpkey -algorithm ed25519');
      }
    });

    it('a public key that is not the private key\'s half', () => {
      const error = thrownBy(() => new AuthManager({
        JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'EdDSA', JWT_SECRET: pem(ed.privateKey), JWT_PUBLICKEY: pem(other.publicKey),
      }));
      expect((error as Error).message).to.include('not the public half');
    });
  });

  describe('cross-algorithm refusals (RFC 8725 §3.1)', () => {
    it('security: a token signed by the Ed25519 key but naming ES256 is refused (algorithm)', () => {
      const manager = singleKey('EdDSA');
      expect(reasonOf(manager.checkToken(edToken({ alg: 'ES256', typ: 'JWT' }, claimsFor(ISSUER))))).to.equal('algorithm');
      expect(reasonOf(manager.checkToken(edToken({ alg: 'EdDSA', typ: 'JWT' }, claimsFor(ISSUER))))).to.equal('valid');
    });

    it('security: an HS256 token keyed with the OKP key\'s public bytes (x or PEM) is refused (algorithm)', () => {
      const manager = singleKey('EdDSA');
      const { x } = ed.publicKey.export({ format: 'jwk' });
      for (const secret of [Buffer.from(String(x), 'base64url'), Buffer.from(pem(ed.publicKey))]) {
        const input = `${segment({ alg: 'HS256', typ: 'JWT' })}.${segment(claimsFor(ISSUER))}`;
        const forged = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
        expect(reasonOf(manager.checkToken(forged))).to.equal('algorithm');
      }
    });

    it('security: a configured key answers to its one name: an EdDSA key refuses "Ed25519", "eddsa" and "none"', () => {
      const manager = singleKey('EdDSA');
      for (const alg of ['Ed25519', 'eddsa', 'none']) {
        expect(reasonOf(manager.checkToken(edToken({ alg, typ: 'JWT' }, claimsFor(ISSUER)))), alg).to.equal('algorithm');
      }
    });

    it('security: an EdDSA token is refused by an ES256 manager, and another Ed25519 key\'s token is a bad signature', () => {
      const es = ecPair('P-256');
      const esManager = new AuthManager({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'ES256', JWT_SECRET: es.privateKey, JWT_PUBLICKEY: es.publicKey });
      expect(reasonOf(esManager.checkToken(edToken({ alg: 'EdDSA', typ: 'JWT' }, claimsFor(ISSUER))))).to.equal('algorithm');
      const manager = singleKey('EdDSA');
      expect(reasonOf(manager.checkToken(edToken({ alg: 'EdDSA', typ: 'JWT' }, claimsFor(ISSUER), other.privateKey)))).to.equal('signature');
    });

    it('security: an Ed25519 signature with S + L (a second spelling) is refused (RFC 8032 §5.1.7)', () => {
      const manager = singleKey('EdDSA');
      const token = edToken({ alg: 'EdDSA', typ: 'JWT' }, claimsFor(ISSUER));
      const signature = Buffer.from(token.split('.')[2], 'base64url');
      // S is the second half, little-endian; L is the order of the Ed25519 base point.
      const L = (1n << 252n) + 27742317777372353535851937790883648493n;
      const s = BigInt(`0x${Buffer.from(signature.subarray(32)).reverse().toString('hex')}`);
      const twin = Buffer.from((s + L).toString(16).padStart(64, '0'), 'hex').reverse();
      const forged = `${token.slice(0, token.lastIndexOf('.'))}.${Buffer.concat([signature.subarray(0, 32), twin]).toString('base64url')}`;
      expect(reasonOf(manager.checkToken(token))).to.equal('valid');
      expect(reasonOf(manager.checkToken(forged))).to.equal('signature');
    });
  });

  describe('JWT_KEYS entries and jwks()', () => {
    const ring = (): AuthManager => new AuthManager({
      JWT_ISSUER: ISSUER,
      JWT_KEYS: [
        { kid: 'ed-new', alg: 'Ed25519', privateKey: pem(other.privateKey), current: true },
        { kid: 'ed-old', alg: 'EdDSA', publicKey: pem(ed.publicKey) },
      ],
    });

    it('the current Ed25519 key signs with its kid; the EdDSA public-only key still verifies', () => {
      const manager = ring();
      const token = manager.authToken('user-1');
      expect(decodeSegment(token.signed, 0)).to.include({ alg: 'Ed25519', kid: 'ed-new' });
      expect(reasonOf(manager.checkToken(token.signed))).to.equal('valid');
      expect(reasonOf(manager.checkToken(edToken({ alg: 'EdDSA', kid: 'ed-old' }, claimsFor(ISSUER))))).to.equal('valid');
      expect(reasonOf(manager.checkToken(edToken({ alg: 'Ed25519', kid: 'ed-old' }, claimsFor(ISSUER))))).to.equal('algorithm');
    });

    it('jwks() publishes OKP keys as kty, crv, x (never d, never y), with kid, alg and use', () => {
      const { keys } = ring().jwks();
      expect(keys).to.have.length(2);
      expect(keys[0]).to.deep.equal({ kty: 'OKP', crv: 'Ed25519', x: other.publicKey.export({ format: 'jwk' }).x, kid: 'ed-new', alg: 'Ed25519', use: 'sig' });
      expect(keys[1]).to.deep.equal({ kty: 'OKP', crv: 'Ed25519', x: ed.publicKey.export({ format: 'jwk' }).x, kid: 'ed-old', alg: 'EdDSA', use: 'sig' });
    });
  });

  describe('remote key sets', () => {
    let endpoint: RunningServer;
    let body = '{"keys":[]}';

    before(async () => {
      endpoint = await listen((_request, response) => {
        response.setHeader('content-type', 'application/json');
        response.end(body);
      });
    });

    after(() => endpoint.close());

    const verifier = (): AuthManager => new AuthManager({
      JWT_ISSUER: ISSUER, JWT_JWKSURL: `${endpoint.url}/jwks?${randomBytes(6).toString('hex')}`, JWT_JWKSCOOLDOWN: 0,
    });
    const serve = (keys: unknown[]): void => {
      body = JSON.stringify({ keys });
    };
    const okp = (kid: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ ...ed.publicKey.export({ format: 'jwk' }), kid, ...extra });

    it('jwks() out, in: a verify-only service checks the tokens of an EdDSA issuer from its published set', async () => {
      const issuer = new AuthManager({ JWT_ISSUER: ISSUER, JWT_KEYS: [{ kid: 'ed', alg: 'EdDSA', privateKey: pem(ed.privateKey) }] });
      serve(issuer.jwks().keys);
      const manager = verifier();
      expect(reasonOf(await manager.verify(issuer.authToken('user-1').signed))).to.equal('valid');
      expect(reasonOf(await manager.verify(edToken({ alg: 'EdDSA', kid: 'ed' }, claimsFor(ISSUER), other.privateKey)))).to.equal('signature');
    });

    it('an OKP key without alg is unambiguous: it verifies EdDSA and its fully specified name Ed25519, nothing else', async () => {
      serve([okp('bare')]);
      const manager = verifier();
      expect(reasonOf(await manager.verify(edToken({ alg: 'EdDSA', kid: 'bare' }, claimsFor(ISSUER))))).to.equal('valid');
      expect(reasonOf(await manager.verify(edToken({ alg: 'Ed25519', kid: 'bare' }, claimsFor(ISSUER))))).to.equal('valid');
      expect(reasonOf(await manager.verify(edToken({ alg: 'ES256', kid: 'bare' }, claimsFor(ISSUER))))).to.equal('algorithm');
    });

    it('an OKP key with alg Ed25519 verifies that name only; an OKP key on X25519 or with alg ES256 is ignored', async () => {
      const x25519 = generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' });
      serve([okp('named', { alg: 'Ed25519' }), { ...x25519, kid: 'x' }, okp('wrong', { alg: 'ES256' })]);
      const manager = verifier();
      expect(reasonOf(await manager.verify(edToken({ alg: 'Ed25519', kid: 'named' }, claimsFor(ISSUER))))).to.equal('valid');
      expect(reasonOf(await manager.verify(edToken({ alg: 'EdDSA', kid: 'named' }, claimsFor(ISSUER))))).to.equal('algorithm');
      expect(reasonOf(await manager.verify(edToken({ alg: 'EdDSA', kid: 'x' }, claimsFor(ISSUER))))).to.equal('unknown_key');
      expect(reasonOf(await manager.verify(edToken({ alg: 'ES256', kid: 'wrong' }, claimsFor(ISSUER))))).to.equal('unknown_key');
    });
  });
});
