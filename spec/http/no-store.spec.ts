/**
 * Guarded answers carry `Cache-Control: no-store` (RFC 9111 §5.2.2.5) unless the action sets its own or the guard's
 * `noStore: false` leaves caching to the action. Real Express servers, real routing-controllers.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { Get, Header, JsonController, useExpressServer } from 'routing-controllers';
import { requireToken, RequireToken } from 'routing-controllers-jwt';
import { appWithManager } from '../support/require-token';
import { bearer, listen, send, type RunningServer } from '../support/server';

@JsonController('/no-store')
class CachingController {
  @Get('/default')
  @RequireToken()
  guarded(): { ok: boolean } {
    return { ok: true };
  }

  @Get('/own')
  @RequireToken()
  @Header('Cache-Control', 'private, max-age=60')
  ownCaching(): { ok: boolean } {
    return { ok: true };
  }

  @Get('/off')
  @RequireToken({ noStore: false })
  off(): { ok: boolean } {
    return { ok: true };
  }

  @Get('/open')
  open(): { ok: boolean } {
    return { ok: true };
  }
}

describe('guarded answers: Cache-Control: no-store', () => {
  let server: RunningServer;
  let token: string;

  before(async () => {
    const { app, manager } = appWithManager({ JWT_ISSUER: 'no-store', JWT_AUTHTYPE: 'HS256', JWT_SECRET: randomBytes(48).toString('base64url') });
    app.get('/plain', requireToken(), (_request: Request, response: Response) => {
      response.json({ ok: true });
    });
    app.get('/plain-earlier', (_request: Request, response: Response, next: NextFunction) => {
      response.set('Cache-Control', 'private, max-age=5');
      next();
    }, requireToken(), (_request: Request, response: Response) => {
      response.json({ ok: true });
    });
    useExpressServer(app, { controllers: [CachingController] });
    server = await listen(app);
    token = manager.authToken('user-1').signed;
  });

  after(() => server.close());

  it('security: an @RequireToken answer is no-store, so no cache keeps it after logout', async () => {
    const reply = await send(`${server.url}/no-store/default`, { headers: bearer(token) });
    expect(reply.status).to.equal(200);
    expect(reply.headers['cache-control']).to.equal('no-store');
  });

  it('security: a requireToken() answer is no-store', async () => {
    const reply = await send(`${server.url}/plain`, { headers: bearer(token) });
    expect(reply.status).to.equal(200);
    expect(reply.headers['cache-control']).to.equal('no-store');
  });

  it("keeps the action's own Cache-Control", async () => {
    const reply = await send(`${server.url}/no-store/own`, { headers: bearer(token) });
    expect(reply.headers['cache-control']).to.equal('private, max-age=60');
  });

  it('keeps a Cache-Control set by a middleware before the guard', async () => {
    const reply = await send(`${server.url}/plain-earlier`, { headers: bearer(token) });
    expect(reply.headers['cache-control']).to.equal('private, max-age=5');
  });

  it('sets nothing with noStore: false, nor on unguarded routes', async () => {
    expect((await send(`${server.url}/no-store/off`, { headers: bearer(token) })).headers['cache-control']).to.equal(undefined);
    expect((await send(`${server.url}/no-store/open`)).headers['cache-control']).to.equal(undefined);
  });

  it('refusals are no-store too', async () => {
    const reply = await send(`${server.url}/no-store/default`);
    expect(reply.status).to.equal(401);
    expect(reply.headers['cache-control']).to.equal('no-store');
  });

  it('refuses a noStore that is not a boolean at decoration (TypeError)', () => {
    expect(() => requireToken({ noStore: 'yes' as unknown as boolean })).to.throw(TypeError, 'noStore must be true or false');
  });
});
