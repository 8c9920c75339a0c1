/**
 * The one implementation behind both front doors (`@RequireToken` and `requireToken()`): read the token, verify it
 * with the request's manager, authorize it (claims, scope, CSRF), check revocation, then either run the rest of the
 * request inside the token's context or answer 401/403/503 (see respond.ts).
 *
 * Authorizing needs to know which route parameters the request's route declares (a required string naming one binds
 * to it even when the request lacks it). The guard reads them from `req.route` where it is inside a route (a route
 * handler or route-level middleware), plus the mount paths above that route; mounted with `use()` it cannot know the
 * route, and says so rather than guess.
 */
import { AsyncResource } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { runtimeOf } from '../auth-manager';
import type { Runtime } from '../config/runtime';
import type { RouteParams } from '../authorize/match-claims';
import { currentContext, inOtherRequestsContext, runWithContext, runWithoutContext, type ChallengeTarget, type TokenContext } from '../context';
import { JwtAuthError, MissingSignerError } from '../errors';
import type { JWT } from '../token/jwt';
import { checkCsrf } from '../authorize/csrf';
import { REJECTIONS, type Rejection } from '../authorize/rejections';
import type { RequestLike } from './extract-token';
import { extractorFor, type LocatedExtraction } from './token-locations';
import { checkSenderConstraint } from './sender-constraint';
import { dpopRejection, withDpopChallenge } from '../authorize/dpop-rejections';
import type { DpopMode } from '../authorize/dpop-option';
import { ambiguousStrings, authorize, type TokenRequirement } from '../authorize/requirement';
import { scopeRejection } from '../authorize/scope-challenge';
import { declaredParamNames } from '../authorize/route-params';
import { UNKNOWN_ROUTE_MESSAGE, UnknownRouteError } from '../errors';
import { preventCaching } from './no-store';
import { resolveManager } from './resolve-manager';
import {
  answerConfigError,
  answerRejection,
  appOf,
  ensureCompletedResponseSink,
  type NextFunction,
} from './respond';
import type { TokenCheck } from '../token/verify';
import { runAccessCheck } from '../authorize/access-check';
import { observed } from './auth-events';
import { answerKoaConfigError, answerKoaRejection, isKoaCall, koaDeclaredParams, koaRequest, type KoaContextLike } from './koa';

/**
 * What checking a request gives: the verified token, a rejection, a configuration error, or (`optional: true` and no
 * token sent) leave to go on anonymously.
 */
export type GuardOutcome =
  | { token: JWT; runtime: Runtime; rejection?: undefined; configError?: undefined; anonymous?: undefined }
  | { token?: undefined; rejection: Rejection; realm: string | undefined; configError?: undefined; anonymous?: undefined; verified?: JWT }
  | { token?: undefined; rejection?: undefined; configError: JwtAuthError; anonymous?: undefined }
  | { token?: undefined; rejection?: undefined; configError?: undefined; anonymous: true };

const ANONYMOUS: GuardOutcome = Object.freeze({ anonymous: true as const });
// Only the absence of any token is anonymous: a malformed header or a bad token is still a 401 on optional routes.
const NO_TOKEN: ReadonlySet<Rejection> = new Set([REJECTIONS.missingHeader, REJECTIONS.missingCookie, REJECTIONS.missingAny]);

// Stream events of the request (body parsing, uploads) are emitted from the socket's async context; binding the
// request's emit to the token's context keeps currentToken readable in whatever runs after them.
const boundRequests = new WeakSet<object>();
function bindRequestEvents(request: RequestLike): void {
  const emitter = request as RequestLike & { emit?: (...args: unknown[]) => boolean; complete?: boolean };
  // A request without a body (most GETs) emits nothing worth binding.
  const { headers } = request;
  if (headers['content-length'] === undefined && headers['transfer-encoding'] === undefined) return;
  if (typeof emitter.emit !== 'function' || boundRequests.has(request)) return;
  boundRequests.add(request);
  emitter.emit = AsyncResource.bind(emitter.emit, 'routing-controllers-jwt', emitter);
}

/** The Express internals read to know a request's route: the route being dispatched and the mount path matched. */
type RoutedRequest = RequestLike & { route?: unknown; baseUrl?: unknown };
/** A layer of an Express 4 or 5 router stack: a route's (`route`), a router's (`handle.stack`) or a middleware's. */
type StackLayer = { route?: unknown; handle?: unknown; rawPath?: unknown; keys?: unknown };
/** A route object: its path, and its own stack of handlers. */
type RouteObject = { path?: unknown; stack?: unknown };

