/**
 * What a remote JWK Set may hold and how it is read (issue 12): one named test per rule. Each test serves its own set
 * from a real HTTP endpoint on 127.0.0.1 (a URL of its own, so no test inherits another's cached keys) and verifies
 * tokens signed with node:crypto. A key that is ignored makes its tokens `unknown_key`; a key that was used would
 * have made a bad token `signature` instead.
 */
import { expect } from 'chai';
import { createHmac, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { AuthManager, InvalidConfigError, type TokenCheck } from 'routing-controllers-jwt';
import { listen, type RunningServer } from '../support/server';

const ISSUER = 'https://auth.hardening.example';
const AUDIENCE = 'https://api.hardening.example';

type Answer = (response: ServerResponse) => void;

let endpoint: RunningServer;
let answer: Answer = (response) => response.end('{}');
let served = 0;

const now = (): number => Math.floor(Date.now() / 1000);

function jws(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const options = key.asymmetricKeyType === 'ec' ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
  return `${input}.${sign('sha256', Buffer.from(input), options).toString('base64url')}`;
}

const ownClaims = (): Record<string, unknown> => ({ iss: ISSUER, sub: 'u', type: 'auth', iat: now(), exp: now() + 60 });

function serveKeys(keys: unknown[]): void {
  answer = (response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ keys }));
  };
}

/** A verify-only manager reading the endpoint at a URL no other test used. */
function managerFor(extra: Record<string, unknown> = {}): AuthManager {
  return new AuthManager({ JWT_ISSUER: ISSUER, JWT_JWKSURL: `${endpoint.url}/jwks?${randomBytes(6).toString('hex')}`, JWT_JWKSCOOLDOWN: 0, ...extra });
}

function reasonOf(result: TokenCheck): string {
  return result.valid ? 'valid' : result.reason;
}

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsaJwk = (extra: Record<string, unknown> = {}) => ({ ...rsa.publicKey.export({ format: 'jwk' }), kid: 'rsa', use: 'sig', ...extra });
const ecJwk = (extra: Record<string, unknown> = {}) => ({ ...ec.publicKey.export({ format: 'jwk' }), kid: 'ec', use: 'sig', ...extra });

