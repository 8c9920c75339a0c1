/**
 * Cookies for browser sessions: the auth and refresh tokens as HttpOnly cookies, and the CSRF value as a cookie a
 * page of the site can read and send back in the CSRF header (double submit). Safe defaults: HttpOnly,
 * SameSite=Strict, Secure on https, a Path, and a Max-Age that ends with the token.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { serialize, type SerializeOptions } from 'cookie';
import type { JWT } from '../token/jwt';
import { needsSecure, sessionCookieOptions, type ResolvedSessionCookieOptions, type SessionCookieOptions } from './session-cookie-options';

export type { SessionCookieOptions } from './session-cookie-options';

/** Tokens to put into cookies. */
export interface SessionTokens {
  authToken?: JWT;
  refreshToken?: JWT;
}

function isHttps(request: IncomingMessage): boolean {
  return (request as IncomingMessage & { secure?: boolean }).secure === true
    || (request.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
}

/** The attributes every session cookie shares; a prefixed name is always Secure (its prefix requires it). */
function attributes(cookies: ResolvedSessionCookieOptions, name: string, https: boolean): SerializeOptions {
  return { path: cookies.path, sameSite: cookies.sameSite, secure: cookies.secure ?? (https || needsSecure(name)) };
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
 * @throws TypeError for options `sessionCookieOptions` refuses (checked once per options object).
 */
export function setSessionCookies(request: IncomingMessage, response: ServerResponse, tokens: SessionTokens, options: SessionCookieOptions = {}): void {
  const cookies = sessionCookieOptions(options);
  const now = Math.floor(Date.now() / 1000);
  const https = isHttps(request);
  const out: string[] = [];
  let csrf: { value: string; exp: number } | undefined;
  for (const [token, name, path] of [
    [tokens.authToken, cookies.authCookie, cookies.path],
    [tokens.refreshToken, cookies.refreshCookie, cookies.refreshPath],
  ] as const) {
    if (!token?.signed) continue;
    const maxAge = Math.max(0, (token.exp ?? now) - now);
    out.push(serialize(name, token.signed, { ...attributes(cookies, name, https), path, httpOnly: true, maxAge }));
    const value = token.claims.csrf;
    if (typeof value === 'string' && (csrf === undefined || (token.exp ?? 0) > csrf.exp)) csrf = { value, exp: token.exp ?? now };
  }
  if (csrf !== undefined) {
    const name = cookies.csrfCookie;
    out.push(serialize(name, csrf.value, { ...attributes(cookies, name, https), httpOnly: false, maxAge: Math.max(0, csrf.exp - now) }));
  }
  append(response, out);
}

/** Clears the session cookies (logout). */
export function clearSessionCookies(request: IncomingMessage, response: ServerResponse, options: SessionCookieOptions = {}): void {
  const cookies = sessionCookieOptions(options);
  const https = isHttps(request);
  const cleared = (name: string, path: string, httpOnly: boolean): string =>
    serialize(name, '', { ...attributes(cookies, name, https), path, httpOnly, maxAge: 0 });
  append(response, [
    cleared(cookies.authCookie, cookies.path, true),
    cleared(cookies.refreshCookie, cookies.refreshPath, true),
    cleared(cookies.csrfCookie, cookies.path, false),
  ]);
}
