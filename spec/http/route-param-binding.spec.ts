/**
 * Route-parameter binding over real HTTP on Express 5: a required string that names a parameter of the route binds to
 * it, and never falls back to a literal comparison because the parameter is absent from the request (an optional
 * segment) or invisible to the guard (a router mounted at `/u/:userId` without mergeParams). Where the guard cannot
 * know the route (mounted with use()), a plain string is ambiguous and the request is refused as a configuration
 * error; `param()` and the `claims` option say which is which explicitly.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import express, { type Express, type Request, type Response } from 'express';
import { Get, JsonController, Param, useExpressServer } from 'routing-controllers';
import { AuthManager, currentToken, param, RequireToken, requireToken, type Claims } from 'routing-controllers-jwt';
import { configFor } from '../support/keys';
import { bearer, listen, send, type Reply, type RunningServer } from '../support/server';
import { appWithManager, expectRejection } from '../support/require-token';

/** An optional last parameter in the running express's syntax: `{/:name}` since express 5, `/:name?` before. */
const optional = (base: string, name: string): string =>
  (process.env.EXPRESS_MAJOR === '4' ? `${base}/:${name}?` : `${base}{/:${name}}`);

const CONFIG_ERROR_CODE = 'ERR_JWT_ROUTE_UNKNOWN';

/** A service whose method binds `sub` implicitly: checked against the token and route of the calling request. */
class AccountService {
  @RequireToken({ sub: 'userId' })
  read(): string {
    return String(currentToken.sub);
  }
}

const accounts = new AccountService();

/** Answers `{ sub }` from `fn`, or the status and code of what it threw (so a thrown config error shows as JSON). */
function answer(res: Response, fn: () => string): void {
  try {
    res.json({ sub: fn() });
  } catch (error) {
    const thrown = error as { httpCode?: number; code?: string; name?: string; message?: string };
    res.status(thrown.httpCode ?? 500).json({ name: thrown.name, message: thrown.message, code: thrown.code });
  }
}

const whoAmI = (_req: Request, res: Response): void => {
  res.json({ sub: currentToken.sub });
};

@JsonController('/rc')
class BindingController {
  @Get('/users/:userId')
  @RequireToken({ sub: 'userId' })
  user(@Param('userId') userId: string) {
    return { sub: currentToken.sub, userId };
  }

  @Get('/plain')
  @RequireToken({ sub: 'userId' })
  plain() {
    return { sub: currentToken.sub };
  }

  @Get('/service/:userId')
  @RequireToken()
  service() {
    return { sub: accounts.read() };
  }
}

