/**
 * Between tests: typedi's container forgets the library's configuration values (every `JWT_*` token set with
 * `Container.set`) and every service instance (the AuthManager, your services: fresh ones on the next `get`), while
 * `@Service()` classes stay registered. Verified-token caches and memory revocations belong to a configuration and
 * live on with it.
 */
import { Container } from 'typedi';
import { TOKENS } from '../config/tokens';

/**
 * Resets typedi's default container for the next test.
 *
 * @example
 * ```ts
 * afterEach(() => resetContainer());
 * ```
 */
export function resetContainer(): void {
  Container.remove(Object.values(TOKENS));
  Container.reset();
}
