/**
 * One app instance of a service with sessions: an Express app with its own AuthManager, the README's refresh route,
 * logout, and an auth route; for the specs that run several instances against one Redis topology.
 */
import express from 'express';
import { Get, JsonController, Post, useExpressServer } from 'routing-controllers';
import { AuthManager, currentToken, RequireToken } from 'routing-controllers-jwt';
import { bearer, listen, send, type Reply, type RunningServer } from './server';

/** A running instance. */
export interface SessionApp {
  readonly manager: AuthManager;
  readonly server: RunningServer;
  /** POST /auth/refresh with a refresh token: `{ authToken, refreshToken }`. */
  refresh(refreshToken: string): Promise<Reply>;
  /** POST /auth/logout with a refresh token. */
  logout(refreshToken: string): Promise<Reply>;
  /** GET /me with an auth token. */
  me(authToken: string): Promise<Reply>;
}

function routes(manager: AuthManager): new () => object {
  @JsonController()
  class SessionRoutes {
    @Post('/auth/refresh')
    @RequireToken('refresh')
    async refresh() {
      const { authToken, refreshToken } = await manager.rotate(currentToken);
      return { authToken: authToken.signed, refreshToken: refreshToken.signed };
    }

    @Post('/auth/logout')
    @RequireToken('refresh')
    async logout() {
      await manager.revoke(currentToken);
      return { ok: true };
    }

    @Get('/me')
    @RequireToken()
    me() {
      return { sub: currentToken.sub };
    }
  }
  return SessionRoutes;
}

/** Starts one instance configured from `config` (JWT_* values set on the app). */
export async function sessionApp(config: Record<string, unknown>): Promise<SessionApp> {
  const app = express();
  app.set('env', 'test');
  for (const [name, value] of Object.entries(config)) app.set(name, value);
  const manager = new AuthManager(app);
  useExpressServer(app, { controllers: [routes(manager)] });
  const server = await listen(app);
  return {
    manager,
    server,
    refresh: (token) => send(`${server.url}/auth/refresh`, { method: 'POST', headers: bearer(token) }),
    logout: (token) => send(`${server.url}/auth/logout`, { method: 'POST', headers: bearer(token) }),
    me: (token) => send(`${server.url}/me`, { headers: bearer(token) }),
  };
}
