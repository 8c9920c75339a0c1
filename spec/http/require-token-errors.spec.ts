/**
 * @RequireToken's answers (API.md §3): 401 versus 403, `WWW-Authenticate` (RFC 6750 §3), JSON bodies of exactly
 * { name, message, code } in every NODE_ENV, and authentication before routing-controllers' body validation.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { IsString, Length } from 'class-validator';
import { Body, Get, JsonController, Post, useExpressServer } from 'routing-controllers';
import { Container, Service } from 'typedi';
import { AuthManager, currentToken, RequireToken, requireToken } from 'routing-controllers-jwt';
import { configFor } from '../support/keys';
import { bearer, listen, send, type Reply, type RunningServer } from '../support/server';
import {
  appWithManager,
  expectRejection,
  expiredToken,
  forgedPayload,
  managerLike,
  tamperedSignature,
  type ExpectedRejection,
} from '../support/require-token';

class CreateItem {
  @IsString()
  @Length(1, 20)
  name!: string;
}

@Service()
class ReportService {
  @RequireToken({ scope: 'admin' })
  secretReport(): string {
    return `report for ${String(currentToken.sub)}`;
  }
}

@JsonController('/errors')
class ErrorsController {
  @Get('/auth')
  @RequireToken()
  auth() {
    return { sub: currentToken.sub };
  }

  @Get('/refresh')
  @RequireToken('refresh')
  refresh() {
    return { sub: currentToken.sub };
  }

  @Get('/cookie')
  @RequireToken('auth', 'cookies', { cookieName: 'auth_token' })
  cookie() {
    return { sub: currentToken.sub };
  }

  @Get('/scoped')
  @RequireToken({ scope: 'admin' })
  scoped() {
    return { sub: currentToken.sub };
  }

  @Get('/claimed')
  @RequireToken({ tenant: 'acme' })
  claimed() {
    return { sub: currentToken.sub };
  }

  @Get('/report')
  @RequireToken()
  report() {
    return { report: Container.get(ReportService).secretReport() };
  }

  @Post('/items')
  @RequireToken()
  create(@Body({ required: true }) item: CreateItem) {
    return { created: item.name, by: currentToken.sub };
  }

  @Post('/admin-items')
  @RequireToken({ scope: 'admin' })
  createAdmin(@Body({ required: true }) item: CreateItem) {
    return { created: item.name, by: currentToken.sub };
  }
}

for (const nodeEnv of ['development', 'production'] as const) {
  describe(`@RequireToken rejections (NODE_ENV=${nodeEnv})`, () => {
    const issuer = `https://errors.example/issuer-${nodeEnv}-7f3a`;
    const config = configFor('HS256', issuer);
    let manager: AuthManager;
    let server: RunningServer;
    let savedNodeEnv: string | undefined;

    before(async () => {
      savedNodeEnv = process.env.NODE_ENV;
      process.env.NODE_ENV = nodeEnv;
      const built = appWithManager(config);
      manager = built.manager;
      expect(built.app.get('env')).to.equal(nodeEnv);
      useExpressServer(built.app, { controllers: [ErrorsController] });
      server = await listen(built.app);
    });

    after(async () => {
      await server.close();
      if (savedNodeEnv === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = savedNodeEnv;
    });

    const get = (path: string, headers: Record<string, string> = {}): Promise<Reply> => send(`${server.url}/errors${path}`, { headers });
    const unauthorized = (code: string, secrets: string[] = []): ExpectedRejection => ({
      status: 401,
      code,
      issuer,
      bearerError: 'invalid_token',
      secrets: [issuer, ...secrets],
    });

    it('answers 401 to a request without a token, with a realm and no error code (RFC 6750 §3.1)', async () => {
      expectRejection(await get('/auth'), { status: 401, code: 'ERR_TOKEN_MISSING', issuer, bearerError: null, secrets: [issuer] });
    });

    it('answers 401 without an error code to a cookie route without the cookie', async () => {
      const token = manager.authToken('u1').signed;
      expectRejection(await get('/cookie', { cookie: `other_token=${token}` }), {
        status: 401,
        code: 'ERR_TOKEN_MISSING',
        issuer,
        bearerError: null,
        secrets: [issuer, token],
      });
    });

    it('answers 401 invalid_token to a malformed token without echoing it', async () => {
      const garbage = 'not-a-jwt-but-a-secret-looking-string';
      expectRejection(await get('/auth', bearer(garbage)), unauthorized('ERR_TOKEN_MALFORMED', [garbage]));
    });

    it('answers 401 invalid_token to an Authorization header that is not "Bearer <token>"', async () => {
      const token = manager.authToken('u1').signed;
      expectRejection(await get('/auth', { authorization: `Bearer  ${token}` }), unauthorized('ERR_TOKEN_HEADER', [token]));
      expectRejection(await get('/auth', { authorization: `Bearer ${token} extra` }), unauthorized('ERR_TOKEN_HEADER', [token]));
    });

    it('answers 401 without an error code to another scheme (RFC 6750 §3.1: Basic carries no bearer token)', async () => {
      const token = manager.authToken('u1').signed;
      for (const authorization of [`Basic ${token}`, `Basic ${Buffer.from('admin:hunter2').toString('base64')}`, 'Digest username="u"', 'Negotiate']) {
        expectRejection(await get('/auth', { authorization }), { ...unauthorized('ERR_TOKEN_HEADER', [token, 'hunter2']), bearerError: null });
      }
    });

    it('accepts the Bearer scheme in any case (RFC 6750 §2.1)', async () => {
      const token = manager.authToken('case-user').signed;
      for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
        const reply = await get('/auth', { authorization: `${scheme} ${token}` });
        expect(reply.status, scheme).to.equal(200);
        expect(reply.json).to.deep.equal({ sub: 'case-user' });
      }
    });

    it('answers 401 invalid_token to a token with a tampered signature', async () => {
      const token = tamperedSignature(manager.authToken('u1').signed);
      expectRejection(await get('/auth', bearer(token)), unauthorized('ERR_TOKEN_SIGNATURE', [token]));
    });

    it('answers 401 invalid_token to a token whose payload was changed (privilege escalation attempt)', async () => {
      const original = manager.authToken('u1', 'read');
      const forged = forgedPayload(original.signed, { ...original.claims, scope: 'admin' });
      expectRejection(await get('/scoped', bearer(forged)), unauthorized('ERR_TOKEN_SIGNATURE', [forged]));
    });

    it('answers 401 invalid_token to an expired token', async () => {
      const token = expiredToken(config, 'u1');
      expectRejection(await get('/auth', bearer(token)), unauthorized('ERR_TOKEN_EXPIRED', [token]));
    });

    it('answers 401 invalid_token to a token of another issuer, naming neither issuer in the body', async () => {
      const otherIssuer = 'https://other-issuer.example/b9c1';
      const token = managerLike(config, { JWT_ISSUER: otherIssuer }).authToken('u1').signed;
      expectRejection(await get('/auth', bearer(token)), unauthorized('ERR_TOKEN_ISSUER', [token, otherIssuer]));
    });

    it('answers 401 invalid_token to a token of another algorithm with the same secret', async () => {
      const token = managerLike(config, { JWT_AUTHTYPE: 'HS512' }).authToken('u1').signed;
      expectRejection(await get('/auth', bearer(token)), unauthorized('ERR_TOKEN_ALGORITHM', [token]));
    });

    it('answers 401 invalid_token to a refresh token on an auth route', async () => {
      const token = manager.refreshToken('u1').signed;
      expectRejection(await get('/auth', bearer(token)), unauthorized('ERR_TOKEN_TYPE', [token]));
    });

    it('answers 401 invalid_token to an auth token on a refresh route', async () => {
      const token = manager.authToken('u1').signed;
      expectRejection(await get('/refresh', bearer(token)), unauthorized('ERR_TOKEN_TYPE', [token]));
      const refresh = manager.refreshToken('u1').signed;
      const reply = await get('/refresh', bearer(refresh));
      expect(reply.status, reply.text).to.equal(200);
    });

    it('answers 403 insufficient_scope to a valid token without the required scope', async () => {
      const token = manager.authToken('u1', 'read').signed;
      expectRejection(await get('/scoped', bearer(token)), {
        status: 403,
        code: 'ERR_TOKEN_FORBIDDEN_SCOPE',
        issuer,
        bearerError: 'insufficient_scope',
        secrets: [token, issuer],
      });
      const admin = manager.authToken('u1', 'admin').signed;
      expect((await get('/scoped', bearer(admin))).status).to.equal(200);
    });

    it('answers 403 insufficient_scope to a valid token without the required claims', async () => {
      const token = manager.authToken('u1', null, { tenant: 'other' }).signed;
      expectRejection(await get('/claimed', bearer(token)), {
        status: 403,
        code: 'ERR_TOKEN_FORBIDDEN_CLAIMS',
        issuer,
        bearerError: 'insufficient_scope',
        secrets: [token, issuer],
      });
      const acme = manager.authToken('u1', null, { tenant: 'acme' }).signed;
      expect((await get('/claimed', bearer(acme))).status).to.equal(200);
    });

    it('a guarded service method called from an action answers 403 with a { name, message, code } body', async () => {
      const token = manager.authToken('u1', 'read').signed;
      const reply = await get('/report', bearer(token));
      expect(reply.status, reply.text).to.equal(403);
      expect(reply.json).to.deep.equal({
        name: 'TokenForbiddenError',
        message: 'The token does not carry the required scope',
        code: 'ERR_TOKEN_FORBIDDEN_SCOPE',
      });
      expect(reply.text).not.to.include(token);
      const admin = manager.authToken('u1', 'admin').signed;
      const allowed = await get('/report', bearer(admin));
      expect(allowed.status, allowed.text).to.equal(200);
      expect(allowed.json).to.deep.equal({ report: 'report for u1' });
    });

    it('a guarded service method\'s 403 carries WWW-Authenticate with error="insufficient_scope"', async () => {
      const token = manager.authToken('u1', 'read').signed;
      const reply = await get('/report', bearer(token));
      expect(reply.status, reply.text).to.equal(403);
      expect(reply.headers['www-authenticate']).to.equal(`Bearer realm="${issuer}", error="insufficient_scope"`);
    });

    it('security: two Authorization headers are refused rather than resolved silently', async () => {
      const valid = manager.authToken('u1').signed;
      const reply = await send(`${server.url}/errors/auth`, { headers: { authorization: [`Bearer ${valid}`, `Bearer ${valid}`] } });
      expectRejection(reply, unauthorized('ERR_TOKEN_HEADER', [valid]));
    });

    describe('authentication runs before body validation', () => {
      const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> =>
        send(`${server.url}/errors${path}`, { method: 'POST', body, headers });

      it('answers 401, not 400, to a request with no token and an invalid body', async () => {
        expectRejection(await post('/items', { name: 42 }), { status: 401, code: 'ERR_TOKEN_MISSING', issuer, bearerError: null });
      });

      it('answers 401, not 400, to a request with no token and a body that is not JSON', async () => {
        const reply = await post('/items', '{"name": ', {});
        expectRejection(reply, { status: 401, code: 'ERR_TOKEN_MISSING', issuer, bearerError: null });
      });

      it('answers 401, not 400, to a request with a bad token and an invalid body', async () => {
        expectRejection(await post('/items', { name: '' }, bearer('x.y.z')), {
          status: 401,
          code: 'ERR_TOKEN_MALFORMED',
          issuer,
          bearerError: 'invalid_token',
        });
      });

      it('answers 403, not 400, to a token without the required scope and an invalid body', async () => {
        const token = manager.authToken('u1', 'read').signed;
        expectRejection(await post('/admin-items', { name: 42 }, bearer(token)), {
          status: 403,
          code: 'ERR_TOKEN_FORBIDDEN_SCOPE',
          issuer,
          bearerError: 'insufficient_scope',
        });
      });

      it('answers 400 to a valid token with an invalid body', async () => {
        const token = manager.authToken('u1').signed;
        const reply = await post('/items', { name: 42 }, bearer(token));
        expect(reply.status, reply.text).to.equal(400);
        expect(reply.text).not.to.include(token);
      });

      it('answers 400 to a valid token without the required body', async () => {
        const token = manager.authToken('u1').signed;
        const reply = await send(`${server.url}/errors/items`, { method: 'POST', headers: { ...bearer(token), 'content-type': 'application/json' } });
        expect(reply.status, reply.text).to.equal(400);
      });

      it('answers 200 to a valid token with a valid body, with currentToken still readable after body parsing', async () => {
        const token = manager.authToken('writer').signed;
        const reply = await post('/items', { name: 'pen' }, bearer(token));
        expect(reply.status, reply.text).to.equal(200);
        expect(reply.json).to.deep.equal({ created: 'pen', by: 'writer' });
      });
    });
  });
}

describe('WWW-Authenticate realm', () => {
  const realmFor = async (issuer: string): Promise<Reply> => {
    const built = appWithManager(configFor('HS256', issuer));
    built.app.get('/x', requireToken(), (_req, res) => {
      res.json({});
    });
    const server = await listen(built.app);
    try {
      return await send(`${server.url}/x`);
    } finally {
      await server.close();
    }
  };

  it('security: quotes and backslashes in the issuer are escaped inside the quoted realm', async () => {
    const reply = await realmFor('api "v2" \\ east');
    expect(reply.status).to.equal(401);
    expect(reply.headers['www-authenticate']).to.equal('Bearer realm="api \\"v2\\" \\\\ east"');
  });

  it('security: line breaks in the issuer cannot inject headers', async () => {
    const reply = await realmFor('line\r\nX-Injected: 1');
    expect(reply.status).to.equal(401);
    expect(reply.headers['x-injected']).to.equal(undefined);
    expect(reply.headers['www-authenticate']).to.be.a('string').and.not.match(/[\r\n]/);
    expect(reply.headers['www-authenticate']).to.match(/^Bearer realm="line[^"]*X-Injected: 1"$/);
  });
});
