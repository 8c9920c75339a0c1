/**
 * @RequireToken and currentToken on routing-controllers (API.md §3, §4): the original Flask_PyJWT suite
 * (tests/test_flask_pyjwt.py with its conftest.py), ported and run for HS256, HS512, RS256 and RS512.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { Body, Get, JsonController, Param, Post, useExpressServer } from 'routing-controllers';
import { AuthManager, currentToken, RequireToken, type ClaimValue, type Scope } from 'routing-controllers-jwt';
import { configFor, SEED_ALGORITHMS } from '../support/keys';
import { bearer, listen, send, type RunningServer } from '../support/server';
import { appWithManager, expectRejection, TEST_CLAIMS, TEST_OVERRIDE, TEST_SCOPE } from '../support/require-token';

/** The body of POST /token: `sub`, an optional `scope`, and any extra claims. */
interface TokenRequest {
  sub: string;
  scope?: Scope;
  [claim: string]: ClaimValue | undefined;
}

/** The routes of the original conftest.py, bound to one app's manager. */
function portController(manager: AuthManager) {
  const tokenView = () => ({
    token: currentToken.signed,
    sub: currentToken.sub,
    scope: currentToken.scope,
    claims: currentToken.claims,
  });
  const refreshView = () => ({ token: currentToken.signed, sub: currentToken.sub, rid: currentToken.claims.rid ?? null });

  @JsonController()
  class PortController {
    @Post('/token')
    token(@Body() body: TokenRequest) {
      const { sub, scope, ...rest } = body;
      const claims: Record<string, ClaimValue> = {};
      for (const [key, value] of Object.entries(rest)) if (value !== undefined) claims[key] = value;
      const token = manager.authToken(sub, scope ?? null, claims);
      return { token: token.signed, sub: token.sub, scope: token.scope, claims: token.claims };
    }

    @Post('/refresh')
    refresh(@Body() body: TokenRequest) {
      const token = manager.refreshToken(body.sub);
      return { token: token.signed, sub: token.sub, rid: token.claims.rid ?? null };
    }

    @Get('/require_auth_header')
    @RequireToken('auth', 'header')
    requireAuthHeader() {
      return tokenView();
    }

    @Get('/require_refresh_header')
    @RequireToken('refresh', 'header')
    requireRefreshHeader() {
      return refreshView();
    }

    @Get('/require_auth_cookie')
    @RequireToken('auth', 'cookies', { cookieName: 'auth_token' })
    requireAuthCookie() {
      return tokenView();
    }

    @Get('/require_refresh_cookie')
    @RequireToken('refresh', 'cookies', { cookieName: 'refresh_token' })
    requireRefreshCookie() {
      return refreshView();
    }

    @Get('/require_auth_has_scope')
    @RequireToken('auth', 'header', { scope: TEST_SCOPE })
    requireAuthHasScope() {
      return tokenView();
    }

    @Get('/require_auth_has_claims')
    @RequireToken('auth', 'header', TEST_CLAIMS)
    requireAuthHasClaims() {
      return tokenView();
    }

    @Get('/require_auth_has_claims/:sub')
    @RequireToken('auth', 'header', { sub: 'sub' })
    requireAuthHasRouteClaim(@Param('sub') sub: string) {
      return { ...tokenView(), route_param: sub };
    }

    @Get('/require_auth_with_override')
    @RequireToken('auth', 'header', { scope: TEST_SCOPE, override: TEST_OVERRIDE })
    requireAuthWithOverride() {
      return tokenView();
    }
  }
  return PortController;
}

interface TokenReply {
  token: string;
  sub: string;
  scope: Scope | null;
  claims: Record<string, ClaimValue>;
  rid?: string | null;
  route_param?: string;
}

