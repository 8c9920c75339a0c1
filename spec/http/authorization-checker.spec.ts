/**
 * routing-controllers' own `@Authorized()` and `@CurrentUser()` backed by `jwtAuthorizationChecker` and
 * `jwtCurrentUserChecker`, over real HTTP: the same 401/403 bodies and challenges as `@RequireToken`, the token's
 * context in the action, and never routing-controllers' AccessDeniedError or a stack trace.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { Authorized, Body, CurrentUser, Get, JsonController, Post, useExpressServer } from 'routing-controllers';
import {
  CurrentToken,
  currentToken,
  jwtAuthorizationChecker,
  jwtCurrentUserChecker,
  keepAliveErrorSink,
  type AuthManager,
  type ClaimValue,
  type JWT,
} from 'routing-controllers-jwt';
import { configFor } from '../support/keys';
import { bearer, listen, send, type Reply, type RunningServer } from '../support/server';
import { appWithManager, expectRejection, tamperedSignature } from '../support/require-token';

const issuer = 'https://authorized.example';

interface User {
  id: string;
  roles: readonly string[];
}

@JsonController('/rc')
class AuthorizedController {
  @Get('/me')
  @Authorized()
  me(@CurrentUser({ required: true }) user: User, @CurrentToken('sub') sub: string) {
    return { user, sub, context: currentToken.sub };
  }

  @Get('/admin')
  @Authorized(['admin', 'owner'])
  admin(@CurrentUser() user: User) {
    return { admin: user.id };
  }

  @Post('/notes')
  @Authorized('editor')
  note(@Body() body: { text: string }, @CurrentUser() user: User) {
    return { text: body.text, by: user.id };
  }

  @Get('/open')
  open(@CurrentUser() user?: User) {
    return { user: user ?? null };
  }
}

describe('@Authorized() and @CurrentUser() through jwtAuthorizationChecker and jwtCurrentUserChecker', () => {
  let manager: AuthManager;
  let server: RunningServer;
  const toUserCalls: string[] = [];

  const get = (path: string, headers: Record<string, string> = {}): Promise<Reply> => send(`${server.url}${path}`, { headers });
  const tokenOf = (sub: string, claims: Record<string, ClaimValue> = {}): Record<string, string> => bearer(manager.authToken(sub, null, claims).signed);

  before(async () => {
    const built = appWithManager(configFor('HS256', issuer));
    manager = built.manager;
    useExpressServer(built.app, {
      controllers: [AuthorizedController],
      authorizationChecker: jwtAuthorizationChecker({ rolesClaim: 'roles' }),
      currentUserChecker: jwtCurrentUserChecker((token: JWT): User => {
        toUserCalls.push(String(token.sub));
        const roles = token.claims.roles;
        return { id: String(token.sub), roles: Array.isArray(roles) ? roles.filter((role): role is string => typeof role === 'string') : [] };
      }),
    });
    built.app.use(keepAliveErrorSink);
    server = await listen(built.app);
  });

  after(() => server.close());

  it('@Authorized() runs the action for a valid token, in its context, with @CurrentUser() made from it', async () => {
    const reply = await get('/rc/me', tokenOf('alice', { roles: ['reader'] }));
    expect(reply.status, reply.text).to.equal(200);
    expect(reply.json).to.deep.equal({ user: { id: 'alice', roles: ['reader'] }, sub: 'alice', context: 'alice' });
  });

  it('security: @Authorized() without a token is this library\'s 401 with its challenge, never routing-controllers\' error', async () => {
    const reply = await get('/rc/me');
    expectRejection(reply, { status: 401, code: 'ERR_TOKEN_MISSING', issuer, bearerError: null });
    expect(reply.text).not.to.match(/AuthorizationRequiredError|AccessDeniedError/);
  });

  it('security: a token with a bad signature is a 401 invalid_token', async () => {
    expectRejection(await get('/rc/me', bearer(tamperedSignature(manager.authToken('alice').signed))), {
      status: 401, code: 'ERR_TOKEN_SIGNATURE', issuer, bearerError: 'invalid_token',
    });
  });

  it('@Authorized([roles]) grants a token holding one of the roles (array or space-delimited claim)', async () => {
    expect((await get('/rc/admin', tokenOf('root', { roles: ['admin'] }))).json).to.deep.equal({ admin: 'root' });
    expect((await get('/rc/admin', tokenOf('olga', { roles: 'reader owner' }))).json).to.deep.equal({ admin: 'olga' });
  });

  it('security: @Authorized([roles]) refuses a token without any of them with a 403 JSON body, never AccessDeniedError or a stack', async () => {
    for (const claims of [{ roles: ['reader'] }, {}, { roles: 'administrator' }, { roles: [{ admin: true }] }, { role: 'admin' }]) {
      const reply = await get('/rc/admin', tokenOf('eve', claims as Record<string, ClaimValue>));
      expectRejection(reply, { status: 403, code: 'ERR_TOKEN_FORBIDDEN_CHECK', issuer, bearerError: 'insufficient_scope' });
      expect(reply.text).not.to.match(/AccessDeniedError|at /);
    }
  });

  it('works with a body the action reads (a single role given as a string)', async () => {
    const reply = await send(`${server.url}/rc/notes`, { method: 'POST', headers: tokenOf('ed', { roles: ['editor'] }), body: { text: 'hi' } });
    expect(reply.status, reply.text).to.equal(200);
    expect(reply.json).to.deep.equal({ text: 'hi', by: 'ed' });
    expect((await send(`${server.url}/rc/notes`, { method: 'POST', headers: tokenOf('ed'), body: { text: 'hi' } })).status).to.equal(403);
  });

  it('security: @CurrentUser() on an unguarded action is undefined even with a valid token (it is never read unchecked)', async () => {
    toUserCalls.length = 0;
    expect((await get('/rc/open', tokenOf('alice'))).json).to.deep.equal({ user: null });
    expect(toUserCalls).to.deep.equal([]);
  });

  it('refuses a rolesClaim that names nothing, at once', () => {
    expect(() => jwtAuthorizationChecker({ rolesClaim: '' })).to.throw(TypeError, /rolesClaim/);
    expect(() => jwtAuthorizationChecker({ require: { optinal: true } })).to.throw(TypeError, /did you mean optional/);
  });
});
