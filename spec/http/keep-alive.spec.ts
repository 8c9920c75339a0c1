/**
 * Keep-alive survives 401/403 (API.md §3): with one keep-alive socket, every request after a rejection is answered on
 * the same connection. routing-controllers' default error handler answers and then calls next(err), on which Express
 * destroys the socket; the library's own rejections must not take that path, and its sink must end it for actions
 * that throw.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import express from 'express';
import { Agent } from 'node:http';
import { ForbiddenError, Get, JsonController, useExpressServer } from 'routing-controllers';
import { AuthManager, currentToken, keepAliveErrorSink, RequireToken, requireToken } from 'routing-controllers-jwt';
import { configFor } from '../support/keys';
import { bearer, listen, send, type Reply, type RunningServer } from '../support/server';
import { appWithManager, expiredToken, tamperedSignature, type Config } from '../support/require-token';

@JsonController('/ka')
class KeepAliveController {
  @Get('/protected')
  @RequireToken({ scope: 'read' })
  protectedRoute() {
    return { sub: currentToken.sub };
  }

  @Get('/throws-forbidden')
  @RequireToken()
  throwsForbidden(): never {
    throw new ForbiddenError(`not yours, ${String(currentToken.sub)}`);
  }

  @Get('/public-throws')
  publicThrows(): never {
    throw new ForbiddenError('closed');
  }
}

/** A keep-alive agent with a single socket: a reply on another local port means the connection was dropped. */
const singleSocketAgent = (): Agent => new Agent({ keepAlive: true, maxSockets: 1 });

/** Twenty requests that are refused in as many ways as possible: 401s of every kind and 403s. */
function invalidRequests(config: Config, manager: AuthManager): Array<{ headers: Record<string, string>; status: 401 | 403 }> {
  const valid = manager.authToken('u1', 'read').signed;
  const kinds: Array<{ headers: Record<string, string>; status: 401 | 403 }> = [
    { headers: {}, status: 401 },
    { headers: bearer('garbage'), status: 401 },
    { headers: bearer(tamperedSignature(valid)), status: 401 },
    { headers: bearer(expiredToken(config)), status: 401 },
    { headers: bearer(manager.refreshToken('u1').signed), status: 401 },
    { headers: { authorization: `Basic ${valid}` }, status: 401 },
    { headers: bearer(manager.authToken('u1', 'write').signed), status: 403 },
    { headers: bearer(manager.authToken('u1').signed), status: 403 },
  ];
  return Array.from({ length: 20 }, (_, i) => kinds[i % kinds.length]);
}

function expectOneConnection(replies: Reply[]): void {
  const ports = new Set(replies.map((reply) => reply.localPort));
  expect(replies.every((reply) => typeof reply.localPort === 'number')).to.equal(true);
  expect([...ports], 'local ports used').to.have.length(1);
  for (const reply of replies) expect(reply.headers.connection ?? 'keep-alive').not.to.equal('close');
}