describe('@RequireToken: the original Flask_PyJWT suite', () => {
  it('test_version: the package carries a semantic version', () => {
    const manifest = JSON.parse(readFileSync(require.resolve('routing-controllers-jwt/package.json'), 'utf8')) as {
      name: string;
      version: string;
    };
    expect(manifest.name).to.equal('routing-controllers-jwt');
    expect(manifest.version).to.match(/^\d+\.\d+\.\d+(?:-[\w.]+)?$/);
  });

  for (const alg of SEED_ALGORITHMS) {
    describe(alg, () => {
      const issuer = `https://port-suite.example/${alg}`;
      const config = configFor(alg, issuer);
      let manager: AuthManager;
      let server: RunningServer;

      before(async () => {
        const built = appWithManager(config);
        manager = built.manager;
        useExpressServer(built.app, { controllers: [portController(manager)] });
        server = await listen(built.app);
      });

      after(() => server.close());

      const post = async (path: string, body: Record<string, unknown>): Promise<TokenReply> => {
        const reply = await send(`${server.url}${path}`, { method: 'POST', body });
        expect(reply.status, reply.text).to.equal(200);
        return reply.json as TokenReply;
      };
      const get = (path: string, headers: Record<string, string> = {}) => send(`${server.url}${path}`, { headers });

      it('the manager creates valid auth tokens (POST /token)', async () => {
        const data = await post('/token', { sub: 'test', scope: { admin: true }, custom_claim: 'SomeValue' });
        expect(data.token).to.be.a('string');
        expect(manager.verifyToken(data.token)).to.equal(true);
        expect(data.sub).to.equal('test');
        expect(data.scope).to.deep.equal({ admin: true });
        expect(data.claims.custom_claim).to.equal('SomeValue');
        expect(data.claims.type).to.equal('auth');
      });

      it('the manager creates valid refresh tokens carrying a rid (POST /refresh)', async () => {
        const data = await post('/refresh', { sub: 'test' });
        expect(data.token).to.be.a('string');
        expect(manager.verifyToken(data.token)).to.equal(true);
        expect(data.rid).to.be.a('string').and.not.equal('');
        expect(data.sub).to.equal('test');
      });

      it('requires an auth token in the Authorization header and exposes it as currentToken', async () => {
        const { token } = await post('/token', { sub: 'test' });
        const reply = await get('/require_auth_header', bearer(token));
        expect(reply.status, reply.text).to.equal(200);
        const data = reply.json as TokenReply;
        expect(data.sub).to.equal('test');
        expect(data.token).to.equal(token);
        expect(data.claims.type).to.equal('auth');
        expectRejection(await get('/require_auth_header'), { status: 401, code: 'ERR_TOKEN_MISSING', issuer, bearerError: null });
      });

      it('requires a refresh token in the Authorization header and exposes its rid', async () => {
        const issued = await post('/refresh', { sub: 'test' });
        const reply = await get('/require_refresh_header', bearer(issued.token));
        expect(reply.status, reply.text).to.equal(200);
        const data = reply.json as TokenReply;
        expect(data.sub).to.equal('test');
        expect(data.rid).to.be.a('string').and.equal(issued.rid);
        expect(data.token).to.equal(issued.token);
      });

      it('requires an auth token in the auth_token cookie', async () => {
        const { token } = await post('/token', { sub: 'test' });
        const reply = await get('/require_auth_cookie', { cookie: `auth_token=${token}` });
        expect(reply.status, reply.text).to.equal(200);
        const data = reply.json as TokenReply;
        expect(data.sub).to.equal('test');
        expect(data.token).to.equal(token);
        // The cookie route does not read the header.
        expectRejection(await get('/require_auth_cookie', bearer(token)), { status: 401, code: 'ERR_TOKEN_MISSING', issuer, bearerError: null });
      });

      it('requires a refresh token in the refresh_token cookie', async () => {
        const issued = await post('/refresh', { sub: 'test' });
        const reply = await get('/require_refresh_cookie', { cookie: `other=1; refresh_token=${issued.token}` });
        expect(reply.status, reply.text).to.equal(200);
        const data = reply.json as TokenReply;
        expect(data.sub).to.equal('test');
        expect(data.rid).to.be.a('string').and.equal(issued.rid);
      });

      it('accepts a token carrying the required scope', async () => {
        const { token } = await post('/token', { sub: 'test', scope: TEST_SCOPE });
        const reply = await get('/require_auth_has_scope', bearer(token));
        expect(reply.status, reply.text).to.equal(200);
        const data = reply.json as TokenReply;
        expect(data.sub).to.equal('test');
        expect(data.scope).to.deep.equal(TEST_SCOPE);
      });

      it('rejects (403) a token missing the required scope', async () => {
        const { token } = await post('/token', { sub: 'test' });
        expectRejection(await get('/require_auth_has_scope', bearer(token)), {
          status: 403,
          code: 'ERR_TOKEN_FORBIDDEN_SCOPE',
          issuer,
          bearerError: 'insufficient_scope',
          secrets: [token, issuer],
        });
      });

      it('accepts a token carrying the required claims, nested dict included', async () => {
        const { token } = await post('/token', { sub: 'test', ...TEST_CLAIMS });
        const reply = await get('/require_auth_has_claims', bearer(token));
        expect(reply.status, reply.text).to.equal(200);
        const data = reply.json as TokenReply;
        expect(data.sub).to.equal('test');
        for (const [key, value] of Object.entries(TEST_CLAIMS)) expect(data.claims[key], key).to.deep.equal(value);
      });

      it('rejects (403) a token missing the required claims', async () => {
        const { token } = await post('/token', { sub: 'test' });
        expectRejection(await get('/require_auth_has_claims', bearer(token)), {
          status: 403,
          code: 'ERR_TOKEN_FORBIDDEN_CLAIMS',
          issuer,
          bearerError: 'insufficient_scope',
          secrets: [token, issuer],
        });
      });

      it('accepts a token whose claim equals the route parameter it is bound to', async () => {
        const { token } = await post('/token', { sub: 'test' });
        const reply = await get('/require_auth_has_claims/test', bearer(token));
        expect(reply.status, reply.text).to.equal(200);
        const data = reply.json as TokenReply;
        expect(data.sub).to.equal('test');
        expect(data.route_param).to.equal('test');
      });

      it('rejects (403) a token whose claim differs from the bound route parameter', async () => {
        const { token } = await post('/token', { sub: 'not_test' });
        expectRejection(await get('/require_auth_has_claims/test', bearer(token)), {
          status: 403,
          code: 'ERR_TOKEN_FORBIDDEN_CLAIMS',
          issuer,
          bearerError: 'insufficient_scope',
        });
      });

      it('with an override set, accepts a token carrying the required scope', async () => {
        const { token } = await post('/token', { sub: 'test', scope: TEST_SCOPE });
        const reply = await get('/require_auth_with_override', bearer(token));
        expect(reply.status, reply.text).to.equal(200);
        const data = reply.json as TokenReply;
        expect(data.sub).to.equal('test');
        expect(data.scope).to.deep.equal(TEST_SCOPE);
      });

      it('accepts a token missing the required scope when it carries the override claims', async () => {
        const { token } = await post('/token', { sub: 'test', ...TEST_OVERRIDE });
        const reply = await get('/require_auth_with_override', bearer(token));
        expect(reply.status, reply.text).to.equal(200);
        const data = reply.json as TokenReply;
        expect(data.sub).to.equal('test');
        expect(data.scope).to.equal(null);
        for (const [key, value] of Object.entries(TEST_OVERRIDE)) expect(data.claims[key], key).to.deep.equal(value);
      });

      it('rejects (403) a token missing both the required scope and the override claims', async () => {
        const { token } = await post('/token', { sub: 'test', scope: { admin: false } });
        expectRejection(await get('/require_auth_with_override', bearer(token)), {
          status: 403,
          code: 'ERR_TOKEN_FORBIDDEN_SCOPE',
          issuer,
          bearerError: 'insufficient_scope',
        });
      });
    });
  }
});
