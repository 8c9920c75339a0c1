/**
 * routing-controllers, loaded only by the parts that integrate with it. A plain-Express app (`requireToken()`,
 * `AuthManager`, `currentToken`) never loads it, so it need not be installed there and costs nothing at start-up.
 *
 * Whenever routing-controllers is in use, the rejection errors are made its `HttpError`s (routing-controllers-errors.ts)
 * before any of them can reach its error handler: when a decorator of this library loads it, or when it was already
 * loaded by the app (looked up in `require.cache`, never loaded for that) at package load and at every guarded request.
 */
import type * as RoutingControllers from 'routing-controllers';
import { inheritFromHttpErrors } from './routing-controllers-errors';

/** The routing-controllers module's exports. */
export type RoutingControllersModule = typeof RoutingControllers;

let loaded: RoutingControllersModule | undefined;
// Resolved once: `null` when routing-controllers is not installed where this package can see it.
let resolvedPath: string | null | undefined;

/**
 * routing-controllers, loaded now if it is not yet, with the rejection errors made its `HttpError`s.
 *
 * @throws Error naming the missing package, when a routing-controllers integration is used without it installed.
 * @internal
 */
export function routingControllers(): RoutingControllersModule {
  if (loaded !== undefined) return loaded;
  let module: RoutingControllersModule;
  try {
    // A lazy require on purpose: this is the one place the package is loaded.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    module = require('routing-controllers') as RoutingControllersModule;
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw error;
    throw new Error('@RequireToken, @CurrentToken and the routing-controllers checkers need routing-controllers: npm install routing-controllers', { cause: error });
  }
  inheritFromHttpErrors(module);
  loaded = module;
  return module;
}

/**
 * routing-controllers when the app has loaded it already (it is in `require.cache`), else `undefined`; never loads it.
 * @internal
 */
export function routingControllersIfLoaded(): RoutingControllersModule | undefined {
  if (loaded !== undefined) return loaded;
  if (resolvedPath === undefined) {
    try {
      resolvedPath = require.resolve('routing-controllers');
    } catch {
      resolvedPath = null;
    }
  }
  return resolvedPath !== null && require.cache[resolvedPath] !== undefined ? routingControllers() : undefined;
}
