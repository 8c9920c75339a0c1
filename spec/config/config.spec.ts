/** Configuration: sources and their precedence, required values, checks and errors (API.md §2, §5). */
import 'reflect-metadata';
import { expect } from 'chai';
import { createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { Container } from 'typedi';
import {
  AuthManager,
  AuthType,
  InvalidConfigError,
  InvalidTokenError,
  JWT_AUTHMAXAGE,
  JWT_AUTHTYPE,
  JWT_ISSUER,
  JWT_PUBLICKEY,
  JWT_REFRESHMAXAGE,
  JWT_SECRET,
  JwtAuthError,
  MissingConfigError,
  MissingSignerError,
} from 'routing-controllers-jwt';
import { configFor, hmacSecret, rsaPair } from '../support/keys';
import { isolateConfig } from '../support/isolation';
import { thrownBy, without } from '../support/tokens';

/** A PEM in the one-line `.env` form: literal backslash-n escapes. */
const escaped = (pem: string): string => pem.replace(/\n/g, '\\n');

/** Asserts that `fn` throws MissingConfigError naming `name`. */
function expectMissing(fn: () => unknown, name: string): void {
  const err = thrownBy(fn);
  expect(err).to.be.instanceOf(MissingConfigError);
  expect(err).to.be.instanceOf(JwtAuthError);
  expect((err as MissingConfigError).configValue).to.equal(name);
  expect((err as MissingConfigError).message).to.equal(`Missing config value "${name}"`);
  expect((err as MissingConfigError).code).to.equal('ERR_JWT_MISSING_CONFIG');
}

/** Asserts that `fn` throws InvalidConfigError naming `name`, and returns its message. */
function expectInvalid(fn: () => unknown, name: string): string {
  const err = thrownBy(fn);
  expect(err).to.be.instanceOf(InvalidConfigError);
  expect(err).to.be.instanceOf(JwtAuthError);
  expect((err as InvalidConfigError).configValue).to.equal(name);
  expect((err as InvalidConfigError).message).to.match(new RegExp(`^Invalid config "${name}": .+`));
  expect((err as InvalidConfigError).code).to.equal('ERR_JWT_INVALID_CONFIG');
  return (err as InvalidConfigError).message;
}

describe('Configuration', () => {
  isolateConfig();

  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rcjwt-config-spec-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Writes a `.env` file with `lines` into the temporary directory and returns its path. */
  let fileCount = 0;
  function dotenv(lines: string[]): string {
    fileCount += 1;
    const path = join(dir, `.env.${fileCount}`);
    writeFileSync(path, `${lines.join('\n')}\n`, 'utf8');
    return path;
  }

  describe('precedence: source > typedi token > process.env > .env file', () => {
    it('a plain-object source wins over the typedi token, the environment and the .env file', () => {
      Container.set(JWT_ISSUER, 'from-typedi');
      process.env.JWT_ISSUER = 'from-env';
      const path = dotenv(['JWT_ISSUER=from-dotenv']);
      expect(new AuthManager(configFor('HS256', 'from-source'), path).signer?.issuer).to.equal('from-source');
    });

    it('Express app settings win over the typedi token and the environment', () => {
      Container.set(JWT_ISSUER, 'from-typedi');
      process.env.JWT_ISSUER = 'from-env';
      const app = express();
      for (const [name, value] of Object.entries(configFor('HS256', 'from-app'))) app.set(name, value);
      expect(new AuthManager(app).signer?.issuer).to.equal('from-app');
    });

    it('the typedi token wins over the environment and the .env file', () => {
      Container.set(JWT_ISSUER, 'from-typedi');
      process.env.JWT_ISSUER = 'from-env';
      const path = dotenv(['JWT_ISSUER=from-dotenv']);
      const source = without(configFor('HS256'), 'JWT_ISSUER');
      expect(new AuthManager(source, path).signer?.issuer).to.equal('from-typedi');
    });

    it('the environment wins over the .env file', () => {
      process.env.JWT_ISSUER = 'from-env';
      const path = dotenv(['JWT_ISSUER=from-dotenv']);
      const source = without(configFor('HS256'), 'JWT_ISSUER');
      expect(new AuthManager(source, path).signer?.issuer).to.equal('from-env');
    });

    it('the .env file is used when nothing else sets a value', () => {
      const path = dotenv(['JWT_ISSUER=from-dotenv']);
      const source = without(configFor('HS256'), 'JWT_ISSUER');
      expect(new AuthManager(source, path).signer?.issuer).to.equal('from-dotenv');
    });

    it('resolves each value on its own: one from each layer', () => {
      Container.set(JWT_AUTHTYPE, 'HS512');
      process.env.JWT_SECRET = hmacSecret(64);
      const path = dotenv(['JWT_AUTHMAXAGE=77', 'JWT_REFRESHMAXAGE=88']);
      const manager = new AuthManager({ JWT_ISSUER: 'layered' }, path);
      expect(manager.signer?.issuer).to.equal('layered');
      expect(manager.signer?.algorithm()).to.equal('HS512');
      expect(manager.signer?.authMaxAge).to.equal(77);
      expect(manager.signer?.refreshMaxAge).to.equal(88);
    });

    it('a source given to initApp also wins over the typedi token', () => {
      Container.set(JWT_ISSUER, 'from-typedi');
      const manager = new AuthManager();
      manager.initApp(configFor('HS256', 'from-init-app'));
      expect(manager.signer?.issuer).to.equal('from-init-app');
    });

    it('builds from the environment alone when a source leaves values out', () => {
      process.env.JWT_ISSUER = 'env-issuer';
      process.env.JWT_AUTHTYPE = 'HS256';
      process.env.JWT_SECRET = hmacSecret(64);
      process.env.JWT_AUTHMAXAGE = '42';
      const manager = new AuthManager({});
      expect(manager.signer?.issuer).to.equal('env-issuer');
      expect(manager.signer?.authMaxAge).to.equal(42);
      expect(manager.verifyToken(manager.authToken('u'))).to.equal(true);
    });

    it('a mounted Express sub-app reads the settings it inherits from its parent app (app.get semantics)', () => {
      const parent = express();
      for (const [name, value] of Object.entries(configFor('HS256', 'from-parent'))) parent.set(name, value);
      const child = express();
      parent.use('/api', child);
      expect(child.get('JWT_ISSUER')).to.equal('from-parent');
      expect(new AuthManager(child).signer?.issuer).to.equal('from-parent');
    });
  });

  describe('the .env file', () => {
    it('configures a manager by itself (new AuthManager(undefined, dotenvPath)) and leaves process.env untouched', () => {
      const secret = hmacSecret(64);
      const path = dotenv([
        '# a comment',
        'JWT_ISSUER=dotenv-issuer',
        'JWT_AUTHTYPE=HS256',
        `JWT_SECRET="${secret}"`,
        'JWT_AUTHMAXAGE=600',
        'RCJWT_SPEC_DOTENV_MARKER=1',
      ]);
      const manager = new AuthManager(undefined, path);
      expect(manager.signer?.issuer).to.equal('dotenv-issuer');
      expect(manager.signer?.authMaxAge).to.equal(600);
      expect(manager.verifyToken(manager.authToken('u'))).to.equal(true);
      for (const name of ['JWT_ISSUER', 'JWT_AUTHTYPE', 'JWT_SECRET', 'JWT_AUTHMAXAGE', 'RCJWT_SPEC_DOTENV_MARKER']) {
        expect(process.env, name).to.not.have.property(name);
      }
    });

    it('accepts RSA keys as one-line PEM with literal \\n escapes', () => {
      const { privateKey, publicKey } = rsaPair();
      const path = dotenv([
        'JWT_ISSUER=dotenv-rsa',
        'JWT_AUTHTYPE=RS512',
        `JWT_SECRET=${escaped(privateKey)}`,
        `JWT_PUBLICKEY='${escaped(publicKey)}'`,
      ]);
      const manager = new AuthManager(undefined, path);
      expect(manager.signer?.algorithm()).to.equal('RS512');
      expect(manager.verifyToken(manager.authToken('u'))).to.equal(true);
    });

    it('a .env file path that does not exist is an InvalidConfigError', () => {
      const missing = join(dir, 'does-not-exist.env');
      expectInvalid(() => new AuthManager(configFor('HS256'), missing), 'dotenvPath');
      expectInvalid(() => new AuthManager(undefined, missing), 'dotenvPath');
    });

    it('a .env file that leaves a required value out is a MissingConfigError', () => {
      const path = dotenv(['JWT_ISSUER=dotenv-issuer', 'JWT_AUTHTYPE=HS256']);
      expectMissing(() => new AuthManager(undefined, path), 'JWT_SECRET');
    });
  });

  describe('required values (MissingConfigError)', () => {
    for (const name of ['JWT_ISSUER', 'JWT_AUTHTYPE', 'JWT_SECRET']) {
      it(`names ${name} when it is not set anywhere`, () => {
        expectMissing(() => new AuthManager(without(configFor('HS256'), name)), name);
      });
    }

    for (const alg of ['RS256', 'RS512'] as const) {
      it(`names JWT_PUBLICKEY for ${alg} when it is not set`, () => {
        expectMissing(() => new AuthManager(without(configFor(alg), 'JWT_PUBLICKEY')), 'JWT_PUBLICKEY');
      });
    }

    it('does not need JWT_PUBLICKEY for HS256', () => {
      expect(new AuthManager(configFor('HS256')).signer?.publicKey).to.equal(null);
    });

    it('names JWT_ISSUER first when nothing is configured', () => {
      expectMissing(() => new AuthManager({}), 'JWT_ISSUER');
    });

    it('treats null and "" as not set', () => {
      expectMissing(() => new AuthManager({ ...configFor('HS256'), JWT_SECRET: '' }), 'JWT_SECRET');
      expectMissing(() => new AuthManager({ ...configFor('HS256'), JWT_AUTHTYPE: null }), 'JWT_AUTHTYPE');
    });

    it('leaves the manager unconfigured when initApp fails', () => {
      const manager = new AuthManager();
      expectMissing(() => manager.initApp({}), 'JWT_ISSUER');
      expect(manager.signer).to.equal(null);
      expect(() => manager.authToken('u')).to.throw(MissingSignerError);
    });
  });

  describe('JWT_AUTHTYPE', () => {
    for (const value of ['HS1024', 'none', 'hs256', 'RS256 ', 'Ed448']) {
      it(`refuses ${JSON.stringify(value)} (InvalidConfigError)`, () => {
        expectInvalid(() => new AuthManager({ ...configFor('HS256'), JWT_AUTHTYPE: value }), 'JWT_AUTHTYPE');
      });
    }

    it('accepts an AuthType row from a typedi token', () => {
      Container.set(JWT_AUTHTYPE, AuthType.HS512);
      expect(new AuthManager(without(configFor('HS512'), 'JWT_AUTHTYPE')).signer?.authType).to.equal(AuthType.HS512);
    });
  });

  describe('JWT_ISSUER', () => {
    for (const value of ['   ', 42, true]) {
      it(`refuses ${JSON.stringify(value)} (InvalidConfigError)`, () => {
        expectInvalid(() => new AuthManager({ ...configFor('HS256'), JWT_ISSUER: value }), 'JWT_ISSUER');
      });
    }
  });

  describe('max ages', () => {
    for (const name of ['JWT_AUTHMAXAGE', 'JWT_REFRESHMAXAGE']) {
      for (const value of ['-1', '1.5', 'abc', '1e3', '0x10', '12s', ' -5 ']) {
        it(`${name}: refuses ${JSON.stringify(value)} from the environment (InvalidConfigError)`, () => {
          process.env[name] = value;
          expectInvalid(() => new AuthManager(configFor('HS256')), name);
        });
      }

      for (const value of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, true, '99999999999999999999']) {
        it(`${name}: refuses ${String(value)} from a source (InvalidConfigError)`, () => {
          expectInvalid(() => new AuthManager({ ...configFor('HS256'), [name]: value }), name);
        });
      }

      it(`${name}: "" in the environment counts as not set: the default is used`, () => {
        process.env[name] = '';
        const manager = new AuthManager(configFor('HS256'));
        expect(manager.signer?.authMaxAge).to.equal(AuthManager.defaultAuthMaxAge);
        expect(manager.signer?.refreshMaxAge).to.equal(AuthManager.defaultRefreshMaxAge);
      });

      it(`${name}: a whole decimal string from the environment is read as a number`, () => {
        process.env[name] = '86400';
        const signer = new AuthManager(configFor('HS256')).signer;
        expect(name === 'JWT_AUTHMAXAGE' ? signer?.authMaxAge : signer?.refreshMaxAge).to.equal(86400);
      });
    }

    it('accepts numbers from typedi tokens, including 0', () => {
      Container.set(JWT_AUTHMAXAGE, 120);
      Container.set(JWT_REFRESHMAXAGE, 0);
      const manager = new AuthManager(configFor('HS256'));
      expect(manager.signer?.authMaxAge).to.equal(120);
      expect(manager.signer?.refreshMaxAge).to.equal(0);
      expect(manager.authToken('u').maxAge).to.equal(120);
      expect(manager.refreshToken('u').maxAge).to.equal(0);
    });

    it('refuses a negative number from a typedi token', () => {
      Container.set(JWT_REFRESHMAXAGE, -60);
      expectInvalid(() => new AuthManager(configFor('HS256')), 'JWT_REFRESHMAXAGE');
    });
  });

  describe('keys', () => {
    it('accepts RSA PEM keys from the environment in the one-line \\n-escaped form with surrounding spaces', () => {
      const { privateKey, publicKey } = rsaPair();
      process.env.JWT_ISSUER = 'env-rsa';
      process.env.JWT_AUTHTYPE = 'RS256';
      process.env.JWT_SECRET = `  ${escaped(privateKey)}  `;
      process.env.JWT_PUBLICKEY = ` \t${escaped(publicKey)}\n`;
      const manager = new AuthManager({});
      expect(manager.signer?.secret.type).to.equal('private');
      expect(manager.signer?.publicKey?.type).to.equal('public');
      expect(manager.verifyToken(manager.authToken('u'))).to.equal(true);
    });

    it('accepts KeyObjects from typedi tokens', () => {
      const { privateKey, publicKey } = rsaPair();
      Container.set(JWT_SECRET, createPrivateKey(privateKey));
      Container.set(JWT_PUBLICKEY, createPublicKey(publicKey));
      const manager = new AuthManager({ JWT_ISSUER: 'key-objects', JWT_AUTHTYPE: 'RS256' });
      expect(manager.verifyToken(manager.authToken('u'))).to.equal(true);
    });

    it('accepts an HMAC secret as a Buffer or a secret KeyObject', () => {
      const bytes = randomBytes(64);
      const fromBuffer = new AuthManager({ JWT_ISSUER: 'i', JWT_AUTHTYPE: 'HS512', JWT_SECRET: bytes });
      const fromKey = new AuthManager({ JWT_ISSUER: 'i', JWT_AUTHTYPE: 'HS512', JWT_SECRET: createSecretKey(bytes) });
      expect(fromKey.verifyToken(fromBuffer.authToken('u'))).to.equal(true);
    });

    it('ignores JWT_PUBLICKEY for HS256', () => {
      const manager = new AuthManager({ ...configFor('HS256'), JWT_PUBLICKEY: 'not a key' });
      expect(manager.signer?.publicKey).to.equal(null);
    });

    it('refuses a short HMAC secret with a message that says how to make one (InvalidConfigError JWT_SECRET)', () => {
      const message = expectInvalid(() => new AuthManager({ ...configFor('HS256'), JWT_SECRET: 'x'.repeat(31) }), 'JWT_SECRET');
      expect(message).to.match(/randomBytes\(32\)/);
      expectInvalid(() => new AuthManager({ ...configFor('HS512'), JWT_SECRET: 'x'.repeat(63) }), 'JWT_SECRET');
    });

    it('refuses a short HMAC secret Buffer', () => {
      expectInvalid(() => new AuthManager({ ...configFor('HS256'), JWT_SECRET: randomBytes(31) }), 'JWT_SECRET');
    });

    it('refuses a secret of another type (InvalidConfigError JWT_SECRET)', () => {
      expectInvalid(() => new AuthManager({ ...configFor('HS256'), JWT_SECRET: 123456 }), 'JWT_SECRET');
      expectInvalid(() => new AuthManager({ ...configFor('RS256'), JWT_SECRET: 123456 }), 'JWT_SECRET');
    });

    it('refuses a PEM public key as an HS256 secret from the environment, in the escaped form', () => {
      process.env.JWT_SECRET = escaped(rsaPair().publicKey);
      const message = expectInvalid(() => new AuthManager({ JWT_ISSUER: 'i', JWT_AUTHTYPE: 'HS256' }), 'JWT_SECRET');
      expect(message).to.match(/PEM/);
    });

    it('refuses a PEM public key as an HS256 secret, raw, with white space, or inside a Buffer', () => {
      const pem = rsaPair().publicKey;
      for (const secret of [pem, `  ${pem}  `, Buffer.from(pem)]) {
        expect(expectInvalid(() => new AuthManager({ JWT_ISSUER: 'i', JWT_AUTHTYPE: 'HS256', JWT_SECRET: secret }), 'JWT_SECRET'))
          .to.match(/PEM/);
      }
    });

    it('refuses a 1024-bit RSA key with a message that says how to make one (InvalidConfigError JWT_SECRET)', () => {
      const weak = rsaPair(1024);
      const config = { JWT_ISSUER: 'i', JWT_AUTHTYPE: 'RS256', JWT_SECRET: weak.privateKey, JWT_PUBLICKEY: weak.publicKey };
      expect(expectInvalid(() => new AuthManager(config), 'JWT_SECRET')).to.match(/2048/).and.match(/openssl/);
    });

    it('refuses a private key given as JWT_PUBLICKEY (InvalidConfigError JWT_PUBLICKEY)', () => {
      const { privateKey } = rsaPair();
      const config = { JWT_ISSUER: 'i', JWT_AUTHTYPE: 'RS256', JWT_SECRET: privateKey, JWT_PUBLICKEY: privateKey };
      expectInvalid(() => new AuthManager(config), 'JWT_PUBLICKEY');
      process.env.JWT_PUBLICKEY = escaped(privateKey);
      expectInvalid(() => new AuthManager(without(config, 'JWT_PUBLICKEY')), 'JWT_PUBLICKEY');
    });

    it('refuses a JWT_PUBLICKEY that is not the public half of JWT_SECRET', () => {
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
      expectInvalid(() => new AuthManager({ ...configFor('RS256'), JWT_PUBLICKEY: other }), 'JWT_PUBLICKEY');
    });

    it('refuses an RSA secret that is not a PEM', () => {
      expectInvalid(() => new AuthManager({ ...configFor('RS256'), JWT_SECRET: hmacSecret(64) }), 'JWT_SECRET');
    });
  });

  describe('errors', () => {
    const errors: Array<[string, JwtAuthError, string]> = [
      ['MissingSignerError', new MissingSignerError(), 'ERR_JWT_MISSING_SIGNER'],
      ['MissingConfigError', new MissingConfigError('JWT_SECRET'), 'ERR_JWT_MISSING_CONFIG'],
      ['InvalidConfigError', new InvalidConfigError('JWT_AUTHMAXAGE', 'must be whole'), 'ERR_JWT_INVALID_CONFIG'],
      ['InvalidTokenError', new InvalidTokenError(), 'ERR_JWT_INVALID_TOKEN'],
    ];

    for (const [name, err, code] of errors) {
      it(`${name} extends JwtAuthError and Error, is named ${name} and has the stable code ${code}`, () => {
        expect(err).to.be.instanceOf(JwtAuthError);
        expect(err).to.be.instanceOf(Error);
        expect(err.name).to.equal(name);
        expect(err.code).to.equal(code);
        expect(err.message).to.be.a('string').with.length.greaterThan(0);
      });
    }

    it('the codes are distinct from each other and from the base code', () => {
      const codes = new Set([new JwtAuthError('x').code, ...errors.map(([, err]) => err.code)]);
      expect(codes.size).to.equal(5);
    });

    it('MissingConfigError: message `Missing config value "JWT_SECRET"` and .configValue', () => {
      const err = new MissingConfigError('JWT_SECRET');
      expect(err.message).to.equal('Missing config value "JWT_SECRET"');
      expect(err.configValue).to.equal('JWT_SECRET');
    });

    it('InvalidConfigError: message `Invalid config "X": <why>` and .configValue', () => {
      const err = new InvalidConfigError('JWT_AUTHMAXAGE', 'must be whole');
      expect(err.message).to.equal('Invalid config "JWT_AUTHMAXAGE": must be whole');
      expect(err.configValue).to.equal('JWT_AUTHMAXAGE');
    });

    it('the typedi tokens are named after the configuration values', () => {
      const tokens = { JWT_ISSUER, JWT_AUTHTYPE, JWT_SECRET, JWT_AUTHMAXAGE, JWT_REFRESHMAXAGE, JWT_PUBLICKEY };
      for (const [name, token] of Object.entries(tokens)) expect(token.name).to.equal(name);
    });
  });
});
