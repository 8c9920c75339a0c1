/**
 * Answering 401/403/503 (and configuration errors) without Express's error path, which would drop a keep-alive
 * connection; handing rejections to an app's own error handler when it has one; and the keep-alive error sink.
 */
import type { ChallengeTarget } from '../context';
import type { JwtAuthError } from '../errors';
import { rejectionHeaders, toHttpError, type Rejection } from '../authorize/rejections';
import type { RequestLike } from './extract-token';

/** The parts of a response this library writes. Express's and Node's responses both fit. */
export interface ResponseLike {
  headersSent: boolean;
  statusCode: number;
  setHeader(name: string, value: string | number): unknown;
  end(body?: string): unknown;
}

/** Express's `next`. */
export type NextFunction = (error?: unknown) => void;

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

export function appOf(request: RequestLike): ExpressLikeApp | undefined {
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

export function ensureCompletedResponseSink(app: ExpressLikeApp | undefined): void {
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

/**
 * Puts a rejection's headers (`WWW-Authenticate`, `Retry-After`) on the response of the request a guarded method
 * runs for, before the error is thrown: routing-controllers' default handler answers with the error's status and
 * body but ignores `error.headers`.
 */
export function challengeBeforeThrow(response: ChallengeTarget | undefined, error: { readonly headers: Readonly<Record<string, string>> }): void {
  if (response === undefined || response.headersSent) return;
  for (const name of Object.keys(error.headers)) response.setHeader(name, error.headers[name]);
}
