/**
 * The library's record of guarded actions: the requirement of every `@RequireToken` (on a method, or on its class)
 * per declaring class and method, taken at decoration. Read by the OpenAPI completion (openapi.ts), which has to know
 * what each routing-controllers action requires without running it.
 */
import type { TokenRequirement } from '../authorize/requirement';

// Keyed by the prototype that declares the method: a class and its subclasses share nothing here.
const recorded = new WeakMap<object, Map<string, TokenRequirement[]>>();

/**
 * Records that the method `method` declared on `prototype` requires `requirement` (one call per guard).
 * @internal
 */
export function recordGuardedAction(prototype: object, method: string, requirement: TokenRequirement): void {
  const methods = recorded.get(prototype) ?? new Map<string, TokenRequirement[]>();
  recorded.set(prototype, methods);
  methods.set(method, [...(methods.get(method) ?? []), requirement]);
}

/**
 * The requirements the action `method` of the controller class `target` runs with, all of which must pass: those of
 * the class declaring the function it runs and of every superclass declaring that same function (as
 * inherited-guards.ts applies them). Empty for an action no guard protects.
 * @internal
 */
export function requirementsOf(target: unknown, method: string): TokenRequirement[] {
  const requirements: TokenRequirement[] = [];
  let runs: unknown;
  for (let current = target; typeof current === 'function' && current !== Function.prototype; current = Object.getPrototypeOf(current)) {
    const prototype: unknown = (current as { prototype?: unknown }).prototype;
    if (typeof prototype !== 'object' || prototype === null) break;
    const own: unknown = Object.getOwnPropertyDescriptor(prototype, method)?.value;
    if (own === undefined) continue;
    if (runs === undefined) runs = own;
    else if (own !== runs) break;
    requirements.push(...(recorded.get(prototype)?.get(method) ?? []));
  }
  return requirements;
}
