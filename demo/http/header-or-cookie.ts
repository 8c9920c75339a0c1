/**
 * A front door for routes that serve both kinds of client: a bearer token in the Authorization header (scripts, curl,
 * other services) or the auth_token cookie (the demo page). The library's guards read one location each, so this
 * picks one guard per request: the header when one was sent, else the cookie. A request never gets to try both: a
 * bad header is a 401, not a fall-back to the cookie.
 */
import type { NextFunction, Request, Response } from 'express';
import { requireToken, type RequireTokenOptions } from 'routing-controllers-jwt';

/** The cookie that carries the auth token (the library's default name). */
export const AUTH_COOKIE = 'auth_token';

/** Express middleware: `requireToken(options)` on the Authorization header, or on the auth_token cookie without one. */
export function headerOrCookie(options: RequireTokenOptions = {}): (request: Request, response: Response, next: NextFunction) => void {
  const fromHeader = requireToken(options);
  const fromCookie = requireToken('auth', 'cookies', { ...options, cookieName: AUTH_COOKIE });
  return (request, response, next) => {
    const guard = request.headers.authorization === undefined ? fromCookie : fromHeader;
    guard(request, response, next);
  };
}