/** What is known of one route object, worked out at its first request. */
interface RouteNames {
  /** The parameter names its path and its mount paths declare; `undefined` when its path could not be read. */
  readonly names: ReadonlySet<string> | undefined;
  /** Whether every mount path above it (routers, sub-apps) was found and read. */
  readonly mountsKnown: boolean;
}

const routeNames = new WeakMap<object, RouteNames>();
// Routers nest a few levels; the bound only protects against a stack that is not what Express builds.
const MAX_MOUNT_DEPTH = 32;

function stackOf(router: unknown): readonly StackLayer[] | undefined {
  if ((typeof router !== 'function' && typeof router !== 'object') || router === null) return undefined;
  const { stack } = router as { stack?: unknown };
  return Array.isArray(stack) ? (stack as StackLayer[]) : undefined;
}

/** The app's root router: Express 4's `app._router` or Express 5's `app.router` (whose Express 4 getter throws). */
function rootRouterOf(app: unknown): unknown {
  const express = app as { _router?: unknown; router?: unknown };
  try {
    // Short-circuit: reading `router` on Express 4 throws.
    return express._router ?? express.router;
  } catch {
    return undefined;
  }
}

/** The parameter names of a mount layer's path: Express 5 keeps the path itself, Express 4 only its keys. */
function mountLayerNames(layer: StackLayer): ReadonlySet<string> | undefined {
  if (layer.rawPath !== undefined) return declaredParamNames(layer.rawPath);
  if (Array.isArray(layer.keys)) return new Set(layer.keys.map((key: { name?: unknown }) => String(key.name)));
  return undefined;
}

/**
 * Adds to `names` the parameter names of every mount path above `route` in `stack`, by every way down to it:
 * 'absent' when the route is not there, 'unreadable' when a mount path above it cannot be read.
 */
function collectMounts(stack: readonly StackLayer[], route: object, names: Set<string>, depth: number): 'found' | 'absent' | 'unreadable' {
  let result: 'found' | 'absent' | 'unreadable' = 'absent';
  for (const layer of stack) {
    const inner = layer.route === route || depth >= MAX_MOUNT_DEPTH ? undefined : stackOf(layer.handle);
    const below = layer.route === route ? 'found' : inner ? collectMounts(inner, route, names, depth + 1) : 'absent';
    if (below === 'absent') continue;
    const own = layer.route === route ? new Set<string>() : mountLayerNames(layer);
    if (below === 'unreadable' || own === undefined) return 'unreadable';
    for (const name of own) names.add(name);
    result = 'found';
  }
  return result;
}

/** Adds the names of the mount paths of a sub-app and its parents (`app.mountpath`); false when one cannot be read. */
function collectAppMounts(app: unknown, names: Set<string>): boolean {
  let current = app as { parent?: unknown; mountpath?: unknown } | undefined;
  for (let depth = 0; depth < MAX_MOUNT_DEPTH; depth++) {
    if (current?.parent === undefined || current.parent === null) return true;
    const own = declaredParamNames(current.mountpath);
    if (own === undefined) return false;
    for (const name of own) names.add(name);
    current = current.parent as typeof current;
  }
  return false;
}

function routeNamesOf(app: unknown, route: RouteObject): RouteNames {
  const own = declaredParamNames(route.path);
  if (own === undefined) return { names: undefined, mountsKnown: false };
  const names = new Set(own);
  const stack = stackOf(rootRouterOf(app));
  const found = stack === undefined ? 'absent' : collectMounts(stack, route, names, 0);
  return { names, mountsKnown: found === 'found' && collectAppMounts(app, names) };
}

/**
 * The parameter names declared by `route` and the paths it is mounted under, read once per route object; `undefined`
 * when they cannot all be known: a mount path (`/u/:userId`) may then hold a parameter the guard cannot see.
 */
function declaredByRoute(request: RoutedRequest, route: RouteObject): ReadonlySet<string> | undefined {
  let known = routeNames.get(route);
  if (known === undefined) {
    known = routeNamesOf(request.app, route);
    routeNames.set(route, known);
  }
  const mounted = typeof request.baseUrl === 'string' && request.baseUrl !== '';
  return known.mountsKnown || !mounted ? known.names : undefined;
}

function currentRoute(request: RequestLike): RouteObject | undefined {
  const { route } = request as RoutedRequest;
  return typeof route === 'object' && route !== null ? (route as RouteObject) : undefined;
}

/**
 * The parameter names the request's route declares, for a guard called from a route handler (`req.route` is the
 * route being dispatched); `undefined` when there is no route to read.
 */
