/**
 * DPoP per issuer (issue 16: "per route and per issuer"): a trusted issuer's entry may set `dpop`, and the stricter
 * of the route's mode and the issuer's applies to that issuer's tokens only.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import express from 'express';
import { randomUUID } from 'node:crypto';
import { AuthManager, InvalidConfigError, requireToken } from 'routing-controllers-jwt';
import { signingKey, signWithJwk, type SigningJwk } from '../support/authorization-server';
import { hmacSecret } from '../support/keys';
import { bearer, listen, send, type RunningServer } from '../support/server';

const OWN = 'https://own.example';
const AUDIENCE = 'https://api.example';

/** A JWK Set endpoint on loopback, serving the public half of `key`. */
async function jwksOf(key: SigningJwk): Promise<RunningServer> {
  const { kty, crv, x, y, kid, alg } = key;
  return listen((_req, res) => {
    res.setHeader('Content-Type', 'application/jwk-set+json');
    res.end(JSON.stringify({ keys: [{ kty, crv, x, y, kid, alg, use: 'sig' }] }));
  });
}

/** A generic-profile access token of `issuer` signed with `key`. */
function accessToken(issuer: string, key: SigningJwk): string {
  const now = Math.floor(Date.now() / 1000);
  return signWithJwk({ alg: 'ES256', kid: key.kid, typ: 'JWT' }, { iss: issuer, sub: 'alice', aud: AUDIENCE, iat: now, exp: now + 300, jti: randomUUID() }, key);
}

describe('DPoP per trusted issuer (JWT_ISSUERS dpop)', () => {
  const strictKey = signingKey('ES256');
  const laxKey = signingKey('ES256');
  let strictJwks: RunningServer;
  let laxJwks: RunningServer;
  let server: RunningServer;
  let manager: AuthManager;
  const strict = 'https://strict-as.example';
  const lax = 'https://lax-as.example';

  before(async () => {
    strictJwks = await jwksOf(strictKey);
    laxJwks = await jwksOf(laxKey);
    const app = express();
    app.set('JWT_ISSUER', OWN).set('JWT_AUTHTYPE', 'HS256').set('JWT_SECRET', hmacSecret(64));
    app.set('JWT_ISSUERS', [
      { issuer: strict, audience: AUDIENCE, jwksUrl: `${strictJwks.url}/jwks`, profile: 'generic', dpop: 'required' },
      { issuer: lax, audience: AUDIENCE, jwksUrl: `${laxJwks.url}/jwks`, profile: 'generic' },
    ]);
    manager = new AuthManager(app);
    app.get('/orders', requireToken(), (_req, res) => {
      res.json({ ok: true });
    });
    server = await listen(app);
  });

  after(async () => {
    await server.close();
    await strictJwks.close();
    await laxJwks.close();
  });

  it('security: a bearer token of an issuer that requires DPoP is refused (401, DPoP challenge) on an "allowed" route', async () => {
    const reply = await send(`${server.url}/orders`, { headers: bearer(accessToken(strict, strictKey)) });
    expect(reply.status, reply.text).to.equal(401);
    expect(String(reply.headers['www-authenticate'])).to.match(/^DPoP /);
  });

  it('the same route accepts bearer tokens of an issuer without a dpop setting, and the app\'s own', async () => {
    expect((await send(`${server.url}/orders`, { headers: bearer(accessToken(lax, laxKey)) })).status).to.equal(200);
    expect((await send(`${server.url}/orders`, { headers: bearer(manager.authToken('bob').signed) })).status).to.equal(200);
  });

  it('refuses a dpop value that is not off, allowed or required at configuration, naming JWT_ISSUERS', () => {
    let error: unknown;
    try {
      new AuthManager({ JWT_ISSUER: OWN, JWT_ISSUERS: [{ issuer: strict, audience: AUDIENCE, jwksUrl: 'https://as.example/jwks', dpop: 'sometimes' }] });
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(InvalidConfigError);
    expect((error as InvalidConfigError).configValue).to.equal('JWT_ISSUERS');
    expect((error as Error).message).not.to.include('sometimes');
  });
});
