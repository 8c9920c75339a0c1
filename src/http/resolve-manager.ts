/**
 * Which AuthManager a request uses: the one attached to the request's app (`initApp`) or, for a mounted sub-app, to
 * the nearest app up its mount chain; else the one from the container routing-controllers was given
 * (`useContainer`); else the global typedi Container's. routing-controllers' container is asked only when the app has
 * loaded routing-controllers (no app can have called its `useContainer` otherwise), so plain-Express apps never load it.
 */
import type { Action } from 'routing-controllers';
import { Container } from 'typedi';
import { attachedManager, AuthManager } from '../auth-manager';
import type { RequestLike } from './extract-token';
import { routingControllersIfLoaded } from './routing-controllers-module';

// Mount chains are a few apps deep; the bound only ends a cycle someone made by setting `parent` by hand.
const MAX_MOUNT_DEPTH = 64;

function isObjectLike(value: unknown): value is object {
  return (typeof value === 'object' || typeof value === 'function') && value !== null;
}

/**
 * The nearest configured manager attached to `app` or to an app it is mounted in. Inside a mounted sub-app Express
 * sets `req.app` to the sub-app and `app.parent` to the app it was mounted in, so a manager attached to the parent
 * alone is found from the sub-app's routes, while one attached to the sub-app itself wins.
 */
function nearestAttachedManager(app: unknown): AuthManager | undefined {
  let current = app;
  for (let depth = 0; depth < MAX_MOUNT_DEPTH && isObjectLike(current); depth++) {
    const manager = attachedManager(current);
    // A configured manager (one that can sign, or a verify-only one) has an issuer; a bare `new AuthManager()` has none.
    if (manager !== undefined && manager.issuer !== null) return manager;
    current = (current as { parent?: unknown }).parent;
  }
  return undefined;
}

/**
 * Resolves the manager for `request`.
 *
 * routing-controllers' own fallback container builds `new AuthManager()` without configuration; such an
 * unconfigured manager (no issuer) is passed over for the global typedi Container.
 *
 * @throws MissingConfigError / InvalidConfigError when the manager has to be built and its configuration is wrong.
 */
export function resolveManager(request: RequestLike, response?: unknown): AuthManager {
  const attached = nearestAttachedManager(request.app);
  if (attached !== undefined) return attached;
  const routingControllers = routingControllersIfLoaded();
  if (routingControllers === undefined) return Container.get(AuthManager);
  const action = { request, response } as Action;
  const fromRoutingControllers = routingControllers.getFromContainer<AuthManager>(AuthManager, action) as AuthManager | undefined;
  if (fromRoutingControllers instanceof AuthManager && fromRoutingControllers.issuer !== null) return fromRoutingControllers;
  return Container.get(AuthManager);
}
