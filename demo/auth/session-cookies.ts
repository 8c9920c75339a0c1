/**
 * The cookies of the cookie variant: HttpOnly (scripts cannot read them), SameSite=Strict (not sent on cross-site
 * requests, which is the CSRF defence here), Path=/, Secure when the request came over https.
 */
import type { CookieOptions, Request, Response } from 'express';

/** The cookie that carries the auth token. */
export const AUTH_COOKIE = 'auth_token';
/** The cookie that carries the refresh token. */
export const REFRESH_COOKIE = 'refresh_token';

function options(request: Request, maxAgeSeconds: number): CookieOptions {
  return { httpOnly: true, sameSite: 'strict', secure: request.secure, path: '/', maxAge: maxAgeSeconds * 1000 };
}

/** Sets a cookie that lives as long as the token in it. */
export function setTokenCookie(request: Request, response: Response, name: string, token: string, maxAgeSeconds: number): void {
  response.cookie(name, token, options(request, maxAgeSeconds));
}

/** Removes both cookies. */
export function clearTokenCookies(request: Request, response: Response): void {
  const { maxAge: _maxAge, ...attributes } = options(request, 0);
  response.clearCookie(AUTH_COOKIE, attributes);
  response.clearCookie(REFRESH_COOKIE, attributes);
}
