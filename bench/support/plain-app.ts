/**
 * The baseline: the same trivial routing-controllers action in an app that never loads routing-controllers-jwt
 * (so that nothing of the library, AsyncLocalStorage included, is active in its process).
 */
import 'reflect-metadata';
import express from 'express';
import { Get, JsonController, useExpressServer } from 'routing-controllers';

@JsonController()
class PlainController {
  @Get('/plain')
  plain(): { ok: boolean } {
    return { ok: true };
  }
}

/** Builds the baseline app. */
export function buildPlainApp(): express.Express {
  const app = express();
  useExpressServer(app, { controllers: [PlainController] });
  return app;
}
