/**
 * The one implementation behind both front doors (`@RequireToken` and `requireToken()`): read the token, verify it
 * with the request's manager, authorize it, then either run the rest of the request inside the token's context or
 * answer 401/403.
 */
import { AsyncResource } from 'node:async_hooks';
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthManager } from './auth-manager';
import type { RouteParams } from './claims';
import { currentContext, runWithContext, type TokenContext } from './context';
import { JwtAuthError } from './errors';
import type { JWT } from './jwt';
import { REJECTIONS, quotedRealm, rejectionHeaders, toHttpError, type Rejection } from './rejections';
import { extractBearerToken, extractCookieToken, type Extraction, type RequestLike } from './request-token';
import { authorize, type TokenRequirement } from './requirement';
import { resolveManager } from './resolve-manager';
import type { TokenCheck } from './verify';

/** The parts of a response this library writes. Express's and Node's responses both fit. */
export interface ResponseLike {
  headersSent: boolean;
  statusCode: number;
  setHeader(name: string, value: string | number): unknown;
  end(body?: string): unknown;
}

/** Express's `next`. */
export type NextFunction = (error?: unknown) => void;

/** What checking a request gives: the verified token, a rejection, or a configuration error. */
export type GuardOutcome =
  | { token: JWT; rejection?: undefined; configError?: undefined }
  | { token?: undefined; rejection: Rejection; realm: string | undefined; configError?: undefined }
  | { token?: undefined; rejection?: undefined; configError: JwtAuthError };

const realms = new WeakMap<AuthManager, string>();

function realmOf(manager: AuthManager): string | undefined {
  const issuer = manager.issuer;
  if (issuer === null) return undefined;
  let realm = realms.get(manager);
  if (realm === undefined) {
    realm = quotedRealm(issuer);
    realms.set(manager, realm);
  }
  return realm;
}

/** Writes a JSON answer without going through Express's error path, which would drop a keep-alive connection. */
function sendJson(response: ResponseLike, status: number, body: string, headers: Record<string, string>): void {
  if (response.headersSent) return;
  response.statusCode = status;
  for (const name of Object.keys(headers)) response.setHeader(name, headers[name]);
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.setHeader('Cache-Control', 'no-store');
  response.setHeader('Content-Length', Buffer.byteLength(body));
  response.end(body);
}

interface ExpressLikeApp {
  use?: (handler: (error: unknown, request: unknown, response: ResponseLike, next: NextFunction) => void) => unknown;
  _router?: { stack?: Layer[] };
  router?: { stack?: Layer[] };
}

/**
 * An Express error middleware that keeps keep-alive connections open. Express destroys the socket when an error
 * reaches its final handler after the response was sent, which is what routing-controllers' default error handler
 * does (it answers, then calls `next(err)`). This sink ends that path for responses that are already complete and
 * passes every other error on. The library appends it to an app at the first request through one of its guards;
 * `app.use(keepAliveErrorSink)` after `useExpressServer` covers the requests before that too.
 *
 * @example
 * ```ts
 * useExpressServer(app, { controllers });
 * app.use(keepAliveErrorSink);
 * ```
 */
export function keepAliveErrorSink(error: unknown, _request: unknown, response: ResponseLike & { writableEnded?: boolean }, next: NextFunction): void {
  if (response.writableEnded) return;
  next(error);
}

const appsWithSink = new WeakSet<object>();
const errorHandlerPresence = new WeakMap<object, boolean>();

function appOf(request: RequestLike): ExpressLikeApp | undefined {
  const { app } = request;
  return typeof app === 'function' || (typeof app === 'object' && app !== null) ? (app as ExpressLikeApp) : undefined;
}

type Layer = { handle?: { length: number } };

/** The app's middleware stack (Express 4: `app._router`, Express 5: `app.router`). */
function stackOf(app: ExpressLikeApp): Layer[] {
  try {
    return (app._router ?? app.router)?.stack ?? [];
  } catch {
    return [];
  }
}

function ensureCompletedResponseSink(app: ExpressLikeApp | undefined): void {
  if (!app || appsWithSink.has(app) || typeof app.use !== 'function') return;
  appsWithSink.add(app);
  const stack = stackOf(app);
  if (!stack.some((layer) => layer.handle === keepAliveErrorSink)) app.use(keepAliveErrorSink);
}

/** True when the app has an error-handling middleware of its own (e.g. a routing-controllers error handler). */
function hasOwnErrorHandler(app: ExpressLikeApp | undefined): boolean {
  if (!app) return false;
  let present = errorHandlerPresence.get(app);
  if (present === undefined) {
    present = stackOf(app).some((layer) => layer.handle?.length === 4 && layer.handle !== keepAliveErrorSink);
    errorHandlerPresence.set(app, present);
  }
  return present;
}

/**
 * Answers a rejection: through the app's own error handler when it has one (so that it sees the routing-controllers
 * HttpError), else directly with the JSON body and `WWW-Authenticate`.
 */
export function answerRejection(
  request: RequestLike,
  response: ResponseLike,
  next: NextFunction | undefined,
  rejection: Rejection,
  realm: string | undefined,
): void {
  if (next && hasOwnErrorHandler(appOf(request))) {
    next(toHttpError(rejection, realm));
    return;
  }
  sendJson(response, rejection.status, rejection.body, rejectionHeaders(rejection, realm));
}

