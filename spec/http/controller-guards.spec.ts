/**
 * routing-controllers' idioms over real HTTP: `@CurrentToken()` parameters, `@RequireToken` on a class combined with
 * the requirements of its methods, `@AllowAnonymous()`, `optional: true`, `anyScope` and the `check` predicate.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { Body, Get, JsonController, Param, Post, useExpressServer } from 'routing-controllers';
import {
  AllowAnonymous,
  CurrentToken,
  currentToken,
  getCurrentToken,
  JWT,
  keepAliveErrorSink,
  RequireToken,
  type AuthManager,
  type ClaimValue,
  type Scope,
} from 'routing-controllers-jwt';
import { configFor } from '../support/keys';
import { bearer, listen, send, type Reply, type RunningServer } from '../support/server';
import { appWithManager, expectRejection, tamperedSignature } from '../support/require-token';

const issuer = 'https://controller-guards.example';

/** Predicates' calls, to assert what they were given. */
const seen: Array<{ sub: unknown; params: unknown; method: unknown }> = [];

@JsonController('/params')
class ParamController {
  @Get('/me')
  @RequireToken()
  me(@CurrentToken() token: JWT, @CurrentToken('sub') sub: string, @CurrentToken('tenant') tenant?: ClaimValue) {
    return { sub, isJwt: token instanceof JWT, same: token === getCurrentToken(), tenant: tenant ?? null };
  }

  @Post('/items')
  @RequireToken()
  create(@Body() body: { name: string }, @CurrentToken('sub') sub: string) {
    return { name: body.name, by: sub };
  }

  @Get('/unguarded')
  unguarded(@CurrentToken() token?: JWT) {
    return { token: token === undefined ? null : 'present' };
  }
}

@JsonController('/docs')
@RequireToken({ scope: 'docs' })
class DocumentController {
  // A constructor parameter, as typedi injection gives controllers: the class decorator's type accepts it.
  constructor(readonly label: string = 'docs') {}

  @Get('/')
  list() {
    return { list: currentToken.sub };
  }

  @Get('/admin')
  @RequireToken({ admin: true })
  admin(@CurrentToken('sub') sub: string) {
    return { admin: sub };
  }

  @Get('/health')
  @AllowAnonymous()
  health() {
    return { ok: true, token: getCurrentToken() === undefined ? null : 'present' };
  }
}

/** Inherits the guarded actions of a class-guarded base, and adds one of its own, which the base's guard does not cover. */
@JsonController('/archive')
class ArchiveController extends DocumentController {
  @Get('/own')
  own() {
    return { token: getCurrentToken() === undefined ? null : 'present' };
  }
}

@JsonController('/optional')
class OptionalController {
  @Get('/greeting')
  @RequireToken({ optional: true })
  greeting(@CurrentToken() token?: JWT) {
    return { hello: token === undefined ? 'stranger' : token.sub, context: getCurrentToken() !== undefined };
  }

  @Get('/tenant')
  @RequireToken({ optional: true, tenant: 'acme' })
  tenant() {
    return { tenant: getCurrentToken()?.claims.tenant ?? null };
  }
}

@JsonController('/scopes')
class ScopeController {
  @Get('/any')
  @RequireToken({ anyScope: ['documents:read', 'admin'] })
  any() {
    return { ok: true };
  }

  @Get('/both')
  @RequireToken({ scope: 'documents', anyScope: ['read', 'write'] })
  both() {
    return { ok: true };
  }
}

@JsonController('/checked')
class CheckedController {
  @Get('/owner/:ownerId')
  @RequireToken({
    check: (token, params, request) => {
      seen.push({ sub: token.sub, params: { ...params }, method: request.method });
      return params.ownerId === token.sub;
    },
  })
  owner(@Param('ownerId') ownerId: string) {
    return { owner: ownerId };
  }

  @Get('/async/:ownerId')
  @RequireToken({ check: async (token, params) => { await new Promise((resolve) => setTimeout(resolve, 5)); return params.ownerId === token.sub; } })
  asyncOwner(@Param('ownerId') ownerId: string) {
    return { owner: ownerId };
  }

  @Get('/throws')
  @RequireToken({ check: () => { throw new Error('database password is hunter2'); } })
  throws() {
    return { ran: true };
  }

  @Get('/rejects')
  @RequireToken({ check: () => Promise.reject(new Error('database password is hunter2')) })
  rejects() {
    return { ran: true };
  }

  @Get('/truthy')
  @RequireToken({ check: (() => 'yes') as unknown as () => boolean })
  truthy() {
    return { ran: true };
  }
}

