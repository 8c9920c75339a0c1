/**
 * The guards on routing-controllers' Koa driver (`createKoaServer`, `useKoaServer`). Koa calls a middleware as
 * `(ctx, next)` and answers from `ctx`; the checks are the same as on Express, read from Node's own request
 * (`ctx.req`) with the route parameters and route pattern @koa/router matched, and the answers are the same 401/403
 * JSON bodies and `WWW-Authenticate` challenges, written through `ctx`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JwtAuthError } from '../errors';
import { rejectionHeaders, type Rejection } from '../authorize/rejections';
import { declaredParamNames } from '../authorize/route-params';
import type { RequestLike } from './extract-token';

/** The parts of a Koa context a guard reads and writes. */
export interface KoaContextLike {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  params?: Record<string, string | undefined>;
  /** The route pattern @koa/router matched. */
  _matchedRoute?: unknown;
  status: number;
  body: unknown;
  type: string;
  set(name: string, value: string): void;
}

/** True when a middleware was called by Koa: `(ctx, next)`, the context holding Node's request and response. */
export function isKoaCall(first: unknown, second: unknown, third: unknown): first is KoaContextLike {
  if (typeof second !== 'function' || third !== undefined || typeof first !== 'object' || first === null) return false;
  const { req, res } = first as { req?: unknown; res?: unknown };
  return typeof req === 'object' && req !== null && typeof res === 'object' && res !== null
    && typeof (first as { set?: unknown }).set === 'function';
}

/**
 * Node's request of `ctx`, with the route parameters @koa/router matched as `params` (as Express sets them), so that
 * required claims bind to them.
 */
export function koaRequest(ctx: KoaContextLike): RequestLike {
  const request = ctx.req as unknown as RequestLike;
  if (request.params === undefined && ctx.params !== undefined) request.params = ctx.params;
  return request;
}

/** The parameter names the matched route declares, or `undefined` when no route was matched. */
export function koaDeclaredParams(ctx: KoaContextLike): ReadonlySet<string> | undefined {
  return typeof ctx._matchedRoute === 'string' ? declaredParamNames(ctx._matchedRoute) : undefined;
}

/** Answers a rejection through Koa: the same status, headers and JSON body as on Express. */
export function answerKoaRejection(ctx: KoaContextLike, rejection: Rejection, realm: string | undefined): void {
  for (const [name, value] of Object.entries(rejectionHeaders(rejection, realm))) ctx.set(name, value);
  ctx.set('Cache-Control', 'no-store');
  ctx.status = rejection.status;
  ctx.type = 'application/json';
  ctx.body = rejection.body;
}

/** Answers a configuration error through Koa: a JSON 500 that names what to fix, as on Express. */
export function answerKoaConfigError(ctx: KoaContextLike, error: JwtAuthError): void {
  ctx.set('Cache-Control', 'no-store');
  ctx.status = 500;
  ctx.type = 'application/json';
  ctx.body = JSON.stringify({ name: error.name, message: error.message, code: error.code });
}
