/**
 * `@RequireToken` (legacy and TC39 standard method decorator) and `requireToken()` (plain Express middleware): two
 * front doors to one `TokenGuard`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { currentContext, inOtherRequestsContext, runWithContext, runWithoutContext } from '../context';
import { TokenGuard, type GuardOutcome } from './guard';
import { useGuardBefore } from './inherited-guards';
import { answerConfigError, answerRejection, type NextFunction, type ResponseLike } from './respond';
import { REJECTIONS, quotedRealm, toHttpError } from '../authorize/rejections';
import type { RequestLike } from './extract-token';
import { authorize, normaliseRequirement, type RequireTokenOptions } from '../authorize/requirement';

/** A decorator usable both as a legacy (`experimentalDecorators`) and as a TC39 standard method decorator. */
export interface RequireTokenDecorator {
  /** Legacy method decorator (what routing-controllers uses). */
  (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor): PropertyDescriptor;
  /** TC39 standard (stage 3) method decorator. */
  <This, Args extends unknown[], Return>(
    method: (this: This, ...args: Args) => Return,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Return>,
  ): (this: This, ...args: Args) => Return;
}

/** Token type accepted positionally. */
export type TokenTypeName = 'auth' | 'refresh';
/** Location accepted positionally. */
export type TokenLocation = 'header' | 'cookies';

function isRequest(value: unknown): value is RequestLike {
  return typeof value === 'object' && value !== null
    && typeof (value as RequestLike).headers === 'object' && (value as RequestLike).headers !== null
    && typeof (value as { method?: unknown }).method === 'string';
}

function isResponse(value: unknown): value is ResponseLike {
  return typeof value === 'object' && value !== null
    && typeof (value as ResponseLike).setHeader === 'function' && typeof (value as ResponseLike).end === 'function';
}


/**
 * Wraps a method so that it only runs for a token that satisfies `guard`:
 * - inside a request whose middleware already passed this guard: runs as is;
 * - called with a request among its arguments (an Express handler `(req, res, next)`): checks that request, answers
 *   401/403 through the response when there is one (else throws the HttpError), and runs inside the token's context;
 *   the context of another request is never trusted, nor handed to the method or to an error handler;
 * - called inside another request's token context (a service method): checks that token's type, claims and scope;
 * - anywhere else: throws a 401 `TokenUnauthorizedError` (fail closed).
 */
function guardMethod<This, Args extends unknown[], Return>(
  method: (this: This, ...args: Args) => Return,
  guard: TokenGuard,
): (this: This, ...args: Args) => Return {
  const guarded = function (this: This, ...args: Args): Return {
    const request = args.find(isRequest);
    // Called for another request than the context's: check that request as if there were no context at all.
    if (request && inOtherRequestsContext(request)) return runWithoutContext(() => guarded.apply(this, args));
    const context = currentContext();
    if (context?.passed.has(guard)) return method.apply(this, args);
    if (request) {
      const response = args.find(isResponse);
      const settle = (outcome: GuardOutcome): Return => {
        if (outcome.token) {
          return runWithContext(guard.contextFor(outcome.token, request.params ?? {}, request, response), () => method.apply(this, args));
        }
        if (outcome.configError) {
          if (response) return answerConfigError(response, outcome.configError) as Return;
          throw outcome.configError;
        }
        if (response) {
          const next = args.find((arg): arg is NextFunction => typeof arg === 'function');
          return answerRejection(request, response, next, outcome.rejection, outcome.realm) as Return;
        }
        throw toHttpError(outcome.rejection, outcome.realm);
      };
      const outcome = guard.check(request, response);
      // With a remote JWK Set the check may have to fetch keys: the method then answers a promise.
      return outcome instanceof Promise ? (outcome.then(settle) as Return) : settle(outcome);
    }
    if (context) {
      const rejection = authorize(context.token, guard.requirement, context.params, context.declaredParams);
      if (rejection) {
        const error = toHttpError(rejection, context.token.iss === null ? undefined : quotedRealm(context.token.iss));
        // routing-controllers' default handler answers with the status and body but ignores error.headers.
        const { response } = context;
        if (response && !response.headersSent) for (const [name, value] of Object.entries(error.headers)) response.setHeader(name, value);
        throw error;
      }
      return runWithContext(guard.contextFor(context.token, context.params, context.request, context.response), () => method.apply(this, args));
    }
    throw toHttpError(REJECTIONS.noContext, undefined);
  };
  Object.defineProperty(guarded, 'name', { value: method.name, configurable: true });
  return guarded;
}

