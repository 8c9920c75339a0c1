/**
 * Makes the rejection errors routing-controllers `HttpError`s (API.md §3): `UnauthorizedError`, `ForbiddenError` and
 * `HttpError` subclasses as `instanceof` sees them, so that an app's own routing-controllers error handler recognises
 * them. Done here, in the module that loads routing-controllers, so that errors.ts (and every pure part of the
 * library) never loads it. routing-controllers reads `httpCode` and `toJSON()`, which the errors carry themselves.
 */
import { ForbiddenError, HttpError, UnauthorizedError } from 'routing-controllers';
import { TokenForbiddenError, TokenUnauthorizedError, TokenUnavailableError } from '../errors';

Object.setPrototypeOf(TokenUnauthorizedError.prototype, UnauthorizedError.prototype);
Object.setPrototypeOf(TokenForbiddenError.prototype, ForbiddenError.prototype);
Object.setPrototypeOf(TokenUnavailableError.prototype, HttpError.prototype);
