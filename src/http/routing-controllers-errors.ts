/**
 * Makes the rejection errors routing-controllers `HttpError`s (API.md §3): `UnauthorizedError`, `ForbiddenError` and
 * `HttpError` subclasses as `instanceof` sees them, so that an app's own routing-controllers error handler recognises
 * them. Run by routing-controllers-module.ts as soon as routing-controllers is in use, so that errors.ts (and every
 * pure part of the library, and plain-Express apps) never load it. routing-controllers reads `httpCode` and
 * `toJSON()`, which the errors carry themselves.
 */
import type * as RoutingControllers from 'routing-controllers';
import { TokenForbiddenError, TokenUnauthorizedError, TokenUnavailableError } from '../errors';

/** Re-parents the rejection errors' prototypes onto `module`'s HttpErrors; running it again changes nothing. */
export function inheritFromHttpErrors(module: typeof RoutingControllers): void {
  Object.setPrototypeOf(TokenUnauthorizedError.prototype, module.UnauthorizedError.prototype);
  Object.setPrototypeOf(TokenForbiddenError.prototype, module.ForbiddenError.prototype);
  Object.setPrototypeOf(TokenUnavailableError.prototype, module.HttpError.prototype);
}
