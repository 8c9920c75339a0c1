/**
 * routing-controllers' Koa driver over real HTTP: the same decorators, the same 401/403 bodies and challenges, and the
 * token's context in the action (currentToken, @CurrentToken()).
 */
import 'reflect-metadata';
import { expect } from 'chai';
import type { RequestListener } from 'node:http';
import { Authorized, Body, createKoaServer, Get, JsonController, Param, Post } from 'routing-controllers';
import { Container } from 'typedi';
import {
  AllowAnonymous,
  AuthManager,
  CurrentToken,
  currentToken,
  getCurrentToken,
  JWT_AUTHTYPE,
  JWT_ISSUER,
  JWT_SECRET,
  jwtAuthorizationChecker,
  RequireToken,
  type JWT,
} from 'routing-controllers-jwt';
import { isolateConfig } from '../support/isolation';
import { configFor } from '../support/keys';
import { bearer, listen, send, type Reply, type RunningServer } from '../support/server';
import { expectRejection, tamperedSignature } from '../support/require-token';

const issuer = 'https://koa.example';
const jwtAuthorizationCheckerKoaMessage =
  'jwtAuthorizationChecker works with routing-controllers\' Express driver (useExpressServer / createExpressServer); on Koa, use @RequireToken';

@JsonController('/koa')
@RequireToken()
class KoaController {
  @Get('/me')
  me(@CurrentToken() token: JWT) {
    return { sub: token.sub, context: currentToken.sub };
  }

  @Get('/users/:userId')
  @RequireToken({ sub: 'userId' })
  user(@Param('userId') userId: string) {
    return { userId };
  }

  @Post('/notes')
  @RequireToken({ scope: 'notes' })
  note(@Body() body: { text: string }, @CurrentToken('sub') sub: string) {
    return { text: body.text, by: sub };
  }

  @Get('/health')
  @AllowAnonymous()
  health() {
    return { ok: true, token: getCurrentToken() === undefined ? null : 'present' };
  }

}

@JsonController('/koa')
class KoaOpenController {
  @Get('/greeting')
  @RequireToken({ optional: true })
  greeting() {
    return { hello: getCurrentToken()?.sub ?? 'stranger' };
  }
}

@JsonController('/koa-authorized')
class KoaAuthorizedController {
  @Get('/')
  @Authorized()
  list() {
    return { ran: true };
  }
}

describe('routing-controllers Koa driver', () => {
  const config = configFor('HS256', issuer);
  // Koa has no app settings: the guards use typedi's container; this manager has the same configuration, to mint.
  const manager = new AuthManager(config);
  isolateConfig();
  beforeEach(() => {
    Container.set(JWT_ISSUER, config.JWT_ISSUER);
    Container.set(JWT_AUTHTYPE, config.JWT_AUTHTYPE);
    Container.set(JWT_SECRET, config.JWT_SECRET);
  });
  let server: RunningServer;
  const get = (path: string, headers: Record<string, string> = {}): Promise<Reply> => send(`${server.url}${path}`, { headers });
  const tokenOf = (sub: string, scope: string | null = null) => bearer(manager.authToken(sub, scope).signed);

  before(async () => {
    const koa = createKoaServer({ controllers: [KoaController, KoaOpenController] }) as { callback(): RequestListener };
    server = await listen(koa.callback());
  });
  after(() => server.close());

  it('runs a guarded action for a valid token, with currentToken and @CurrentToken()', async () => {
    const reply = await get('/koa/me', tokenOf('alice'));
    expect(reply.status, reply.text).to.equal(200);
    expect(reply.json).to.deep.equal({ sub: 'alice', context: 'alice' });
  });

  it('answers 401 with the same JSON body and WWW-Authenticate as on Express', async () => {
    expectRejection(await get('/koa/me'), { status: 401, code: 'ERR_TOKEN_MISSING', issuer, bearerError: null });
    expectRejection(await get('/koa/me', bearer(tamperedSignature(manager.authToken('alice').signed))), {
      status: 401, code: 'ERR_TOKEN_SIGNATURE', issuer, bearerError: 'invalid_token',
    });
  });

  it('binds required claims to the route parameters @koa/router matched: 403 for another user', async () => {
    expect((await get('/koa/users/alice', tokenOf('alice'))).json).to.deep.equal({ userId: 'alice' });
    expectRejection(await get('/koa/users/bob', tokenOf('alice')), { status: 403, code: 'ERR_TOKEN_FORBIDDEN_CLAIMS', issuer, bearerError: 'insufficient_scope' });
  });

  it('reads the body beside the token, and checks the scope', async () => {
    const reply = await send(`${server.url}/koa/notes`, { method: 'POST', headers: tokenOf('ann', 'notes'), body: { text: 'hi' } });
    expect(reply.status, reply.text).to.equal(200);
    expect(reply.json).to.deep.equal({ text: 'hi', by: 'ann' });
    const refused = await send(`${server.url}/koa/notes`, { method: 'POST', headers: tokenOf('ann'), body: { text: 'hi' } });
    expectRejection(refused, { status: 403, code: 'ERR_TOKEN_FORBIDDEN_SCOPE', issuer, bearerError: 'insufficient_scope' });
  });

  it('security: jwtAuthorizationChecker (Express only) fails closed on Koa with a 500 naming what to use instead', async () => {
    const koa = createKoaServer({ controllers: [KoaAuthorizedController], authorizationChecker: jwtAuthorizationChecker() }) as { callback(): RequestListener };
    const other = await listen(koa.callback());
    try {
      const reply = await send(`${other.url}/koa-authorized`, { headers: tokenOf('alice') });
      expect(reply.status).to.equal(500);
      expect(reply.json).to.deep.include({ message: jwtAuthorizationCheckerKoaMessage });
      expect(reply.text).not.to.include('"ran"');
    } finally {
      await other.close();
    }
  });

  it('@AllowAnonymous() and optional: true work as on Express', async () => {
    expect((await get('/koa/health')).json).to.deep.equal({ ok: true, token: null });
    expect((await get('/koa/greeting')).json).to.deep.equal({ hello: 'stranger' });
    expect((await get('/koa/greeting', tokenOf('alice'))).json).to.deep.equal({ hello: 'alice' });
  });
});
