/**
 * `@RequireToken(...)` on a class, and `@AllowAnonymous()`, the opt-out of one of its methods.
 *
 * A class decorator runs after every decorator of the class's methods (legacy and TC39 standard alike), so it sees
 * the methods as they will run: each method the class declares (its prototype's own functions, `constructor`,
 * getters and setters excepted) is guarded with the class's requirement, on top of its own `@RequireToken` if it has
 * one (both must pass). Inherited methods keep the guards of the class that declares them.
 */
import { useGuardBefore } from './inherited-guards';
import type { TokenGuard } from './guard';

/** Methods opted out of their class's requirement, by legacy decorators: prototype -> method names. */
const anonymousNames = new WeakMap<object, Set<string | symbol>>();
/** Methods opted out by standard decorators (which do not see the prototype): the functions themselves. */
const anonymousFunctions = new WeakSet<object>();
/** Every function `@RequireToken` made, to refuse `@AllowAnonymous` on a method that requires a token itself. */
const guardedFunctions = new WeakSet<object>();

/** Records a function made by `@RequireToken`. @internal */
export function markGuarded(method: object): void {
  guardedFunctions.add(method);
}

/** A decorator usable as a legacy and as a TC39 standard method decorator, returning the method unchanged. */
export interface AllowAnonymousDecorator {
  /** Legacy method decorator (what routing-controllers uses). */
  (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor): PropertyDescriptor;
  /** TC39 standard (stage 3) method decorator. */
  <This, Args extends unknown[], Return>(
    method: (this: This, ...args: Args) => Return,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Return>,
  ): (this: This, ...args: Args) => Return;
}

function isStandardContext(value: unknown): value is DecoratorContext {
  return typeof value === 'object' && value !== null && typeof (value as DecoratorContext).kind === 'string';
}

/**
 * Opts one action out of its class's `@RequireToken(...)`: it runs for anyone, with no token context. On a method that
 * has its own `@RequireToken` it is a `TypeError` (the two say opposite things); on a class without `@RequireToken` it
 * changes nothing.
 *
 * @example
 * ```ts
 * @JsonController('/documents')
 * @RequireToken({ scope: 'documents' })
 * class DocumentController {
 *   @Get('/') list() { return documents.all(); }          // requires the token
 *   @Get('/health') @AllowAnonymous() health() { return { ok: true }; } // open
 * }
 * ```
 */
export function AllowAnonymous(): AllowAnonymousDecorator {
  function decorate(target: unknown, key: unknown, descriptor?: PropertyDescriptor): unknown {
    if (isStandardContext(key)) {
      if (key.kind !== 'method' || typeof target !== 'function') throw new TypeError('@AllowAnonymous decorates methods only');
      anonymousFunctions.add(target);
      return target;
    }
    if (typeof descriptor?.value !== 'function' || (typeof key !== 'string' && typeof key !== 'symbol') || typeof target !== 'object' || target === null) {
      throw new TypeError('@AllowAnonymous decorates methods only');
    }
    const names = anonymousNames.get(target) ?? new Set<string | symbol>();
    names.add(key);
    anonymousNames.set(target, names);
    return descriptor;
  }
  return decorate as AllowAnonymousDecorator;
}

/**
 * Guards every method `constructor` declares with `guard` (wrapping each with `wrap`), except those marked with
 * `@AllowAnonymous()`. With legacy decorators, each also gets the guard as its routing-controllers before-middleware.
 * @internal
 */
export function guardClass(
  constructor: (...args: never[]) => unknown,
  guard: TokenGuard,
  wrap: (method: (...args: unknown[]) => unknown) => (...args: unknown[]) => unknown,
  legacy: boolean,
): void {
  const { prototype } = constructor as { prototype?: unknown };
  if (typeof prototype !== 'object' || prototype === null) throw new TypeError('@RequireToken decorates classes and methods only');
  const optedOut = anonymousNames.get(prototype);
  for (const key of Reflect.ownKeys(prototype)) {
    if (key === 'constructor') continue;
    const descriptor = Object.getOwnPropertyDescriptor(prototype, key);
    const method: unknown = descriptor?.value;
    if (descriptor === undefined || typeof method !== 'function') continue;
    if (optedOut?.has(key) || anonymousFunctions.has(method)) {
      if (guardedFunctions.has(method)) {
        throw new TypeError(`${String(key)} has both @AllowAnonymous() and @RequireToken(...): keep one`);
      }
      continue;
    }
    // As for a method's own @RequireToken: authentication runs ahead of body parsing and validation.
    if (legacy && typeof key === 'string') useGuardBefore(prototype, key, guard.middleware, guard.requirement);
    Object.defineProperty(prototype, key, { ...descriptor, value: wrap(method as (...args: unknown[]) => unknown) });
  }
}
