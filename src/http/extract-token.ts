/**
 * Reading the token from a request: the `Authorization: Bearer` header or a named cookie. Pure string work.
 */
import { parse as parseCookies } from 'cookie';
import { MAX_TOKEN_LENGTH } from '../token/compact';
import { REJECTIONS, type Rejection } from '../authorize/rejections';

/** The parts of an HTTP request this library reads. Express's and Node's requests both fit. */
export interface RequestLike {
  headers: Record<string, string | string[] | undefined>;
  rawHeaders?: string[];
  params?: Record<string, string | undefined>;
  app?: unknown;
}

/** A token string found in a request, or why none could be read. */
export type Extraction = { token: string; rejection?: undefined } | { token?: undefined; rejection: Rejection };

// RFC 6750 §2.1 with the seed's strictness: the scheme in any case, exactly one space, one token without white space.
const BEARER = /^[Bb][Ee][Aa][Rr][Ee][Rr] (\S+)$/;
const BEARER_PREFIX_LENGTH = 'Bearer '.length;
// Another scheme (RFC 9110 §11.4 token) followed by a space or nothing: e.g. "Basic dXNlcjpwYXNz".
const OTHER_SCHEME = /^(?![Bb][Ee][Aa][Rr][Ee][Rr](?: |$))[!#$%&'*+.^_`|~0-9A-Za-z-]+(?: |$)/;

function countAuthorizationHeaders(rawHeaders: string[] | undefined): number {
  if (!rawHeaders) return 1;
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (name.length === 13 && name.toLowerCase() === 'authorization') count++;
  }
  return count;
}

/**
 * Extracts the token from `Authorization: Bearer <token>`. Node keeps only the first of duplicate Authorization
 * headers; two of them are ambiguous and refused rather than silently resolved.
 */
export function extractBearerToken(request: RequestLike): Extraction {
  const header = request.headers.authorization;
  if (header === undefined || header === '') return { rejection: REJECTIONS.missingHeader };
  if (typeof header !== 'string' || header.length > MAX_TOKEN_LENGTH + BEARER_PREFIX_LENGTH) {
    return { rejection: REJECTIONS.badHeader };
  }
  const match = BEARER.exec(header);
  if (match === null && OTHER_SCHEME.test(header) && countAuthorizationHeaders(request.rawHeaders) === 1) return { rejection: REJECTIONS.otherScheme };
  if (match === null || countAuthorizationHeaders(request.rawHeaders) > 1) return { rejection: REJECTIONS.badHeader };
  return { token: match[1] };
}

// JWTs never need percent-encoding; decoding would let one token have many spellings.
const keepRaw = { decode: (value: string): string => value };

/** Extracts the token from the cookie `cookieName` (parsed with the `cookie` package; the first occurrence wins). */
export function extractCookieToken(request: RequestLike, cookieName: string): Extraction {
  const header = request.headers.cookie;
  if (typeof header !== 'string' || header === '') return { rejection: REJECTIONS.missingCookie };
  const value = parseCookies(header, keepRaw)[cookieName];
  if (value === undefined || value === '') return { rejection: REJECTIONS.missingCookie };
  return { token: value };
}