describe('Remote JWK Sets: what a key set may hold and how it is read', () => {
  before(async () => {
    endpoint = await listen((_request, response) => {
      served++;
      answer(response);
    });
  });

  after(() => endpoint.close());

  it('a JWK without alg is usable when its curve names one algorithm (EC P-256: ES256)', async () => {
    serveKeys([ecJwk()]);
    expect(reasonOf(await managerFor().verify(jws({ alg: 'ES256', kid: 'ec' }, ownClaims(), ec.privateKey)))).to.equal('valid');
  });

  it('security: an RSA JWK without alg is ignored, unless the issuer\'s algorithms name exactly one RSA algorithm', async () => {
    serveKeys([rsaJwk()]);
    expect(reasonOf(await managerFor().verify(jws({ alg: 'RS256', kid: 'rsa' }, ownClaims(), rsa.privateKey)))).to.equal('unknown_key');
    const issuer = 'https://as.hardening.example';
    const jwksUrl = `${endpoint.url}/jwks?${randomBytes(6).toString('hex')}`;
    const manager = new AuthManager({ JWT_ISSUER: ISSUER, JWT_ISSUERS: [{ issuer, audience: AUDIENCE, jwksUrl, algorithms: ['RS256'], profile: 'generic' }] });
    const access = { iss: issuer, aud: AUDIENCE, sub: 'svc', iat: now(), exp: now() + 60 };
    expect(reasonOf(await manager.verify(jws({ alg: 'RS256', kid: 'rsa' }, access, rsa.privateKey)))).to.equal('valid');
  });

  it('security: a key whose key_ops lacks "verify" is ignored (RFC 7517 §4.3)', async () => {
    serveKeys([ecJwk({ key_ops: ['encrypt'] })]);
    expect(reasonOf(await managerFor().verify(jws({ alg: 'ES256', kid: 'ec' }, ownClaims(), ec.privateKey)))).to.equal('unknown_key');
    serveKeys([ecJwk({ key_ops: ['verify'] })]);
    expect(reasonOf(await managerFor().verify(jws({ alg: 'ES256', kid: 'ec' }, ownClaims(), ec.privateKey)))).to.equal('valid');
  });

  it('security: a key whose use is not "sig" is ignored (RFC 7517 §4.2)', async () => {
    serveKeys([ecJwk({ use: 'enc' })]);
    expect(reasonOf(await managerFor().verify(jws({ alg: 'ES256', kid: 'ec' }, ownClaims(), ec.privateKey)))).to.equal('unknown_key');
  });

  for (const [rule, e] of [
    ['even', Buffer.from([0x01, 0x00, 0x00])],
    ['below 3', Buffer.from([0x01])],
    ['unreasonably large (3000 bits)', Buffer.concat([Buffer.from([0x80]), randomBytes(374), Buffer.from([0x01])])],
  ] as const) {
    it(`security: an RSA key whose public exponent is ${rule} is ignored`, async () => {
      serveKeys([rsaJwk({ alg: 'RS256', e: e.toString('base64url') })]);
      expect(reasonOf(await managerFor().verify(jws({ alg: 'RS256', kid: 'rsa' }, ownClaims(), rsa.privateKey)))).to.equal('unknown_key');
    });
  }

  it('security: an RSA key whose modulus is over 8192 bits is ignored', async () => {
    const n = Buffer.concat([Buffer.from([0xc0]), randomBytes(1024), Buffer.from([0x01])]);
    serveKeys([rsaJwk({ alg: 'RS256', n: n.toString('base64url') })]);
    expect(reasonOf(await managerFor().verify(jws({ alg: 'RS256', kid: 'rsa' }, ownClaims(), rsa.privateKey)))).to.equal('unknown_key');
  });

  it('security: a body over the size limit is refused while it streams, not read in full first', async () => {
    let written = 0;
    let closed = false;
    answer = (response) => {
      response.on('close', () => {
        closed = true;
      });
      response.setHeader('content-type', 'application/json');
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const write = (): void => {
        // Up to 64 MiB, no content-length: only the reader can stop it.
        while (!closed && written < 64 * 1024 * 1024) {
          written += chunk.length;
          if (!response.write(chunk)) {
            response.once('drain', write);
            return;
          }
        }
        if (!closed) response.end();
      };
      response.write('{"keys":[');
      write();
    };
    const started = Date.now();
    expect(reasonOf(await managerFor().verify(jws({ alg: 'ES256', kid: 'ec' }, ownClaims(), ec.privateKey)))).to.equal('key_unavailable');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(written).to.be.below(16 * 1024 * 1024);
    expect(Date.now() - started).to.be.below(5000);
  });

  it('security: a gzip body inflating past the size limit is refused while it inflates', async () => {
    // 32 MiB of spaces compress to about 32 KiB.
    const bomb = gzipSync(Buffer.concat([Buffer.from('{"keys":['), Buffer.alloc(32 * 1024 * 1024, 0x20), Buffer.from(']}')]));
    answer = (response) => {
      response.setHeader('content-type', 'application/json');
      response.setHeader('content-encoding', 'gzip');
      response.end(bomb);
    };
    const before = served;
    expect(reasonOf(await managerFor().verify(jws({ alg: 'ES256', kid: 'ec' }, ownClaims(), ec.privateKey)))).to.equal('key_unavailable');
    expect(served).to.equal(before + 1);
    // The same set, small enough, is read: the refusal above was the size.
    serveKeys([ecJwk()]);
    expect(reasonOf(await managerFor().verify(jws({ alg: 'ES256', kid: 'ec' }, ownClaims(), ec.privateKey)))).to.equal('valid');
  });

  it('security: credentials in a key-set or issuer URL are refused at configuration, without repeating them', () => {
    const secret = 'hunter2-password';
    for (const config of [
      { JWT_ISSUER: ISSUER, JWT_JWKSURL: `https://user:${secret}@auth.example/jwks` },
      { JWT_ISSUER: ISSUER, JWT_ISSUERS: [{ issuer: 'https://as.example', audience: AUDIENCE, jwksUrl: `https://user:${secret}@as.example/jwks` }] },
      { JWT_ISSUER: ISSUER, JWT_ISSUERS: [{ issuer: `https://user:${secret}@as.example`, audience: AUDIENCE }] },
    ]) {
      let error: unknown;
      try {
        new AuthManager(config);
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(InvalidConfigError);
      expect((error as Error).message).to.include('credentials').and.not.include(secret);
    }
  });

  it('an HMAC key in a set is never used, even with an alg (a published secret is no secret)', async () => {
    const secret = randomBytes(32);
    serveKeys([{ kty: 'oct', k: secret.toString('base64url'), kid: 'oct', alg: 'HS256', use: 'sig' }]);
    const input = `${Buffer.from('{"alg":"HS256","kid":"oct"}').toString('base64url')}.${Buffer.from(JSON.stringify(ownClaims())).toString('base64url')}`;
    const token = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
    expect(reasonOf(await managerFor().verify(token))).to.equal('unknown_key');
  });
});
