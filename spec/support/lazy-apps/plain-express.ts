/**
 * A plain-Express app, as a package user writes it: the package root, `requireToken()`, `AuthManager` and
 * `currentToken`, and no routing-controllers. Run in its own process by lazy-routing-controllers.spec.ts, which reads
 * the JSON line it prints.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { AuthManager, currentToken, requireToken } from 'routing-controllers-jwt';
import { loadedRoutingControllersModules, type LazyAppReport } from './report';

async function main(): Promise<void> {
  const app = express();
  app.set('JWT_ISSUER', 'https://plain-express.example');
  app.set('JWT_AUTHTYPE', 'HS256');
  app.set('JWT_SECRET', randomBytes(64).toString('base64url'));
  const manager = new AuthManager(app);
  app.get('/me', requireToken({ scope: 'read' }), (_request, response) => {
    response.json({ sub: currentToken.sub });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/me`;
  const replies: LazyAppReport['replies'] = [];
  for (const headers of [{} as Record<string, string>, { authorization: `Bearer ${manager.authToken('alice', 'read').signed}` }]) {
    const reply = await fetch(url, { headers });
    replies.push({ status: reply.status, body: await reply.json() });
  }
  server.close();
  const report: LazyAppReport = { replies, routingControllersModules: loadedRoutingControllersModules() };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

void main();