describe('keep-alive after 401/403', () => {
  describe('routing-controllers with its default error handler', () => {
    const issuer = 'https://keep-alive.example';
    const config = configFor('HS256', issuer);
    let manager: AuthManager;
    let server: RunningServer;

    beforeEach(async () => {
      // A fresh app per test: the sink is installed at the app's first guarded request.
      const built = appWithManager(config);
      manager = built.manager;
      useExpressServer(built.app, { controllers: [KeepAliveController] });
      server = await listen(built.app);
    });

    afterEach(() => server.close());

    it('answers a valid request, 20 refused ones and a valid one on the same connection', async () => {
      const agent = singleSocketAgent();
      try {
        const valid = bearer(manager.authToken('u1', 'read').signed);
        const url = `${server.url}/ka/protected`;
        const replies: Reply[] = [await send(url, { headers: valid, agent })];
        const invalid = invalidRequests(config, manager);
        for (const request of invalid) replies.push(await send(url, { headers: request.headers, agent }));
        replies.push(await send(url, { headers: valid, agent }));
        expect(replies.map((reply) => reply.status)).to.deep.equal([200, ...invalid.map((request) => request.status), 200]);
        expect(replies.at(-1)?.json).to.deep.equal({ sub: 'u1' });
        expectOneConnection(replies);
      } finally {
        agent.destroy();
      }
    });

    it('keeps the connection when refused requests come first, before any request passed a guard', async () => {
      const agent = singleSocketAgent();
      try {
        const url = `${server.url}/ka/protected`;
        const invalid = invalidRequests(config, manager);
        const replies: Reply[] = [];
        for (const request of invalid) replies.push(await send(url, { headers: request.headers, agent }));
        replies.push(await send(url, { headers: bearer(manager.authToken('u1', 'read').signed), agent }));
        expect(replies.map((reply) => reply.status)).to.deep.equal([...invalid.map((request) => request.status), 200]);
        expectOneConnection(replies);
      } finally {
        agent.destroy();
      }
    });

    it('keeps the connection when a protected action throws a routing-controllers ForbiddenError', async () => {
      const agent = singleSocketAgent();
      try {
        const token = bearer(manager.authToken('u1', 'read').signed);
        const replies: Reply[] = [];
        // The very first request of this app is one whose action throws.
        for (let i = 0; i < 21; i++) replies.push(await send(`${server.url}/ka/throws-forbidden`, { headers: token, agent }));
        replies.push(await send(`${server.url}/ka/protected`, { headers: token, agent }));
        expect(replies.map((reply) => reply.status)).to.deep.equal([...Array<number>(21).fill(403), 200]);
        expect(replies[0].json).to.deep.include({ name: 'ForbiddenError', message: 'not yours, u1' });
        expectOneConnection(replies);
      } finally {
        agent.destroy();
      }
    });
  });

  describe('keepAliveErrorSink installed by the app', () => {
    it('keeps the connection when an unguarded action throws before any request went through a guard', async () => {
      const built = appWithManager(configFor('HS256'));
      useExpressServer(built.app, { controllers: [KeepAliveController] });
      built.app.use(keepAliveErrorSink);
      const server = await listen(built.app);
      const agent = singleSocketAgent();
      try {
        const replies: Reply[] = [];
        for (let i = 0; i < 5; i++) replies.push(await send(`${server.url}/ka/public-throws`, { agent }));
        expect(replies.map((reply) => reply.status)).to.deep.equal([403, 403, 403, 403, 403]);
        expectOneConnection(replies);
      } finally {
        agent.destroy();
        await server.close();
      }
    });
  });

  describe('plain Express with requireToken()', () => {
    it('answers a valid request, 20 refused ones and a valid one on the same connection', async () => {
      const config = configFor('HS256', 'https://keep-alive-plain.example');
      const { app, manager } = appWithManager(config);
      app.get('/x', requireToken({ scope: 'read' }), (_req, res) => {
        res.json({ sub: currentToken.sub });
      });
      const server = await listen(app);
      const agent = singleSocketAgent();
      try {
        const valid = bearer(manager.authToken('u1', 'read').signed);
        const replies: Reply[] = [await send(`${server.url}/x`, { headers: valid, agent })];
        const invalid = invalidRequests(config, manager);
        for (const request of invalid) replies.push(await send(`${server.url}/x`, { headers: request.headers, agent }));
        replies.push(await send(`${server.url}/x`, { headers: valid, agent }));
        expect(replies.map((reply) => reply.status)).to.deep.equal([200, ...invalid.map((request) => request.status), 200]);
        expectOneConnection(replies);
      } finally {
        agent.destroy();
        await server.close();
      }
    });

    it('keeps the connection when POSTs are refused before their bodies were read', async () => {
      const config = configFor('HS256', 'https://keep-alive-json.example');
      const { app, manager } = appWithManager(config);
      app.post('/echo', requireToken(), express.json(), (req, res) => {
        res.json({ sub: currentToken.sub, body: req.body as unknown });
      });
      const server = await listen(app);
      const agent = singleSocketAgent();
      try {
        const replies: Reply[] = [];
        for (let i = 0; i < 10; i++) {
          replies.push(await send(`${server.url}/echo`, { method: 'POST', body: { i }, agent }));
        }
        const valid = bearer(manager.authToken('u1').signed);
        replies.push(await send(`${server.url}/echo`, { method: 'POST', body: { i: 10 }, headers: valid, agent }));
        expect(replies.map((reply) => reply.status)).to.deep.equal([...Array<number>(10).fill(401), 200]);
        expect(replies.at(-1)?.json).to.deep.equal({ sub: 'u1', body: { i: 10 } });
        expectOneConnection(replies);
      } finally {
        agent.destroy();
        await server.close();
      }
    });
  });
});
