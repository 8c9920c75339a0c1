/**
 * `@CurrentToken()`: the verified token of the request as an action parameter, routing-controllers' own idiom
 * (`createParamDecorator`) for what `currentToken` gives anywhere in the call stack.
 */
import type { Action } from 'routing-controllers';
import { currentContext } from '../context';
import type { ClaimValue } from '../claims';
import type { JWT } from '../token/jwt';
import { routingControllers } from './routing-controllers-module';

/** A legacy parameter decorator, as routing-controllers' own parameter decorators are. */
export type CurrentTokenDecorator = (target: object, method: string, index: number) => void;

/** The token this very request passed a guard with: never the context of another request. */
function tokenOf(action: Action): JWT | undefined {
  const context = currentContext();
  // On Koa, the guard's request is Node's own (ctx.req); routing-controllers' action.request is Koa's wrapper.
  const nodeRequest = (action.context as { req?: unknown } | undefined)?.req;
  return context !== undefined && (context.request === action.request || (nodeRequest !== undefined && context.request === nodeRequest))
    ? context.token
    : undefined;
}

/**
 * Injects the token the request passed `@RequireToken` (or `requireToken()`) with; with a claim name, that claim's
 * value (an own claim of the token, else `undefined`). `undefined` when the request has no token context: an action
 * with `optional: true` called without a token, or an action that no guard protects.
 *
 * @param claim - A claim to inject instead of the whole token, e.g. `'sub'`.
 * @example
 * ```ts
 * @Get('/me')
 * @RequireToken()
 * me(@CurrentToken() token: JWT, @CurrentToken('sub') sub: string) {
 *   return { sub, scope: token.scope };
 * }
 * ```
 */
export function CurrentToken(claim?: string): CurrentTokenDecorator {
  if (claim !== undefined && (typeof claim !== 'string' || claim === '')) throw new TypeError('@CurrentToken takes the name of a claim, or nothing');
  // Loaded at decoration, not at package load: plain-Express apps never load routing-controllers.
  return routingControllers().createParamDecorator({
    required: false,
    value: (action: Action): JWT | ClaimValue | undefined => {
      const token = tokenOf(action);
      if (token === undefined || claim === undefined) return token;
      return Object.hasOwn(token.claims, claim) ? token.claims[claim] : undefined;
    },
  });
}
