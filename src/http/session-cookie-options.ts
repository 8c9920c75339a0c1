/**
 * The session cookies' names and attributes, checked once. Cookie name prefixes (RFC 6265bis §4.1.3) are rules the
 * browser enforces by dropping the cookie: a `__Secure-` cookie needs Secure, a `__Host-` cookie needs Secure,
 * Path=/ and no Domain. A name that breaks them would answer the login 200 and fail at the next request, so it is
 * refused here, with what to do instead.
 */

/** Names and scope of the session cookies. */
export interface SessionCookieOptions {
  /** @default 'auth_token' ('__Host-auth_token' with `prefixed`) */
  authCookie?: string;
  /** @default 'refresh_token' ('__Host-refresh_token', or '__Secure-refresh_token' on another path, with `prefixed`) */
  refreshCookie?: string;
  /** @default 'csrf_token' ('__Host-csrf_token' with `prefixed`) */
  csrfCookie?: string;
  /** @default '/' */
  path?: string;
  /** Path of the refresh cookie, e.g. '/auth', so that it travels to the refresh route only. @default path */
  refreshPath?: string;
  /** @default 'strict' */
  sameSite?: 'strict' | 'lax';
  /**
   * Force Secure on or off; by default it is on when the request came over https (behind a TLS-terminating proxy,
   * Express's `trust proxy` must be set for `req.secure` to say so), and always on for prefixed names.
   */
  secure?: boolean;
  /**
   * For https deployments: put the `__Host-` prefix on each name that has none (`__Secure-` on a refresh cookie whose
   * path is not '/'), so that a sibling subdomain or a plain-http page cannot set or shadow the session cookies.
   * Prefixed cookies are always Secure: browsers drop them on plain http (except on `localhost`). Guards must then
   * read the prefixed names (`sessionCookieOptions(options).authCookie`). @default false
   */
  prefixed?: boolean;
}

/** Options after checking: every name and attribute decided. */
export interface ResolvedSessionCookieOptions {
  readonly authCookie: string;
  readonly refreshCookie: string;
  readonly csrfCookie: string;
  readonly path: string;
  readonly refreshPath: string;
  readonly sameSite: 'strict' | 'lax';
  /** `undefined`: Secure when the request came over https. */
  readonly secure: boolean | undefined;
}

// RFC 6265 §4.1.1: a cookie name is an HTTP token.
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 6265 §4.1.1 path-value: any CHAR except CTLs or ";"; it must be absolute to mean anything.
const COOKIE_PATH = /^\/[\x20-\x3a\x3c-\x7e]*$/;
// Browsers match the prefixes case-insensitively (RFC 6265bis §5.7, step 22).
const HOST_PREFIX = /^__host-/i;
const SECURE_PREFIX = /^__secure-/i;

const OPTION_NAMES = new Set(['authCookie', 'refreshCookie', 'csrfCookie', 'path', 'refreshPath', 'sameSite', 'secure', 'prefixed']);

const checked = new WeakMap<object, ResolvedSessionCookieOptions>();

function nameOf(option: string, given: unknown, fallback: string, prefix: string | undefined): string {
  if (given !== undefined && (typeof given !== 'string' || !COOKIE_NAME.test(given))) {
    throw new TypeError(`${option} must be a cookie name (letters, digits and !#$%&'*+-.^_\`|~)`);
  }
  const name = (given as string | undefined) ?? fallback;
  return prefix === undefined || HOST_PREFIX.test(name) || SECURE_PREFIX.test(name) ? name : `${prefix}${name}`;
}

function pathOf(option: string, given: unknown, fallback: string): string {
  if (given === undefined) return fallback;
  if (typeof given !== 'string' || !COOKIE_PATH.test(given)) throw new TypeError(`${option} must be an absolute path such as '/' or '/auth'`);
  return given;
}