function isStandardContext(value: unknown): value is ClassMethodDecoratorContext {
  return typeof value === 'object' && value !== null && typeof (value as ClassMethodDecoratorContext).kind === 'string';
}

function decoratorFor(guard: TokenGuard): RequireTokenDecorator {
  function decorate(target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor): PropertyDescriptor;
  function decorate<This, Args extends unknown[], Return>(
    method: (this: This, ...args: Args) => Return,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Return>,
  ): (this: This, ...args: Args) => Return;
  function decorate(target: unknown, key: unknown, descriptor?: PropertyDescriptor): unknown {
    if (isStandardContext(key)) {
      if (key.kind !== 'method' || typeof target !== 'function') throw new TypeError('@RequireToken decorates methods only');
      return guardMethod(target as (...args: unknown[]) => unknown, guard);
    }
    if (typeof descriptor?.value !== 'function' || (typeof key !== 'string' && typeof key !== 'symbol')) {
      throw new TypeError('@RequireToken decorates methods only');
    }
    // As a before-middleware, authentication runs ahead of routing-controllers' body parsing and validation, on the
    // declaring class and on every subclass controller that inherits the action.
    if (typeof key === 'string') useGuardBefore(target as object, key, guard.middleware);
    descriptor.value = guardMethod(descriptor.value as (...args: unknown[]) => unknown, guard);
    return descriptor;
  }
  return decorate as RequireTokenDecorator;
}

/**
 * Requires a valid token on a controller action (or any method): 401 without a valid token of the right type, 403
 * when its claims or scope do not match. The seed's positional form and an options object both work; options are
 * validated here, once.
 *
 * @example
 * ```ts
 * @JsonController('/users')
 * class UserController {
 *   @Get('/:userId')
 *   @RequireToken({ sub: 'userId', override: { admin: true } })
 *   get(@Param('userId') userId: string) { return this.users.find(userId); }
 *
 *   @Post('/refresh')
 *   @RequireToken('refresh', 'cookies', { cookieName: 'refresh_token' })
 *   refresh() { return { token: this.auth.authToken(currentToken.sub).signed }; }
 * }
 * ```
 * @throws TypeError at decoration time for an invalid token type or location, a cookie location without a cookie
 *   name, or an option value that cannot be matched.
 */
export function RequireToken(options?: RequireTokenOptions): RequireTokenDecorator;
export function RequireToken(tokenType?: TokenTypeName, location?: TokenLocation, options?: RequireTokenOptions): RequireTokenDecorator;
export function RequireToken(...args: unknown[]): RequireTokenDecorator {
  return decoratorFor(new TokenGuard(normaliseRequirement(args)));
}

/** An Express middleware (typed with Node's classes, so it composes with any Express handler types). */
export type RequestHandler = (request: IncomingMessage, response: ServerResponse, next: NextFunction) => void;


/**
 * The same checks as `@RequireToken`, as a plain Express middleware for apps without routing-controllers.
 *
 * @example
 * ```ts
 * app.get('/me', requireToken({ scope: 'profile' }), (req, res) => res.json({ sub: currentToken.sub }));
 * ```
 */
export function requireToken(options?: RequireTokenOptions): RequestHandler;
export function requireToken(tokenType?: TokenTypeName, location?: TokenLocation, options?: RequireTokenOptions): RequestHandler;
export function requireToken(...args: unknown[]): RequestHandler {
  return new TokenGuard(normaliseRequirement(args)).middleware;
}
