/**
 * Each request is checked with its own token, even when a callback-style middleware (a queue, a pool, a batcher)
 * resumes it from another request's async context. Here bob's request is parked until alice's request, inside her
 * verified token context, calls every parked `next` back: bob's guard must look at bob's request, never trust
 * alice's context, and neither his handler nor his error handler may see alice's token.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { Get, JsonController, Req, UseBefore, useExpressServer } from 'routing-controllers';
import { AuthManager, currentToken, getCurrentToken, RequireToken, requireToken } from 'routing-controllers-jwt';
import { configFor } from '../support/keys';
import { bearer, listen, send, type Reply, type RunningServer } from '../support/server';
import { appWithManager, expectRejection } from '../support/require-token';

/**
 * A callback-style waiting room: `park` holds a request's `next`; `release()` calls every held `next` back,
 * synchronously, from the async context of whoever calls it (as a queue or a pool calls its waiters back).
 */
class Parking {
  #held: NextFunction[] = [];
  #watchers: (() => void)[] = [];

  readonly park = (_req: Request, _res: Response, next: NextFunction): void => {
    this.#held.push(next);
    for (const notify of this.#watchers.splice(0)) notify();
  };

  release(): void {
    for (const next of this.#held.splice(0)) next();
  }

  /** Resolves once `count` requests are parked. */
  async occupied(count = 1): Promise<void> {
    while (this.#held.length < count) await new Promise<void>((resolve) => this.#watchers.push(resolve));
  }
}

type Handler = (req: Request, res: Response, next: NextFunction) => void;

/** Answers the current token's subject. */
const whoAmI = (_req: Request, res: Response): void => {
  res.json({ sub: currentToken.sub });
};

/** Answers the current token's subject after releasing the parked requests from this (alice's) context. */
const releaseThenWhoAmI = (parking: Parking) => (_req: Request, res: Response): void => {
  parking.release();
  res.json({ sub: currentToken.sub });
};

/** Express handlers as methods of a class, guarded with the legacy decorator. */
class Gate {
  @RequireToken()
  pass(_req: Request, _res: Response, next: NextFunction): void {
    next();
  }
}

/** A handler class whose guarded `show` releases the parked requests after answering, still inside its own context. */
class Feed {
  constructor(readonly parking: Parking) {}

  @RequireToken()
  show(_req: Request, res: Response): void {
    res.json({ sub: currentToken.sub });
    this.parking.release();
  }
}

/**
 * `show` guarded with @RequireToken as a TC39 standard decorator. These specs compile with legacy decorators, so the
 * decorator is applied as the standard runtime applies it: called with the method and a method context.
 */
function standardGuardedShow(parking: Parking): (req: Request, res: Response) => void {
  function show(_req: Request, res: Response): void {
    res.json({ sub: currentToken.sub });
    parking.release();
  }
  const context = {
    kind: 'method',
    name: 'show',
    static: false,
    private: false,
    access: { has: () => true, get: () => show },
    addInitializer: () => undefined,
    metadata: {},
  } as unknown as ClassMethodDecoratorContext<unknown, typeof show>;
  return RequireToken()(show, context);
}

const controllerParking = new Parking();

/** Parks the requests that ask for it (`?park=1`), after the action's guard passed them. */
function parkOnRequest(req: Request, res: Response, next: NextFunction): void {
  if (req.query.park === '1') controllerParking.park(req, res, next);
  else next();
}

/** One guarded action: alice's call releases the parked requests from inside its verified context. */
@JsonController('/rc')
class WhoController {
  @Get('/who')
  @UseBefore(parkOnRequest)
  @RequireToken()
  who(@Req() _req: Request) {
    controllerParking.release();
    return { sub: currentToken.sub };
  }
}

describe('each request is checked with its own token when resumed from another request\'s context', () => {
  const issuer = 'https://isolation.example';
  let manager: AuthManager;
  let server: RunningServer;
  const parkings = new Map<string, Parking>();

  const tokenOf = (sub: string): Record<string, string> => bearer(manager.authToken(sub).signed);

  /** Registers GET /<name>/alice (guard, then release) and GET /<name>/bob (park, then guard) on `app`. */
  function scenario(app: Express, name: string, routes: (parking: Parking) => { alice: Handler[]; bob: Handler[] }): void {
    const parking = new Parking();
    parkings.set(name, parking);
    const { alice, bob } = routes(parking);
    app.get(`/${name}/alice`, ...alice);
    app.get(`/${name}/bob`, parking.park, ...bob);
  }

  /** Sends bob's requests first (they park), then alice's, which resumes them from her context. */
  async function aliceResumesBobs(name: string, bobs: readonly Record<string, string>[]): Promise<{ alice: Reply; bobs: Reply[] }> {
    const parking = parkings.get(name) as Parking;
    const bobReplies = bobs.map((headers) => send(`${server.url}/${name}/bob`, { headers }));
    await parking.occupied(bobs.length);
    const alice = await send(`${server.url}/${name}/alice`, { headers: tokenOf('alice') });
    return { alice, bobs: await Promise.all(bobReplies) };
  }

  before(async () => {
    const built = appWithManager(configFor('HS256', issuer));
    manager = built.manager;
    const { app } = built;
    const auth = requireToken();
    const gate = new Gate();
    const gatePass: Handler = (req, res, next) => gate.pass(req, res, next);
    scenario(app, 'middleware', (parking) => ({ alice: [auth, releaseThenWhoAmI(parking)], bob: [auth, whoAmI] }));
    scenario(app, 'gate', (parking) => ({ alice: [gatePass, releaseThenWhoAmI(parking)], bob: [gatePass, whoAmI] }));
    // In the handler scenarios, alice's call of the guarded method itself releases bob from inside its context.
    scenario(app, 'handler', (parking) => {
      const feed = new Feed(parking);
      const show: Handler = (req, res) => feed.show(req, res);
      return { alice: [show], bob: [show] };
    });
    scenario(app, 'standard', (parking) => {
      const show = standardGuardedShow(parking);
      return { alice: [show], bob: [show] };
    });
    parkings.set('rc', controllerParking);
    useExpressServer(app, { controllers: [WhoController] });
    server = await listen(app);
  });

  after(() => server.close());

  it('a routing-controllers action taking the request (@Req) checks its own request when resumed from alice\'s action', async () => {
    const bob = send(`${server.url}/rc/who?park=1`, { headers: tokenOf('bob') });
    await controllerParking.occupied();
    const alice = await send(`${server.url}/rc/who`, { headers: tokenOf('alice') });
    expect(alice.json).to.deep.equal({ sub: 'alice' });
    const reply = await bob;
    expect(reply.status, reply.text).to.equal(200);
    expect(reply.json).to.deep.equal({ sub: 'bob' });
  });

  for (const name of ['middleware', 'gate', 'handler', 'standard']) {
    const path = {
      middleware: 'requireToken() middleware',
      gate: '@RequireToken middleware method (req, res, next)',
      handler: '@RequireToken handler method (req, res)',
      standard: 'standard-decorated handler (req, res)',
    }[name];

    describe(path as string, () => {
      it('bob sees bob, and alice sees alice, when alice resumes bob from her context', async () => {
        const { alice, bobs } = await aliceResumesBobs(name, [tokenOf('bob')]);
        expect(alice.status, alice.text).to.equal(200);
        expect(alice.json).to.deep.equal({ sub: 'alice' });
        expect(bobs[0].status, bobs[0].text).to.equal(200);
        expect(bobs[0].json).to.deep.equal({ sub: 'bob' });
      });

      it('security: bob without a token is refused (401), not served with alice\'s token', async () => {
        const { alice, bobs } = await aliceResumesBobs(name, [{}]);
        expect(alice.status, alice.text).to.equal(200);
        expectRejection(bobs[0], { status: 401, code: 'ERR_TOKEN_MISSING', issuer, bearerError: null });
      });

      it('security: bob with a bad token is refused (401)', async () => {
        const { bobs } = await aliceResumesBobs(name, [bearer('x.y.z')]);
        expectRejection(bobs[0], { status: 401, code: 'ERR_TOKEN_MALFORMED', issuer, bearerError: 'invalid_token' });
      });

      it('several concurrent requests resumed together each see their own token', async () => {
        const users = ['bob', 'carol', 'dave', 'erin'];
        const { alice, bobs } = await aliceResumesBobs(name, [...users.map((sub) => tokenOf(sub)), {}]);
        expect(alice.json).to.deep.equal({ sub: 'alice' });
        users.forEach((sub, index) => expect(bobs[index].json, bobs[index].text).to.deep.equal({ sub }));
        expect(bobs[users.length].status).to.equal(401);
      });
    });
  }

  describe('with an error handler of the app\'s own', () => {
    let withHandler: RunningServer;
    const parking = { middleware: new Parking(), gate: new Parking() };

    before(async () => {
      const app = express();
      for (const [setting, value] of Object.entries(configFor('HS256', issuer))) app.set(setting, value);
      manager.initApp(app);
      const auth = requireToken();
      const gate = new Gate();
      const gatePass: Handler = (req, res, next) => gate.pass(req, res, next);
      app.get('/middleware/alice', auth, releaseThenWhoAmI(parking.middleware));
      app.get('/middleware/bob', parking.middleware.park, auth, whoAmI);
      app.get('/gate/alice', gatePass, releaseThenWhoAmI(parking.gate));
      app.get('/gate/bob', parking.gate.park, gatePass, whoAmI);
      app.use((error: { httpCode?: number }, _req: Request, res: Response, _next: NextFunction) => {
        res.status(error.httpCode ?? 500).json({ handled: true, seenBy: getCurrentToken()?.sub ?? null });
      });
      withHandler = await listen(app);
    });

    after(() => withHandler.close());

    for (const name of ['middleware', 'gate'] as const) {
      it(`security: bob's rejection (${name}) reaches the error handler outside alice's context`, async () => {
        const bob = send(`${withHandler.url}/${name}/bob`);
        await parking[name].occupied();
        const alice = await send(`${withHandler.url}/${name}/alice`, { headers: tokenOf('alice') });
        expect(alice.json).to.deep.equal({ sub: 'alice' });
        const refused = await bob;
        expect(refused.status, refused.text).to.equal(401);
        expect(refused.json).to.deep.equal({ handled: true, seenBy: null });
      });
    }
  });
});
