/** AuthData: key kinds, key strength, PEM handling and extendClaims (API.md §1). */
import 'reflect-metadata';
import { expect } from 'chai';
import { createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync, KeyObject, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { AuthData, AuthType, JWT, TokenType, type Claims } from 'routing-controllers-jwt';
import { ecPair, edPair, hmacSecret, rsaPair, type PemPair } from '../support/keys';
import { nowSeconds, thrownBy } from '../support/tokens';

const ISSUER = 'auth-data-spec';

/** Asserts that `fn` throws a TypeError and returns its message. */
function typeErrorMessage(fn: () => unknown): string {
  const err = thrownBy(fn);
  expect(err).to.be.instanceOf(TypeError);
  return (err as TypeError).message;
}

/** A PEM in the one-line `.env` form: literal backslash-n escapes. */
const escaped = (pem: string): string => pem.replace(/\n/g, '\\n');

describe('AuthData', () => {
  let pair: PemPair;
  let otherPair: PemPair;
  let weakPair: PemPair;

  before(() => {
    pair = rsaPair(2048);
    weakPair = rsaPair(1024);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    otherPair = {
      privateKey: other.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicKey: other.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
  });

  describe('accepts proper keys', () => {
    for (const type of [AuthType.HS256, AuthType.HS512]) {
      it(`${type.name}: a string secret of ${type.hashSize} bytes`, () => {
        const data = new AuthData(type, 's'.repeat(type.hashSize), ISSUER, 3600, 604800);
        expect(data.algorithm()).to.equal(type.name);
        expect(data.authType).to.equal(type);
        expect(data.secret).to.be.instanceOf(KeyObject);
        expect(data.secret.type).to.equal('secret');
        expect(data.publicKey).to.equal(null);
      });

      it(`${type.name}: a secret KeyObject`, () => {
        const data = new AuthData(type, createSecretKey(randomBytes(64)), ISSUER, 3600, 604800);
        expect(data.secret.type).to.equal('secret');
      });
    }

    it('counts HMAC secret length in UTF-8 bytes, not characters', () => {
      // 16 characters of two bytes each: 32 bytes.
      expect(() => new AuthData(AuthType.HS256, '\u00e9'.repeat(16), ISSUER, 1, 1)).to.not.throw();
      expect(typeErrorMessage(() => new AuthData(AuthType.HS256, 'e'.repeat(16), ISSUER, 1, 1))).to.match(/32 bytes/);
    });

    for (const type of [AuthType.RS256, AuthType.RS512]) {
      it(`${type.name}: a Buffer holding a PEM private key, with the public key as PEM`, () => {
        const data = new AuthData(type, Buffer.from(pair.privateKey), ISSUER, 3600, 604800, pair.publicKey);
        expect(data.algorithm()).to.equal(type.name);
        expect(data.secret).to.be.instanceOf(KeyObject);
        expect(data.secret.type).to.equal('private');
        expect(data.publicKey).to.be.instanceOf(KeyObject);
        expect(data.publicKey?.type).to.equal('public');
      });

      it(`${type.name}: private and public KeyObjects`, () => {
        const data = new AuthData(type, createPrivateKey(pair.privateKey), ISSUER, 1, 1, createPublicKey(pair.publicKey));
        expect(data.secret.type).to.equal('private');
        expect(data.publicKey?.type).to.equal('public');
      });

      it(`${type.name}: derives the public key when none is given`, () => {
        const data = new AuthData(type, Buffer.from(pair.privateKey), ISSUER, 1, 1);
        const expected = createPublicKey(pair.publicKey).export({ type: 'spki', format: 'der' });
        expect(data.publicKey?.export({ type: 'spki', format: 'der' }).equals(expected)).to.equal(true);
      });
    }

    it('RS256: a PKCS#1 private key and public key', () => {
      const pkcs1 = createPrivateKey(pair.privateKey).export({ type: 'pkcs1', format: 'pem' }).toString();
      const pkcs1Public = createPublicKey(pair.publicKey).export({ type: 'pkcs1', format: 'pem' }).toString();
      expect(new AuthData(AuthType.RS256, Buffer.from(pkcs1), ISSUER, 1, 1, pkcs1Public).publicKey?.type).to.equal('public');
    });

    it('RS256: PEM keys with surrounding white space and literal \\n escapes', () => {
      const secret = Buffer.from(`  \n${escaped(pair.privateKey)}  \n`);
      const data = new AuthData(AuthType.RS256, secret, ISSUER, 1, 1, `\t${escaped(pair.publicKey)}\n\n`);
      expect(data.secret.type).to.equal('private');
      expect(data.publicKey?.type).to.equal('public');
    });
  });

  describe('refuses keys of the wrong kind (TypeError)', () => {
    it('a Buffer as an HS256 secret', () => {
      typeErrorMessage(() => new AuthData(AuthType.HS256, randomBytes(64), ISSUER, 1, 1));
    });

    it('a string as an RS256 secret', () => {
      typeErrorMessage(() => new AuthData(AuthType.RS256, pair.privateKey, ISSUER, 1, 1, pair.publicKey));
    });

    it('a public KeyObject as an RS256 secret', () => {
      typeErrorMessage(() => new AuthData(AuthType.RS256, createPublicKey(pair.publicKey), ISSUER, 1, 1));
    });

    it('a secret KeyObject as an RS256 secret', () => {
      typeErrorMessage(() => new AuthData(AuthType.RS256, createSecretKey(randomBytes(64)), ISSUER, 1, 1));
    });

    it('a private KeyObject as an HS256 secret', () => {
      typeErrorMessage(() => new AuthData(AuthType.HS256, createPrivateKey(pair.privateKey), ISSUER, 1, 1));
    });

    it('a public KeyObject as an HS256 secret', () => {
      typeErrorMessage(() => new AuthData(AuthType.HS256, createPublicKey(pair.publicKey), ISSUER, 1, 1));
    });

    it('an EC key pair for RS256', () => {
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      expect(typeErrorMessage(() => new AuthData(AuthType.RS256, ec.privateKey, ISSUER, 1, 1))).to.match(/RSA/);
    });

    it('text that is not a PEM as an RS256 secret', () => {
      typeErrorMessage(() => new AuthData(AuthType.RS256, Buffer.from('not a key'), ISSUER, 1, 1));
    });

    for (const bad of [null, undefined, 42, {}]) {
      it(`${JSON.stringify(bad) ?? 'undefined'} as an HS256 secret`, () => {
        typeErrorMessage(() => new AuthData(AuthType.HS256, bad as unknown as string, ISSUER, 1, 1));
      });
    }

    for (const bad of [null, undefined, {}]) {
      it(`${JSON.stringify(bad) ?? 'undefined'} as an RS256 secret`, () => {
        typeErrorMessage(() => new AuthData(AuthType.RS256, bad as unknown as Buffer, ISSUER, 1, 1));
      });
    }

    it('42 as an RS256 secret', () => {
      typeErrorMessage(() => new AuthData(AuthType.RS256, 42 as unknown as Buffer, ISSUER, 1, 1));
    });

    it('an authType that is not an AuthType row', () => {
      typeErrorMessage(() => new AuthData('HS256' as unknown as AuthType, hmacSecret(64), ISSUER, 1, 1));
    });
  });

  describe('refuses weak keys with a message that says how to make a proper one (TypeError)', () => {
    it('a 31-byte HS256 secret', () => {
      const message = typeErrorMessage(() => new AuthData(AuthType.HS256, 'x'.repeat(31), ISSUER, 1, 1));
      expect(message).to.match(/at least 32 bytes/).and.match(/randomBytes\(32\)/);
    });

    it('a 63-byte HS512 secret', () => {
      const message = typeErrorMessage(() => new AuthData(AuthType.HS512, 'x'.repeat(63), ISSUER, 1, 1));
      expect(message).to.match(/at least 64 bytes/).and.match(/randomBytes\(64\)/);
    });

    it('a 32-byte secret is enough for HS256 but not for HS512', () => {
      expect(() => new AuthData(AuthType.HS256, 'x'.repeat(32), ISSUER, 1, 1)).to.not.throw();
      typeErrorMessage(() => new AuthData(AuthType.HS512, 'x'.repeat(32), ISSUER, 1, 1));
    });

    it('a short secret KeyObject', () => {
      typeErrorMessage(() => new AuthData(AuthType.HS256, createSecretKey(randomBytes(31)), ISSUER, 1, 1));
    });

    it('an empty HMAC secret', () => {
      typeErrorMessage(() => new AuthData(AuthType.HS256, '', ISSUER, 1, 1));
    });

    for (const type of [AuthType.RS256, AuthType.RS512]) {
      it(`a 1024-bit RSA private key for ${type.name}`, () => {
        const message = typeErrorMessage(() => new AuthData(type, Buffer.from(weakPair.privateKey), ISSUER, 1, 1, weakPair.publicKey));
        expect(message).to.match(/2048 bits/).and.match(/openssl genpkey/);
      });
    }

    it('a 1024-bit RSA private KeyObject', () => {
      typeErrorMessage(() => new AuthData(AuthType.RS256, createPrivateKey(weakPair.privateKey), ISSUER, 1, 1));
    });
  });

  describe('never uses a PEM as an HMAC secret (RS256 public key as HS256 secret: CVE-2015-9235)', () => {
    const forms: Array<[string, (pem: string) => string]> = [
      ['as is', (pem) => pem],
      ['with surrounding white space', (pem) => `\n\n   ${pem}   \n`],
      ['with literal \\n escapes', escaped],
      ['with \\r\\n line ends', (pem) => pem.replace(/\n/g, '\r\n')],
      ['embedded in other text', (pem) => `secret=${escaped(pem)};`],
    ];

    for (const type of [AuthType.HS256, AuthType.HS512]) {
      for (const [label, form] of forms) {
        it(`refuses a PEM public key ${label} as an ${type.name} secret`, () => {
          const message = typeErrorMessage(() => new AuthData(type, form(pair.publicKey), ISSUER, 1, 1));
          expect(message).to.match(/PEM/);
        });
      }
    }

    it('refuses a PEM private key as an HS256 secret', () => {
      expect(typeErrorMessage(() => new AuthData(AuthType.HS256, pair.privateKey, ISSUER, 1, 1))).to.match(/PEM/);
    });

    it('refuses a PEM inside a Buffer wrapped in a secret KeyObject as an HS256 secret', () => {
      const key = createSecretKey(Buffer.from(pair.publicKey));
      expect(typeErrorMessage(() => new AuthData(AuthType.HS256, key, ISSUER, 1, 1))).to.match(/PEM/);
    });

    it('refuses a PEM public key Buffer as an HS256 secret', () => {
      typeErrorMessage(() => new AuthData(AuthType.HS256, Buffer.from(pair.publicKey), ISSUER, 1, 1));
    });
  });

  describe('checks the RSA public key', () => {
    it('refuses a PEM private key given as the public key, saying how to extract the public half', () => {
      const message = typeErrorMessage(
        () => new AuthData(AuthType.RS256, Buffer.from(pair.privateKey), ISSUER, 1, 1, pair.privateKey),
      );
      expect(message).to.match(/private key/).and.match(/pubout/);
    });

    it('refuses a private key given as the public key in the escaped .env form', () => {
      typeErrorMessage(() => new AuthData(AuthType.RS256, Buffer.from(pair.privateKey), ISSUER, 1, 1, escaped(pair.privateKey)));
    });

    it('refuses a private KeyObject given as the public key', () => {
      const privateKey = createPrivateKey(pair.privateKey);
      typeErrorMessage(() => new AuthData(AuthType.RS256, privateKey, ISSUER, 1, 1, privateKey));
    });

    it('refuses a public key that does not match the private key', () => {
      const message = typeErrorMessage(
        () => new AuthData(AuthType.RS256, Buffer.from(pair.privateKey), ISSUER, 1, 1, otherPair.publicKey),
      );
      expect(message).to.match(/public half/);
    });

    it('refuses a 1024-bit public key', () => {
      typeErrorMessage(() => new AuthData(AuthType.RS256, Buffer.from(pair.privateKey), ISSUER, 1, 1, weakPair.publicKey));
    });

    it('refuses a public key that is not a PEM', () => {
      typeErrorMessage(() => new AuthData(AuthType.RS256, Buffer.from(pair.privateKey), ISSUER, 1, 1, 'not a key'));
    });
  });

  describe('issuer and max ages', () => {
    for (const issuer of ['', '   ', null, 42]) {
      it(`refuses the issuer ${JSON.stringify(issuer)} (an empty issuer would disable the issuer check)`, () => {
        typeErrorMessage(() => new AuthData(AuthType.HS256, hmacSecret(64), issuer as string, 1, 1));
      });
    }

    for (const age of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      it(`refuses the max age ${age}`, () => {
        typeErrorMessage(() => new AuthData(AuthType.HS256, hmacSecret(64), ISSUER, age, 1));
        typeErrorMessage(() => new AuthData(AuthType.HS256, hmacSecret(64), ISSUER, 1, age));
      });
    }

    it('keeps issuer and max ages, and accepts a max age of 0', () => {
      const data = new AuthData(AuthType.HS256, hmacSecret(64), ISSUER, 0, 99);
      expect(data.issuer).to.equal(ISSUER);
      expect(data.authMaxAge).to.equal(0);
      expect(data.refreshMaxAge).to.equal(99);
    });
  });

  describe('extendClaims', () => {
    let data: AuthData;
    before(() => {
      data = new AuthData(AuthType.HS256, hmacSecret(64), ISSUER, 300, 9000);
    });

    it('adds iss, iat (now) and exp = iat + authMaxAge to auth claims, and no rid', () => {
      const before = nowSeconds();
      const claims = data.extendClaims(TokenType.AUTH, { sub: 'u', type: 'auth', tenant: 'acme' });
      const after = nowSeconds();
      expect(claims).to.include({ sub: 'u', type: 'auth', tenant: 'acme', iss: ISSUER });
      expect(claims.iat).to.be.a('number').within(before, after);
      expect(claims.exp).to.equal((claims.iat as number) + 300);
      expect(claims).to.not.have.property('rid');
    });

    it('adds exp = iat + refreshMaxAge and a base64url rid of at least 128 bits to refresh claims', () => {
      const claims = data.extendClaims(TokenType.REFRESH, { sub: 'u', type: 'refresh' });
      expect(claims.exp).to.equal((claims.iat as number) + 9000);
      expect(claims.rid).to.be.a('string').and.match(/^[A-Za-z0-9_-]+$/);
      expect(Buffer.from(claims.rid as string, 'base64url').length).to.be.at.least(16);
    });

    it('does not modify the claims it is given', () => {
      const input: Claims = { sub: 'u' };
      data.extendClaims(TokenType.REFRESH, input);
      expect(input).to.deep.equal({ sub: 'u' });
    });

    for (const key of ['iss', 'iat', 'exp', 'rid']) {
      it(`refuses claims that already hold ${key} (TypeError)`, () => {
        expect(() => data.extendClaims(TokenType.AUTH, { sub: 'u', [key]: 1 })).to.throw(TypeError, key);
      });
    }
  });

  describe('keeps keys out of sight', () => {
    it('holds the HMAC secret as a KeyObject: printing or serialising the AuthData never shows it', () => {
      const secret = `visible-marker-${hmacSecret(48)}`;
      const data = new AuthData(AuthType.HS256, secret, ISSUER, 1, 1);
      expect(data.secret).to.be.instanceOf(KeyObject);
      expect(inspect(data)).to.not.include(secret);
      expect(inspect(data, { showHidden: true, depth: null, getters: true })).to.not.include(secret);
      expect(JSON.stringify(data)).to.not.include(secret);
      expect(String(data)).to.not.include(secret);
    });

    it('holds RSA keys as KeyObjects: printing the AuthData never shows the private key', () => {
      const data = new AuthData(AuthType.RS256, Buffer.from(pair.privateKey), ISSUER, 1, 1, pair.publicKey);
      const body = pair.privateKey.split('\n')[1] ?? '';
      expect(body).to.have.length.greaterThan(20);
      expect(inspect(data, { showHidden: true, depth: null, getters: true })).to.not.include(body);
      expect(JSON.stringify(data)).to.not.include(body);
    });

    it('is frozen: the signer cannot be swapped after checks ran', () => {
      const data = new AuthData(AuthType.HS256, hmacSecret(64), ISSUER, 1, 1);
      expect(Object.isFrozen(data)).to.equal(true);
      expect(() => {
        (data as unknown as { issuer: string }).issuer = 'evil';
      }).to.throw(TypeError);
    });
  });

  describe('signing with each algorithm', () => {
    for (const type of AuthType.values()) {
      it(`${type.name}: a JWT signed with it carries alg ${type.name}`, () => {
        const keys = type.family === 'okp' ? edPair() : type.family === 'ec' && type.curve !== 'Ed25519' ? ecPair(type.curve ?? 'P-256') : pair;
        const data = type.secretType === 'string'
          ? new AuthData(type, hmacSecret(64), ISSUER, 60, 60)
          : new AuthData(type, Buffer.from(keys.privateKey), ISSUER, 60, 60, keys.publicKey);
        const token = new JWT(TokenType.AUTH, 'u');
        token.sign(data);
        expect(token.alg).to.equal(type.name);
        expect(JWT.fromSignedToken(token.signed ?? '').alg).to.equal(type.name);
      });
    }
  });
});
