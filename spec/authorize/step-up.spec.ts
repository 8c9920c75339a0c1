/**
 * Step-up authentication (RFC 9470): `@RequireToken({ maxAge })` and `{ acr }` over real HTTP with routing-controllers,
 * the tokens of `sessionTokens` and `rotate`, and the options' validation as a table.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import express from 'express';
import { Get, JsonController, Post, useExpressServer } from 'routing-controllers';
import { AuthManager, currentToken, RequireToken, requireToken, type Claims, type RequireTokenOptions } from 'routing-controllers-jwt';
import { hmacSecret } from '../support/keys';
import { expectRejection, nowSeconds } from '../support/require-token';
import { bearer, listen, send, type Reply, type RunningServer } from '../support/server';

const issuer = 'https://step-up.example';

/** The parameters of a `WWW-Authenticate: Bearer ...` challenge, by name. */
function challengeParams(reply: Reply): Record<string, string> {
  const header = reply.headers['www-authenticate'] ?? '';
  return Object.fromEntries([...header.matchAll(/([a-z_]+)="([^"]*)"/g)].map((match) => [match[1], match[2]]));
}

function expectStepUp(reply: Reply, params: Record<string, string>, secrets: readonly string[]): void {
  expectRejection(reply, { status: 401, code: 'ERR_TOKEN_STEP_UP', issuer, bearerError: 'insufficient_user_authentication', secrets });
  const found = challengeParams(reply);
  expect(found.error_description, 'error_description').to.be.a('string').and.not.equal('');
  for (const [name, value] of Object.entries(params)) expect(found[name], name).to.equal(value);
}

describe('step-up authentication (RFC 9470)', () => {
  let manager: AuthManager;
  const verifiedClaims = (signed: string): Claims => {
    const check = manager.checkToken(signed);
    if (!check.valid) throw new Error(`not valid: ${check.reason}`);
    return check.token.claims;
  };
  let server: RunningServer;

  before(async () => {
    const app = express();
    app.set('env', 'test');
    for (const [name, value] of Object.entries({ JWT_ISSUER: issuer, JWT_AUTHTYPE: 'HS256', JWT_SECRET: hmacSecret(64), JWT_REFRESHGRACE: 0 })) app.set(name, value);
    manager = new AuthManager(app);
    @JsonController()
    class StepUpRoutes {
      @Get('/account/security')
      @RequireToken({ maxAge: 300 })
      security() {
        return { sub: currentToken.sub, authTime: currentToken.claims.auth_time };
      }

      @Get('/vault')
      @RequireToken({ acr: ['mfa', 'hwk'] })
      vault() {
        return { acr: currentToken.claims.acr };
      }

      @Get('/admin')
      @RequireToken({ maxAge: 300, acr: 'mfa', override: { admin: true } })
      admin() {
        return { ok: true };
      }

      @Post('/auth/refresh')
      @RequireToken('refresh')
      async refresh() {
        const { authToken, refreshToken } = await manager.rotate(currentToken);
        return { authToken: authToken.signed, refreshToken: refreshToken.signed };
      }
    }
    useExpressServer(app, { controllers: [StepUpRoutes] });
    app.get('/middleware/security', requireToken({ maxAge: 300 }), (_req, res) => { res.json({ ok: true }); });
    server = await listen(app);
  });

  after(() => server.close());

  it('a fresh login (sessionTokens) is 200 on a maxAge route, and its tokens carry auth_time', async () => {
    const { authToken, refreshToken } = manager.sessionTokens('alice');
    expect(authToken.claims.auth_time).to.be.within(nowSeconds() - 2, nowSeconds());
    expect(refreshToken.claims.auth_time).to.equal(authToken.claims.auth_time);
    const reply = await send(`${server.url}/account/security`, { headers: bearer(authToken.signed) });
    expect(reply.status, reply.text).to.equal(200);
    expect((reply.json as { authTime: number }).authTime).to.equal(authToken.claims.auth_time);
  });

  it('security: a login older than maxAge is 401 insufficient_user_authentication with max_age="300"', async () => {
    const token = manager.authToken('alice', null, {}, { authTime: nowSeconds() - 301 }).signed;
    expectStepUp(await send(`${server.url}/account/security`, { headers: bearer(token) }), { max_age: '300' }, [token]);
    const middleware = await send(`${server.url}/middleware/security`, { headers: bearer(token) });
    expectStepUp(middleware, { max_age: '300' }, [token]);
  });

  it('security: a token without auth_time (not from a login) is 401 on a maxAge route (fail closed)', async () => {
    const token = manager.authToken('alice').signed;
    expectStepUp(await send(`${server.url}/account/security`, { headers: bearer(token) }), { max_age: '300' }, [token]);
  });

  it('security: an auth_time in the future (beyond a minute of clock skew) is no login: 401', async () => {
    const token = manager.authToken('alice', null, {}, { authTime: nowSeconds() + 3600 }).signed;
    expectStepUp(await send(`${server.url}/account/security`, { headers: bearer(token) }), { max_age: '300' }, [token]);
  });

  it('security: a rotated token keeps the login\'s auth_time and acr, so a refresh never makes an old login fresh', async () => {
    const old = nowSeconds() - 3600;
    const refresh = manager.refreshToken('alice', { authTime: old, acr: 'mfa' }).signed;
    const rotated = await send(`${server.url}/auth/refresh`, { method: 'POST', headers: bearer(refresh) });
    expect(rotated.status, rotated.text).to.equal(200);
    const pair = rotated.json as { authToken: string; refreshToken: string };
    const auth = { claims: verifiedClaims(pair.authToken) };
    const next = { claims: verifiedClaims(pair.refreshToken) };
    expect(auth.claims.auth_time).to.equal(old);
    expect(next.claims.auth_time).to.equal(old);
    expect(auth.claims.acr).to.equal('mfa');
    expect(next.claims.acr).to.equal('mfa');
    expectStepUp(await send(`${server.url}/account/security`, { headers: bearer(pair.authToken) }), { max_age: '300' }, [pair.authToken]);
  });

  it('security: an acr the route does not accept is 401 with acr_values="mfa hwk"; a login without acr too', async () => {
    const weak = manager.sessionTokens('alice', null, {}, { acr: 'pwd' }).authToken.signed;
    expectStepUp(await send(`${server.url}/vault`, { headers: bearer(weak) }), { acr_values: 'mfa hwk' }, [weak]);
    const none = manager.sessionTokens('alice').authToken.signed;
    expectStepUp(await send(`${server.url}/vault`, { headers: bearer(none) }), { acr_values: 'mfa hwk' }, [none]);
  });

  it('an accepted acr is 200', async () => {
    const { authToken } = manager.sessionTokens('alice', null, {}, { acr: 'hwk' });
    const reply = await send(`${server.url}/vault`, { headers: bearer(authToken.signed) });
    expect(reply.status, reply.text).to.equal(200);
    expect(reply.json).to.deep.equal({ acr: 'hwk' });
  });

  it('security: override does not skip the step-up; both parameters are named in the challenge', async () => {
    const token = manager.authToken('root', null, { admin: true }, { authTime: nowSeconds() - 600, acr: 'mfa' }).signed;
    expectStepUp(await send(`${server.url}/admin`, { headers: bearer(token) }), { max_age: '300', acr_values: 'mfa' }, [token]);
    const fresh = manager.sessionTokens('root', null, { admin: true }, { acr: 'mfa' }).authToken.signed;
    expect((await send(`${server.url}/admin`, { headers: bearer(fresh) })).status).to.equal(200);
  });

  it('security: auth_time and acr cannot be passed as extra claims (reserved)', () => {
    expect(() => manager.authToken('alice', null, { auth_time: nowSeconds() })).to.throw(TypeError);
    expect(() => manager.authToken('alice', null, { acr: 'mfa' })).to.throw(TypeError);
  });

  describe('options are checked when the decorator is applied', () => {
    const refused: Array<[string, Record<string, unknown>]> = [
      ['maxAge undefined', { maxAge: undefined }],
      ['maxAge null', { maxAge: null }],
      ['maxAge negative', { maxAge: -1 }],
      ['maxAge fractional', { maxAge: 1.5 }],
      ['maxAge a string', { maxAge: '300' }],
      ['acr undefined', { acr: undefined }],
      ['acr empty list', { acr: [] }],
      ['acr with a space', { acr: 'm fa' }],
      ['acr with a quote', { acr: 'a"b' }],
      ['acr a number', { acr: 2 }],
      ['max_age, a lookalike of maxAge', { max_age: 300 }],
    ];
    for (const [why, options] of refused) {
      it(`refuses ${why}`, () => {
        expect(() => requireToken(options as RequireTokenOptions)).to.throw(TypeError);
      });
    }
  });
});
