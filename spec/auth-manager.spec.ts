/** AuthManager: issuing, verifying and converting tokens (API.md §2). */
import 'reflect-metadata';
import { expect } from 'chai';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import express from 'express';
import { sign as jwtSign } from 'jsonwebtoken';
import {
  AuthManager,
  InvalidConfigError,
  InvalidTokenError,
  JWT,
  MissingSignerError,
  TokenType,
  type InvalidTokenReason,
} from 'routing-controllers-jwt';
import { configFor, hmacSecret, rsaPair, SEED_ALGORITHMS } from './support/keys';
import { isolateConfig } from './support/isolation';
import { claimsFor, decodeSegment, hmacToken, nowSeconds, rsaToken, segment, thrownBy, withPayload, without } from './support/tokens';

const ISSUER = 'auth-manager-spec';
const HS256_HEADER = { alg: 'HS256', typ: 'JWT' };

/** Asserts that the manager refuses `token` for `reason`, without throwing. */
function expectRefused(manager: AuthManager, token: unknown, reason: InvalidTokenReason): void {
  expect(manager.verifyToken(token as string)).to.equal(false);
  expect(manager.checkToken(token as string)).to.deep.equal({ valid: false, reason });
}

describe('AuthManager', () => {
  isolateConfig();

  describe('static defaults', () => {
    it('defaultAuthMaxAge is 3600 and defaultRefreshMaxAge is 604800', () => {
      expect(AuthManager.defaultAuthMaxAge).to.equal(3600);
      expect(AuthManager.defaultRefreshMaxAge).to.equal(604800);
    });

    it('uses the defaults when no max ages are configured', () => {
      const manager = new AuthManager(configFor('HS256', ISSUER));
      expect(manager.authToken('u').maxAge).to.equal(3600);
      expect(manager.refreshToken('u').maxAge).to.equal(604800);
    });

    it('reads the defaults when it is configured, so that changing them takes effect', () => {
      const saved = [AuthManager.defaultAuthMaxAge, AuthManager.defaultRefreshMaxAge] as const;
      try {
        AuthManager.defaultAuthMaxAge = 60;
        AuthManager.defaultRefreshMaxAge = 120;
        const manager = new AuthManager(configFor('HS256', ISSUER));
        expect(manager.authToken('u').maxAge).to.equal(60);
        expect(manager.refreshToken('u').maxAge).to.equal(120);
      } finally {
        [AuthManager.defaultAuthMaxAge, AuthManager.defaultRefreshMaxAge] = saved;
      }
    });
  });

  describe('without a signer', () => {
    it('new AuthManager() has signer null', () => {
      expect(new AuthManager().signer).to.equal(null);
    });

    const calls: Array<[string, (manager: AuthManager) => unknown]> = [
      ['authToken', (manager) => manager.authToken('u')],
      ['refreshToken', (manager) => manager.refreshToken('u')],
      ['verifyToken', (manager) => manager.verifyToken('a.b.c')],
      ['checkToken', (manager) => manager.checkToken('a.b.c')],
    ];
    for (const [name, call] of calls) {
      it(`${name} throws MissingSignerError`, () => {
        const err = thrownBy(() => call(new AuthManager()));
        expect(err).to.be.instanceOf(MissingSignerError);
        expect((err as MissingSignerError).code).to.equal('ERR_JWT_MISSING_SIGNER');
      });
    }

    it('convertToken still works: it needs no signer', () => {
      const signed = new AuthManager(configFor('HS256', ISSUER)).authToken('u').signed ?? '';
      expect(AuthManager.convertToken(signed).sub).to.equal('u');
    });
  });

  describe('configuring', () => {
    it('new AuthManager(plainObject) configures from the object', () => {
      const manager = new AuthManager({ ...configFor('HS512', 'plain-issuer'), JWT_AUTHMAXAGE: 10, JWT_REFRESHMAXAGE: '20' });
      expect(manager.signer?.algorithm()).to.equal('HS512');
      expect(manager.signer?.issuer).to.equal('plain-issuer');
      expect(manager.signer?.authMaxAge).to.equal(10);
      expect(manager.signer?.refreshMaxAge).to.equal(20);
    });

    it('new AuthManager().initApp(app) configures from the Express app settings', () => {
      const app = express();
      for (const [name, value] of Object.entries(configFor('RS256', 'express-issuer'))) app.set(name, value);
      app.set('JWT_AUTHMAXAGE', 30);
      const manager = new AuthManager();
      expect(manager.signer).to.equal(null);
      manager.initApp(app);
      expect(manager.signer?.algorithm()).to.equal('RS256');
      expect(manager.signer?.issuer).to.equal('express-issuer');
      expect(manager.authToken('u').maxAge).to.equal(30);
    });

    it('new AuthManager(app) configures from the Express app settings', () => {
      const app = express();
      for (const [name, value] of Object.entries(configFor('HS256', 'express-issuer'))) app.set(name, value);
      expect(new AuthManager(app).signer?.issuer).to.equal('express-issuer');
    });

    it('initApp again reconfigures the manager', () => {
      const manager = new AuthManager(configFor('HS256', 'first'));
      manager.initApp(configFor('HS512', 'second'));
      expect(manager.signer?.issuer).to.equal('second');
      expect(manager.signer?.algorithm()).to.equal('HS512');
    });

    it('refuses an issuer of only white space (InvalidConfigError): it would disable the issuer check', () => {
      const err = thrownBy(() => new AuthManager({ ...configFor('HS256'), JWT_ISSUER: '   ' }));
      expect(err).to.be.instanceOf(InvalidConfigError);
      expect((err as InvalidConfigError).configValue).to.equal('JWT_ISSUER');
    });

    it('refuses an empty issuer (as a missing value): a manager never runs without an issuer check', () => {
      const err = thrownBy(() => new AuthManager({ ...configFor('HS256'), JWT_ISSUER: '' }));
      expect(err).to.have.property('configValue', 'JWT_ISSUER');
      expect(err).to.have.property('name').that.is.oneOf(['MissingConfigError', 'InvalidConfigError']);
    });
  });

  describe('authToken', () => {
    let manager: AuthManager;
    beforeEach(() => {
      manager = new AuthManager(configFor('HS256', ISSUER));
    });

    it('issues a signed auth token with the subject, scope and extra claims', () => {
      const before = nowSeconds();
      const token = manager.authToken('user-1', { admin: true }, { tenant: 'acme' });
      const after = nowSeconds();
      expect(token).to.be.instanceOf(JWT);
      expect(token.isSigned()).to.equal(true);
      expect(token.tokenType).to.equal(TokenType.AUTH);
      expect(token.claims).to.include({ sub: 'user-1', type: 'auth', tenant: 'acme', iss: ISSUER });
      expect(token.scope).to.deep.equal({ admin: true });
      expect(token.iat).to.be.a('number').within(before, after);
      expect(token.maxAge).to.equal(3600);
      expect(token.claims).to.not.have.property('rid');
      expect(decodeSegment(token.signed ?? '', 1)).to.deep.equal(token.claims);
    });

    it('issues a token for a numeric subject', () => {
      const token = manager.authToken(42);
      expect(manager.verifyToken(token)).to.equal(true);
      expect(AuthManager.convertToken(token.signed ?? '').sub).to.equal(42);
    });

    for (const reserved of ['iss', 'iat', 'exp', 'type', 'rid', 'sub']) {
      it(`refuses to let an extra claim overwrite "${reserved}" (TypeError)`, () => {
        expect(() => manager.authToken('u', null, { [reserved]: 'x' })).to.throw(TypeError);
      });
    }

    it('refuses to let a caller extend exp through extra claims (TypeError)', () => {
      expect(() => manager.authToken('u', null, { exp: nowSeconds() + 10 * 365 * 86400 })).to.throw(TypeError);
    });

    it('refuses a scope given both as argument and extra claim (TypeError)', () => {
      expect(() => manager.authToken('u', 'read', { scope: 'admin' })).to.throw(TypeError);
    });
  });

  describe('refreshToken', () => {
    it('issues a signed refresh token with a rid, the refresh max age and no scope', () => {
      const manager = new AuthManager({ ...configFor('HS256', ISSUER), JWT_REFRESHMAXAGE: 5000 });
      const token = manager.refreshToken('user-1');
      expect(token.tokenType).to.equal(TokenType.REFRESH);
      expect(token.claims).to.include({ sub: 'user-1', type: 'refresh', iss: ISSUER });
      expect(token.maxAge).to.equal(5000);
      expect(token.claims.rid).to.be.a('string');
      expect(Buffer.from(token.claims.rid as string, 'base64url').length).to.be.at.least(16);
      expect(token.claims).to.not.have.property('scope');
      expect(manager.verifyToken(token)).to.equal(true);
    });

    it('issues a different rid each time', () => {
      const manager = new AuthManager(configFor('HS256', ISSUER));
      expect(manager.refreshToken('u').claims.rid).to.not.equal(manager.refreshToken('u').claims.rid);
    });
  });

  describe('verifyToken', () => {
    const secret = hmacSecret(64);
    let manager: AuthManager;
    let valid: string;

    beforeEach(() => {
      manager = new AuthManager({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'HS256', JWT_SECRET: secret });
      valid = manager.authToken('user-1', 'read').signed ?? '';
    });

    it('is true for its own token, given as a JWT object or as a string', () => {
      const token = manager.authToken('user-1', 'read');
      expect(manager.verifyToken(token)).to.equal(true);
      expect(manager.verifyToken(token.signed ?? '')).to.equal(true);
    });

    it('checkToken returns the verified token with its claims', () => {
      const check = manager.checkToken(valid);
      expect(check.valid).to.equal(true);
      if (!check.valid) return;
      expect(check.token).to.be.instanceOf(JWT);
      expect(check.token.signed).to.equal(valid);
      expect(check.token.sub).to.equal('user-1');
      expect(check.token.alg).to.equal('HS256');
    });

    it('accepts a hand-built token with the same key, algorithm and claims (the check is not tied to this library\'s encoder)', () => {
      expect(manager.verifyToken(hmacToken(HS256_HEADER, claimsFor(ISSUER), secret))).to.equal(true);
    });

    it('is true for a token signed by another manager with the same configuration', () => {
      const twin = new AuthManager({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'HS256', JWT_SECRET: secret });
      expect(twin.verifyToken(valid)).to.equal(true);
    });

    it('is false for a JWT object that was never signed', () => {
      expectRefused(manager, new JWT(TokenType.AUTH, 'u'), 'malformed');
    });

    const junk: Array<[string, unknown]> = [
      ['garbage', 'garbage'],
      ['an empty string', ''],
      ['null', null],
      ['undefined', undefined],
      ['a number', 42],
      ['a plain object', { signed: 'a.b.c' }],
      ['an array', ['a', 'b', 'c']],
      ['a symbol', Symbol('token')],
      ['three empty segments', '..'],
      ['segments that are not base64url', '!!.??.**'],
    ];
    for (const [label, input] of junk) {
      it(`is false (and never throws) for ${label}`, () => {
        expectRefused(manager, input, 'malformed');
      });
    }

    it('is false for its own token with surrounding white space or padding', () => {
      expectRefused(manager, ` ${valid}`, 'malformed');
      expectRefused(manager, `${valid}\n`, 'malformed');
      expectRefused(manager, `${valid}=`, 'malformed');
    });

    it('is false for a token longer than MAX_TOKEN_LENGTH, even when correctly signed', () => {
      const long = hmacToken(HS256_HEADER, claimsFor(ISSUER, { pad: 'x'.repeat(9000) }), secret);
      expectRefused(manager, long, 'malformed');
    });

    it('is false for a tampered payload (signature no longer matches)', () => {
      const claims = decodeSegment(valid, 1);
      expectRefused(manager, withPayload(valid, { ...claims, sub: 'admin' }), 'signature');
    });

    it('is false for a tampered signature', () => {
      const [header, payload, signature = ''] = valid.split('.');
      const flipped = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
      expectRefused(manager, `${header}.${payload}.${flipped}`, 'signature');
    });

    it('is false for a non-canonical spelling of a valid signature (one token, one spelling)', () => {
      const [header, payload, signature = ''] = valid.split('.');
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const last = alphabet.indexOf(signature.slice(-1));
      // A 32-byte HMAC needs 43 characters; the low 2 bits of the last one are padding.
      const respelled = signature.slice(0, -1) + alphabet[last ^ 1];
      expect(Buffer.from(respelled, 'base64url').equals(Buffer.from(signature, 'base64url'))).to.equal(true);
      // Refused while splitting, before any HMAC is computed.
      expectRefused(manager, `${header}.${payload}.${respelled}`, 'malformed');
    });

    it('is false for a token signed with another secret', () => {
      const other = new AuthManager({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'HS256', JWT_SECRET: hmacSecret(64) });
      expectRefused(manager, other.authToken('user-1'), 'signature');
    });

    it('is false for a token of another issuer signed with the same secret', () => {
      const other = new AuthManager({ JWT_ISSUER: 'someone-else', JWT_AUTHTYPE: 'HS256', JWT_SECRET: secret });
      expectRefused(manager, other.authToken('user-1'), 'issuer');
    });

    it('is false for an issuer that differs only in case or white space', () => {
      expectRefused(manager, hmacToken(HS256_HEADER, claimsFor(ISSUER.toUpperCase()), secret), 'issuer');
      expectRefused(manager, hmacToken(HS256_HEADER, claimsFor(`${ISSUER} `), secret), 'issuer');
    });

    it('is false for an expired token (JWT_AUTHMAXAGE 0: exp === iat, already expired)', () => {
      const instant = new AuthManager({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'HS256', JWT_SECRET: secret, JWT_AUTHMAXAGE: 0 });
      const token = instant.authToken('user-1');
      expect(token.exp).to.equal(token.iat);
      expectRefused(instant, token, 'expired');
    });

    it('treats exp as exclusive and iat as inclusive: at the second of exp a token is expired, at the second of iat valid', () => {
      const realNow = Date.now;
      const fixed = nowSeconds() * 1000; // a whole second, so that "now" equals iat and exp exactly
      Date.now = () => fixed;
      try {
        const base = { JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'HS256', JWT_SECRET: secret };
        const instant = new AuthManager({ ...base, JWT_AUTHMAXAGE: 0 });
        const expired = instant.authToken('user-1');
        expect(expired.exp).to.equal(fixed / 1000);
        expectRefused(instant, expired, 'expired');
        const oneSecond = new AuthManager({ ...base, JWT_AUTHMAXAGE: 1 });
        const fresh = oneSecond.authToken('user-1');
        expect(fresh.iat).to.equal(fixed / 1000);
        expect(oneSecond.checkToken(fresh).valid).to.equal(true);
      } finally {
        Date.now = realNow;
      }
    });

    it('is false for a token that expired long ago', () => {
      const past = nowSeconds() - 7200;
      expectRefused(manager, hmacToken(HS256_HEADER, claimsFor(ISSUER, { iat: past, exp: past + 60 }), secret), 'expired');
    });

    it('is false for a token whose iat is in the future', () => {
      const future = nowSeconds() + 3600;
      expectRefused(manager, hmacToken(HS256_HEADER, claimsFor(ISSUER, { iat: future, exp: future + 3600 }), secret), 'not_yet_valid');
    });

    it('is false for a token whose nbf is in the future', () => {
      expectRefused(manager, hmacToken(HS256_HEADER, claimsFor(ISSUER, { nbf: nowSeconds() + 3600 }), secret), 'not_yet_valid');
    });

    for (const claim of ['exp', 'iat', 'iss', 'sub', 'type']) {
      it(`is false for a correctly signed token without ${claim}`, () => {
        expectRefused(manager, hmacToken(HS256_HEADER, without(claimsFor(ISSUER), claim), secret), 'claims');
      });
    }

    it('is false for a token without exp made by jsonwebtoken (which would accept it itself)', () => {
      const token = jwtSign({ sub: 'user-1', type: 'auth', iss: ISSUER }, secret, { algorithm: 'HS256' });
      expectRefused(manager, token, 'claims');
    });

    it('is false for exp: 1e309 (Infinity: a token that never expires)', () => {
      const payload = `{"sub":"user-1","type":"auth","iss":"${ISSUER}","iat":${nowSeconds()},"exp":1e309}`;
      expectRefused(manager, hmacToken(HS256_HEADER, payload, secret), 'claims');
    });

    it('is false for exp given as a string', () => {
      const claims = claimsFor(ISSUER);
      expectRefused(manager, hmacToken(HS256_HEADER, { ...claims, exp: String(claims.exp) }, secret), 'claims');
    });

    it('is false for a type other than "auth" or "refresh"', () => {
      expectRefused(manager, hmacToken(HS256_HEADER, claimsFor(ISSUER, { type: 'admin' }), secret), 'claims');
    });

    it('is false for a correctly signed payload that is not a JSON object', () => {
      expectRefused(manager, hmacToken(HS256_HEADER, '[1,2,3]', secret), 'claims');
    });

    it('is false for alg "none" with an empty signature', () => {
      const token = `${segment({ alg: 'none', typ: 'JWT' })}.${segment(claimsFor(ISSUER))}.`;
      expectRefused(manager, token, 'malformed');
    });

    for (const alg of ['none', 'None', 'NONE']) {
      it(`is false for alg "${alg}" with a signature`, () => {
        expectRefused(manager, hmacToken({ alg, typ: 'JWT' }, claimsFor(ISSUER), secret), 'algorithm');
      });
    }

    it('is false for a header without alg', () => {
      expectRefused(manager, hmacToken({ typ: 'JWT' }, claimsFor(ISSUER), secret), 'algorithm');
    });

    for (const alg of ['hs256', 'HS256 ', 'HS384']) {
      it(`is false for alg ${JSON.stringify(alg)} (compared exactly)`, () => {
        expectRefused(manager, hmacToken({ alg, typ: 'JWT' }, claimsFor(ISSUER), secret), 'algorithm');
      });
    }

    it('is false for an HS512 token signed with the same secret on an HS256 manager', () => {
      const token = hmacToken({ alg: 'HS512', typ: 'JWT' }, claimsFor(ISSUER), secret, 'sha512');
      expectRefused(manager, token, 'algorithm');
    });

    it('is false for a header with a critical extension it does not understand', () => {
      const token = hmacToken({ alg: 'HS256', typ: 'JWT', crit: ['exp'] }, claimsFor(ISSUER), secret);
      expectRefused(manager, token, 'critical_header');
    });

    it('checks the signature before reading the payload: a bad signature on bad claims is a signature failure', () => {
      const token = hmacToken(HS256_HEADER, without(claimsFor(ISSUER), 'exp'), hmacSecret(64));
      expectRefused(manager, token, 'signature');
    });
  });

  describe('verifyToken with RSA', () => {
    let pem: { privateKey: string; publicKey: string };
    let manager: AuthManager;

    beforeEach(() => {
      pem = rsaPair();
      manager = new AuthManager(configFor('RS256', ISSUER));
    });

    it('refuses an HS256 token HMAC\'d with its own public key PEM (algorithm confusion, CVE-2015-9235)', () => {
      for (const key of [pem.publicKey, pem.publicKey.trim(), Buffer.from(pem.publicKey)]) {
        expectRefused(manager, hmacToken(HS256_HEADER, claimsFor(ISSUER), key), 'algorithm');
      }
    });

    it('refuses a token labelled RS256 whose signature is an HMAC with the public key PEM', () => {
      const header = segment({ alg: 'RS256', typ: 'JWT' });
      const input = `${header}.${segment(claimsFor(ISSUER))}`;
      const mac = createHmac('sha256', pem.publicKey).update(input).digest('base64url');
      expectRefused(manager, `${input}.${mac}`, 'signature');
    });

    it('accepts a hand-built RS256 token signed with the private key', () => {
      expect(manager.verifyToken(rsaToken({ alg: 'RS256', typ: 'JWT' }, claimsFor(ISSUER), pem.privateKey))).to.equal(true);
    });

    it('refuses an RS512 signature under an RS256 header', () => {
      const token = rsaToken({ alg: 'RS256', typ: 'JWT' }, claimsFor(ISSUER), pem.privateKey, 'sha512');
      expectRefused(manager, token, 'signature');
    });

    it('refuses a token signed with another RSA key', () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      expectRefused(manager, rsaToken({ alg: 'RS256', typ: 'JWT' }, claimsFor(ISSUER), privateKey), 'signature');
    });

    it('refuses a truncated RSA signature without throwing', () => {
      const token = manager.authToken('u').signed ?? '';
      // Cut 8 characters: the rest may or may not end on a canonical base64url spelling, so either check refuses it.
      const result = manager.checkToken(token.slice(0, -8));
      expect(result.valid).to.equal(false);
      expect(result.valid ? null : result.reason).to.be.oneOf(['malformed', 'signature']);
    });
  });

  describe('all four algorithms', () => {
    for (const alg of SEED_ALGORITHMS) {
      it(`${alg}: authToken -> verifyToken -> convertToken round-trips`, () => {
        const manager = new AuthManager(configFor(alg, ISSUER));
        const token = manager.authToken('user-1', 'read write', { tenant: 'acme' });
        expect(token.alg).to.equal(alg);
        expect(decodeSegment(token.signed ?? '', 0)).to.include({ alg, typ: 'JWT' });
        expect(manager.verifyToken(token)).to.equal(true);
        expect(manager.verifyToken(token.signed ?? '')).to.equal(true);
        const converted = AuthManager.convertToken(token.signed ?? '');
        expect(converted.claims).to.deep.equal(token.claims);
        expect(converted.alg).to.equal(alg);
        expect(converted.scope).to.equal('read write');
      });

      it(`${alg}: refreshToken -> verifyToken -> convertToken round-trips`, () => {
        const manager = new AuthManager(configFor(alg, ISSUER));
        const token = manager.refreshToken('user-1');
        expect(manager.verifyToken(token)).to.equal(true);
        expect(AuthManager.convertToken(token.signed ?? '').tokenType).to.equal(TokenType.REFRESH);
      });
    }

    describe('cross-algorithm rejection (same key material and issuer wherever the families allow)', () => {
      const hmac = hmacSecret(64);
      const managers = new Map<string, AuthManager>();

      before(() => {
        const { privateKey, publicKey } = rsaPair();
        for (const alg of SEED_ALGORITHMS) {
          const config = alg.startsWith('HS')
            ? { JWT_ISSUER: ISSUER, JWT_AUTHTYPE: alg, JWT_SECRET: hmac }
            : { JWT_ISSUER: ISSUER, JWT_AUTHTYPE: alg, JWT_SECRET: privateKey, JWT_PUBLICKEY: publicKey };
          managers.set(alg, new AuthManager(config));
        }
      });

      for (const signing of SEED_ALGORITHMS) {
        for (const verifying of SEED_ALGORITHMS.filter((alg) => alg !== signing)) {
          it(`a ${signing} token is refused by an ${verifying} manager`, () => {
            const token = managers.get(signing)?.authToken('user-1');
            const verifier = managers.get(verifying);
            if (!token || !verifier) throw new Error('managers not built');
            expect(managers.get(signing)?.verifyToken(token)).to.equal(true);
            // A token naming a kid this manager does not have is refused before its alg is even looked at.
            const result = verifier.checkToken(token);
            expect(result.valid).to.equal(false);
            expect(result.valid ? null : result.reason).to.be.oneOf(['algorithm', 'unknown_key']);
          });
        }
      }
    });
  });

  describe('convertToken', () => {
    it('reads a token without verifying it: expired, foreign-issuer and wrongly signed tokens are converted', () => {
      const past = nowSeconds() - 7200;
      const token = hmacToken(HS256_HEADER, claimsFor('foreign', { iat: past, exp: past + 1 }), hmacSecret(64));
      const converted = AuthManager.convertToken(token);
      expect(converted.iss).to.equal('foreign');
      expect(converted.exp).to.equal(past + 1);
      expect(converted.signed).to.equal(token);
    });

    for (const [label, input] of [['garbage', 'garbage'], ['an empty string', ''], ['null', null], ['a token without exp', hmacToken(HS256_HEADER, without(claimsFor(ISSUER), 'exp'), 'k')]] as const) {
      it(`throws InvalidTokenError for ${label}`, () => {
        expect(thrownBy(() => AuthManager.convertToken(input as string))).to.be.instanceOf(InvalidTokenError);
      });
    }
  });

  describe('checkToken reasons', () => {
    it('are the stable values malformed, algorithm, critical_header, signature, claims, issuer, expired, not_yet_valid', () => {
      const secret = hmacSecret(64);
      const manager = new AuthManager({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'HS256', JWT_SECRET: secret });
      const now = nowSeconds();
      const cases: Array<[InvalidTokenReason, string]> = [
        ['malformed', 'x'],
        ['algorithm', hmacToken({ alg: 'HS512' }, claimsFor(ISSUER), secret, 'sha512')],
        ['critical_header', hmacToken({ alg: 'HS256', crit: ['b64'] }, claimsFor(ISSUER), secret)],
        ['signature', hmacToken(HS256_HEADER, claimsFor(ISSUER), hmacSecret(64))],
        ['claims', hmacToken(HS256_HEADER, without(claimsFor(ISSUER), 'iat'), secret)],
        ['issuer', hmacToken(HS256_HEADER, claimsFor('other'), secret)],
        ['expired', hmacToken(HS256_HEADER, claimsFor(ISSUER, { iat: now - 10, exp: now - 5 }), secret)],
        ['not_yet_valid', hmacToken(HS256_HEADER, claimsFor(ISSUER, { iat: now + 600, exp: now + 1200 }), secret)],
      ];
      for (const [reason, token] of cases) {
        expect(manager.checkToken(token), reason).to.deep.equal({ valid: false, reason });
      }
    });
  });
});
