/**
 * Builds the Express 5 app: the plain-Express route (GET /me, behind `requireToken()`), then the routing-controllers
 * controllers with class-validator validation, then the JSON 404 and error answers.
 */
import express, { type Express, type Request, type Response } from 'express';
import { useContainer, useExpressServer } from 'routing-controllers';
import { Container } from 'typedi';
import { requireToken } from 'routing-controllers-jwt';
import { AdminController } from './controllers/admin-controller';
import { AuthController } from './controllers/auth-controller';
import { UserController } from './controllers/user-controller';
import { jsonErrors, notFound } from './http/json-errors';
import { sendMe } from './http/me-handler';

/** The demo app; configure() (config.ts) must have run, so that the AuthManager exists. */
export function createApp(): Express {
  useContainer(Container);
  const app = express();
  app.disable('x-powered-by');
  app.set('json spaces', 2);

  // The plain-Express front door: the same checks as @RequireToken, as a middleware.
  app.get('/me', requireToken({ scope: 'profile' }), (_request: Request, response: Response) => sendMe(response));

  useExpressServer(app, {
    controllers: [AuthController, UserController, AdminController],
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
