// Compiled with experimentalDecorators OFF: @RequireToken as a TC39 standard (stage 3) method decorator, on plain
// classes (Express handler classes and services), without routing-controllers.
import express, { type Request, type Response } from 'express';
import { expect } from 'chai';
import {
  AuthManager,
  currentToken,
  JWT,
  RequireToken,
  requireToken,
  TokenForbiddenError,
  TokenUnauthorizedError,
} from 'routing-controllers-jwt';
import { configFor } from '../support/keys';
import { bearer, listen, send, type RunningServer } from '../support/server';

class ProfileHandlers {
  readonly greeting = 'hello';

  @RequireToken({ scope: 'profile' })
  async show(_req: Request, res: Response): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    res.json({ sub: currentToken.sub, greeting: this.greeting, isJwt: currentToken instanceof JWT });
  }

  @RequireToken({ sub: 'userId' })
  user(req: Request, res: Response): void {
    res.json({ userId: req.params.userId });
  }

  @RequireToken('refresh', 'cookies', { cookieName: 'refresh_token' })
  refresh(_req: Request, res: Response): void {
    res.json({ rid: currentToken.claims.rid });
  }
}

class AdminService {
  @RequireToken({ scope: { admin: true } })
  purge(what: string): string {
    return `${what} purged by ${String(currentToken.sub)}`;
  }
}

describe('standard (TC39 stage 3) decorators', () => {
  const app = express();
  for (const [name, value] of Object.entries(configFor('HS256'))) app.set(name, value);
  const manager = new AuthManager(app);
  const handlers = new ProfileHandlers();
  const admin = new AdminService();
  app.get('/profile', (req, res) => void handlers.show(req, res));
  app.get('/users/:userId', (req, res) => handlers.user(req, res));
  app.post('/refresh', (req, res) => handlers.refresh(req, res));
  app.post('/purge', requireToken(), (_req, res) => {
    try {
      res.json({ result: admin.purge('cache') });
    } catch (error) {
      const status = error instanceof TokenForbiddenError || error instanceof TokenUnauthorizedError ? error.httpCode : 500;
      res.status(status).json({ name: (error as Error).name });
    }
  });
  let server: RunningServer;

  before(async () => {
    server = await listen(app);
  });
  after(() => server.close());

  it('lets a handler class method run for a token with the scope, with this and currentToken bound', async () => {
    const reply = await send(`${server.url}/profile`, { headers: bearer(manager.authToken('ann', 'profile email').signed) });
    expect(reply.status).to.equal(200);
    expect(reply.json).to.deep.equal({ sub: 'ann', greeting: 'hello', isJwt: true });
  });

  it('answers 401 through the response when a handler class method gets no token', async () => {
    const reply = await send(`${server.url}/profile`);
    expect(reply.status).to.equal(401);
    expect(reply.headers['www-authenticate']).to.match(/^Bearer realm=/);
    expect(reply.json).to.include({ name: 'TokenUnauthorizedError', code: 'ERR_TOKEN_MISSING' });
  });

  it('answers 403 when the scope is missing', async () => {
    const reply = await send(`${server.url}/profile`, { headers: bearer(manager.authToken('ann', 'email').signed) });
    expect(reply.status).to.equal(403);
    expect(reply.json).to.include({ code: 'ERR_TOKEN_FORBIDDEN_SCOPE' });
  });

  it('binds sub to the Express route parameter', async () => {
    const token = manager.authToken('u7').signed;
    expect((await send(`${server.url}/users/u7`, { headers: bearer(token) })).status).to.equal(200);
    expect((await send(`${server.url}/users/u8`, { headers: bearer(token) })).status).to.equal(403);
  });

  it('reads a refresh token from a cookie, with its CSRF value in the header of the POST', async () => {
    const { refreshToken: refresh, csrf } = manager.sessionTokens('u7');
    const cookie = `refresh_token=${refresh.signed}`;
    const reply = await send(`${server.url}/refresh`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf } });
    expect(reply.status).to.equal(200);
    expect(reply.json).to.deep.equal({ rid: refresh.claims.rid });
    const forged = await send(`${server.url}/refresh`, { method: 'POST', headers: { cookie } });
    expect(forged.status).to.equal(403);
    expect(forged.json).to.include({ code: 'ERR_CSRF' });
    const withAuth = await send(`${server.url}/refresh`, { method: 'POST', headers: { cookie: `refresh_token=${manager.authToken('u7').signed}` } });
    expect(withAuth.status).to.equal(401);
  });

  it('checks a guarded service method against the token of the request that calls it', async () => {
    const adminToken = manager.authToken('root', { admin: true }).signed;
    const userToken = manager.authToken('joe', { admin: false }).signed;
    const allowed = await send(`${server.url}/purge`, { method: 'POST', headers: bearer(adminToken) });
    expect(allowed.status).to.equal(200);
    expect(allowed.json).to.deep.equal({ result: 'cache purged by root' });
    const denied = await send(`${server.url}/purge`, { method: 'POST', headers: bearer(userToken) });
    expect(denied.status).to.equal(403);
    expect(denied.json).to.deep.equal({ name: 'TokenForbiddenError' });
  });

  it('fails closed: a guarded service method called outside any request throws a 401 error', () => {
    expect(() => admin.purge('cache')).to.throw(TokenUnauthorizedError);
  });

  it('validates options when the class is defined', () => {
    expect(() => RequireToken({ location: 'cookies' })).to.throw(TypeError, /cookieName/);
    expect(() => {
      class Broken {
        @RequireToken('refresh', 'cookies', {})
        method(): void {}
      }
      return Broken;
    }).to.throw(TypeError);
  });
});
