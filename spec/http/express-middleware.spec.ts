/**
 * The plain-Express front door `requireToken()` and error handling: an app's own Express error handler, and a
 * routing-controllers error middleware with `defaultErrorHandler: false`, see the library's HttpErrors.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import express, { type NextFunction, type Request, type Response } from 'express';
import { setTimeout as delay } from 'node:timers/promises';
import {
  ExpressErrorMiddlewareInterface,
  ForbiddenError,
  Get,
  HttpError,
  JsonController,
  Middleware,
  getMetadataArgsStorage,
  UnauthorizedError,
  useExpressServer,
} from 'routing-controllers';
import {
  AuthManager,
  currentToken,
  getCurrentToken,
  JWT,
  requireToken,
  RequireToken,
  TokenForbiddenError,
  TokenUnauthorizedError,
} from 'routing-controllers-jwt';
import { configFor } from '../support/keys';
import { bearer, listen, send, type RunningServer } from '../support/server';
import { appWithManager, expectRejection } from '../support/require-token';
import { typeErrors } from '../support/type-check';

describe('requireToken(): the plain-Express front door', () => {
  const issuer = 'https://plain-express.example';
  let manager: AuthManager;
  let server: RunningServer;

  before(async () => {
    const built = appWithManager(configFor('HS256', issuer));
    manager = built.manager;
    const { app } = built;
    // Handlers are left unannotated: see the skipped typing test below.
    app.get('/x', requireToken({ scope: 'read' }), (_req, res) => {
      res.json({ sub: currentToken.sub, isJwt: currentToken instanceof JWT });
    });
    app.get('/refresh', requireToken('refresh'), (_req, res) => {
      res.json({ sub: currentToken.sub, rid: currentToken.claims.rid });
    });
    app.get('/cookie', requireToken('auth', 'cookies', { cookieName: 'sid' }), (_req, res) => {
      res.json({ sub: currentToken.sub });
    });
    app.get('/users/:userId', requireToken({ sub: 'userId' }), (req, res) => {
      res.json({ sub: currentToken.sub, userId: req.params?.userId });
    });
    app.get('/later', requireToken(), async (_req, res) => {
      await delay(5);
      res.json({ sub: currentToken.sub });
    });
    app.post('/body', requireToken(), express.json(), (req, res) => {
      res.json({ sub: getCurrentToken()?.sub ?? null, echo: (req.body as { value?: unknown }).value ?? null });
    });
    app.get('/open', (_req: Request, res: Response) => {
      res.json({ token: getCurrentToken() ?? null });
    });
    server = await listen(app);
  });

  after(() => server.close());

  const get = (path: string, headers: Record<string, string> = {}) => send(`${server.url}${path}`, { headers });

  it('answers 401 without a token, with the same challenge and body as @RequireToken', async () => {
    expectRejection(await get('/x'), { status: 401, code: 'ERR_TOKEN_MISSING', issuer, bearerError: null, secrets: [issuer] });
  });

  it('answers 401 invalid_token to a bad token', async () => {
    expectRejection(await get('/x', bearer('a.b.c')), { status: 401, code: 'ERR_TOKEN_MALFORMED', issuer, bearerError: 'invalid_token' });
    const refresh = manager.refreshToken('u1').signed;
    expectRejection(await get('/x', bearer(refresh)), {
      status: 401,
      code: 'ERR_TOKEN_TYPE',
      issuer,
      bearerError: 'invalid_token',
      secrets: [refresh],
    });
  });

  it('answers 403 insufficient_scope to a token without the scope', async () => {
    const token = manager.authToken('u1', 'write').signed;
    expectRejection(await get('/x', bearer(token)), {
      status: 403,
      code: 'ERR_TOKEN_FORBIDDEN_SCOPE',
      issuer,
      bearerError: 'insufficient_scope',
      secrets: [token, issuer],
    });
  });

  it('answers 200 and makes currentToken readable in the handler', async () => {
    const reply = await get('/x', bearer(manager.authToken('plain-user', 'read write').signed));
    expect(reply.status, reply.text).to.equal(200);
    expect(reply.json).to.deep.equal({ sub: 'plain-user', isJwt: true });
  });

  it('takes the positional form: refresh tokens and cookies', async () => {
    const refresh = manager.refreshToken('r1');
    const reply = await get('/refresh', bearer(refresh.signed));
    expect(reply.status, reply.text).to.equal(200);
    expect(reply.json).to.deep.equal({ sub: 'r1', rid: refresh.claims.rid });
    const auth = manager.authToken('c1').signed;
    expect((await get('/refresh', bearer(auth))).status).to.equal(401);
    const cookie = await get('/cookie', { cookie: `sid=${auth}` });
    expect(cookie.status, cookie.text).to.equal(200);
    expect(cookie.json).to.deep.equal({ sub: 'c1' });
    expectRejection(await get('/cookie', bearer(auth)), { status: 401, code: 'ERR_TOKEN_MISSING', issuer, bearerError: null });
  });

  it('binds required claims to Express route parameters', async () => {
    const token = manager.authToken('alice').signed;
    const own = await get('/users/alice', bearer(token));
    expect(own.status, own.text).to.equal(200);
    expect(own.json).to.deep.equal({ sub: 'alice', userId: 'alice' });
    expect((await get('/users/bob', bearer(token))).status).to.equal(403);
  });

  it('keeps currentToken readable after an await in the handler', async () => {
    const reply = await get('/later', bearer(manager.authToken('later-user').signed));
    expect(reply.status, reply.text).to.equal(200);
    expect(reply.json).to.deep.equal({ sub: 'later-user' });
  });

  it('keeps currentToken readable after a body parser placed behind it', async () => {
    const reply = await send(`${server.url}/body`, {
      method: 'POST',
      headers: bearer(manager.authToken('body-user').signed),
      body: { value: 'x'.repeat(100_000) },
    });
    expect(reply.status, reply.text.slice(0, 200)).to.equal(200);
    const json = reply.json as { sub: unknown; echo: unknown };
    expect(json.sub).to.equal('body-user');
    expect(json.echo).to.have.length(100_000);
  });

  it('leaves unprotected routes without a token context', async () => {
    const reply = await get('/open', bearer(manager.authToken('u1').signed));
    expect(reply.status).to.equal(200);
    expect(reply.json).to.deep.equal({ token: null });
  });
});

interface CaughtError {
  handledBy: string;
  isTokenUnauthorizedError: boolean;
  isTokenForbiddenError: boolean;
  isUnauthorizedError: boolean;
  isForbiddenError: boolean;
  isHttpError: boolean;
  httpCode: number;
  status: number;
  code: string;
  challenge: string | null;
}

function describeError(handledBy: string, error: unknown): CaughtError {
  const fields = error as { httpCode: number; status: number; code: string; headers?: Record<string, string> };
  return {
    handledBy,
    isTokenUnauthorizedError: error instanceof TokenUnauthorizedError,
    isTokenForbiddenError: error instanceof TokenForbiddenError,
    isUnauthorizedError: error instanceof UnauthorizedError,
    isForbiddenError: error instanceof ForbiddenError,
    isHttpError: error instanceof HttpError,
    httpCode: fields.httpCode,
    status: fields.status,
    code: fields.code,
    challenge: fields.headers?.['WWW-Authenticate'] ?? null,
  };
}

describe('requireToken() in an app with its own Express error handler', () => {
  const issuer = 'https://own-error-handler.example';
  let manager: AuthManager;
  let server: RunningServer;

  before(async () => {
    const built = appWithManager(configFor('HS256', issuer));
    manager = built.manager;
    const { app } = built;
    app.get('/x', requireToken({ scope: 'read' }), (_req, res) => {
      res.json({ sub: currentToken.sub });
    });
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      const caught = describeError('express-error-handler', error);
      res.status(caught.status || 500).json(caught);
    });
    server = await listen(app);
  });

  after(() => server.close());

  it('hands a 401 to the app\'s error handler as a TokenUnauthorizedError with httpCode, status and code', async () => {
    const reply = await send(`${server.url}/x`);
    expect(reply.status, reply.text).to.equal(401);
    expect(reply.json).to.deep.equal({
      handledBy: 'express-error-handler',
      isTokenUnauthorizedError: true,
      isTokenForbiddenError: false,
      isUnauthorizedError: true,
      isForbiddenError: false,
      isHttpError: true,
      httpCode: 401,
      status: 401,
      code: 'ERR_TOKEN_MISSING',
      challenge: `Bearer realm="${issuer}"`,
    });
  });

  it('hands a 403 to the app\'s error handler as a TokenForbiddenError', async () => {
    const reply = await send(`${server.url}/x`, { headers: bearer(manager.authToken('u1', 'write').signed) });
    expect(reply.status, reply.text).to.equal(403);
    const caught = reply.json as CaughtError;
    expect(caught.handledBy).to.equal('express-error-handler');
    expect(caught.isTokenForbiddenError).to.equal(true);
    expect(caught.isForbiddenError).to.equal(true);
    expect(caught.isUnauthorizedError).to.equal(false);
    expect([caught.httpCode, caught.status, caught.code]).to.deep.equal([403, 403, 'ERR_TOKEN_FORBIDDEN_SCOPE']);
    expect(caught.challenge).to.include('error="insufficient_scope"');
  });

  it('does not involve the error handler for a valid token', async () => {
    const reply = await send(`${server.url}/x`, { headers: bearer(manager.authToken('u1', 'read').signed) });
    expect(reply.status, reply.text).to.equal(200);
    expect(reply.json).to.deep.equal({ sub: 'u1' });
  });
});

@JsonController('/custom-handler')
class CustomHandlerController {
  @Get('/scoped')
  @RequireToken({ scope: 'read' })
  scoped() {
    return { sub: currentToken.sub };
  }
}

describe('@RequireToken with a routing-controllers error middleware and defaultErrorHandler: false', () => {
  const issuer = 'https://custom-handler.example';
  let manager: AuthManager;
  let server: RunningServer;

  let customErrorHandler: object | undefined;

  before(async () => {
    // Declared here, not at module level: routing-controllers registers every @Middleware class in every app that
    // does not list its middlewares, so a module-level error handler would answer in other specs' apps too.
    @Middleware({ type: 'after' })
    class CustomErrorHandler implements ExpressErrorMiddlewareInterface {
      error(error: unknown, _request: Request, response: Response, _next: NextFunction): void {
        const caught = describeError('CustomErrorHandler', error);
        response.status(caught.httpCode || 500).json(caught);
      }
    }
    customErrorHandler = CustomErrorHandler;
    const built = appWithManager(configFor('HS256', issuer));
    manager = built.manager;
    useExpressServer(built.app, {
      controllers: [CustomHandlerController],
      middlewares: [CustomErrorHandler],
      defaultErrorHandler: false,
    });
    server = await listen(built.app);
  });

  after(async () => {
    const storage = getMetadataArgsStorage();
    storage.middlewares = storage.middlewares.filter((middleware) => middleware.target !== customErrorHandler);
    await server.close();
  });

  it('a 401 reaches the custom handler as a routing-controllers UnauthorizedError', async () => {
    const reply = await send(`${server.url}/custom-handler/scoped`);
    expect(reply.status, reply.text).to.equal(401);
    expect(reply.json).to.deep.equal({
      handledBy: 'CustomErrorHandler',
      isTokenUnauthorizedError: true,
      isTokenForbiddenError: false,
      isUnauthorizedError: true,
      isForbiddenError: false,
      isHttpError: true,
      httpCode: 401,
      status: 401,
      code: 'ERR_TOKEN_MISSING',
      challenge: `Bearer realm="${issuer}"`,
    });
  });

  it('a 401 for a bad token reaches the custom handler with its code', async () => {
    const reply = await send(`${server.url}/custom-handler/scoped`, { headers: bearer('x.y.z') });
    expect(reply.status, reply.text).to.equal(401);
    const caught = reply.json as CaughtError;
    expect(caught.handledBy).to.equal('CustomErrorHandler');
    expect(caught.isUnauthorizedError).to.equal(true);
    expect(caught.code).to.equal('ERR_TOKEN_MALFORMED');
  });

  it('a 403 reaches the custom handler as a routing-controllers ForbiddenError', async () => {
    const reply = await send(`${server.url}/custom-handler/scoped`, { headers: bearer(manager.authToken('u1', 'write').signed) });
    expect(reply.status, reply.text).to.equal(403);
    const caught = reply.json as CaughtError;
    expect(caught.handledBy).to.equal('CustomErrorHandler');
    expect(caught.isForbiddenError).to.equal(true);
    expect(caught.isTokenForbiddenError).to.equal(true);
    expect(caught.isUnauthorizedError).to.equal(false);
    expect(caught.httpCode).to.equal(403);
    expect(caught.code).to.equal('ERR_TOKEN_FORBIDDEN_SCOPE');
  });

  it('a valid token reaches the action', async () => {
    const reply = await send(`${server.url}/custom-handler/scoped`, { headers: bearer(manager.authToken('u1', 'read').signed) });
    expect(reply.status, reply.text).to.equal(200);
    expect(reply.json).to.deep.equal({ sub: 'u1' });
  });
});

describe('requireToken() types', () => {
  // Building a TypeScript program over express's and the package's typings takes a few seconds.
  it('the README example type-checks, and the checker does flag a misuse', function (this: Mocha.Context) {
    this.timeout(60_000);
    const example = [
      "import express from 'express';",
      "import { currentToken, requireToken } from 'routing-controllers-jwt';",
      'const app = express();',
      "app.get('/me', requireToken({ scope: 'profile' }), (req, res) => res.json({ sub: currentToken.sub }));",
    ].join('\n');
    expect(typeErrors(example)).to.deep.equal([]);
    expect(typeErrors(`${example}\nrequireToken({ scope: 'profile' }, 'header');`)).to.have.length.greaterThan(0);
  });

  it('composes with Express handlers annotated with Request and Response', function (this: Mocha.Context) {
    this.timeout(60_000);
    const source = [
      "import express, { type Request, type Response } from 'express';",
      "import { currentToken, requireToken } from 'routing-controllers-jwt';",
      'const app = express();',
      "app.get('/users/:userId', requireToken({ sub: 'userId' }), (req: Request, res: Response) => {",
      '  res.json({ sub: currentToken.sub, userId: req.params.userId });',
      '});',
      'const router = express.Router();',
      "router.get('/me', requireToken(), (_req: Request, res: Response) => { res.json({ sub: currentToken.sub }); });",
      "app.get('/items/:id', requireToken(), (req, res) => { res.json({ id: req.params.id }); });",
    ].join('\n');
    expect(typeErrors(source)).to.deep.equal([]);
  });
});
