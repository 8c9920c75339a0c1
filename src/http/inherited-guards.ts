/**
 * The before-middleware of `@RequireToken` on controller actions, inherited actions included.
 *
 * routing-controllers builds an action a controller inherits from a base class with the subclass as its target, and
 * looks the action's middlewares up by that exact target (`MetadataArgsStorage.filterUsesWithTargetAndMethod`). The
 * guard registered for the class that declares the method would be lost on every subclass, and the method wrapper,
 * finding no verified context, would then refuse every request. So the storage's lookup is wrapped, once: for a
 * target that runs a method it inherits unchanged, the guards registered for the class declaring that very function
 * are included. An override is another function and keeps only its own guards; when it calls the guarded base method
 * through `super`, the method wrapper fails closed.
 */
import type { MetadataArgsStorage } from 'routing-controllers';
import type { TokenRequirement } from '../authorize/requirement';
import { recordGuardedAction } from './guarded-actions';
import { routingControllers } from './routing-controllers-module';

/** A registered "use" (routing-controllers does not export the type). */
type UseMetadataArgs = ReturnType<MetadataArgsStorage['filterUsesWithTargetAndMethod']>[number];
/** A class, as routing-controllers' metadata names it. */
type ClassLike = UseMetadataArgs['target'];

// Only the middlewares @RequireToken registered follow inherited methods: the app's own uses keep
// routing-controllers' behaviour.
const guardMiddlewares = new WeakSet<object>();
const wrappedStorages = new WeakSet<MetadataArgsStorage>();

/** The function `owner.prototype` holds as its own property `method`, or `undefined` when it has none. */
function ownMethodOf(owner: unknown, method: string): unknown {
  const prototype: unknown = typeof owner === 'function' ? (owner as { prototype?: unknown }).prototype : undefined;
  if (typeof prototype !== 'object' || prototype === null) return undefined;
  // The descriptor, not a read: a getter on a prototype is never run here.
  return Object.getOwnPropertyDescriptor(prototype, method)?.value;
}

/** `target` and its superclasses, nearest first. */
function* classChain(target: ClassLike): Generator<ClassLike> {
  for (let current: unknown = target; typeof current === 'function' && current !== Function.prototype; current = Object.getPrototypeOf(current)) {
    yield current as ClassLike;
  }
}

/**
 * The superclasses of `target` whose guards protect what `target` runs as `method`: those that declare the very
 * function `target` inherits. Empty when `target` declares the method itself (the lookup already finds its guards).
 */
function declaringAncestors(target: ClassLike, method: string): ClassLike[] {
  let runs: unknown;
  const declaring: ClassLike[] = [];
  for (const current of classChain(target)) {
    const own = ownMethodOf(current, method);
    if (own === undefined) continue;
    if (current === target) return [];
    // The nearest declaration is the function that runs; further up, only declarations of that same function count.
    if (runs === undefined) runs = own;
    else if (own !== runs) break;
    declaring.push(current);
  }
  return declaring;
}

/** Wraps `storage.filterUsesWithTargetAndMethod` (once per storage) to add the guards of inherited methods. */
function includeInheritedGuards(storage: MetadataArgsStorage): void {
  if (wrappedStorages.has(storage)) return;
  wrappedStorages.add(storage);
  const ownUses = storage.filterUsesWithTargetAndMethod.bind(storage);
  storage.filterUsesWithTargetAndMethod = (target: ClassLike, method: string): UseMetadataArgs[] => {
    const uses = ownUses(target, method);
    // routing-controllers asks with no method for the controller's own uses.
    if (typeof method !== 'string') return uses;
    const inherited = declaringAncestors(target, method)
      .flatMap((ancestor) => ownUses(ancestor, method))
      .filter((use) => guardMiddlewares.has(use.middleware));
    // Authentication first: the inherited guard runs ahead of any other before-middleware, as on the base class.
    return inherited.length === 0 ? uses : [...inherited, ...uses];
  };
}

/**
 * Registers `middleware` as the before-middleware of the action `method` of the class whose prototype is `prototype`,
 * and of every subclass controller that inherits that method unchanged, and records `requirement` for that action
 * (guarded-actions.ts, read by the OpenAPI completion).
 * @internal
 */
export function useGuardBefore(prototype: object, method: string, middleware: (...args: never[]) => unknown, requirement: TokenRequirement): void {
  recordGuardedAction(prototype, method, requirement);
  // Loaded at decoration, not at package load: only apps that decorate controllers load routing-controllers.
  const { getMetadataArgsStorage, UseBefore } = routingControllers();
  guardMiddlewares.add(middleware);
  includeInheritedGuards(getMetadataArgsStorage());
  UseBefore(middleware)(prototype, method);
}
