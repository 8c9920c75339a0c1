/**
 * routing-controllers' own authorization hooks, backed by this library: `authorizationChecker` for `@Authorized()` and
 * `currentUserChecker` for `@CurrentUser()`.
 *
 * routing-controllers calls `authorizationChecker(action, roles)` from a middleware of the action and, on `false`,
 * answers its own `AccessDeniedError` (403, no challenge) or `AuthorizationRequiredError`; on `true` it calls `next()`
 * outside any token context. So the checker never answers `false` and never lets routing-controllers call `next()`:
 * it runs a guard as that middleware itself, which either answers the same 401/403 JSON bodies and
 * `WWW-Authenticate` as `@RequireToken`, or calls `next()` inside the token's context (so `currentToken`,
 * `@CurrentToken()` and `@CurrentUser()` see the token). The promise it returns to routing-controllers stays pending.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Action } from 'routing-controllers';
import type { ClaimValue } from '../claims';
import { currentContext } from '../context';
import { normaliseRequirement, type RequireTokenOptions } from '../authorize/requirement';
import type { CheckedRequest } from '../authorize/access-check';
import type { RouteParams } from '../authorize/match-claims';
import type { JWT } from '../token/jwt';
import { TokenGuard } from './guard';
import type { NextFunction } from './respond';

/** Options of `jwtAuthorizationChecker`. */
export interface JwtAuthorizationCheckerOptions {
  /**
   * The claim holding the token's roles: an array of strings, or a space-delimited string. `@Authorized(['a', 'b'])`
   * grants a token carrying at least one of them (403 `ERR_TOKEN_FORBIDDEN_CHECK` otherwise). @default 'roles'
   */
  rolesClaim?: string;
  /**
   * What every `@Authorized()` action requires besides the roles, as `@RequireToken` takes it (`location`,
   * `cookieName`, `scope`, claims...). Its own `check` runs before the roles'. @default {} (an auth token in the header)
   */
  require?: RequireTokenOptions;
}

/** routing-controllers' `authorizationChecker` signature. */
export type AuthorizationChecker = (action: Action, roles: unknown[]) => Promise<boolean>;
/** routing-controllers' `currentUserChecker` signature. */
export type CurrentUserChecker<User> = (action: Action) => User | undefined | Promise<User | undefined>;

/** The roles a token carries in `claim`: an array's strings, or a space-delimited string's words. */
function rolesOf(value: ClaimValue | undefined): readonly string[] {
  if (typeof value === 'string') return value.split(' ').filter(Boolean);
  if (Array.isArray(value)) return value.filter((role): role is string => typeof role === 'string');
  return [];
}

/** A promise that never settles: routing-controllers' own answer is never wanted once the guard has taken over. */
const PENDING = new Promise<boolean>(() => undefined);

/**
 * An `authorizationChecker` for routing-controllers: `@Authorized()` requires a valid token, `@Authorized(['admin'])`
 * one whose roles claim holds at least one of the roles. Refusals are this library's 401/403 answers with
 * `WWW-Authenticate`, never routing-controllers' `AccessDeniedError`; accepted requests run in the token's context.
 * Express driver only.
 *
 * @throws TypeError at once for a `rolesClaim` that is not a non-empty string or invalid `require` options.
 * @example
 * ```ts
 * useExpressServer(app, {
 *   controllers: [AdminController],
 *   authorizationChecker: jwtAuthorizationChecker({ rolesClaim: 'roles' }),
 *   currentUserChecker: jwtCurrentUserChecker((token) => ({ id: String(token.sub) })),
 * });
 * ```
 */
export function jwtAuthorizationChecker(options: JwtAuthorizationCheckerOptions = {}): AuthorizationChecker {
  const { rolesClaim = 'roles', require = {} } = options;
  if (typeof rolesClaim !== 'string' || rolesClaim === '') throw new TypeError('rolesClaim must be the name of the claim holding the roles');
  const base = normaliseRequirement([require]);
  const guards = new Map<string, TokenGuard>();
  const guardFor = (roles: readonly string[]): TokenGuard => {
    const key = JSON.stringify(roles);
    let guard = guards.get(key);
    if (guard === undefined) {
      const own = base.check;
      const hasRole = (token: JWT): boolean => {
        const held = rolesOf(Object.hasOwn(token.claims, rolesClaim) ? token.claims[rolesClaim] : undefined);
        return roles.some((role) => held.includes(role));
      };
      guard = new TokenGuard(Object.freeze({
        ...base,
        // The roles are checked last, after the `require` options' own check when there is one.
        check: roles.length === 0 ? own : async (token: JWT, params: RouteParams, request: CheckedRequest) =>
          (own === undefined || (await own(token, params, request)) === true) && hasRole(token),
      }));
      guards.set(key, guard);
    }
    return guard;
  };
  return (action: Action, roles: unknown[]): Promise<boolean> => {
    if (!roles.every((role): role is string => typeof role === 'string')) {
      throw new TypeError('@Authorized() roles must be strings');
    }
    const next = action.next as NextFunction | undefined;
    // The Koa driver gives a Koa context and a promise-returning next: the guard's Express path cannot answer there.
    if (typeof next !== 'function' || action.context !== undefined) {
      throw new TypeError('jwtAuthorizationChecker works with routing-controllers\' Express driver (useExpressServer / createExpressServer); on Koa, use @RequireToken');
    }
    guardFor(roles).middleware(action.request as IncomingMessage, action.response as ServerResponse, next);
    return PENDING;
  };
}

/**
 * A `currentUserChecker` for routing-controllers: `@CurrentUser()` is the token this request passed its guard with
 * (`@Authorized()`, `@RequireToken`, `requireToken()`), or what `toUser` makes of it; `undefined` when the request has
 * no token context (so `@CurrentUser({ required: true })` on an action no guard protects is routing-controllers' own
 * 401: guard the action).
 *
 * @param toUser - Turns the verified token into your user (sync or async). @default the token itself
 * @example
 * ```ts
 * currentUserChecker: jwtCurrentUserChecker((token) => users.find(String(token.sub)))
 * ```
 */
export function jwtCurrentUserChecker(): CurrentUserChecker<JWT>;
export function jwtCurrentUserChecker<User>(toUser: (token: JWT) => User | Promise<User>): CurrentUserChecker<User>;
export function jwtCurrentUserChecker<User>(toUser?: (token: JWT) => User | Promise<User>): CurrentUserChecker<User | JWT> {
  return (action: Action) => {
    const context = currentContext();
    // Only this very request's token: a context left by another request is never read.
    if (context === undefined || context.request !== action.request) return undefined;
    return toUser === undefined ? context.token : toUser(context.token);
  };
}
