// Compiled with experimentalDecorators OFF: @RequireToken as a TC39 standard (stage 3) class decorator, with
// @AllowAnonymous() and a method's own requirement, on a plain Express handler class.
import express, { type Request, type Response } from 'express';
import { expect } from 'chai';
import { AllowAnonymous, AuthManager, getCurrentToken, RequireToken } from 'routing-controllers-jwt';
import { configFor } from '../support/keys';
import { bearer, listen, send, type RunningServer } from '../support/server';

@RequireToken({ scope: 'notes' })
class NoteHandlers {
  list(_req: Request, res: Response): void {
    res.json({ sub: getCurrentToken()?.sub ?? null });
  }

  @RequireToken({ admin: true })
  purge(_req: Request, res: Response): void {
    res.json({ purged: true });
  }

  @AllowAnonymous()
  health(_req: Request, res: Response): void {
    res.json({ ok: true, token: getCurrentToken() === undefined ? null : 'present' });
  }
}

describe('standard (TC39 stage 3) class decorators', () => {
  const app = express();
  for (const [name, value] of Object.entries(configFor('HS256'))) app.set(name, value);
  const manager = new AuthManager(app);
  const handlers = new NoteHandlers();
  app.get('/notes', (req, res) => void handlers.list(req, res));
  app.post('/purge', (req, res) => void handlers.purge(req, res));
  app.get('/health', (req, res) => void handlers.health(req, res));
  let server: RunningServer;

  before(async () => {
    server = await listen(app);
  });
  after(() => server.close());

  it('guards every method of the class with its requirement', async () => {
    expect((await send(`${server.url}/notes`)).status).to.equal(401);
    expect((await send(`${server.url}/notes`, { headers: bearer(manager.authToken('ann', 'other').signed) })).status).to.equal(403);
    const reply = await send(`${server.url}/notes`, { headers: bearer(manager.authToken('ann', 'notes').signed) });
    expect(reply.status).to.equal(200);
    expect(reply.json).to.deep.equal({ sub: 'ann' });
  });

  it('security: a method requirement adds to the class requirement', async () => {
    const post = (token: string) => send(`${server.url}/purge`, { method: 'POST', headers: bearer(token) });
    expect((await post(manager.authToken('ann', 'notes').signed)).status).to.equal(403);
    expect((await post(manager.authToken('ann', null, { admin: true }).signed)).status).to.equal(403);
    expect((await post(manager.authToken('ann', 'notes', { admin: true }).signed)).status).to.equal(200);
  });

  it('@AllowAnonymous() leaves one method open', async () => {
    const reply = await send(`${server.url}/health`);
    expect(reply.status).to.equal(200);
    expect(reply.json).to.deep.equal({ ok: true, token: null });
  });
});
