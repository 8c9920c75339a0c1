/**
 * Which AuthManager a request uses: the one attached to the request's app (`initApp`), else the one from the
 * container routing-controllers was given (`useContainer`), else the global typedi Container's.
 */
import { getFromContainer, type Action } from 'routing-controllers';
import { Container } from 'typedi';
import { attachedManager, AuthManager } from '../auth-manager';
import type { RequestLike } from './extract-token';

/**
 * Resolves the manager for `request`.
 *
 * routing-controllers' own fallback container builds `new AuthManager()` without configuration; such an
 * unconfigured manager (no issuer) is passed over for the global typedi Container.
 *
 * @throws MissingConfigError / InvalidConfigError when the manager has to be built and its configuration is wrong.
 */
export function resolveManager(request: RequestLike, response?: unknown): AuthManager {
  // A configured manager (one that can sign, or a verify-only one) has an issuer; a bare `new AuthManager()` has none.
  const attached = attachedManager(request.app);
  if (attached !== undefined && attached.issuer !== null) return attached;
  const action = { request, response } as Action;
  const fromRoutingControllers = getFromContainer<AuthManager>(AuthManager, action) as AuthManager | undefined;
  if (fromRoutingControllers instanceof AuthManager && fromRoutingControllers.issuer !== null) return fromRoutingControllers;
  return Container.get(AuthManager);
}
