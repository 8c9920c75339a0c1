/**
 * The app the load script and the HTTP benchmarks run: a trivial routing-controllers action, plain, behind
 * @RequireToken, behind express-jwt and behind a hand-written floor verifier, in a process of its own so that its
 * heap and CPU are measured apart from the load generator.
 */
import 'reflect-metadata';
import { createSecretKey } from 'node:crypto';
import express from 'express';
import { expressjwt } from 'express-jwt';
import { Get, JsonController, useExpressServer } from 'routing-controllers';
import { AuthManager, currentToken, RequireToken } from 'routing-controllers-jwt';
import { floorVerifyHmac } from '../floor';

@JsonController()
class BenchController {
  @Get('/plain')
  plain(): { ok: boolean } {
    return { ok: true };
  }

  @Get('/protected')
  @RequireToken()
  guarded(): { ok: boolean; sub: string | number } {
    return { ok: true, sub: currentToken.sub };
  }

  // The same plain action behind the alternatives, which run as app-level middleware in front of it.
  @Get('/ej-key/protected')
  behindExpressJwtKeyObject(): { ok: boolean } {
    return { ok: true };
  }

  @Get('/ej-string/protected')
  behindExpressJwtString(): { ok: boolean } {
    return { ok: true };
  }

  @Get('/floor/protected')
  behindFloor(): { ok: boolean } {
    return { ok: true };
  }
}

/** Builds the app with a manager configured from `config` (JWT_* values, HS256). */
export function buildApp(config: Record<string, string>): { app: express.Express; manager: AuthManager } {
  const app = express();
  for (const [name, value] of Object.entries(config)) app.set(name, value);
  const manager = new AuthManager(app);
  const key = createSecretKey(Buffer.from(config.JWT_SECRET));
  // The alternatives, in front of the plain actions under their prefixes.
  app.use('/ej-key', expressjwt({ secret: key, algorithms: ['HS256'] }));
  app.use('/ej-string', expressjwt({ secret: config.JWT_SECRET, algorithms: ['HS256'] }));
  app.use('/floor', (req, res, next) => {
    try {
      floorVerifyHmac((req.headers.authorization ?? '').slice(7), key, 'sha256');
      next();
    } catch {
      res.status(401).json({ name: 'Unauthorized' });
    }
  });
  useExpressServer(app, { controllers: [BenchController] });
  return { app, manager };
}
