/**
 * The key ring (JWT_KEYS): several keys, each with its kid and exactly one algorithm. New tokens are signed with the
 * current key and carry its kid; a token is verified with the key its kid names (never one picked by its alg); a key
 * removed from the ring stops verifying at once; the one-key configuration keeps working.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import express from 'express';
import { generateKeyPairSync } from 'node:crypto';
import {
  AuthManager,
  InvalidConfigError,
  MissingSignerError,
  type KeyEntry,
  type TokenCheck,
} from 'routing-controllers-jwt';
import { claimsFor, decodeSegment, jws, segment, thrownBy } from '../support/tokens';
import { isolateConfig, isolateEnv } from '../support/isolation';
import { ecPair, hmacSecret, rsaPair } from '../support/keys';

const ISSUER = 'https://ring.example';



function refusal(result: TokenCheck): string {
  expect(result.valid, 'the token was accepted').to.equal(false);
  return result.valid ? '' : result.reason;
}

function ringError(value: unknown, extra: Record<string, unknown> = {}): InvalidConfigError {
  const error = thrownBy(() => new AuthManager({ JWT_ISSUER: ISSUER, JWT_KEYS: value, ...extra }));
  expect(error).to.be.instanceOf(InvalidConfigError);
  expect((error as InvalidConfigError).configValue).to.equal('JWT_KEYS');
  expect((error as InvalidConfigError).message).to.match(/^Invalid config "JWT_KEYS": /);
  return error as InvalidConfigError;
}

const signed = (manager: AuthManager, sub = 'user-1'): string => manager.authToken(sub).signed;

describe('key ring (JWT_KEYS)', () => {
  isolateConfig();
  isolateEnv();

  const es = ecPair('P-256');
  const rsa = rsaPair(2048);
  const es384 = ecPair('P-384');
  const hsOld = hmacSecret(64);
  const hsNew = hmacSecret(64);

  const oldEs: KeyEntry = { kid: 'es-2025', alg: 'ES256', privateKey: es.privateKey, current: true };
  const newRs: KeyEntry = { kid: 'rs-2026', alg: 'RS256', privateKey: rsa.privateKey, current: true };

  describe('signing and verifying by kid', () => {
    it('new tokens carry the current key\'s kid and alg in the header (array in app settings)', () => {
      const app = express();
      app.set('JWT_ISSUER', ISSUER).set('JWT_KEYS', [
        { kid: 'es-2025', alg: 'ES256', publicKey: es.publicKey },
        newRs,
      ]);
      const manager = new AuthManager(app);
      const token = signed(manager);
      expect(decodeSegment(token, 0)).to.deep.include({ alg: 'RS256', kid: 'rs-2026', typ: 'JWT' });
      expect(manager.verifyToken(token)).to.equal(true);
      expect(decodeSegment(manager.refreshToken('u').signed, 0).kid).to.equal('rs-2026');
    });

    it('the same ring as JSON text (as the environment gives it), PEMs with \\n escapes', () => {
      const text = JSON.stringify([oldEs, { kid: 'hs-1', alg: 'HS512', secret: hsOld }]);
      expect(text).to.include('\\n');
      const manager = new AuthManager({ JWT_ISSUER: ISSUER, JWT_KEYS: text });
      const token = signed(manager);
      expect(decodeSegment(token, 0)).to.deep.include({ alg: 'ES256', kid: 'es-2025' });
      expect(manager.verifyToken(token)).to.equal(true);
      // The HMAC key (not current) verifies tokens that name it.
      expect(manager.checkToken(jws({ alg: 'HS512', kid: 'hs-1' }, claimsFor(ISSUER), 'HS512', hsOld)).valid).to.equal(true);
    });

    it('JWT_KEYS from process.env (JSON text) works like the other sources', () => {
      const saved = { keys: process.env.JWT_KEYS, issuer: process.env.JWT_ISSUER };
      process.env.JWT_KEYS = JSON.stringify([oldEs]);
      process.env.JWT_ISSUER = ISSUER;
      try {
        const manager = AuthManager.fromContainer();
        expect(decodeSegment(signed(manager), 0).kid).to.equal('es-2025');
      } finally {
        if (saved.keys === undefined) delete process.env.JWT_KEYS;
        else process.env.JWT_KEYS = saved.keys;
        if (saved.issuer === undefined) delete process.env.JWT_ISSUER;
        else process.env.JWT_ISSUER = saved.issuer;
      }
    });

    it('a token is verified with the key its kid names: the right key under the wrong kid is refused', () => {
      const manager = new AuthManager({
        JWT_ISSUER: ISSUER,
        JWT_KEYS: [
          { kid: 'a', alg: 'HS256', secret: hsNew, current: true },
          { kid: 'b', alg: 'HS256', secret: hsOld },
        ],
      });
      const claims = claimsFor(ISSUER);
      expect(manager.checkToken(jws({ alg: 'HS256', kid: 'b' }, claims, 'HS256', hsOld)).valid).to.equal(true);
      expect(manager.checkToken(jws({ alg: 'HS256', kid: 'a' }, claims, 'HS256', hsNew)).valid).to.equal(true);
      // Signed with b's secret but naming a: never tried against b.
      expect(refusal(manager.checkToken(jws({ alg: 'HS256', kid: 'a' }, claims, 'HS256', hsOld)))).to.equal('signature');
      expect(refusal(manager.checkToken(jws({ alg: 'HS256', kid: 'b' }, claims, 'HS256', hsNew)))).to.equal('signature');
    });

    it('security: a token whose kid names key A but whose alg is key B\'s algorithm is refused (\'algorithm\')', () => {
      const manager = new AuthManager({ JWT_ISSUER: ISSUER, JWT_KEYS: [oldEs, { kid: 'rs', alg: 'RS256', privateKey: rsa.privateKey }] });
      const claims = claimsFor(ISSUER);
      // Properly RS256-signed with B's key, but naming A (an ES256 key).
      expect(refusal(manager.checkToken(jws({ alg: 'RS256', kid: 'es-2025' }, claims, 'RS256', rsa.privateKey)))).to.equal('algorithm');
      // And the reverse: ES256 with A's key under B's kid.
      expect(refusal(manager.checkToken(jws({ alg: 'ES256', kid: 'rs' }, claims, 'ES256', es.privateKey)))).to.equal('algorithm');
      // HS256 signed with the public key text under any kid (the classic key confusion).
      expect(refusal(manager.checkToken(jws({ alg: 'HS256', kid: 'rs' }, claims, 'HS256', rsa.publicKey)))).to.equal('algorithm');
      // Control: correct labels verify.
      expect(manager.checkToken(jws({ alg: 'RS256', kid: 'rs' }, claims, 'RS256', rsa.privateKey)).valid).to.equal(true);
    });

    it('security: a token without a kid is refused by a ring of named keys (\'unknown_key\')', () => {
      const manager = new AuthManager({ JWT_ISSUER: ISSUER, JWT_KEYS: [oldEs] });
      const token = signed(manager);
      const [, payload, signature] = token.split('.');
      const { kid: _kid, ...header } = decodeSegment(token, 0);
      expect(header).not.to.have.property('kid');
      expect(refusal(manager.checkToken(`${segment(header)}.${payload}.${signature}`))).to.equal('unknown_key');
      // Re-signed over the kid-less header with the very same key: still refused.
      expect(refusal(manager.checkToken(jws(header, claimsFor(ISSUER), 'ES256', es.privateKey)))).to.equal('unknown_key');
    });

    it('security: an unknown kid is refused (\'unknown_key\'), whatever its type', () => {
      const manager = new AuthManager({ JWT_ISSUER: ISSUER, JWT_KEYS: [oldEs] });
      const claims = claimsFor(ISSUER);
      for (const kid of ['es-2026', 'ES-2025', 'es-2025 ', '', '__proto__', 'constructor', 7, null, ['es-2025'], { kid: 'es-2025' }]) {
        expect(refusal(manager.checkToken(jws({ alg: 'ES256', kid }, claims, 'ES256', es.privateKey))), JSON.stringify(kid)).to.equal('unknown_key');
      }
    });
  });

  describe('rotation: add, switch, retire', () => {
    it('overlap: a ring [old verify-only (public key only), new current] verifies tokens of both', () => {
      const before = new AuthManager({ JWT_ISSUER: ISSUER, JWT_KEYS: [oldEs] });
      const oldToken = signed(before, 'old');
      const after = new AuthManager({
        JWT_ISSUER: ISSUER,
        JWT_KEYS: [{ kid: 'es-2025', alg: 'ES256', publicKey: es.publicKey }, newRs],
      });
      const newToken = signed(after, 'new');
      expect(decodeSegment(newToken, 0).kid).to.equal('rs-2026');
      expect(after.checkToken(oldToken)).to.include({ valid: true });
      expect(after.checkToken(newToken)).to.include({ valid: true });
      // The old manager does not know the new key yet.
      expect(refusal(before.checkToken(newToken))).to.equal('unknown_key');
    });

    it('overlap with HMAC: a ring [old secret not current, new secret current] verifies both, signs with the new', () => {
      const before = new AuthManager({ JWT_ISSUER: ISSUER, JWT_KEYS: [{ kid: 'hs-old', alg: 'HS256', secret: hsOld }] });
      const oldToken = signed(before);
      expect(decodeSegment(oldToken, 0).kid).to.equal('hs-old');
      const after = new AuthManager({
        JWT_ISSUER: ISSUER,
        JWT_KEYS: [{ kid: 'hs-old', alg: 'HS256', secret: hsOld, current: false }, { kid: 'hs-new', alg: 'HS512', secret: hsNew, current: true }],
      });
      const newToken = signed(after);
      expect(decodeSegment(newToken, 0)).to.deep.include({ kid: 'hs-new', alg: 'HS512' });
      expect(after.verifyToken(oldToken)).to.equal(true);
      expect(after.verifyToken(newToken)).to.equal(true);
    });

    it('security: once retired (a new manager without it), the old key\'s tokens are refused at once, cached or not', () => {
      const overlap = new AuthManager({
        JWT_ISSUER: ISSUER,
        JWT_KEYS: [{ kid: 'es-2025', alg: 'ES256', publicKey: es.publicKey }, newRs],
      });
      const issuerOfOld = new AuthManager({ JWT_ISSUER: ISSUER, JWT_KEYS: [oldEs] });
      const cachedOld = signed(issuerOfOld, 'cached');
      const freshOld = signed(issuerOfOld, 'fresh');
      // Managers of the same configuration share one cache: count what this token adds.
      const cachedBefore = overlap.cachedTokenCount;
      expect(overlap.verifyToken(cachedOld)).to.equal(true);
      expect(overlap.cachedTokenCount).to.equal(cachedBefore + 1);
      const retired = new AuthManager({ JWT_ISSUER: ISSUER, JWT_KEYS: [newRs] });
      expect(refusal(retired.checkToken(cachedOld))).to.equal('unknown_key');
      expect(refusal(retired.checkToken(freshOld))).to.equal('unknown_key');
      expect(retired.verifyToken(signed(overlap))).to.equal(true);
    });

    it('security: retiring by re-initialising the same manager from changed app settings drops its cached tokens too', () => {
      const app = express();
      app.set('JWT_ISSUER', ISSUER).set('JWT_KEYS', [{ kid: 'es-2025', alg: 'ES256', publicKey: es.publicKey }, newRs]);
      const manager = new AuthManager(app);
      const oldToken = signed(new AuthManager({ JWT_ISSUER: ISSUER, JWT_KEYS: [oldEs] }));
      const cachedBefore = manager.cachedTokenCount;
      expect(manager.verifyToken(oldToken)).to.equal(true);
      expect(manager.cachedTokenCount).to.equal(cachedBefore + 1);
      app.set('JWT_KEYS', [newRs]);
      manager.initApp(app);
      expect(refusal(manager.checkToken(oldToken))).to.equal('unknown_key');
    });
  });

  describe('configuration errors name JWT_KEYS', () => {
    it('a duplicate kid', () => {
      const message = ringError([oldEs, { kid: 'es-2025', alg: 'RS256', publicKey: rsa.publicKey }]).message;
      expect(message).to.match(/key 1: its kid is the same as an earlier key's/);
      expect(message, 'configured values are named, never repeated').not.to.include('es-2025');
    });

    it('a missing or empty kid', () => {
      expect(ringError([{ alg: 'ES256', privateKey: es.privateKey }]).message).to.match(/key 0: needs a kid/);
      expect(ringError([{ kid: '', alg: 'ES256', privateKey: es.privateKey }]).message).to.match(/needs a kid/);
      expect(ringError([{ kid: 5, alg: 'ES256', privateKey: es.privateKey }]).message).to.match(/needs a kid/);
    });

    it('a missing alg', () => {
      expect(ringError([{ kid: 'k', privateKey: es.privateKey }]).message).to.match(/key 0: needs an alg/);
    });

    it('an unknown alg (none, lower case, Ed448)', () => {
      for (const alg of ['none', 'es256', 'Ed448', 'HS1']) {
        const error = ringError([{ kid: 'k', alg, privateKey: es.privateKey }]);
        expect(error.message, alg).to.include('is not a supported algorithm');
        // A secret pasted into alg by mistake must not reach a log: the value is never repeated.
        expect(error.message, alg).not.to.include(`"${alg}"`);
        expect(error.message).not.to.include('JWT_AUTHTYPE');
      }
    });

    it('two current keys', () => {
      expect(ringError([oldEs, newRs]).message).to.match(/more than one key is marked current/);
    });

    it('a current key without signing material (public key only, or an HMAC key without secret)', () => {
      expect(ringError([{ kid: 'p', alg: 'ES256', publicKey: es.publicKey, current: true }]).message).to.match(/marked current but has no signing key/);
      expect(ringError([{ kid: 'h', alg: 'HS256', current: true }]).message).to.match(/key 0: HS256 needs a secret/);
    });

    it('a key of the wrong kind or curve for its alg', () => {
      expect(ringError([{ kid: 'k', alg: 'ES256', privateKey: es384.privateKey }]).message).to.match(/needs an EC key on P-256/);
      expect(ringError([{ kid: 'k', alg: 'PS256', publicKey: es.publicKey }]).message).to.match(/needs an RSA key/);
      expect(ringError([{ kid: 'k', alg: 'RS256', publicKey: rsaPair(1024).publicKey }]).message).to.match(/at least 2048 bits/);
      expect(ringError([{ kid: 'k', alg: 'HS384', secret: 'short' }]).message).to.match(/at least 48 bytes/);
      expect(ringError([{ kid: 'k', alg: 'HS256', secret: rsa.publicKey }]).message).to.match(/PEM key is never used/);
    });

    it('a public key that is not the private key\'s half, and a private key given as the public key', () => {
      const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
      expect(ringError([{ kid: 'k', alg: 'ES256', privateKey: es.privateKey, publicKey: stranger }]).message).to.match(/not the public half/);
      expect(ringError([{ kid: 'k', alg: 'ES256', publicKey: es.privateKey }]).message).to.match(/private key was given as the public key/);
    });

    it('JWT_KEYS together with JWT_SECRET', () => {
      expect(ringError([oldEs], { JWT_AUTHTYPE: 'HS256', JWT_SECRET: hsOld }).message).to.match(/either JWT_KEYS or JWT_AUTHTYPE\/JWT_SECRET/);
    });

    it('invalid JSON text, an empty ring, and entries that are not objects', () => {
      expect(ringError('[{"kid": "a",').message).to.match(/must be a JSON array/);
      expect(ringError('{"kid": "a"}').message).to.match(/non-empty array/);
      expect(ringError([]).message).to.match(/non-empty array/);
      expect(ringError(['es-2025']).message).to.match(/key 0: must be an object/);
      expect(ringError([oldEs, null]).message).to.match(/key 1: must be an object/);
    });
  });

  describe('verify-only rings', () => {
    it('a ring of public keys only verifies, but authToken and refreshToken throw MissingSignerError', () => {
      const issuer = new AuthManager({ JWT_ISSUER: ISSUER, JWT_KEYS: [oldEs] });
      const verifier = new AuthManager({
        JWT_ISSUER: ISSUER,
        JWT_KEYS: JSON.stringify([
          { kid: 'es-2025', alg: 'ES256', publicKey: es.publicKey },
          { kid: 'rs-2026', alg: 'RS256', publicKey: rsa.publicKey },
        ]),
      });
      expect(verifier.signer).to.equal(null);
      expect(verifier.verifyToken(signed(issuer))).to.equal(true);
      expect(verifier.verifyToken(signed(new AuthManager({ JWT_ISSUER: ISSUER, JWT_KEYS: [newRs] })))).to.equal(true);
      expect(() => verifier.authToken('u')).to.throw(MissingSignerError);
      expect(() => verifier.refreshToken('u')).to.throw(MissingSignerError);
      // Verify-only keys sign nothing: a token "signed" with the public key text as an HMAC secret is refused.
      expect(verifier.verifyToken(jws({ alg: 'HS256', kid: 'es-2025' }, claimsFor(ISSUER), 'HS256', es.publicKey))).to.equal(false);
    });
  });

  describe('the single-key configuration keeps working', () => {
    it('an RS256 manager\'s tokens carry its thumbprint kid, and tokens without a kid (issued before) still verify', () => {
      const manager = new AuthManager({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'RS256', JWT_SECRET: rsa.privateKey, JWT_PUBLICKEY: rsa.publicKey });
      const token = signed(manager);
      expect(decodeSegment(token, 0).kid).to.be.a('string').and.have.length(43);
      const legacy = jws({ alg: 'RS256', typ: 'JWT' }, claimsFor(ISSUER), 'RS256', rsa.privateKey);
      expect(manager.checkToken(legacy)).to.include({ valid: true });
      expect(manager.checkToken(token)).to.include({ valid: true });
      // A kid that is not its thumbprint is refused.
      expect(refusal(manager.checkToken(jws({ alg: 'RS256', kid: 'other' }, claimsFor(ISSUER), 'RS256', rsa.privateKey)))).to.equal('unknown_key');
    });

    it('HS256 tokens carry no kid and verify as before', () => {
      const secret = hmacSecret(64);
      const manager = new AuthManager({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'HS256', JWT_SECRET: secret });
      const token = signed(manager);
      expect(decodeSegment(token, 0)).to.deep.equal({ alg: 'HS256', typ: 'JWT' });
      expect(manager.verifyToken(token)).to.equal(true);
      expect(manager.verifyToken(jws({ alg: 'HS256', typ: 'JWT' }, claimsFor(ISSUER), 'HS256', secret))).to.equal(true);
    });
  });
});
