/**
 * Pure claim matching: what `@RequireToken`'s required claims, `scope` and `override` mean. No HTTP here.
 *
 * The rules (fail closed): a required key must be an OWN property of the token's object, so inherited names such as
 * `toString`, `constructor` or `__proto__` are ordinary missing keys; nested objects are matched recursively on ALL
 * their keys (the original returned after the first nested object, so later keys were never checked); when the
 * token's value is an array the required value must be an array whose elements all deep-equal one of the token's;
 * everything else compares with `===`, so `1` never matches `true` or `"1"`.
 *
 * Route parameters: a `param()` binding, or a top-level string that names a parameter the route declares (or the
 * request has), is compared with that parameter's value; a parameter the request lacks never matches, so a binding
 * never falls back to comparing the literal name. Which parameters the route declares is the guard's to know.
 */
import type { ClaimValue, Claims, Scope } from '../claims';

/** An explicit binding of a required claim to a route parameter, made with `param()`. */
export class ParamBinding {
  /** @param name - The route parameter's name, e.g. `"userId"` for `/users/:userId`. */
  constructor(readonly name: string) {
    if (typeof name !== 'string' || name === '') throw new TypeError('param() needs the name of a route parameter');
    Object.freeze(this);
  }
}

/**
 * Binds a required claim to a route parameter explicitly: `@RequireToken({ sub: param('userId') })`. Unlike the
 * implicit form (`sub: 'userId'`, a literal on a route that declares no `userId`), it binds everywhere: under the
 * `claims` option, and in middleware mounted with `use()`, which cannot know the route. When the request has no such
 * parameter the claim does not match.
 *
 * @example
 * ```ts
 * router.use(requireToken({ claims: { sub: param('userId'), role: 'admin' } }));
 * ```
 */
export function param(name: string): ParamBinding {
  return new ParamBinding(name);
}

/** A required claim value: a JSON value, or a binding to a route parameter. */
export type RequiredValue = ClaimValue | ParamBinding;

/** Route parameters of the current request (Express's `req.params`). */
export type RouteParams = Readonly<Record<string, string | undefined>>;

type JsonObject = { [key: string]: ClaimValue };

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep equality of JSON values, over own properties only. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && deepEqual(a[key], b[key]));
  }
  return false;
}

/**
 * True when the token's `actual` value satisfies `required`: objects recursively on all keys, arrays as subsets,
 * everything else with `===`.
 */
export function matchValue(actual: unknown, required: ClaimValue): boolean {
  if (isObject(required)) {
    if (!isObject(actual)) return false;
    for (const key of Object.keys(required)) {
      if (!Object.hasOwn(actual, key) || !matchValue(actual[key], required[key])) return false;
    }
    return true;
  }
  if (Array.isArray(actual)) {
    return Array.isArray(required) && required.every((item) => actual.some((candidate) => deepEqual(candidate, item)));
  }
  return actual === required;
}

/**
 * Compares a token's claim with a route parameter's value. Route params are strings: a string claim must equal it
 * exactly; a number claim must be a safe integer and matches only its canonical decimal form (`1` matches `"1"`,
 * never `"01"` or `"1.0"`).
 */
export function matchParam(actual: unknown, paramValue: string | undefined): boolean {
  if (typeof paramValue !== 'string') return false;
  if (typeof actual === 'string') return actual === paramValue;
  // Only safe integers: beyond 2^53 JSON.parse has already rounded the claim, perhaps onto another user's id.
  return typeof actual === 'number' && Number.isSafeInteger(actual) && String(actual) === paramValue;
}

/** Required top-level claims, as `@RequireToken` options carry them. */
export type RequiredClaims = Readonly<Record<string, RequiredValue>>;

/** What a guard knows of the request's route when it matches claims. */
export interface RouteView {
  /** The request's route parameters (`req.params`). */
  readonly params: RouteParams;
  /**
   * The parameter names the route declares, present in this request or not (`/users{/:userId}` declares `userId`
   * also for `/users`); empty when the route is unknown.
   */
  readonly declared: ReadonlySet<string>;
}

/**
 * How a requirement's top-level strings are read: `'bind'` for the top-level claims and `override` (a string that
 * names a route parameter binds to it), `'literal'` for the `claims` option (a string is always a literal).
 */
export type StringReading = 'bind' | 'literal';

/** True when `name` is a route parameter: declared by the route, or present in the request. */
function isParamName(route: RouteView, name: string): boolean {
  return route.declared.has(name) || Object.hasOwn(route.params, name);
}

function paramValue(route: RouteView, name: string): string | undefined {
  return Object.hasOwn(route.params, name) ? route.params[name] : undefined;
}

/** The route parameter a required value binds to, or `undefined` when it is compared as a value. */
function boundParam(expected: RequiredValue, route: RouteView, reading: StringReading): string | undefined {
  if (expected instanceof ParamBinding) return expected.name;
  return reading === 'bind' && typeof expected === 'string' && isParamName(route, expected) ? expected : undefined;
}

/**
 * True when `claims` carries every required claim. A `param()` binding, or (when `reading` is `'bind'`) a top-level
 * string naming a parameter the route declares or the request has, is compared with that parameter's value; a
 * parameter absent from the request never matches, so a binding never falls back to the literal name.
 */
export function matchClaims(claims: Claims, required: RequiredClaims, route: RouteView, reading: StringReading): boolean {
  for (const key of Object.keys(required)) {
    if (!Object.hasOwn(claims, key)) return false;
    const expected = required[key];
    const actual = claims[key];
    const bound = boundParam(expected, route, reading);
    if (bound !== undefined) {
      if (!matchParam(actual, paramValue(route, bound))) return false;
    } else if (!matchValue(actual, expected as ClaimValue)) {
      return false;
    }
  }
  return true;
}

/**
 * True when the token's `scope` claim satisfies the required scope. Objects and arrays follow `matchValue`; a string
 * requirement also matches an OAuth 2.0 style space-delimited scope string holding every required word
 * (`'read'` matches `'read write'`).
 */
export function matchScope(actual: ClaimValue | undefined, required: Scope): boolean {
  if (actual === undefined) return false;
  if (typeof required === 'string' && typeof actual === 'string') {
    const granted = new Set(actual.split(' '));
    return required.split(' ').filter(Boolean).every((word) => granted.has(word));
  }
  return matchValue(actual, required);
}
