/**
 * Work derived from a token's claims, done once per verified token instead of on every request that presents it.
 * A verified token is frozen (its claims cannot change), and the verify cache hands out the same object on every hit,
 * so what is worked out from it can be kept beside it (in a WeakMap: it goes with the token).
 */
import type { JWT } from './jwt';

/**
 * `compute`, remembered per frozen token; a token that is not frozen (one being built) is computed every time.
 *
 * @example
 * ```ts
 * const keysOf = oncePerToken((token) => [`jti:${String(token.claims.jti)}`]);
 * ```
 */
export function oncePerToken<T>(compute: (token: JWT) => T): (token: JWT) => T {
  const known = new WeakMap<JWT, T>();
  return (token) => {
    if (!Object.isFrozen(token)) return compute(token);
    if (known.has(token)) return known.get(token) as T;
    const value = compute(token);
    known.set(token, value);
    return value;
  };
}