/** Registers every plain-Express route of this spec on `app`. */
function plainRoutes(app: Express): void {
  // Express 5 optional segment: /users and /users/:userId are one route.
  app.get(optional('/users', 'userId'), requireToken({ sub: 'userId' }), whoAmI);

  // A router mounted at a parameterised path: without mergeParams its use() middleware cannot see :userId.
  const hidden = express.Router();
  hidden.use(requireToken({ sub: 'userId' }));
  hidden.get('/profile', whoAmI);
  app.use('/u/:userId', hidden);

  const merged = express.Router({ mergeParams: true });
  merged.use(requireToken({ sub: 'userId' }));
  merged.get('/profile', whoAmI);
  app.use('/m/:userId', merged);

  const explicitMerged = express.Router({ mergeParams: true });
  explicitMerged.use(requireToken({ claims: { sub: param('userId'), role: 'admin' } }));
  explicitMerged.get('/profile', whoAmI);
  app.use('/pm/:userId', explicitMerged);

  const explicitHidden = express.Router();
  explicitHidden.use(requireToken({ claims: { sub: param('userId') } }));
  explicitHidden.get('/profile', whoAmI);
  app.use('/ph/:userId', explicitHidden);

  // Route-level guards inside mounted routers: the mount path's parameters are declared even when invisible.
  const nestedHidden = express.Router();
  nestedHidden.get('/profile', requireToken({ sub: 'userId' }), whoAmI);
  app.use('/n/:userId', nestedHidden);

  const nestedMerged = express.Router({ mergeParams: true });
  nestedMerged.get('/profile', requireToken({ sub: 'userId' }), whoAmI);
  app.use('/nm/:userId', nestedMerged);

  // use() with a plain string: a literal or a parameter? Never guessed.
  app.use('/x', requireToken({ role: 'admin' }), whoAmI);
  app.use('/y', requireToken({ claims: { role: 'admin' } }), whoAmI);

  // A route that passes the request on does not lend its path to a use() guard after it.
  app.get('/stale/other', (_req, _res, next) => next());
  app.use('/stale', requireToken({ sub: 'userId' }), whoAmI);

  // RegExp and array routes.
  app.get(/^\/re\/(?<userId>[^/]+)$/, requireToken({ sub: 'userId' }), whoAmI);
  app.get(/^\/re-plain$/, requireToken({ sub: 'userId' }), whoAmI);
  app.get(['/arr/:userId', '/arr'], requireToken({ sub: 'userId' }), whoAmI);

  // Numbers in canonical form.
  app.get('/num/:userId', requireToken({ sub: 'userId' }), whoAmI);

  // Service methods bind against what the guard of the request knew about the route.
  app.get('/svc/route/:userId', requireToken(), (_req, res) => answer(res, () => accounts.read()));
  app.get(optional('/svc/optional', 'userId'), requireToken(), (_req, res) => answer(res, () => accounts.read()));
  app.use('/svc/mounted', requireToken());
  app.get('/svc/mounted/:userId', (_req, res) => answer(res, () => accounts.read()));
}