describe('routing-controllers idioms: @CurrentToken, class guards, optional, anyScope, check', () => {
  let manager: AuthManager;
  let server: RunningServer;

  const get = (path: string, headers: Record<string, string> = {}): Promise<Reply> => send(`${server.url}${path}`, { headers });
  const tokenOf = (sub: string, scope: Scope | null = null, claims: Record<string, ClaimValue> = {}): Record<string, string> =>
    bearer(manager.authToken(sub, scope, claims).signed);

  before(async () => {
    const built = appWithManager(configFor('HS256', issuer));
    manager = built.manager;
    useExpressServer(built.app, { controllers: [ParamController, DocumentController, ArchiveController, OptionalController, ScopeController, CheckedController] });
    built.app.use(keepAliveErrorSink);
    server = await listen(built.app);
  });

  after(() => server.close());

  describe('@CurrentToken()', () => {
    it('injects the verified token and a claim of it', async () => {
      const reply = await get('/params/me', tokenOf('alice', null, { tenant: 'acme' }));
      expect(reply.status, reply.text).to.equal(200);
      expect(reply.json).to.deep.equal({ sub: 'alice', isJwt: true, same: true, tenant: 'acme' });
    });

    it('injects undefined for a claim the token does not carry', async () => {
      const reply = await get('/params/me', tokenOf('bob'));
      expect(reply.json).to.deep.include({ sub: 'bob', tenant: null });
    });

    it('is read after the body was parsed, beside @Body()', async () => {
      const reply = await send(`${server.url}/params/items`, { method: 'POST', headers: tokenOf('carol'), body: { name: 'pen' } });
      expect(reply.status, reply.text).to.equal(200);
      expect(reply.json).to.deep.equal({ name: 'pen', by: 'carol' });
    });

    it('security: is undefined on an action no guard protects, even when a valid token is sent', async () => {
      const reply = await get('/params/unguarded', tokenOf('alice'));
      expect(reply.json).to.deep.equal({ token: null });
    });

    it('refuses an empty claim name at decoration', () => {
      expect(() => CurrentToken('')).to.throw(TypeError, /name of a claim/);
    });
  });

  describe('@RequireToken on a class', () => {
    it('every action of the class requires the class requirement: 401 without a token, 403 without its scope', async () => {
      expectRejection(await get('/docs/'), { status: 401, code: 'ERR_TOKEN_MISSING', issuer, bearerError: null });
      expectRejection(await get('/docs/', tokenOf('alice', 'other')), {
        status: 403, code: 'ERR_TOKEN_FORBIDDEN_SCOPE', issuer, bearerError: 'insufficient_scope',
      });
      const reply = await get('/docs/', tokenOf('alice', 'docs'));
      expect(reply.status, reply.text).to.equal(200);
      expect(reply.json).to.deep.equal({ list: 'alice' });
    });

    it('security: a method requirement adds to the class requirement: both must pass', async () => {
      expectRejection(await get('/docs/admin', tokenOf('alice', 'docs')), {
        status: 403, code: 'ERR_TOKEN_FORBIDDEN_CLAIMS', issuer, bearerError: 'insufficient_scope',
      });
      expectRejection(await get('/docs/admin', tokenOf('alice', null, { admin: true })), {
        status: 403, code: 'ERR_TOKEN_FORBIDDEN_SCOPE', issuer, bearerError: 'insufficient_scope',
      });
      const reply = await get('/docs/admin', tokenOf('alice', 'docs', { admin: true }));
      expect(reply.status, reply.text).to.equal(200);
      expect(reply.json).to.deep.equal({ admin: 'alice' });
    });

    it('@AllowAnonymous() opens one action, without a token context even when a token is sent', async () => {
      expect((await get('/docs/health')).json).to.deep.equal({ ok: true, token: null });
      const withToken = await get('/docs/health', tokenOf('alice', 'docs'));
      expect(withToken.status).to.equal(200);
      expect(withToken.json).to.deep.equal({ ok: true, token: null });
    });

    it('security: a subclass controller inherits the class requirement on the actions it inherits', async () => {
      expectRejection(await get('/archive/'), { status: 401, code: 'ERR_TOKEN_MISSING', issuer, bearerError: null });
      expect((await get('/archive/', tokenOf('alice', 'other'))).status).to.equal(403);
      expect((await get('/archive/', tokenOf('alice', 'docs'))).json).to.deep.equal({ list: 'alice' });
      expect((await get('/archive/admin', tokenOf('alice', 'docs'))).status).to.equal(403);
      expect((await get('/archive/health')).json).to.deep.equal({ ok: true, token: null });
      // Its own action was declared after the base's decorator ran: the base's requirement does not reach it.
      expect((await get('/archive/own')).json).to.deep.equal({ token: null });
    });

    it('guards the class methods when called directly too: outside a request they refuse (fail closed)', () => {
      expect(() => new DocumentController().list()).to.throw(/verified token is required/);
      expect(new DocumentController().health()).to.deep.equal({ ok: true, token: null });
    });

    it('refuses @AllowAnonymous() and @RequireToken() on one method of a guarded class', () => {
      expect(() => {
        @RequireToken()
        class Contradiction {
          @AllowAnonymous()
          @RequireToken()
          both() {
            return 1;
          }
        }
        return Contradiction;
      }).to.throw(TypeError, /both @AllowAnonymous\(\) and @RequireToken/);
    });
  });

  describe('optional: true', () => {
    it('runs the action without a token context when no token is sent', async () => {
      const reply = await get('/optional/greeting');
      expect(reply.status, reply.text).to.equal(200);
      expect(reply.json).to.deep.equal({ hello: 'stranger', context: false });
    });

    it('runs the action in the token context when a valid token is sent', async () => {
      expect((await get('/optional/greeting', tokenOf('alice'))).json).to.deep.equal({ hello: 'alice', context: true });
    });

    it('security: a bad token is still a 401, a malformed header too', async () => {
      expectRejection(await get('/optional/greeting', bearer(tamperedSignature(manager.authToken('alice').signed))), {
        status: 401, code: 'ERR_TOKEN_SIGNATURE', issuer, bearerError: 'invalid_token',
      });
      expectRejection(await get('/optional/greeting', { authorization: 'Basic abc' }), {
        status: 401, code: 'ERR_TOKEN_HEADER', issuer, bearerError: null, // another scheme: no bearer error (RFC 6750 §3.1)
      });
    });

    it('security: a valid token that misses the requirement is still a 403', async () => {
      expectRejection(await get('/optional/tenant', tokenOf('alice', null, { tenant: 'other' })), {
        status: 403, code: 'ERR_TOKEN_FORBIDDEN_CLAIMS', issuer, bearerError: 'insufficient_scope',
      });
      expect((await get('/optional/tenant')).json).to.deep.equal({ tenant: null });
      expect((await get('/optional/tenant', tokenOf('alice', null, { tenant: 'acme' }))).json).to.deep.equal({ tenant: 'acme' });
    });
  });

  describe('anyScope', () => {
    it('grants a token that carries any one of the alternatives', async () => {
      expect((await get('/scopes/any', tokenOf('a', 'documents:read'))).status).to.equal(200);
      expect((await get('/scopes/any', tokenOf('a', 'profile admin'))).status).to.equal(200);
    });

    it('refuses a token that carries none of them with 403', async () => {
      expectRejection(await get('/scopes/any', tokenOf('a', 'documents:write')), {
        status: 403, code: 'ERR_TOKEN_FORBIDDEN_SCOPE', issuer, bearerError: 'insufficient_scope',
      });
      expectRejection(await get('/scopes/any', tokenOf('a')), { status: 403, code: 'ERR_TOKEN_FORBIDDEN_SCOPE', issuer, bearerError: 'insufficient_scope' });
    });

    it('combines with scope: both must hold', async () => {
      expect((await get('/scopes/both', tokenOf('a', 'documents write'))).status).to.equal(200);
      expect((await get('/scopes/both', tokenOf('a', 'write'))).status).to.equal(403);
      expect((await get('/scopes/both', tokenOf('a', 'documents'))).status).to.equal(403);
    });
  });

  describe('check(token, params, request)', () => {
    it('grants when it answers true, with the verified token, the route params and the request', async () => {
      seen.length = 0;
      const reply = await get('/checked/owner/alice', tokenOf('alice'));
      expect(reply.status, reply.text).to.equal(200);
      expect(seen).to.deep.equal([{ sub: 'alice', params: { ownerId: 'alice' }, method: 'GET' }]);
    });

    it('answers 403 ERR_TOKEN_FORBIDDEN_CHECK when it answers false, sync or async', async () => {
      for (const path of ['/checked/owner/bob', '/checked/async/bob']) {
        expectRejection(await get(path, tokenOf('alice')), { status: 403, code: 'ERR_TOKEN_FORBIDDEN_CHECK', issuer, bearerError: 'insufficient_scope' });
      }
      expect((await get('/checked/async/alice', tokenOf('alice'))).status).to.equal(200);
    });

    it('security: is never run for a request without a valid token', async () => {
      seen.length = 0;
      expect((await get('/checked/owner/alice')).status).to.equal(401);
      expect((await get('/checked/owner/alice', bearer('not.a.token'))).status).to.equal(401);
      expect(seen).to.deep.equal([]);
    });

    it('security: fails closed with a 403 when it throws or rejects, and never sends what was thrown', async () => {
      for (const path of ['/checked/throws', '/checked/rejects']) {
        const reply = await get(path, tokenOf('alice'));
        expectRejection(reply, { status: 403, code: 'ERR_TOKEN_FORBIDDEN_CHECK', issuer, bearerError: 'insufficient_scope', secrets: ['hunter2'] });
      }
    });

    it('security: only true grants: a truthy value is a refusal', async () => {
      expect((await get('/checked/truthy', tokenOf('alice'))).status).to.equal(403);
    });
  });
});
