/**
 * `@RequireToken` (legacy and TC39 standard method decorator) and `requireToken()` (plain Express middleware): two
 * front doors to one `TokenGuard`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { currentContext, inOtherRequestsContext, runWithContext, runWithoutContext, type TokenContext } from '../context';
import { staleRejection, TokenGuard } from './guard';
import { preventCaching } from './no-store';
import { useGuardBefore } from './inherited-guards';
import { answerConfigError, answerRejection, challengeBeforeThrow, type NextFunction, type ResponseLike } from './respond';
import './manager-errors';
import { REJECTIONS, toHttpError, type Rejection } from '../authorize/rejections';
import type { RequestLike } from './extract-token';
import { authorize, normaliseRequirement, type RequireTokenOptions } from '../authorize/requirement';
import { runAccessCheck, type CheckedRequest } from '../authorize/access-check';
import { guardClass, markGuarded } from './class-guard';
import { warnIfNoDecoratorMetadata } from './decorator-metadata';

/**
 * A decorator usable both as a legacy (`experimentalDecorators`) and as a TC39 standard decorator, of a method or of
 * a whole class.
 */
export interface RequireTokenDecorator {
  /** Legacy class decorator: every method the class declares requires the token. */
  <Class extends abstract new (...args: never[]) => unknown>(target: Class): void;
  /** TC39 standard (stage 3) class decorator. */
  <Class extends abstract new (...args: never[]) => unknown>(target: Class, context: ClassDecoratorContext<Class>): void;
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
 * - inside a request whose middleware already passed this guard: runs as is, if the token still holds;
 * - called with a request among its arguments (an Express handler `(req, res, next)`): checks that request, answers
 *   401/403 through the response when there is one (else rejects with the HttpError), and runs inside the token's
 *   context. It always answers a Promise, whatever the check needed (remote keys, the revocation store), and passes
 *   a failure of the method to `next` when there is one. The context of another request is never trusted;
 * - called inside a request's token context (a service method): checks that token's type, claims and scope, and
 *   that it still holds, and runs synchronously, returning exactly what the method returns;
 * - anywhere else: throws a 401 `TokenUnauthorizedError` (fail closed).
 * "Still holds": not expired (leeway included), and not revoked as far as the store can say at once (`staleRejection`).
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
    if (context?.passed.has(guard)) {
      refuseInContext(context, staleRejection(context));
      return method.apply(this, args);
    }
    if (request) return checkThenRun(guard, request, args, () => method.apply(this, args)) as Return;
    if (context) {
      refuseInContext(
        context,
        authorize(context.token, guard.requirement, context.params, context.declaredParams) ?? staleRejection(context) ?? checkAtOnce(guard, context),
      );
      const inner = guard.contextFor(context.token, context.runtime, context.params, context.request, context.response);
      return runWithContext(inner, () => method.apply(this, args));
    }
    // `optional: true`: no token at all is allowed, and runs as it is.
    if (guard.requirement.optional) return method.apply(this, args);
    throw toHttpError(REJECTIONS.noContext, undefined);
  };
  Object.defineProperty(guarded, 'name', { value: method.name, configurable: true });
  markGuarded(guarded);
  return guarded;
}

const NO_REQUEST: CheckedRequest = Object.freeze({ headers: Object.freeze({}) });

/**
 * The requirement's `check` on a method called inside a context this guard has not passed: the method runs
 * synchronously, so a predicate that answers a promise there refuses (fail closed).
 */
function checkAtOnce(guard: TokenGuard, context: TokenContext): Rejection | null {
  const { check } = guard.requirement;
  if (check === undefined) return null;
  const request = (context.request ?? NO_REQUEST) as CheckedRequest;
  const verdict = runAccessCheck(check, context.token, context.params, request);
  if (!(verdict instanceof Promise)) return verdict;
  verdict.catch(() => undefined);
  return REJECTIONS.checkFailed;
}

/** Throws the HttpError of `rejection` (its challenge set on the context's response first); nothing when `null`. */
function refuseInContext(context: TokenContext, rejection: Rejection | null): void {
  if (rejection === null) return;
  const error = toHttpError(rejection, context.runtime?.realm);
  challengeBeforeThrow(context.response, error);
  throw error;
}

/** The request path of `guardMethod`: check `request`, then run in its token context or answer the refusal. */
async function checkThenRun(guard: TokenGuard, request: RequestLike, args: readonly unknown[], run: () => unknown): Promise<unknown> {
  const response = args.find(isResponse);
  const next = args.find((arg): arg is NextFunction => typeof arg === 'function');
  try {
    const outcome = await guard.check(request, response);
    if (outcome.token) {
      preventCaching(response, guard.requirement);
      return await runWithContext(guard.contextFor(outcome.token, outcome.runtime, request.params ?? {}, request, response), run);
    }
    if (outcome.anonymous) return await run();
    if (outcome.configError) {
      if (response) return answerConfigError(response, outcome.configError);
      throw outcome.configError;
    }
    if (response) return answerRejection(request, response, next, outcome.rejection, outcome.realm);
    throw toHttpError(outcome.rejection, outcome.realm);
  } catch (error) {
    // An Express 4 handler's rejected promise would go unhandled: Express's own `next` takes the error instead.
    if (next === undefined) throw error;
    next(error);
    return undefined;
  }
}

function isStandardContext(value: unknown): value is DecoratorContext {
  return typeof value === 'object' && value !== null && typeof (value as DecoratorContext).kind === 'string';
}

function decoratorFor(guard: TokenGuard): RequireTokenDecorator {
  function decorate(target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor): PropertyDescriptor;
  function decorate<This, Args extends unknown[], Return>(
    method: (this: This, ...args: Args) => Return,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Return>,
  ): (this: This, ...args: Args) => Return;
  function decorate(target: unknown, key: unknown, descriptor?: PropertyDescriptor): unknown {
    const wrap = (method: (...args: unknown[]) => unknown) => guardMethod(method, guard);
    if (isStandardContext(key) && key.kind === 'class' && typeof target === 'function') {
      guardClass(target as (...args: never[]) => unknown, guard, wrap, false);
      return undefined;
    }
    if (key === undefined && descriptor === undefined && typeof target === 'function') {
      guardClass(target as (...args: never[]) => unknown, guard, wrap, true);
      return undefined;
    }
    if (isStandardContext(key)) {
      if (key.kind !== 'method' || typeof target !== 'function') throw new TypeError('@RequireToken decorates methods only');
      return guardMethod(target as (...args: unknown[]) => unknown, guard);
    }
    if (typeof descriptor?.value !== 'function' || (typeof key !== 'string' && typeof key !== 'symbol')) {
      throw new TypeError('@RequireToken decorates methods only');
    }
    warnIfNoDecoratorMetadata(target as object, key);
    // As a before-middleware, authentication runs ahead of routing-controllers' body parsing and validation, on the
    // declaring class and on every subclass controller that inherits the action.
    if (typeof key === 'string') useGuardBefore(target as object, key, guard.middleware, guard.requirement);
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
