/**
 * The token of the current request, readable anywhere in its call stack through AsyncLocalStorage: in services,
 * after awaits, in timers and promise chains started there. Concurrent requests never see each other's token.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { inspect } from 'node:util';
import { NoTokenContextError } from './errors';
import { JWT } from './token/jwt';
import type { RouteParams } from './authorize/match-claims';
import type { Runtime } from './config/runtime';

/** The part of a response a guard deeper down needs: whether it was sent, and a way to set a header. */
export interface ChallengeTarget {
  readonly headersSent: boolean;
  setHeader(name: string, value: string | number): unknown;
}

/** What a request that passed `@RequireToken` carries down its call stack. */
export interface TokenContext {
  /** The verified token. */
  readonly token: JWT;
  /** The request's route parameters, for guards on services deeper down. */
  readonly params: RouteParams;
  /**
   * The parameter names the request's route declares, as the guard that made this context knew them; absent when it
   * could not know the route (mounted with `use()`), so that guards deeper down never guess a literal either.
   */
  readonly declaredParams?: ReadonlySet<string>;
  /** The request the token was read from, when there is one. */
  readonly request: object | undefined;
  /** Its response, so that a guard deeper down can set its challenge header before throwing. */
  readonly response: ChallengeTarget | undefined;
  /** The requirements (guards) this context has already passed, so that the action wrapper does not check twice. */
  readonly passed: ReadonlySet<object>;
  /** What the token was verified with (leeway, revocations, realm), so that later checks can tell it still holds. */
  readonly runtime: Runtime | undefined;
}

// `undefined` is stored too: a request resumed from another request's context runs with none (runWithoutContext).
const storage = new AsyncLocalStorage<TokenContext | undefined>();

/** The current context, if any. @internal */
export function currentContext(): TokenContext | undefined {
  return storage.getStore();
}

/** Runs `fn` with `context` as the current token context. @internal */
export function runWithContext<T>(context: TokenContext, fn: () => T): T {
  return storage.run(context, fn);
}

/**
 * True when the current token context is that of another request than `request`. A callback-style middleware (a
 * queue, a pool, a batcher) may call a request's `next` back from whichever request released it, so the async
 * context a request runs in is not always its own. @internal
 */
export function inOtherRequestsContext(request: object): boolean {
  const context = storage.getStore();
  return context !== undefined && context.request !== request;
}

/** Runs `fn` outside any token context (e.g. one another request's callback left behind). @internal */
export function runWithoutContext<T>(fn: () => T): T {
  return storage.run(undefined, fn);
}

/**
 * The current request's verified token, or `undefined` outside of a request that passed `@RequireToken`.
 *
 * @example
 * ```ts
 * const token = getCurrentToken();
 * if (token) audit.log(`read by ${token.sub}`);
 * ```
 */
export function getCurrentToken(): JWT | undefined {
  return storage.getStore()?.token;
}

function tokenOrThrow(): JWT {
  const context = storage.getStore();
  if (context === undefined) throw new NoTokenContextError();
  return context.token;
}

/** Properties read by `await`, `JSON.stringify`, `console.log` and string conversion: safe outside a context. */
function readOutsideContext(property: string | symbol): { value: unknown } | undefined {
  switch (property) {
    case 'then':
      return { value: undefined };
    case 'toJSON':
      return { value: () => null };
    case inspect.custom:
      return { value: () => '[currentToken: no token context]' };
    case Symbol.toStringTag:
      return { value: 'currentToken' };
    case Symbol.toPrimitive:
      return { value: () => '[currentToken: no token context]' };
    default:
      return undefined;
  }
}

// util.inspect formats a proxy's target without calling traps, so the target itself knows how to show the token.
const target: object = Object.create(JWT.prototype, {
  [inspect.custom]: {
    configurable: true,
    value(depth: number, options: object, inspectFn: typeof inspect) {
      const token = getCurrentToken();
      return token ? inspectFn(token, { ...options, depth }) : '[currentToken: no token context]';
    },
  },
});

/** Why `currentToken` cannot be frozen, sealed or made non-extensible. */
const NOT_FREEZABLE =
  'currentToken cannot be frozen, sealed or made non-extensible: it stands for the token of whichever request reads it '
  + '(a verified token is read-only already); freeze a copy such as { ...currentToken } instead';

/**
 * A proxy for the current request's verified token (the seed's `current_token`).
 *
 * Inside a request that passed `@RequireToken` it behaves as that `JWT` (`currentToken.sub`, `currentToken.claims`,
 * `currentToken instanceof JWT`). Outside, reading a property throws `NoTokenContextError`, while `await currentToken`,
 * `console.log(currentToken)` and `JSON.stringify(currentToken)` stay safe.
 *
 * One proxy serves every request, so no operation on it reaches its own target: were the target made non-extensible
 * or given a non-configurable property, the proxy invariants would make `Object.keys(currentToken)` and
 * `{ ...currentToken }` throw in every later request. `Object.freeze(currentToken)` (and `seal`, `preventExtensions`)
 * throws a TypeError; defining, deleting and setting properties or the prototype apply to the current token, which a
 * verified token refuses.
 *
 * @example
 * ```ts
 * @Service()
 * class AuditService {
 *   async record(action: string) {
 *     await db.insert({ action, by: currentToken.sub }); // no parameter passed down
 *   }
 * }
 * ```
 */
export const currentToken: JWT = new Proxy(target, {
  get(_target, property) {
    const token = getCurrentToken();
    if (token === undefined) {
      const safe = readOutsideContext(property);
      if (safe) return safe.value;
      throw new NoTokenContextError();
    }
    if (property === 'toJSON') {
      return () => ({ tokenType: token.tokenType, claims: token.claims, signed: token.signed, typ: token.typ });
    }
    const value: unknown = Reflect.get(token, property, token);
    return typeof value === 'function' ? value.bind(token) : value;
  },
  set(_target, property, value) {
    return Reflect.set(tokenOrThrow(), property, value);
  },
  has(_target, property) {
    const token = getCurrentToken();
    return token === undefined ? false : Reflect.has(token, property);
  },
  ownKeys() {
    const token = getCurrentToken();
    return token === undefined ? [] : Reflect.ownKeys(token);
  },
  getOwnPropertyDescriptor(_target, property) {
    const token = getCurrentToken();
    if (token === undefined) return undefined;
    const descriptor = Reflect.getOwnPropertyDescriptor(token, property);
    return descriptor && { ...descriptor, configurable: true };
  },
  getPrototypeOf() {
    return Object.getPrototypeOf(getCurrentToken() ?? target) as object;
  },
  // The traps below keep the shared target extensible and free of non-configurable properties (see above).
  preventExtensions() {
    throw new TypeError(NOT_FREEZABLE);
  },
  isExtensible() {
    // Must agree with the target (a proxy invariant), which stays extensible.
    return Reflect.isExtensible(target);
  },
  defineProperty(_target, property, descriptor) {
    // The proxy reports every property as configurable (getOwnPropertyDescriptor), so it cannot take a
    // non-configurable one; anything else goes to the current token, as `set` does.
    if (descriptor.configurable === false) return false;
    return Reflect.defineProperty(tokenOrThrow(), property, descriptor);
  },
  deleteProperty(_target, property) {
    return Reflect.deleteProperty(tokenOrThrow(), property);
  },
  setPrototypeOf(_target, prototype) {
    return Reflect.setPrototypeOf(tokenOrThrow(), prototype);
  },
}) as JWT;
