/**
 * Reading the token of `Authorization: Bearer <token>` or `Authorization: DPoP <token>` (RFC 9449 §7.1), and the
 * one `DPoP` proof header. Pure string work.
 */
import { MAX_TOKEN_LENGTH } from '../token/compact';
import { REJECTIONS } from '../authorize/rejections';
import { extractBearerToken, type Extraction, type RequestLike } from './extract-token';

/** How the token was presented: which scheme, or a cookie. */
export type TokenScheme = 'bearer' | 'dpop' | 'cookie';

/** A token found in a request, with its scheme. */
export type SchemeExtraction = Extraction & { scheme?: TokenScheme };

// RFC 9449 §7.1: the scheme in any case, exactly one space, one token without white space.
const DPOP = /^[Dd][Pp][Oo][Pp] (\S+)$/;
const DPOP_PREFIX_LENGTH = 'DPoP '.length;

/** How many times a header occurs in the raw headers (Node joins or drops duplicates). */
export function countHeaders(request: RequestLike, lowerCaseName: string): number {
  const { rawHeaders } = request;
  if (!rawHeaders) return request.headers[lowerCaseName] === undefined ? 0 : 1;
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].length === lowerCaseName.length && rawHeaders[i].toLowerCase() === lowerCaseName) count++;
  }
  return count;
}

/**
 * Extracts the token of `Authorization: Bearer` or `Authorization: DPoP`, saying which. Two Authorization headers
 * are refused, as for Bearer.
 *
 * @example
 * ```ts
 * extractAuthorization({ headers: { authorization: 'DPoP eyJ...' } }); // { token: 'eyJ...', scheme: 'dpop' }
 * ```
 */
export function extractAuthorization(request: RequestLike): SchemeExtraction {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || !/^[Dd][Pp][Oo][Pp] /.test(header)) {
    const bearer = extractBearerToken(request);
    return bearer.rejection ? bearer : { token: bearer.token, scheme: 'bearer' };
  }
  const match = header.length > MAX_TOKEN_LENGTH + DPOP_PREFIX_LENGTH ? null : DPOP.exec(header);
  if (match === null || countHeaders(request, 'authorization') > 1) return { rejection: REJECTIONS.badHeader };
  return { token: match[1], scheme: 'dpop' };
}

/** The one `DPoP` header's value; `undefined` when there is none or more than one (RFC 9449 §4.3 step 1). */
export function dpopProofOf(request: RequestLike): string | undefined {
  const proof = request.headers.dpop;
  if (typeof proof !== 'string' || countHeaders(request, 'dpop') !== 1) return undefined;
  return proof;
}
