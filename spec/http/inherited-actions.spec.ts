/**
 * @RequireToken on actions a controller inherits from a base class. routing-controllers builds an inherited action
 * for the subclass, so the guard declared on the base class must follow it to every subclass, while a subclass that
 * overrides the method (a different method) is not guarded by the base's requirement.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { IsString, MinLength, validateSync } from 'class-validator';
import { json, type NextFunction, type Request, type Response } from 'express';
import { Get, JsonController, Post, UseBefore, useExpressServer } from 'routing-controllers';
import { currentToken, JWT, keepAliveErrorSink, RequireToken, type AuthManager } from 'routing-controllers-jwt';
import { configFor } from '../support/keys';
import { bearer, listen, send, type Reply, type RunningServer } from '../support/server';
import { appWithManager, expectRejection } from '../support/require-token';

class ItemBody {
  @IsString()
  @MinLength(1)
  name!: string;
}

/** Answers 400 to a body that is not a valid ItemBody. */
function validateItem(request: Request, response: Response, next: NextFunction): void {
  const errors = validateSync(Object.assign(new ItemBody(), request.body));
  if (errors.length > 0) response.status(400).json({ name: 'BadRequestError', fields: errors.map((error) => error.property) });
  else next();
}

/** Guarded actions declared once, on a class that is no controller itself. */
abstract class GuardedActions {
  @Get('/me')
  @RequireToken()
  me() {
    return { sub: currentToken.sub, isJwt: currentToken instanceof JWT };
  }

  @Get('/admin')
  @RequireToken({ admin: true })
  admin() {
    return { admin: currentToken.sub };
  }

  @Post('/items')
  @RequireToken()
  create() {
    return { created: true, by: currentToken.sub };
  }
}

@JsonController('/first')
class FirstController extends GuardedActions {}

@JsonController('/second')
class SecondController extends GuardedActions {}

// routing-controllers gives an inherited action neither the base method's params (@Body) nor its middlewares, so the
// subclass parses and validates the body of the action it inherits with before-middlewares of its own.
UseBefore(json(), validateItem)(FirstController.prototype, 'create');

/** Overrides `me` without @RequireToken: its own, open method. */
@JsonController('/open')
class OpenOverrideController extends GuardedActions {
  override me() {
    return { sub: 'anonymous', isJwt: false };
  }
}

/** Overrides `me` and calls the guarded base method: it must not run unguarded. */
@JsonController('/super')
class SuperCallController extends GuardedActions {
  override me() {
    return super.me();
  }
}

/** Inherits over two levels (GuardedActions → FirstController → here). */
@JsonController('/third')
class ThirdController extends FirstController {}

/** Overrides `me` with a requirement of its own, which replaces the base's. */
@JsonController('/strict')
class StrictOverrideController extends GuardedActions {
  @RequireToken({ admin: true })
  override me() {
    return { sub: currentToken.sub, isJwt: currentToken instanceof JWT };
  }
}

/** A base class that is a controller itself, with a subclass controller. */
@JsonController('/base')
class BaseController {
  @Get('/me')
  @RequireToken()
  me() {
    return { sub: currentToken.sub, isJwt: currentToken instanceof JWT };
  }
}

@JsonController('/derived')
class DerivedController extends BaseController {}