function declaredParamsOf(request: RequestLike): ReadonlySet<string> | undefined {
  const route = currentRoute(request);
  return route === undefined ? undefined : declaredByRoute(request, route);
}

/** What a guard knew of the route when it checked a request. */
interface RouteKnowledge {
  readonly declared: ReadonlySet<string> | undefined;
}

/** A requirement turned into checks; one per `@RequireToken` or `requireToken()`. */
export class TokenGuard {
  readonly #extract: (request: RequestLike) => LocatedExtraction;
  // Private fields stay writable on the frozen guard: the unknown-route warning is emitted once per guard.
  #warned = false;
  /** The 403 of this requirement's scope, naming it (RFC 6750 §3), built once. */
  readonly #scopeRejection: Rejection;

  constructor(readonly requirement: TokenRequirement) {
    this.#scopeRejection = scopeRejection(requirement.scope);
    this.#extract = extractorFor(requirement);
    Object.freeze(this);
  }

  /**
   * Reads, verifies and authorizes the token of `request`. Synchronous, except when the manager verifies with a
   * remote JWK Set (it may have to fetch keys) or the token must be looked up in the revocation store.
   */
  check(request: RequestLike, response?: unknown): GuardOutcome | Promise<GuardOutcome> {
    return observed(this.#check(request, response, declaredParamsOf(request)), request);
  }

  #check(request: RequestLike, response: unknown, declared: ReadonlySet<string> | undefined): GuardOutcome | Promise<GuardOutcome> {
    const ambiguous = ambiguousStrings(this.requirement, request.params ?? {}, declared);
    if (ambiguous.length > 0) return this.#refuseUnknownRoute(ambiguous);
    let runtime: Runtime;
    try {
      const manager = resolveManager(request, response);
      const found = runtimeOf(manager);
      if (found === undefined) throw new MissingSignerError();
      runtime = found;
    } catch (error) {
      if (error instanceof JwtAuthError) return { configError: error };
      throw error;
    }
    const { realm } = runtime;
    const extraction = this.#extract(request);
    const dpopMode = this.requirement.dpop ?? runtime.dpop.mode;
    if (extraction.rejection) {
      if (this.requirement.optional && NO_TOKEN.has(extraction.rejection)) return ANONYMOUS;
      if (NO_TOKEN.has(extraction.rejection) && dpopMode === 'required') {
        return { rejection: dpopRejection('missing', { realm, algs: runtime.dpop.challengeAlgs }, runtime.dpop.nonces?.current()), realm };
      }
      return { rejection: extraction.rejection, realm };
    }
    const { token: signed, scheme = 'bearer' } = extraction;
    const fromCookie = extraction.fromCookie === true;
    // Synchronous unless remote keys must be fetched.
    const result = runtime.verifier.checkWithRemote(signed);
    const constrained = (settled: TokenCheck): GuardOutcome | Promise<GuardOutcome> => {
      if (!settled.valid) {
        const rejection = REJECTIONS[settled.reason];
        if (scheme !== 'dpop') return { rejection, realm };
        return { rejection: withDpopChallenge(rejection, { realm, algs: runtime.dpop.challengeAlgs }, runtime.dpop.nonces?.current()), realm };
      }
      // RFC 9449 §7.1, RFC 8705 §3: the sender constraint is part of authenticating the token, before authorizing it.
      const mode = strictestDpopMode(dpopMode, runtime.verifier.issuerDpopMode(settled.token.iss));
      const bound = checkSenderConstraint(mode, scheme, signed, settled.token, request, response, runtime);
      const admit = (): GuardOutcome | Promise<GuardOutcome> => {
        const verdict = this.#verdict(settled, request, runtime, declared, fromCookie);
        // RFC 9449 §7.1: a 403 (or a revoked token) of a DPoP request challenges with DPoP too.
        if (scheme !== 'dpop') return verdict;
        return verdict instanceof Promise ? verdict.then((outcome) => dpopChallenged(outcome, runtime)) : dpopChallenged(verdict, runtime);
      };
      if (bound instanceof Promise) return bound.then((rejection) => (rejection ? { rejection, realm } : admit()));
      return bound ? { rejection: bound, realm } : admit();
    };
    if (result instanceof Promise) return result.then(constrained);
    return constrained(result);
  }