/** Answers a configuration error found while serving a request: 500, fail closed, the message names the value. */
export function answerConfigError(response: ResponseLike, error: JwtAuthError): void {
  sendJson(response, 500, JSON.stringify({ name: error.name, message: error.message, code: error.code }), {});
}

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

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/**
 * CSRF double submit for cookie tokens: a state-changing request must send, in its CSRF header, the `csrf` value the
 * token carries (a page of the site can read it from the readable csrf cookie; another site cannot). Compared in
 * constant time.
 */
function checkCsrf(token: JWT, requirement: TokenRequirement, request: RequestLike): Rejection | null {
  const header = requirement.csrfHeader;
  if (header === undefined || SAFE_METHODS.has((request as { method?: string }).method ?? 'GET')) return null;
  const sent = request.headers[header];
  const expected = token.claims.csrf;
  if (typeof sent !== 'string' || typeof expected !== 'string') return REJECTIONS.csrf;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b) ? null : REJECTIONS.csrf;
}

/** A requirement turned into checks; one per `@RequireToken` or `requireToken()`. */
export class TokenGuard {
  readonly #extract: (request: RequestLike) => Extraction;

  constructor(readonly requirement: TokenRequirement) {
    const { cookieName } = requirement;
    this.#extract = cookieName === undefined ? extractBearerToken : (request) => extractCookieToken(request, cookieName);
    Object.freeze(this);
  }

  /**
   * Reads, verifies and authorizes the token of `request`. Synchronous, except with a manager that verifies with a
   * remote JWK Set, which may have to fetch keys first.
   */
  check(request: RequestLike, response?: unknown): GuardOutcome | Promise<GuardOutcome> {
    let manager: AuthManager;
    try {
      manager = resolveManager(request, response);
    } catch (error) {
      if (error instanceof JwtAuthError) return { configError: error };
      throw error;
    }
    const realm = realmOf(manager);
    const extraction = this.#extract(request);
    if (extraction.rejection) return { rejection: extraction.rejection, realm };
    try {
      if (manager.verifiesRemotely) {
        return manager.checkTokenAsync(extraction.token).then((result) => this.#verdict(result, request, realm, manager));
      }
      return this.#verdict(manager.checkToken(extraction.token), request, realm, manager);
    } catch (error) {
      if (error instanceof JwtAuthError) return { configError: error };
      throw error;
    }
  }

  #verdict(result: TokenCheck, request: RequestLike, realm: string | undefined, manager: AuthManager): GuardOutcome | Promise<GuardOutcome> {
    if (!result.valid) return { rejection: REJECTIONS[result.reason], realm };
    const { token } = result;
    const rejection = authorize(token, this.requirement, request.params ?? {}) ?? checkCsrf(token, this.requirement, request);
    if (rejection) return { rejection, realm };
    if (!manager.needsRevocationCheck(token)) return { token };
    // Refresh tokens always, auth tokens with a jti: ask the store, within a bounded time (fail closed).
    return manager.revocationStatus(token).then((status): GuardOutcome => {
      if (status === 'valid') return { token };
      return { rejection: status === 'revoked' ? REJECTIONS.revoked : REJECTIONS.revocationUnavailable, realm };
    });
  }

  /** The context a request that passed this guard runs in. */
  contextFor(token: JWT, params: RouteParams, request: object | undefined, response: ResponseLike | undefined): TokenContext {
    const parent = currentContext();
    // Guards already passed by this same request (or token) carry over, so stacked guards are each checked once.
    const sameRequest = parent !== undefined && (request === undefined ? parent.token === token : parent.request === request);
    const passed = new Set(sameRequest ? parent.passed : []);
    passed.add(this);
    return { token, params, request, response: response ?? (sameRequest ? parent.response : undefined), passed };
  }

  /** Express middleware: answers 401/403, or calls `next()` inside the token's context. */
  readonly middleware = (incoming: IncomingMessage, response: ServerResponse, next: NextFunction): void => {
    // Typed as Node's own classes so that Express infers nothing from it (route params stay the app's own type).
    const request = incoming as unknown as RequestLike;
    const outcome = this.check(request, response);
    if (outcome instanceof Promise) {
      outcome
        .then((settled) => this.#proceed(settled, request, response, next))
        // Fail closed, and never an unhandled rejection (answerConfigError does nothing once a response was sent).
        .catch(() => answerConfigError(response, new JwtAuthError('The token could not be checked')));
    } else {
      this.#proceed(outcome, request, response, next);
    }
  };

  #proceed(outcome: GuardOutcome, request: RequestLike, response: ServerResponse, next: NextFunction): void {
    if (outcome.token) {
      ensureCompletedResponseSink(appOf(request));
      runWithContext(this.contextFor(outcome.token, request.params ?? {}, request, response), () => {
        bindRequestEvents(request);
        next();
      });
    } else if (outcome.rejection) {
      ensureCompletedResponseSink(appOf(request));
      answerRejection(request, response, next, outcome.rejection, outcome.realm);
    } else {
      answerConfigError(response, outcome.configError);
    }
  }
}
