/**
 * `currentToken` is one proxy shared by every request. An operation that would change the proxy's own target
 * (Object.freeze, seal, preventExtensions, defineProperty, delete, setPrototypeOf) must never do so: otherwise the
 * proxy invariants make `Object.keys(currentToken)` and `{ ...currentToken }` throw for every later request.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import type { Request, Response } from 'express';
import { currentToken, getCurrentToken, JWT, requireToken, type AuthManager } from 'routing-controllers-jwt';
import { configFor } from './support/keys';
import { bearer, listen, send, type RunningServer } from './support/server';
import { appWithManager } from './support/require-token';

/** What an attempt answered: `ok` with its result, or the name and message of what it threw. */
type Attempt = { ok: true; result: unknown } | { ok: false; name: string; message: string };

function attempt(operation: () => unknown): Attempt {
  try {
    const result = operation();
    return { ok: true, result: result === currentToken ? 'currentToken' : result };
  } catch (error) {
    return { ok: false, name: (error as Error).name, message: (error as Error).message };
  }
}

/** Everything a later request reads through currentToken, next to the same reads on its own token. */
function readings(): Record<string, unknown> {
  const token = getCurrentToken() as JWT;
  return {
    sub: currentToken.sub,
    claimsSub: currentToken.claims.sub,
    keys: Object.keys(currentToken),
    expectedKeys: Object.keys(token),
    spreadSub: { ...currentToken }.claims.sub,
    json: JSON.parse(JSON.stringify(currentToken)) as unknown,
    isJwt: currentToken instanceof JWT,
    extensible: Object.isExtensible(currentToken),
    frozen: Object.isFrozen(currentToken),
    hasSub: 'sub' in currentToken,
  };
}

/** Operations on currentToken that must not reach the proxy's shared target. */
const OPERATIONS: Readonly<Record<string, () => unknown>> = {
  freeze: () => Object.freeze(currentToken),
  seal: () => Object.seal(currentToken),
  preventExtensions: () => Object.preventExtensions(currentToken),
  reflectPreventExtensions: () => Reflect.preventExtensions(currentToken),
  defineProperty: () => Object.defineProperty(currentToken, 'injected', { value: 'x', enumerable: true }),
  defineConfigurable: () => Object.defineProperty(currentToken, 'injected', { value: 'x', enumerable: true, configurable: true, writable: true }),
  deleteSub: () => delete (currentToken as unknown as Record<string, unknown>).sub,
  deleteInspect: () => Reflect.deleteProperty(currentToken, Symbol.for('nodejs.util.inspect.custom')),
  setPrototypeOf: () => Object.setPrototypeOf(currentToken, null),
  setPrototypeOfObject: () => Object.setPrototypeOf(currentToken, {}),
};

describe('currentToken cannot be frozen or reshaped by one request for the next', () => {
  const issuer = 'https://freeze.example';
  let manager: AuthManager;
  let server: RunningServer;

  const tokenOf = (sub: string): Record<string, string> => bearer(manager.authToken(sub, null, { team: `team-${sub}` }).signed);

  before(async () => {
    const built = appWithManager(configFor('HS256', issuer));
    manager = built.manager;
    const { app } = built;
    const guard = requireToken();
    app.get('/do/:operation', guard, (req: Request, res: Response) => {
      const operation = OPERATIONS[req.params.operation as string];
      res.json({ attempt: attempt(operation), after: readings() });
    });
    app.get('/read', guard, (_req: Request, res: Response) => {
      res.json(readings());
    });
    server = await listen(app);
  });

  after(() => server.close());

  /** Asserts what a request reads through currentToken for the user `sub`. */
  function expectReadings(body: Record<string, unknown>, sub: string): void {
    expect(body.sub).to.equal(sub);
    expect(body.claimsSub).to.equal(sub);
    expect(body.keys).to.deep.equal(body.expectedKeys);
    expect(body.keys).to.include('claims');
    expect(body.spreadSub).to.equal(sub);
    expect((body.json as { claims: Record<string, unknown> }).claims).to.include({ sub, team: `team-${sub}`, iss: issuer });
    expect(body.isJwt).to.equal(true);
    expect(body.extensible).to.equal(true);
    expect(body.frozen).to.equal(false);
    expect(body.hasSub).to.equal(true);
    expect(body).not.to.have.property('injected');
  }

  async function readAs(sub: string): Promise<Record<string, unknown>> {
    const reply = await send(`${server.url}/read`, { headers: tokenOf(sub) });
    expect(reply.status, reply.text).to.equal(200);
    return reply.json as Record<string, unknown>;
  }

  it('Object.freeze(currentToken) throws a TypeError in that request only; requests 2 and 3 read keys, spread and claims', async () => {
    const frozen = await send(`${server.url}/do/freeze`, { headers: tokenOf('alice') });
    expect(frozen.status, frozen.text).to.equal(200);
    const { attempt: result, after } = frozen.json as { attempt: Attempt; after: Record<string, unknown> };
    expect(result).to.include({ ok: false, name: 'TypeError' });
    expect((result as { message: string }).message).to.match(/currentToken/);
    expectReadings(after, 'alice');
    expectReadings(await readAs('bob'), 'bob');
    expectReadings(await readAs('carol'), 'carol');
  });

  for (const name of Object.keys(OPERATIONS)) {
    it(`${name} on currentToken in one request leaves the next requests' currentToken intact`, async () => {
      const reply = await send(`${server.url}/do/${name}`, { headers: tokenOf('alice') });
      expect(reply.status, reply.text).to.equal(200);
      const { attempt: result, after } = reply.json as { attempt: Attempt; after: Record<string, unknown> };
      // The verified token is read-only, so the operation fails (a TypeError) or changes nothing.
      if (!result.ok) expect(result.name).to.equal('TypeError');
      expectReadings(after, 'alice');
      expectReadings(await readAs('bob'), 'bob');
      expectReadings(await readAs('carol'), 'carol');
    });
  }

  it('outside any request, freezing currentToken fails and leaves it usable', () => {
    expect(() => Object.freeze(currentToken)).to.throw(TypeError);
    expect(Object.isExtensible(currentToken)).to.equal(true);
    expect(Object.keys(currentToken)).to.deep.equal([]);
    expect(JSON.stringify(currentToken)).to.equal('null');
  });
});