  #verdict(
    result: TokenCheck,
    request: RequestLike,
    runtime: Runtime,
    declared: ReadonlySet<string> | undefined,
    fromCookie: boolean,
  ): GuardOutcome | Promise<GuardOutcome> {
    const { realm } = runtime;
    if (!result.valid) return { rejection: REJECTIONS[result.reason], realm };
    const { token } = result;
    const method = (request as { method?: string }).method;
    // CSRF guards ambient credentials only: a token the client put in a header was not sent by the browser on its own.
    const rejection = authorize(token, this.requirement, request.params ?? {}, declared)
      ?? (fromCookie ? checkCsrf(token, this.requirement, method, request.headers) : null);
    if (rejection) return { rejection: rejection === REJECTIONS.scopeMismatch ? this.#scopeRejection : rejection, realm, verified: token };
    // Refresh tokens always, auth tokens with a jti: answered here when the store knows at once (memory, Redis's local
    // cache kept coherent by pub/sub; a token with nothing to check is valid at once), else asked of the store within
    // a bounded time (fail closed).
    const known = runtime.sessions.checkNow(token);
    if (known === 'valid') return this.#admit(token, runtime, request);
    if (known === 'revoked') return { rejection: REJECTIONS.revoked, realm, verified: token };
    return runtime.sessions.status(token).then((status): GuardOutcome | Promise<GuardOutcome> => {
      if (status === 'valid') return this.#admit(token, runtime, request);
      return { rejection: status === 'revoked' ? REJECTIONS.revoked : REJECTIONS.revocationUnavailable, realm, verified: token };
    });
  }

  /** The last step: the requirement's `check` predicate, when it has one, sees only tokens that passed everything else. */
  #admit(token: JWT, runtime: Runtime, request: RequestLike): GuardOutcome | Promise<GuardOutcome> {
    const { check } = this.requirement;
    if (check === undefined) return { token, runtime };
    const verdict = (rejection: Rejection | null): GuardOutcome => (rejection ? { rejection, realm: runtime.realm, verified: token } : { token, runtime });
    const rejection = runAccessCheck(check, token, request.params ?? {}, request);
    return rejection instanceof Promise ? rejection.then(verdict) : verdict(rejection);
  }

  /** A configuration error for a requirement whose strings the guard cannot read without the route; warns once. */
  #refuseUnknownRoute(ambiguous: readonly string[]): GuardOutcome {
    if (!this.#warned) {
      this.#warned = true;
      // Names where the strings were given, never their values: the warning goes to logs.
      process.emitWarning(`${UNKNOWN_ROUTE_MESSAGE}. Required claims given as plain strings: ${ambiguous.join(', ')}`, {
        type: 'RoutingControllersJwtWarning',
        code: 'ERR_JWT_ROUTE_UNKNOWN',
      });
    }
    return { configError: new UnknownRouteError() };
  }

  /**
   * The context a request that passed this guard runs in. It carries what this guard knew of the route (`known`),
   * else what the context of the same request already carried, else what `request.route` tells.
   */
  contextFor(
    token: JWT,
    runtime: Runtime | undefined,
    params: RouteParams,
    request: object | undefined,
    response: ChallengeTarget | undefined,
    known?: RouteKnowledge,
  ): TokenContext {
    const parent = currentContext();
    // Guards already passed by this same request (or token) carry over, so stacked guards are each checked once.
    const sameRequest = parent !== undefined && (request === undefined ? parent.token === token : parent.request === request);
    const passed = new Set(sameRequest ? parent.passed : []);
    passed.add(this);
    let declaredParams = known?.declared;
    if (known === undefined) declaredParams = sameRequest ? parent.declaredParams : request && declaredParamsOf(request as RequestLike);
    return {
      token,
      params,
      declaredParams,
      request,
      response: response ?? (sameRequest ? parent.response : undefined),
      passed,
      runtime: runtime ?? (sameRequest ? parent.runtime : undefined),
    };
  }

  /**
   * The parameter names of the route this middleware runs in. `req.route` outlives its route (a route that calls
   * `next()` leaves it set for the `use()` middleware after it), so it counts only when this middleware is one of
   * its handlers.
   */
  #declaredAsMiddleware(request: RequestLike): ReadonlySet<string> | undefined {
    const route = currentRoute(request);
    const stack = route === undefined ? undefined : stackOf(route);
    if (route === undefined || stack === undefined || !stack.some((layer) => layer?.handle === this.middleware)) return undefined;
    return declaredByRoute(request, route);
  }

  /** Express middleware: answers 401/403, or calls `next()` inside the token's context. */
  readonly middleware = (incoming: IncomingMessage, response: ServerResponse, next: NextFunction): void => {
    // routing-controllers' Koa driver calls its middleware as (ctx, next) and waits for the promise it returns.
    if (isKoaCall(incoming, response, next)) return this.#koa(incoming, response as unknown as () => Promise<unknown>) as unknown as void;
    // Typed as Node's own classes so that Express infers nothing from it (route params stay the app's own type).
    const request = incoming as unknown as RequestLike;
    // Resumed from another request's context (a queueing middleware): never run in it, nor hand it to what follows.
    if (inOtherRequestsContext(request)) {
      runWithoutContext(() => this.middleware(incoming, response, next));
      return;
    }
    const known: RouteKnowledge = { declared: this.#declaredAsMiddleware(request) };
    const outcome = observed(this.#check(request, response, known.declared), request);
    if (outcome instanceof Promise) {
      outcome
        .then((settled) => this.#proceed(settled, request, response, next, known))
        // Fail closed, and never an unhandled rejection (answerConfigError does nothing once a response was sent).
        .catch(() => answerConfigError(response, new JwtAuthError('The token could not be checked')));
    } else {
      this.#proceed(outcome, request, response, next, known);
    }
  };

  /** The Koa path: the same checks on `ctx.req`; answers through `ctx`, or runs the rest inside the token's context. */
  async #koa(ctx: KoaContextLike, next: () => Promise<unknown>): Promise<unknown> {
    const request = koaRequest(ctx);
    if (inOtherRequestsContext(request)) return runWithoutContext(() => this.#koa(ctx, next));
    const known: RouteKnowledge = { declared: koaDeclaredParams(ctx) };
    let outcome: GuardOutcome;
    try {
      outcome = await observed(this.#check(request, ctx.res, known.declared), request);
    } catch {
      // Fail closed, never a stack.
      outcome = { configError: new JwtAuthError('The token could not be checked') };
    }
    if (outcome.token) {
      const context = this.contextFor(outcome.token, outcome.runtime, request.params ?? {}, request, ctx.res, known);
      return runWithContext(context, () => next());
    }
    if (outcome.anonymous) return next();
    if (outcome.rejection) answerKoaRejection(ctx, outcome.rejection, outcome.realm);
    else answerKoaConfigError(ctx, outcome.configError);
    return undefined;
  }

  #proceed(outcome: GuardOutcome, request: RequestLike, response: ServerResponse, next: NextFunction, known: RouteKnowledge): void {
    if (outcome.token) {
      ensureCompletedResponseSink(appOf(request));
      preventCaching(response, this.requirement);
      runWithContext(this.contextFor(outcome.token, outcome.runtime, request.params ?? {}, request, response, known), () => {
        bindRequestEvents(request);
        next();
      });
    } else if (outcome.rejection) {
      ensureCompletedResponseSink(appOf(request));
      answerRejection(request, response, next, outcome.rejection, outcome.realm);
    } else if (outcome.anonymous) {
      // No token context is made: what follows runs in the context it was called in (none, for this request).
      next();
    } else {
      answerConfigError(response, outcome.configError);
    }
  }
}

/** `outcome` with its rejection challenging with the DPoP scheme (see withDpopChallenge). */
function dpopChallenged(outcome: GuardOutcome, runtime: Runtime): GuardOutcome {
  if (outcome.rejection === undefined) return outcome;
  const challenge = { realm: runtime.realm, algs: runtime.dpop.challengeAlgs };
  return { ...outcome, rejection: withDpopChallenge(outcome.rejection, challenge, runtime.dpop.nonces?.current()) };
}

/**
 * Why a token that passed a guard no longer holds when a guarded method runs later in its context (a timer, a queue,
 * a long request): it expired (leeway included), or it was revoked since, as far as the store can say at once
 * (`statusNow`: the memory store; a store that needs a round trip was asked when the request was admitted).
 * `null` while it holds.
 */
export function staleRejection(context: TokenContext): Rejection | null {
  const { token, runtime } = context;
  if (runtime === undefined) return null;
  if (Date.now() / 1000 >= (token.exp ?? 0) + runtime.policy.leeway) return REJECTIONS.expired;
  return runtime.sessions.statusNow(token) === 'revoked' ? REJECTIONS.revoked : null;
}

const DPOP_STRICTNESS = { off: 0, allowed: 1, required: 2 } as const;

/**
 * The DPoP mode for a verified token: the route's (or `JWT_DPOP`), made stricter by its issuer's `dpop` when the
 * issuer (`JWT_ISSUERS`) sets one: an issuer that requires DPoP is never accepted as Bearer on an `allowed` route.
 */
function strictestDpopMode(route: DpopMode, issuer: DpopMode | null): DpopMode {
  return issuer !== null && DPOP_STRICTNESS[issuer] > DPOP_STRICTNESS[route] ? issuer : route;
}
