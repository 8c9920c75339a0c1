/**
 * The `anyScope` option: alternatives of which the token's scope must satisfy at least one (`['read:all', 'admin']`),
 * where `scope` requires all of its words.
 */
import type { ClaimValue, Scope } from '../claims';
import { matchScope } from './match-claims';

/**
 * Checks `anyScope` once, at decoration: a non-empty array of scopes, each as `scope` takes it (a string of words, all
 * required; a number; a plain object). Returns them frozen, or `undefined` when absent.
 *
 * @param normaliseScope - The check `scope` itself gets, applied to each alternative.
 * @throws TypeError for anything else; an empty list would refuse every token, so it is refused too.
 */
export function normaliseAnyScope(anyScope: unknown, normaliseScope: (scope: unknown) => Scope | undefined): readonly Scope[] | undefined {
  if (anyScope === undefined) return undefined;
  if (!Array.isArray(anyScope) || anyScope.length === 0) {
    throw new TypeError('anyScope must be a non-empty array of scopes, of which the token must carry at least one');
  }
  return Object.freeze(anyScope.map((scope: unknown, i) => {
    const normalised = scope === undefined ? undefined : normaliseScope(scope);
    if (normalised === undefined) throw new TypeError(`anyScope[${i}] has no value`);
    return normalised;
  }));
}

/** True when the token's `scope` claim satisfies at least one of `alternatives`. */
export function matchAnyScope(actual: ClaimValue | undefined, alternatives: readonly Scope[]): boolean {
  return alternatives.some((scope) => matchScope(actual, scope));
}
