/**
 * Findings 6 and 7 of the composition review: guarded methods outside the request that admitted their token.
 * - A `@RequireToken` service method called from a timer after its token expired (or was revoked) ran anyway: a
 *   guarded method now checks that the token still holds when it runs.
 * - The same synchronous method returned a value under `RequireToken('auth')` and a Promise under
 *   `RequireToken('refresh')`: called with a request it now always answers a Promise; called in a token context (a
 *   service) it always runs synchronously and returns exactly what the method returns.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import express, { type Request, type Response } from 'express';
import { AuthManager, RequireToken, requireToken, TokenUnauthorizedError } from 'routing-controllers-jwt';
import { hmacSecret } from '../support/keys';
import { bearer, listen, send, type RunningServer } from '../support/server';

const ISSUER = 'https://guarded-methods.example';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

class Reports {
  @RequireToken()
  summary(): string {
    return 'summary';
  }

  @RequireToken('refresh')
  refreshSummary(): string {
    return 'refresh-summary';
  }
}

class Handlers {
  @RequireToken()
  auth(_req: Request, res: Response): string {
    res.json({ ok: 'auth' });
    return 'auth-value';
  }

  @RequireToken('refresh')
  refresh(_req: Request, res: Response): string {
    res.json({ ok: 'refresh' });
    return 'refresh-value';
  }
}

/** What a call later gave: its value or the error it threw. */
type Outcome = { value: unknown } | { error: unknown };
const attempt = (fn: () => unknown): Outcome => {
  try {
    return { value: fn() };
  } catch (error) {
    return { error };
  }
};

describe('guarded methods outside the request that admitted the token', () => {
  const reports = new Reports();
  let manager: AuthManager;
  let server: RunningServer;
  let plainManager: AuthManager;
  let plainServer: RunningServer;
  const later: Array<Promise<Outcome>> = [];
  const returned: Record<string, unknown> = {};

  before(async () => {
    const app = express();
    app.set('JWT_ISSUER', ISSUER).set('JWT_AUTHTYPE', 'HS256').set('JWT_SECRET', hmacSecret(64));
    // 2 s: at least 1 s of life whatever the fraction of the second it is issued in (iat is whole seconds).
    app.set('JWT_AUTHMAXAGE', 2).set('JWT_AUTHJTI', true);
    manager = new AuthManager(app);
    // Schedules a service call `ms` after the request, in the request's context (what a timer started there gets).
    app.get('/later/:ms', requireToken(), (req, res) => {
      const ms = Number(req.params.ms);
      later.push(new Promise((resolve) => setTimeout(() => resolve(attempt(() => reports.summary())), ms)));
      res.json({ now: attempt(() => reports.summary()) });
    });
    app.post('/refresh-service', requireToken('refresh'), (_req, res) => {
      returned.service = attempt(() => reports.refreshSummary());
      res.json({ ok: true });
    });
    server = await listen(app);
    // Handler classes on an app whose auth tokens need no store round trip (no JWT_AUTHJTI): the case where the
    // auth check can be answered synchronously and the refresh check cannot.
    const plain = express();
    plain.set('JWT_ISSUER', ISSUER).set('JWT_AUTHTYPE', 'HS256').set('JWT_SECRET', hmacSecret(64));
    plainManager = new AuthManager(plain);
    const handlers = new Handlers();
    plain.get('/handler/auth', (req, res) => {
      returned.auth = handlers.auth(req, res);
    });
    plain.post('/handler/refresh', (req, res) => {
      returned.refresh = handlers.refresh(req, res);
    });
    plainServer = await listen(plain);
  });

  after(async () => {
    await server.close();
    await plainServer.close();
  });

  it('security: a guarded service method called from a timer after the token expired is refused (401 ERR_TOKEN_EXPIRED)', async function () {
    this.timeout(10_000);
    later.length = 0;
    const token = manager.authToken('alice');
    const reply = await send(`${server.url}/later/3100`, { headers: bearer(token.signed) });
    expect(reply.status, reply.text).to.equal(200);
    expect((reply.json as { now: Outcome }).now, 'in the request itself it runs').to.deep.equal({ value: 'summary' });
    const outcome = await later[0];
    expect(outcome).to.have.property('error');
    const error = (outcome as { error: unknown }).error;
    expect(error).to.be.instanceOf(TokenUnauthorizedError);
    expect((error as TokenUnauthorizedError).code).to.equal('ERR_TOKEN_EXPIRED');
  });

  it('security: a guarded service method called from a timer after the token was revoked is refused (401 ERR_TOKEN_REVOKED)', async () => {
    later.length = 0;
    const token = manager.authToken('bob');
    expect((await send(`${server.url}/later/200`, { headers: bearer(token.signed) })).status).to.equal(200);
    await manager.revoke(token);
    const outcome = await later[0];
    expect((outcome as { error: TokenUnauthorizedError }).error).to.be.instanceOf(TokenUnauthorizedError);
    expect((outcome as { error: TokenUnauthorizedError }).error.code).to.equal('ERR_TOKEN_REVOKED');
  });

  it('a service method in a token context runs synchronously under a refresh requirement too (no Promise)', async () => {
    const refresh = manager.refreshToken('carol');
    const reply = await send(`${server.url}/refresh-service`, { method: 'POST', headers: bearer(refresh.signed) });
    expect(reply.status, reply.text).to.equal(200);
    expect(returned.service).to.deep.equal({ value: 'refresh-summary' });
  });

  it('a guarded handler called with a request answers a Promise under auth and refresh alike, resolving to its value', async () => {
    const auth = await send(`${plainServer.url}/handler/auth`, { headers: bearer(plainManager.authToken('dave').signed) });
    const refresh = await send(`${plainServer.url}/handler/refresh`, { method: 'POST', headers: bearer(plainManager.refreshToken('dave').signed) });
    expect([auth.status, refresh.status]).to.deep.equal([200, 200]);
    expect(returned.auth).to.be.instanceOf(Promise);
    expect(returned.refresh).to.be.instanceOf(Promise);
    expect(await returned.auth).to.equal('auth-value');
    expect(await returned.refresh).to.equal('refresh-value');
  });

  it('a guarded handler refused answers through the response, and its Promise resolves (nothing unhandled)', async () => {
    const reply = await send(`${plainServer.url}/handler/refresh`, { method: 'POST', headers: bearer(plainManager.authToken('erin').signed) });
    expect(reply.status).to.equal(401);
    expect(returned.refresh).to.be.instanceOf(Promise);
    expect(await returned.refresh).to.equal(undefined);
    await sleep(10);
  });
});
