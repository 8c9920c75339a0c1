/**
 * Builds the Express 5 app: CORS (preflights answered), the demo page (demo/public/), the plain-Express route (GET
 * /me, behind `requireToken()` on the header or the auth_token cookie), then the routing-controllers controllers with
 * class-validator validation, then the JSON 404 and error answers.
 */
import { resolve } from 'node:path';
import express, { type Express, type Request, type Response } from 'express';
import { useContainer, useExpressServer } from 'routing-controllers';
import { Container } from 'typedi';
import { AdminController } from './controllers/admin-controller';
import { AuthController } from './controllers/auth-controller';
import { SessionController } from './controllers/session-controller';
import { UserController } from './controllers/user-controller';
import { cors } from './http/cors';
import { headerOrCookie } from './http/header-or-cookie';
import { jsonErrors, notFound } from './http/json-errors';
import { sendMe } from './http/me-handler';

/** The page's files, next to the sources (this file runs from build/demo). */
export const PAGE_DIR = resolve(__dirname, '..', '..', 'demo', 'public');

/** The page loads its own script and style only: no inline script, nothing from another origin. */
const PAGE_POLICY = "default-src 'self'; frame-ancestors 'none'; form-action 'self'";

/**
 * The demo app; configure() (config.ts) must have run, so that the AuthManager exists.
 *
 * @param corsOrigins - Exact origins whose pages may call the API with credentials (DEMO_CORS_ORIGINS).
 */
export function createApp(corsOrigins: readonly string[] = []): Express {
  useContainer(Container);
  const app = express();
  app.disable('x-powered-by');
  app.set('json spaces', 2);

  app.use(cors(corsOrigins));
  app.use(express.static(PAGE_DIR, {
    index: 'index.html',
    setHeaders: (response) => {
      response.setHeader('Content-Security-Policy', PAGE_POLICY);
      response.setHeader('X-Content-Type-Options', 'nosniff');
    },
  }));

  // The plain-Express front door: the same checks as @RequireToken, as a middleware; the bearer header for scripts,
  // the auth_token cookie for the page.
  app.get('/me', headerOrCookie({ scope: 'profile' }), (_request: Request, response: Response) => sendMe(response));

  useExpressServer(app, {
    controllers: [AuthController, UserController, AdminController, SessionController],
    validation: {
      whitelist: true,
      forbidUnknownValues: true,
      // Field errors name the field and the rule; they never echo the value (a password) or the whole body.
      validationError: { target: false, value: false },
    },
    // jsonErrors answers every error, the same way.
    defaultErrorHandler: false,
  });

  app.use(notFound);
  app.use(jsonErrors);
  return app;
}
