/**
 * Cookies for browser sessions: the auth and refresh tokens as HttpOnly cookies, and the CSRF value as a cookie a
 * page of the site can read and send back in the CSRF header (double submit). Safe defaults: HttpOnly,
 * SameSite=Strict, Secure on https, a Path, and a Max-Age that ends with the token.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { serialize, type SerializeOptions } from 'cookie';
import type { JWT } from '../token/jwt';

/** Names and scope of the session cookies. */
export interface SessionCookieOptions {
  /** @default 'auth_token' */
  authCookie?: string;
  /** @default 'refresh_token' */
  refreshCookie?: string;
  /** @default 'csrf_token' */
  csrfCookie?: string;
  /** @default '/' */
  path?: string;
  /** Path of the refresh cookie, e.g. '/auth', so that it travels to the refresh route only. @default path */
  refreshPath?: string;
  /** @default 'strict' */
  sameSite?: 'strict' | 'lax';
  /** Force Secure on or off; by default it is on when the request came over https. */
  secure?: boolean;
}

/** Tokens to put into cookies. */
export interface SessionTokens {
  authToken?: JWT;
  refreshToken?: JWT;
}

function isHttps(request: IncomingMessage): boolean {
  return (request as IncomingMessage & { secure?: boolean }).secure === true
    || (request.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
}

function append(response: ServerResponse, cookies: string[]): void {
  const existing = response.getHeader('Set-Cookie');
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  response.setHeader('Set-Cookie', [...list, ...cookies]);
}

/**
 * Sets the token cookies (HttpOnly) and, when the tokens carry a `csrf` value, the readable CSRF cookie.
 *
 * @example
 * ```ts
 * const session = authManager.sessionTokens(user.id, 'profile');
 * setSessionCookies(request, response, session);
 * ```
 */
export function setSessionCookies(request: IncomingMessage, response: ServerResponse, tokens: SessionTokens, options: SessionCookieOptions = {}): void {
  const now = Math.floor(Date.now() / 1000);
  const base: SerializeOptions = {
    path: options.path ?? '/',
    sameSite: options.sameSite ?? 'strict',
    secure: options.secure ?? isHttps(request),
  };
  const cookies: string[] = [];
  let csrf: { value: string; exp: number } | undefined;
  for (const [token, name, path] of [
    [tokens.authToken, options.authCookie ?? 'auth_token', base.path],
    [tokens.refreshToken, options.refreshCookie ?? 'refresh_token', options.refreshPath ?? base.path],
  ] as const) {
    if (!token?.signed) continue;
    const maxAge = Math.max(0, (token.exp ?? now) - now);
    cookies.push(serialize(name, token.signed, { ...base, path, httpOnly: true, maxAge }));
    const value = token.claims.csrf;
    if (typeof value === 'string' && (csrf === undefined || (token.exp ?? 0) > csrf.exp)) csrf = { value, exp: token.exp ?? now };
  }
  if (csrf !== undefined) {
    cookies.push(serialize(options.csrfCookie ?? 'csrf_token', csrf.value, { ...base, httpOnly: false, maxAge: Math.max(0, csrf.exp - now) }));
  }
  append(response, cookies);
}

/** Clears the session cookies (logout). */
export function clearSessionCookies(request: IncomingMessage, response: ServerResponse, options: SessionCookieOptions = {}): void {
  const base: SerializeOptions = { path: options.path ?? '/', sameSite: options.sameSite ?? 'strict', secure: options.secure ?? isHttps(request), maxAge: 0 };
  append(response, [
    serialize(options.authCookie ?? 'auth_token', '', { ...base, httpOnly: true }),
    serialize(options.refreshCookie ?? 'refresh_token', '', { ...base, path: options.refreshPath ?? base.path, httpOnly: true }),
    serialize(options.csrfCookie ?? 'csrf_token', '', { ...base, httpOnly: false }),
  ]);
}
