/**
 * A routing-controllers app that loads this package BEFORE routing-controllers (so nothing was re-parented at package
 * load): a controller guarded by @RequireToken, a route guarded by `requireToken()`, and an Express error handler that
 * reports whether the errors it gets are routing-controllers HttpErrors. Run in its own process by
 * lazy-routing-controllers.spec.ts, which reads the JSON line it prints.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { AuthManager, requireToken, RequireToken } from 'routing-controllers-jwt';
import express, { type NextFunction, type Request, type Response } from 'express';
import { Get, HttpError, JsonController, UnauthorizedError, useExpressServer } from 'routing-controllers';
import { loadedRoutingControllersModules, type LazyAppReport } from './report';

@JsonController('/controller')
class GuardedController {
  @Get('/me')
  @RequireToken()
  me(): { ok: true } {
    return { ok: true };
  }
}

async function main(): Promise<void> {
  const app = express();
  app.set('JWT_ISSUER', 'https://routing-controllers-app.example');
  app.set('JWT_AUTHTYPE', 'HS256');
  app.set('JWT_SECRET', randomBytes(64).toString('base64url'));
  new AuthManager(app);
  app.get('/plain', requireToken(), (_request, response) => {
    response.json({ ok: true });
  });
  useExpressServer(app, { controllers: [GuardedController] });
  app.use((error: unknown, _request: Request, response: Response, _next: NextFunction) => {
    response.status((error as { httpCode?: number }).httpCode ?? 500).json({
      isUnauthorizedError: error instanceof UnauthorizedError,
      isHttpError: error instanceof HttpError,
      code: (error as { code?: unknown }).code,
    });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const replies: LazyAppReport['replies'] = [];
  for (const path of ['/plain', '/controller/me']) {
    const reply = await fetch(base + path);
    replies.push({ status: reply.status, body: await reply.json() });
  }
  server.close();
  const report: LazyAppReport = { replies, routingControllersModules: loadedRoutingControllersModules() };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

void main();
