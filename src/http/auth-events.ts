/**
 * Authentication events on Node's own `diagnostics_channel`: what each guard decided, for logs, metrics and
 * rate-limiting failed authentications, without taking over error handling. Nothing is built unless a channel has
 * subscribers. An event never carries the token, the Authorization header, a cookie or the query string.
 */
import { channel } from 'node:diagnostics_channel';
import type { RejectionCode } from '../errors';
import type { JWT } from '../token/jwt';
import type { RequestLike } from './extract-token';
import type { GuardOutcome } from './guard';

/** The channel of requests a guard accepted (one event per guard that checked a token). */
export const ACCEPTED_CHANNEL = 'routing-controllers-jwt:accepted';
/** The channel of requests a guard refused (401, 403, 503), with the reason code. */
export const REFUSED_CHANNEL = 'routing-controllers-jwt:refused';

/** What a subscriber of `ACCEPTED_CHANNEL` or `REFUSED_CHANNEL` receives. */
export interface AuthEvent {
  readonly outcome: 'accepted' | 'refused';
  /** The answer's status for a refusal. */
  readonly status?: 401 | 403 | 503;
  /** The stable reason code of a refusal, e.g. `ERR_TOKEN_EXPIRED`. */
  readonly code?: RejectionCode;
  /** The request method. */
  readonly method: string | undefined;
  /** The route's pattern when the guard runs inside a route (`/users/:userId`), else the request path without its query. */
  readonly route: string | undefined;
  /** The remote address of the connection, e.g. for rate-limiting failed authentications. */
  readonly ip: string | undefined;
  /** The issuer of a verified token (accepted, or refused for its claims, scope, CSRF value, check or revocation). */
  readonly issuer?: string;
  /** The subject of a verified token. */
  readonly subject?: string | number;
}

const accepted = channel(ACCEPTED_CHANNEL);
const refused = channel(REFUSED_CHANNEL);

type ObservedRequest = RequestLike & {
  method?: string;
  url?: string;
  originalUrl?: string;
  baseUrl?: string;
  route?: { path?: unknown };
  socket?: { remoteAddress?: string };
};

function routeOf(request: ObservedRequest): string | undefined {
  const pattern = request.route?.path;
  if (typeof pattern === 'string') return `${request.baseUrl ?? ''}${pattern}`;
  const url = request.originalUrl ?? request.url;
  // The path only: a query string may carry a token or other secrets.
  return typeof url === 'string' ? url.split('?', 1)[0] : undefined;
}

function eventOf(outcome: GuardOutcome, request: ObservedRequest, verified: JWT | undefined): AuthEvent {
  const base = { method: request.method, route: routeOf(request), ip: request.socket?.remoteAddress };
  const who = verified === undefined ? {} : { issuer: verified.iss ?? undefined, subject: verified.sub };
  if (outcome.rejection) return { outcome: 'refused', status: outcome.rejection.status, code: outcome.rejection.code, ...base, ...who };
  return { outcome: 'accepted', ...base, ...who };
}

function publish(outcome: GuardOutcome, request: RequestLike): GuardOutcome {
  if (outcome.token) {
    if (accepted.hasSubscribers) accepted.publish(eventOf(outcome, request, outcome.token));
  } else if (outcome.rejection && refused.hasSubscribers) {
    refused.publish(eventOf(outcome, request, outcome.verified));
  }
  return outcome;
}

/**
 * Publishes the guard's decision on `request` once it is known, and hands the outcome on unchanged.
 * @internal
 */
export function observed(outcome: GuardOutcome | Promise<GuardOutcome>, request: RequestLike): GuardOutcome | Promise<GuardOutcome> {
  if (!accepted.hasSubscribers && !refused.hasSubscribers) return outcome;
  return outcome instanceof Promise ? outcome.then((settled) => publish(settled, request)) : publish(outcome, request);
}
