/**
 * Where a guard reads the token: one location or an ordered list of them, and the header's name and scheme. Checked
 * once, at decoration.
 */

/** A place a token can be read from. */
export type Location = 'header' | 'cookies';

/** The locations, header name and scheme a requirement reads the token with. */
export interface TokenLocations {
  /** In order: the first location that holds a token is the one read. */
  readonly locations: readonly Location[];
  /** The header's name, lower case. @default 'authorization' */
  readonly headerName: string;
  /** The authentication scheme before the token in the header. @default 'Bearer' */
  readonly scheme: string;
}

export const DEFAULT_HEADER_NAME = 'authorization';
export const DEFAULT_SCHEME = 'Bearer';
// RFC 9110 §5.1 (field names) and §11.1 (auth-scheme): both are tokens.
const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function isLocation(value: unknown): value is Location {
  return value === 'header' || value === 'cookies';
}

/**
 * @param location - `'header'`, `'cookies'`, or a non-empty list of both without repeats, in the order to try them.
 * @throws TypeError for anything else, or a header name or scheme that is not an HTTP token.
 * @example
 * ```ts
 * normaliseLocations(['header', 'cookies'], undefined, undefined); // header first, then the cookie
 * ```
 */
export function normaliseLocations(location: unknown, headerName: unknown, scheme: unknown): TokenLocations {
  const list: unknown[] = Array.isArray(location) ? location : [location];
  if (list.length === 0 || !list.every(isLocation) || new Set(list).size !== list.length) {
    throw new TypeError(`Invalid location ${JSON.stringify(location)}: use 'header', 'cookies', or a list of both in the order to try them`);
  }
  if (headerName !== undefined && !(typeof headerName === 'string' && HTTP_TOKEN.test(headerName))) {
    throw new TypeError('headerName must be a header name, e.g. "X-Access-Token"');
  }
  if (headerName !== undefined && headerName.toLowerCase() === 'cookie') {
    throw new TypeError('headerName cannot be Cookie: use location "cookies" with cookieName');
  }
  if (scheme !== undefined && !(typeof scheme === 'string' && HTTP_TOKEN.test(scheme))) {
    throw new TypeError('scheme must be an authentication scheme name, e.g. "Bearer" or "JWT"');
  }
  if ((headerName !== undefined || scheme !== undefined) && !list.includes('header')) {
    throw new TypeError('headerName and scheme apply to the header: add "header" to location');
  }
  return Object.freeze({
    locations: Object.freeze(list),
    headerName: (headerName ?? DEFAULT_HEADER_NAME).toLowerCase(),
    scheme: scheme ?? DEFAULT_SCHEME,
  });
}
