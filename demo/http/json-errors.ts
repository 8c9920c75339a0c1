/**
 * Every error answer of the demo as JSON `{ name, message, ... }`: the token rejections of the library (with their
 * `WWW-Authenticate` header), routing-controllers' errors (validation errors with their field errors), body-parser's
 * errors and unknown routes. Never a stack trace, and never the submitted body.
 */
import { STATUS_CODES } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { HttpError, NotFoundError } from 'routing-controllers';
import type { ValidationError } from 'class-validator';

/** One field error of a 400 answer. */
export interface FieldError {
  property: string;
  constraints?: Record<string, string>;
  children?: FieldError[];
}

/** The body of every error answer. */
export interface ErrorBody {
  name: string;
  message: string;
  /** The library's stable code, e.g. `ERR_TOKEN_MISSING`. */
  code?: string;
  /** The field errors of a body that failed validation. */
  errors?: FieldError[];
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

function fieldErrors(errors: readonly ValidationError[]): FieldError[] {
  return errors.map(({ property, constraints, children }) => ({
    property,
    ...(constraints && { constraints }),
    ...(children?.length ? { children: fieldErrors(children) } : {}),
  }));
}

/** Status, headers and body for `error`. */
function errorAnswer(error: unknown): { status: number; headers: Record<string, string>; body: ErrorBody } {
  const headers: Record<string, string> = {};
  if (isRecord(error) && isRecord(error.headers)) {
    // The library's rejections carry `WWW-Authenticate` here (RFC 6750 §3).
    for (const [name, value] of Object.entries(error.headers)) if (typeof value === 'string') headers[name] = value;
  }
  if (error instanceof HttpError) {
    const body: ErrorBody = { name: error.name, message: error.message };
    if (isRecord(error) && typeof error.code === 'string') body.code = error.code;
    if (isRecord(error) && Array.isArray(error.errors)) body.errors = fieldErrors(error.errors as ValidationError[]);
    return { status: error.httpCode, headers, body };
  }
  // body-parser's errors (a malformed JSON body, too large a body) say which status they are and whether the
  // message may be shown.
  const status = isRecord(error) && typeof error.status === 'number' && error.status >= 400 && error.status < 600 ? error.status : 500;
  const exposed = status < 500 && isRecord(error) && error.expose === true && error instanceof Error;
  const name = (STATUS_CODES[status] ?? 'Error').replace(/\W/g, '') + (status >= 500 ? '' : 'Error');
  // JSON.parse's message quotes the body it failed on, or the part around the error, which may hold a password.
  if (isRecord(error) && error.type === 'entity.parse.failed') return { status, headers, body: { name, message: 'The body is not valid JSON' } };
  return { status, headers, body: { name, message: exposed ? error.message : STATUS_CODES[status] ?? 'Error' } };
}

/** The last error middleware of the app. */
export function jsonErrors(error: unknown, _request: Request, response: Response, next: NextFunction): void {
  if (response.headersSent) {
    // routing-controllers calls next(error) after it has answered; a complete answer needs nothing more, and passing
    // it on would make Express drop the keep-alive connection.
    if (!response.writableEnded) next(error);
    return;
  }
  const { status, headers, body } = errorAnswer(error);
  if (status >= 500) console.error(error);
  response.status(status).set(headers).set('Cache-Control', 'no-store').json(body);
}

/** Unknown routes: 404, as JSON. routing-controllers calls next() after every answer, hence the check. */
export function notFound(request: Request, response: Response, next: NextFunction): void {
  if (response.headersSent) return;
  next(new NotFoundError(`No route ${request.method} ${request.path}`));
}
