/**
 * The one implementation behind both front doors (`@RequireToken` and `requireToken()`): read the token, verify it
 * with the request's manager, authorize it (claims, scope, CSRF), check revocation, then either run the rest of the
 * request inside the token's context or answer 401/403/503 (see respond.ts).
 */
import { AsyncResource } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { runtimeOf } from '../auth-manager';
import type { Runtime } from '../config/runtime';
import type { RouteParams } from '../authorize/match-claims';
import { currentContext, runWithContext, type ChallengeTarget, type TokenContext } from '../context';
import { JwtAuthError, MissingSignerError } from '../errors';
import type { JWT } from '../token/jwt';
import { checkCsrf } from '../authorize/csrf';
import { REJECTIONS, type Rejection } from '../authorize/rejections';
import { extractBearerToken, extractCookieToken, type Extraction, type RequestLike } from './extract-token';
import { authorize, type TokenRequirement } from '../authorize/requirement';
import { resolveManager } from './resolve-manager';
import {
  answerConfigError,
  answerRejection,
  appOf,
  ensureCompletedResponseSink,
  type NextFunction,
} from './respond';
import type { TokenCheck } from '../token/verify';

/** What checking a request gives: the verified token, a rejection, or a configuration error. */
export type GuardOutcome =
  | { token: JWT; runtime: Runtime; rejection?: undefined; configError?: undefined }
  | { token?: undefined; rejection: Rejection; realm: string | undefined; configError?: undefined }
  | { token?: undefined; rejection?: undefined; configError: JwtAuthError };

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

/** A requirement turned into checks; one per `@RequireToken` or `requireToken()`. */
export class TokenGuard {
  readonly #extract: (request: RequestLike) => Extraction;

  constructor(readonly requirement: TokenRequirement) {
    const { cookieName } = requirement;
    this.#extract = cookieName === undefined ? extractBearerToken : (request) => extractCookieToken(request, cookieName);
    Object.freeze(this);
  }

  /**
   * Reads, verifies and authorizes the token of `request`. Synchronous, except when the manager verifies with a
   * remote JWK Set (it may have to fetch keys) or the token must be looked up in the revocation store.
   */
  check(request: RequestLike, response?: unknown): GuardOutcome | Promise<GuardOutcome> {
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
    if (extraction.rejection) return { rejection: extraction.rejection, realm };
    // Synchronous unless remote keys must be fetched.
    const result = runtime.verifier.checkWithRemote(extraction.token);
    if (result instanceof Promise) return result.then((settled) => this.#verdict(settled, request, runtime));
    return this.#verdict(result, request, runtime);
  }

  #verdict(result: TokenCheck, request: RequestLike, runtime: Runtime): GuardOutcome | Promise<GuardOutcome> {
    const { realm } = runtime;
    if (!result.valid) return { rejection: REJECTIONS[result.reason], realm };
    const { token } = result;
    const rejection = authorize(token, this.requirement, request.params ?? {}) ?? checkCsrf(token, this.requirement, (request as { method?: string }).method, request.headers);
    if (rejection) return { rejection, realm };
    if (!runtime.sessions.needsCheck(token)) return { token, runtime };
    // Refresh tokens always, auth tokens with a jti: ask the store, within a bounded time (fail closed).
    return runtime.sessions.status(token).then((status): GuardOutcome => {
      if (status === 'valid') return { token, runtime };
      return { rejection: status === 'revoked' ? REJECTIONS.revoked : REJECTIONS.revocationUnavailable, realm };
    });
  }

  /** The context a request that passed this guard runs in. */
  contextFor(token: JWT, params: RouteParams, request: object | undefined, response: ChallengeTarget | undefined): TokenContext {
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