/** Refuses a prefixed `name` whose attributes break its prefix's rules. */
function checkPrefix(option: string, name: string, path: string, secure: boolean | undefined): void {
  const host = HOST_PREFIX.test(name);
  if (!host && !SECURE_PREFIX.test(name)) return;
  if (secure === false) {
    throw new TypeError(`${option} "${name}" needs the Secure attribute (its prefix says so), but secure is false: drop the prefix or secure: false`);
  }
  if (host && path !== '/') {
    const plain = name.replace(HOST_PREFIX, '');
    throw new TypeError(
      `${option} "${name}" has Path=${path}, but a __Host- cookie must have Path=/ (browsers drop it otherwise): ` +
        `name it __Secure-${plain}, or give it the path '/'`,
    );
  }
}

/**
 * Checks session cookie options once and decides every name and attribute; `setSessionCookies` and
 * `clearSessionCookies` check the options they are given the same way (once per options object). Call it at start-up
 * to fail there, and to learn the names guards must read.
 *
 * @example
 * ```ts
 * const cookies = sessionCookieOptions({ prefixed: process.env.NODE_ENV === 'production', refreshPath: '/auth' });
 * // cookies.authCookie: '__Host-auth_token'; cookies.refreshCookie: '__Secure-refresh_token'
 * @Get('/profile') @RequireToken('auth', 'cookies', { cookieName: cookies.authCookie }) profile() { ... }
 * ```
 * @throws TypeError for an unknown option, a name that is not a cookie name, a relative path, two cookies with one
 *   name, or a prefixed name its attributes would make the browser drop (a `__Host-` refresh cookie on a path other
 *   than '/': use `__Secure-`).
 */
export function sessionCookieOptions(options: SessionCookieOptions = {}): ResolvedSessionCookieOptions {
  const known = checked.get(options);
  if (known !== undefined) return known;
  if (typeof options !== 'object' || options === null) throw new TypeError('Session cookie options must be an object');
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key)) throw new TypeError(`Unknown session cookie option ${key}`);
  }
  const { sameSite, secure, prefixed } = options;
  if (sameSite !== undefined && sameSite !== 'strict' && sameSite !== 'lax') throw new TypeError("sameSite must be 'strict' or 'lax'");
  if (secure !== undefined && typeof secure !== 'boolean') throw new TypeError('secure must be true or false');
  if (prefixed !== undefined && typeof prefixed !== 'boolean') throw new TypeError('prefixed must be true or false');
  if (prefixed === true && secure === false) throw new TypeError('prefixed names need the Secure attribute, but secure is false: drop one of them');
  const path = pathOf('path', options.path, '/');
  const refreshPath = pathOf('refreshPath', options.refreshPath, path);
  const resolved: ResolvedSessionCookieOptions = Object.freeze({
    authCookie: nameOf('authCookie', options.authCookie, 'auth_token', prefixed ? (path === '/' ? '__Host-' : '__Secure-') : undefined),
    refreshCookie: nameOf('refreshCookie', options.refreshCookie, 'refresh_token', prefixed ? (refreshPath === '/' ? '__Host-' : '__Secure-') : undefined),
    csrfCookie: nameOf('csrfCookie', options.csrfCookie, 'csrf_token', prefixed ? (path === '/' ? '__Host-' : '__Secure-') : undefined),
    path,
    refreshPath,
    sameSite: sameSite ?? 'strict',
    secure,
  });
  checkPrefix('authCookie', resolved.authCookie, path, secure);
  checkPrefix('refreshCookie', resolved.refreshCookie, refreshPath, secure);
  checkPrefix('csrfCookie', resolved.csrfCookie, path, secure);
  const names = [resolved.authCookie, resolved.refreshCookie, resolved.csrfCookie].map((name) => name.toLowerCase());
  if (new Set(names).size !== names.length) throw new TypeError('authCookie, refreshCookie and csrfCookie must be three different names');
  checked.set(options, resolved);
  return resolved;
}

/** Whether `name` carries a prefix that requires the Secure attribute. */
export function needsSecure(name: string): boolean {
  return HOST_PREFIX.test(name) || SECURE_PREFIX.test(name);
}
