/**
 * The `check` option: the app's own predicate over the verified token, the route parameters and the request, run after
 * every other check passed. `false` is a 403; a throw or a rejected promise is a 403 too (fail closed), and what was
 * thrown never reaches the client.
 */
import type { JWT } from '../token/jwt';
import type { RouteParams } from './match-claims';
import { REJECTIONS, type Rejection } from './rejections';

/**
 * The request as the predicate sees it: Node's `IncomingMessage` (Express's `Request`, Koa's `ctx.req`). Declared
 * structurally because this folder is free of HTTP code; annotate the parameter with your framework's type.
 */
export interface CheckedRequest {
  readonly method?: string;
  readonly url?: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * A predicate of `@RequireToken({ check })`: `true` grants access, anything else refuses it with a 403.
 *
 * @example
 * ```ts
 * const ownsDocument: AccessCheck = async (token, params) => (await documents.ownerOf(params.id)) === token.sub;
 * ```
 */
export type AccessCheck = (token: JWT, params: RouteParams, request: CheckedRequest) => boolean | Promise<boolean>;

/** @throws TypeError when `check` is given and is not a function. */
export function normaliseAccessCheck(check: unknown): AccessCheck | undefined {
  if (check === undefined) return undefined;
  if (typeof check !== 'function') throw new TypeError('check must be a function (token, params, request) => boolean | Promise<boolean>');
  return check as AccessCheck;
}

const verdictOf = (granted: unknown): Rejection | null => (granted === true ? null : REJECTIONS.checkFailed);

/**
 * Runs `check`: `null` when it answers `true` (at once or through a promise), the 403 `checkFailed` rejection for
 * anything else, a throw or a rejected promise included. Synchronous when the predicate is.
 */
export function runAccessCheck(check: AccessCheck, token: JWT, params: RouteParams, request: CheckedRequest): Rejection | null | Promise<Rejection | null> {
  let granted: boolean | Promise<boolean>;
  try {
    granted = check(token, params, request);
  } catch {
    return REJECTIONS.checkFailed;
  }
  // A thenable from another promise library is awaited the same way.
  if (typeof (granted as { then?: unknown } | null)?.then === 'function') {
    return Promise.resolve(granted).then(verdictOf, () => REJECTIONS.checkFailed);
  }
  return verdictOf(granted);
}