describe('route-parameter binding never falls back to a literal', () => {
  const config = configFor('HS256', 'https://route-binding.example');
  const issuer = config.JWT_ISSUER;
  let manager: AuthManager;
  let plain: RunningServer;
  let controllers: RunningServer;
  let subApp: RunningServer;
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => {
    if ((warning as { code?: string }).code === CONFIG_ERROR_CODE) warnings.push(warning);
  };

  before(async () => {
    process.on('warning', onWarning);
    const built = appWithManager(config);
    manager = built.manager;
    plainRoutes(built.app);
    plain = await listen(built.app);

    const rc = appWithManager(config);
    useExpressServer(rc.app, { controllers: [BindingController] });
    controllers = await listen(rc.app);

    // A sub-app mounted at a parameterised path: its routes never see the parent's parameters.
    const parent = appWithManager(config);
    const child = appWithManager(config).app;
    child.get('/profile', requireToken({ sub: 'userId' }), whoAmI);
    parent.app.use('/s/:userId', child);
    subApp = await listen(parent.app);
  });

  after(async () => {
    process.off('warning', onWarning);
    await Promise.all([plain.close(), controllers.close(), subApp.close()]);
  });

  const token = (sub: string | number, claims: Claims = {}): string => manager.authToken(sub, null, claims).signed;
  const get = (server: RunningServer, path: string, signed?: string): Promise<Reply> =>
    send(`${server.url}${path}`, { headers: signed === undefined ? {} : bearer(signed) });
  const expectAllowed = async (server: RunningServer, path: string, signed: string, sub: string | number): Promise<void> => {
    const reply = await get(server, path, signed);
    expect(reply.status, `${path}: ${reply.text}`).to.equal(200);
    expect(reply.json).to.deep.include({ sub });
  };
  const expectForbidden = async (server: RunningServer, path: string, signed: string): Promise<void> => {
    const reply = await get(server, path, signed);
    expectRejection(reply, { status: 403, code: 'ERR_TOKEN_FORBIDDEN_CLAIMS', issuer, bearerError: 'insufficient_scope', secrets: [signed] });
  };
  /** A 500 configuration error with the library's `{ name, message, code }` body, naming the fix and no claim value. */
  const expectConfigError = (reply: Reply, ...claimValues: string[]): void => {
    expect(reply.status, reply.text).to.equal(500);
    expect(reply.headers['content-type']).to.match(/^application\/json/);
    const body = reply.json as Record<string, unknown>;
    expect(Object.keys(body).sort()).to.deep.equal(['code', 'message', 'name']);
    expect(body.code).to.equal(CONFIG_ERROR_CODE);
    expect(body.message).to.include("param('name')").and.include('`claims`');
    for (const value of claimValues) expect(reply.text, 'the body names no claim value').not.to.include(value);
  };

  describe('an optional parameter (/users{/:userId} on express 5, /users/:userId? on express 4)', () => {
    it('security: the user whose sub is the literal "userId" gets 403 on /users, where the parameter is absent', async () => {
      await expectForbidden(plain, '/users', token('userId'));
    });

    it('binds when the parameter is present: alice on /users/alice 200, bob 403', async () => {
      await expectAllowed(plain, '/users/alice', token('alice'), 'alice');
      await expectForbidden(plain, '/users/alice', token('bob'));
    });
  });

  describe('a router mounted at /u/:userId', () => {
    it('security: without mergeParams, router.use(requireToken({ sub: "userId" })) is a 500 config error, never 200 for the "userId" user', async () => {
      expectConfigError(await get(plain, '/u/userId/profile', token('userId')), 'userId');
      expectConfigError(await get(plain, '/u/alice/profile', token('alice')), 'userId');
      expectConfigError(await get(plain, '/u/alice/profile'), 'userId');
    });

    it('explains the configuration error once per guard with process.emitWarning, naming no claim value', async () => {
      for (let i = 0; i < 3; i++) {
        await get(plain, '/u/alice/profile', token('alice'));
        await get(plain, '/x', token('alice', { role: 'admin' }));
      }
      // Two guards refused requests so far (this one and the one of the test before): two warnings, not six.
      expect(warnings.map((warning) => warning.message)).to.have.length(2);
      for (const { message } of warnings) {
        expect(message).to.include('use()').and.include("param('name')").and.include('`claims`');
        expect(message).not.to.include('userId');
        expect(message).not.to.include('admin');
      }
    });

    it('with mergeParams: true the parameter is visible and binds', async () => {
      await expectAllowed(plain, '/m/alice/profile', token('alice'), 'alice');
      await expectForbidden(plain, '/m/alice/profile', token('bob'));
      await expectForbidden(plain, '/m/alice/profile', token('userId'));
    });

    it('param() and the claims option work under use(): a binding and a literal, each explicit', async () => {
      await expectAllowed(plain, '/pm/alice/profile', token('alice', { role: 'admin' }), 'alice');
      await expectForbidden(plain, '/pm/alice/profile', token('alice', { role: 'user' }));
      await expectForbidden(plain, '/pm/alice/profile', token('bob', { role: 'admin' }));
      await expectForbidden(plain, '/pm/alice/profile', token('userId', { role: 'admin' }));
    });

    it('security: param() of an invisible parameter refuses (403), it never compares the literal name', async () => {
      await expectForbidden(plain, '/ph/alice/profile', token('alice'));
      await expectForbidden(plain, '/ph/userId/profile', token('userId'));
    });

    it('security: a route-level guard inside the router knows the mount path declares :userId (403 without mergeParams)', async () => {
      await expectForbidden(plain, '/n/alice/profile', token('userId'));
      await expectForbidden(plain, '/n/alice/profile', token('alice'));
      await expectAllowed(plain, '/nm/alice/profile', token('alice'), 'alice');
      await expectForbidden(plain, '/nm/alice/profile', token('userId'));
    });

    it('security: a sub-app mounted at /s/:userId knows its mount path declares :userId', async () => {
      await expectForbidden(subApp, '/s/alice/profile', token('userId'));
      await expectForbidden(subApp, '/s/alice/profile', token('alice'));
    });
  });

  describe('use() without a route', () => {
    it('app.use("/x", requireToken({ role: "admin" })) is ambiguous: 500, for every token', async () => {
      expectConfigError(await get(plain, '/x', token('alice', { role: 'admin' })), 'admin');
      expectConfigError(await get(plain, '/x', token('alice', { role: 'user' })), 'admin');
    });

    it('requireToken({ claims: { role: "admin" } }) compares the literal: admin 200, others 403', async () => {
      await expectAllowed(plain, '/y', token('alice', { role: 'admin' }), 'alice');
      await expectForbidden(plain, '/y', token('alice', { role: 'user' }));
      await expectForbidden(plain, '/y', token('alice'));
    });

    it('security: a route that called next() does not lend its path to a use() guard after it', async () => {
      expectConfigError(await get(plain, '/stale/other', token('userId')), 'userId');
    });
  });

  describe('routing-controllers actions', () => {
    it('@Get("/users/:userId") @RequireToken({ sub: "userId" }) binds', async () => {
      await expectAllowed(controllers, '/rc/users/alice', token('alice'), 'alice');
      await expectForbidden(controllers, '/rc/users/alice', token('bob'));
      await expectForbidden(controllers, '/rc/users/alice', token('userId'));
    });

    it('on a known route without that parameter, sub: "userId" is the literal "userId" (as documented)', async () => {
      await expectAllowed(controllers, '/rc/plain', token('userId'), 'userId');
      await expectForbidden(controllers, '/rc/plain', token('alice'));
    });

    it('a guarded service method called from an action binds to the action\'s parameter', async () => {
      await expectAllowed(controllers, '/rc/service/alice', token('alice'), 'alice');
      await expectForbidden(controllers, '/rc/service/alice', token('userId'));
    });
  });

  describe('RegExp and array routes', () => {
    it('a RegExp route binds to its named group', async () => {
      await expectAllowed(plain, '/re/alice', token('alice'), 'alice');
      await expectForbidden(plain, '/re/alice', token('userId'));
    });

    it('a RegExp route without that group compares the literal', async () => {
      await expectAllowed(plain, '/re-plain', token('userId'), 'userId');
      await expectForbidden(plain, '/re-plain', token('alice'));
    });

    it('security: an array route declares the parameters of all its paths, present or not', async () => {
      await expectAllowed(plain, '/arr/alice', token('alice'), 'alice');
      await expectForbidden(plain, '/arr', token('userId'));
    });
  });

  it('numbers still match only the canonical decimal form', async () => {
    await expectAllowed(plain, '/num/1', token(1), 1);
    for (const path of ['/num/01', '/num/1.0', '/num/+1']) await expectForbidden(plain, path, token(1));
  });

  describe('guarded service methods', () => {
    it('bind to the parameter the request\'s guard saw declared', async () => {
      await expectAllowed(plain, '/svc/route/alice', token('alice'), 'alice');
      const reply = await get(plain, '/svc/route/alice', token('bob'));
      expect(reply.status).to.equal(403);
    });

    it('security: never fall back to a literal when the declared parameter is absent', async () => {
      const reply = await get(plain, '/svc/optional', token('userId'));
      expect(reply.status, reply.text).to.equal(403);
      expect(reply.json).to.deep.include({ code: 'ERR_TOKEN_FORBIDDEN_CLAIMS' });
    });

    it('security: under a use() guard that knew no route, throw the config error instead of guessing', async () => {
      const reply = await get(plain, '/svc/mounted/userId', token('userId'));
      expect(reply.status, reply.text).to.equal(500);
      expect(reply.json).to.deep.include({ code: CONFIG_ERROR_CODE });
      expect((reply.json as { message: string }).message).to.include("param('name')");
    });
  });
});