describe('@RequireToken on inherited controller actions', () => {
  const issuer = 'https://inherited.example';
  let manager: AuthManager;
  let server: RunningServer;

  const get = (path: string, headers: Record<string, string> = {}): Promise<Reply> => send(`${server.url}${path}`, { headers });
  const tokenOf = (sub: string, claims: Record<string, boolean> = {}): Record<string, string> =>
    bearer(manager.authToken(sub, null, claims).signed);

  before(async () => {
    const built = appWithManager(configFor('HS256', issuer));
    manager = built.manager;
    useExpressServer(built.app, {
      controllers: [
        FirstController,
        SecondController,
        ThirdController,
        OpenOverrideController,
        SuperCallController,
        StrictOverrideController,
        BaseController,
        DerivedController,
      ],
    });
    // The super call's 401 is thrown from the action: without the sink, Express would drop the keep-alive connection.
    built.app.use(keepAliveErrorSink);
    server = await listen(built.app);
  });

  after(() => server.close());

  it('guards an inherited action: a valid token gets 200 with currentToken readable in the action', async () => {
    const reply = await get('/first/me', tokenOf('alice'));
    expect(reply.status, reply.text).to.equal(200);
    expect(reply.json).to.deep.equal({ sub: 'alice', isJwt: true });
  });

  it('answers 401 to an inherited action without a token', async () => {
    expectRejection(await get('/first/me'), { status: 401, code: 'ERR_TOKEN_MISSING', issuer, bearerError: null });
  });

  it('answers 403 to an inherited action whose token lacks a required claim, and 200 with it', async () => {
    expectRejection(await get('/first/admin', tokenOf('bob')), {
      status: 403,
      code: 'ERR_TOKEN_FORBIDDEN_CLAIMS',
      issuer,
      bearerError: 'insufficient_scope',
    });
    const admin = await get('/first/admin', tokenOf('carol', { admin: true }));
    expect(admin.status, admin.text).to.equal(200);
    expect(admin.json).to.deep.equal({ admin: 'carol' });
  });

  it('guards the inherited actions of two subclasses of one base alike', async () => {
    for (const prefix of ['/first', '/second']) {
      const reply = await get(`${prefix}/me`, tokenOf(`user${prefix}`));
      expect(reply.status, reply.text).to.equal(200);
      expect(reply.json).to.deep.equal({ sub: `user${prefix}`, isJwt: true });
      expectRejection(await get(`${prefix}/me`), { status: 401, code: 'ERR_TOKEN_MISSING', issuer, bearerError: null });
      expect((await get(`${prefix}/admin`, tokenOf('bob'))).status).to.equal(403);
    }
  });

  it('guards an action inherited over two levels', async () => {
    const reply = await get('/third/me', tokenOf('frank'));
    expect(reply.status, reply.text).to.equal(200);
    expect(reply.json).to.deep.equal({ sub: 'frank', isJwt: true });
    expectRejection(await get('/third/me'), { status: 401, code: 'ERR_TOKEN_MISSING', issuer, bearerError: null });
    expect((await get('/third/admin', tokenOf('bob'))).status).to.equal(403);
  });

  it('checks an override\'s own @RequireToken in place of the base\'s requirement', async () => {
    expectRejection(await get('/strict/me', tokenOf('bob')), {
      status: 403,
      code: 'ERR_TOKEN_FORBIDDEN_CLAIMS',
      issuer,
      bearerError: 'insufficient_scope',
    });
    const admin = await get('/strict/me', tokenOf('carol', { admin: true }));
    expect(admin.status, admin.text).to.equal(200);
    expect(admin.json).to.deep.equal({ sub: 'carol', isJwt: true });
  });

  it('does not guard a subclass override without @RequireToken (a different method), but keeps its other inherited actions guarded', async () => {
    const open = await get('/open/me');
    expect(open.status, open.text).to.equal(200);
    expect(open.json).to.deep.equal({ sub: 'anonymous', isJwt: false });
    expectRejection(await get('/open/admin'), { status: 401, code: 'ERR_TOKEN_MISSING', issuer, bearerError: null });
  });

  it('security: fails closed (401) when a subclass override calls the guarded base method through super', async () => {
    for (const headers of [{}, tokenOf('alice')]) {
      const reply = await get('/super/me', headers);
      expect(reply.status, reply.text).to.equal(401);
      expect((reply.json as Record<string, unknown>).code).to.equal('ERR_TOKEN_MISSING');
    }
  });

  it('keeps a base class that is a controller itself guarded, and guards its subclass controller too', async () => {
    for (const prefix of ['/base', '/derived']) {
      const reply = await get(`${prefix}/me`, tokenOf('dave'));
      expect(reply.status, reply.text).to.equal(200);
      expect(reply.json).to.deep.equal({ sub: 'dave', isJwt: true });
      expectRejection(await get(`${prefix}/me`), { status: 401, code: 'ERR_TOKEN_MISSING', issuer, bearerError: null });
      expect((await get(`${prefix}/me`, bearer('x.y.z'))).status).to.equal(401);
    }
  });

  describe('authentication runs before body parsing and validation on an inherited action', () => {
    const post = (body: unknown, headers: Record<string, string> = {}): Promise<Reply> =>
      send(`${server.url}/first/items`, { method: 'POST', body, headers });

    it('answers 401, not 400, to no token and an invalid body', async () => {
      expectRejection(await post({ name: 42 }), { status: 401, code: 'ERR_TOKEN_MISSING', issuer, bearerError: null });
    });

    it('answers 401, not 400, to no token and a body that is not JSON', async () => {
      expectRejection(await post('{"name": '), { status: 401, code: 'ERR_TOKEN_MISSING', issuer, bearerError: null });
    });

    it('answers 401, not 400, to a bad token and an invalid body', async () => {
      expectRejection(await post({ name: '' }, bearer('x.y.z')), { status: 401, code: 'ERR_TOKEN_MALFORMED', issuer, bearerError: 'invalid_token' });
    });

    it('answers 400 to a valid token with an invalid body (the validation runs, after the guard)', async () => {
      const reply = await post({ name: 42 }, tokenOf('erin'));
      expect(reply.status, reply.text).to.equal(400);
      expect(reply.json).to.deep.equal({ name: 'BadRequestError', fields: ['name'] });
    });

    it('answers 200 to a valid token and a valid body, with currentToken readable after body parsing', async () => {
      const reply = await post({ name: 'pen' }, tokenOf('erin'));
      expect(reply.status, reply.text).to.equal(200);
      expect(reply.json).to.deep.equal({ created: true, by: 'erin' });
    });
  });
});
