/**
 * The token extractor of a requirement, built once per guard: the seed's `Authorization: Bearer` reader, a named
 * cookie, a custom header and scheme, or an ordered list of locations.
 */
import { REJECTIONS } from '../authorize/rejections';
import { DEFAULT_HEADER_NAME, DEFAULT_SCHEME } from '../authorize/locations';
import type { TokenRequirement } from '../authorize/requirement';
import { MAX_TOKEN_LENGTH } from '../token/compact';
import { extractAuthorization, type SchemeExtraction } from './extract-authorization';
import { extractCookieToken, type RequestLike } from './extract-token';

/**
 * An extraction, its scheme (Bearer, DPoP or a cookie: sender-constrained tokens are refused without their proof)
 * and whether the token came from a cookie (only then is CSRF checked).
 */
export type LocatedExtraction = SchemeExtraction & { fromCookie?: boolean };

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function countHeaders(rawHeaders: string[] | undefined, name: string): number {
  if (!rawHeaders) return 1;
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i].toLowerCase() === name) count++;
  return count;
}

/**
 * A reader of `<headerName>: <scheme> <token>` with the rules of the `Authorization` one: the scheme in any case,
 * one space, one token without white space, and two such headers refused as ambiguous.
 */
function headerExtractor(headerName: string, scheme: string): (request: RequestLike) => LocatedExtraction {
  // The Authorization header reads `Bearer` and `DPoP` (RFC 9449 §7.1); a custom header or scheme counts as a bearer.
  if (headerName === DEFAULT_HEADER_NAME && scheme.toLowerCase() === DEFAULT_SCHEME.toLowerCase()) return extractAuthorization;
  const pattern = new RegExp(`^${escapeRegExp(scheme)} (\\S+)$`, 'i');
  const maxLength = MAX_TOKEN_LENGTH + scheme.length + 1;
  return (request) => {
    const header = request.headers[headerName];
    if (header === undefined || header === '') return { rejection: REJECTIONS.missingAny };
    if (typeof header !== 'string' || header.length > maxLength) return { rejection: REJECTIONS.badHeader };
    const match = pattern.exec(header);
    if (match === null || countHeaders(request.rawHeaders, headerName) > 1) return { rejection: REJECTIONS.badHeader };
    return { token: match[1], scheme: 'bearer' };
  };
}

const NOT_FOUND = new Set([REJECTIONS.missingHeader, REJECTIONS.missingCookie, REJECTIONS.missingAny]);

/**
 * The extractor of `requirement`: each location in order; the first that holds a token is read (a malformed header
 * there is a 401, not a reason to look further); when none holds one, `ERR_TOKEN_MISSING`.
 * @internal
 */
export function extractorFor(requirement: TokenRequirement): (request: RequestLike) => LocatedExtraction {
  const { cookieName, headerName, scheme } = requirement;
  const readers = requirement.locations.map((location) => {
    if (location === 'cookies') {
      const name = cookieName as string;
      return (request: RequestLike): LocatedExtraction => ({ ...extractCookieToken(request, name), scheme: 'cookie', fromCookie: true });
    }
    return headerExtractor(headerName, scheme);
  });
  if (readers.length === 1) return readers[0];
  return (request) => {
    for (const read of readers) {
      const extraction = read(request);
      if (extraction.token !== undefined || !NOT_FOUND.has(extraction.rejection)) return extraction;
    }
    return { rejection: REJECTIONS.missingAny };
  };
}
