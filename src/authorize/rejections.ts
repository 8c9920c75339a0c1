/**
 * The 401, 403 and 503 answers: a data table of rejections (status, stable code, message), the errors they become,
 * and the `WWW-Authenticate` header of RFC 6750 §3. Messages never contain the token, the
 * secret or the expected issuer.
 */
import { TokenForbiddenError, TokenUnauthorizedError, TokenUnavailableError, type RejectionBody, type RejectionCode } from '../errors';
import type { InvalidTokenReason } from '../token/verify';
import { retryAfterSeconds } from './retry-after';

/** One way a request can be refused. */
export interface Rejection {
  readonly status: 401 | 403 | 503;
  /** Stable, machine-readable code, e.g. `ERR_TOKEN_EXPIRED`. */
  readonly code: RejectionCode;
  readonly message: string;
  /** The RFC 6750 error code; absent when the request carried no token at all (§3.1). */
  readonly bearerError: 'invalid_token' | 'insufficient_scope' | 'insufficient_user_authentication' | undefined;
  /** The error's name in the body. */
  readonly name: string;
  /** The JSON body, serialised once. */
  readonly body: string;
  /** Headers of its own (a DPoP challenge and nonce, see dpop-rejections.ts), answered instead of the Bearer challenge. */
  readonly headers?: Readonly<Record<string, string>>;
  /** A 403 for a scope: the scope tokens the route requires, named in the challenge (RFC 6750 §3). */
  readonly scope?: string;
  /** Further challenge parameters, already quoted (a step-up's `max_age` / `acr_values`, RFC 9470 §3; see step-up.ts). */
  readonly challenge?: string;
}

const NAMES = { 401: 'TokenUnauthorizedError', 403: 'TokenForbiddenError', 503: 'TokenUnavailableError' } as const;

const reject = (status: Rejection['status'], code: RejectionCode, message: string, bearerError: Rejection['bearerError']): Rejection => {
  const name = NAMES[status];
  const body: RejectionBody = { name, message, code };
  return Object.freeze({ status, code, message, bearerError, name, body: JSON.stringify(body) });
};

/** Every rejection, by name. */
export const REJECTIONS = Object.freeze({
  missingHeader: reject(401, 'ERR_TOKEN_MISSING', 'A token is required: send it as "Authorization: Bearer <token>"', undefined),
  missingCookie: reject(401, 'ERR_TOKEN_MISSING', 'A token is required in a cookie', undefined),
  missingAny: reject(401, 'ERR_TOKEN_MISSING', 'A token is required', undefined),
  noContext: reject(401, 'ERR_TOKEN_MISSING', 'A verified token is required', undefined),
  badHeader: reject(401, 'ERR_TOKEN_HEADER', 'The Authorization header must be "Bearer <token>"', 'invalid_token'),
  // RFC 6750 §3.1: a request using another scheme (Basic, ...) carries no bearer token, so no error code is given.
  otherScheme: reject(401, 'ERR_TOKEN_HEADER', 'The Authorization header must be "Bearer <token>"', undefined),
  malformed: reject(401, 'ERR_TOKEN_MALFORMED', 'The token is not a well-formed JWT', 'invalid_token'),
  algorithm: reject(401, 'ERR_TOKEN_ALGORITHM', 'The token is not signed with the expected algorithm', 'invalid_token'),
  unknown_key: reject(401, 'ERR_TOKEN_KEY', 'The token is signed with a key that is not known here', 'invalid_token'),
  key_unavailable: reject(401, 'ERR_TOKEN_KEY_UNAVAILABLE', 'The keys that verify the token could not be loaded', 'invalid_token'),
  audience: reject(401, 'ERR_TOKEN_AUDIENCE', 'The token is not meant for this audience', 'invalid_token'),
  critical_header: reject(401, 'ERR_TOKEN_CRITICAL_HEADER', 'The token has a critical header extension that is not supported', 'invalid_token'),
  signature: reject(401, 'ERR_TOKEN_SIGNATURE', 'The token signature is invalid', 'invalid_token'),
  claims: reject(401, 'ERR_TOKEN_CLAIMS', 'The token lacks required registered claims (exp, iat, iss, sub, type)', 'invalid_token'),
  issuer: reject(401, 'ERR_TOKEN_ISSUER', 'The token was not issued by this issuer', 'invalid_token'),
  expired: reject(401, 'ERR_TOKEN_EXPIRED', 'The token has expired', 'invalid_token'),
  not_yet_valid: reject(401, 'ERR_TOKEN_NOT_YET_VALID', 'The token is not valid yet', 'invalid_token'),
  token_type: reject(401, 'ERR_TOKEN_TYPE', 'The token is not an access token of the expected type', 'invalid_token'),
  needAuth: reject(401, 'ERR_TOKEN_TYPE', 'An auth token is required', 'invalid_token'),
  needRefresh: reject(401, 'ERR_TOKEN_TYPE', 'A refresh token is required', 'invalid_token'),
  revoked: reject(401, 'ERR_TOKEN_REVOKED', 'The token has been revoked', 'invalid_token'),
  revocationUnavailable: reject(503, 'ERR_REVOCATION_UNAVAILABLE', 'Revocations cannot be checked right now; try again shortly', undefined),
  csrf: reject(403, 'ERR_CSRF', 'A state-changing request with a cookie token must send the token\'s CSRF value in its header', undefined),
  claimsMismatch: reject(403, 'ERR_TOKEN_FORBIDDEN_CLAIMS', 'The token does not carry the required claims', 'insufficient_scope'),
  scopeMismatch: reject(403, 'ERR_TOKEN_FORBIDDEN_SCOPE', 'The token does not carry the required scope', 'insufficient_scope'),
  checkFailed: reject(403, 'ERR_TOKEN_FORBIDDEN_CHECK', 'The token does not grant access to this resource', 'insufficient_scope'),
} satisfies Record<string, Rejection> & Record<InvalidTokenReason, Rejection>);

/** The headers of a rejection's answer: the RFC 6750 challenge, or `Retry-After` (1 to 3 s, jittered) for a 503. */
export function rejectionHeaders(rejection: Rejection, realm: string | undefined): Record<string, string> {
  if (rejection.headers !== undefined) return { ...rejection.headers };
  if (rejection.status === 503) return { 'Retry-After': retryAfterSeconds() };
  // A 403 that is not about the token's scope (a missing CSRF value) is no bearer challenge.
  if (rejection.status === 403 && rejection.bearerError === undefined) return {};
  return { 'WWW-Authenticate': wwwAuthenticate(rejection, realm) };
}

/**
 * A `realm` parameter value for `WWW-Authenticate`, made safe for a quoted-string: quotes and backslashes escaped,
 * anything outside printable ASCII replaced, so that no issuer can break the header.
 */
export function quotedRealm(issuer: string): string {
  return `"${issuer.replace(/[^\x20-\x7e]/g, '?').replace(/["\\]/g, '\\$&')}"`;
}

/** The `WWW-Authenticate` value for a rejection (RFC 6750 §3). */
export function wwwAuthenticate(rejection: Rejection, realm: string | undefined): string {
  const parts = realm === undefined ? [] : [`realm=${realm}`];
  if (rejection.bearerError) parts.push(`error="${rejection.bearerError}"`);
  if (rejection.scope !== undefined) parts.push(`scope="${rejection.scope}"`);
  if (rejection.challenge !== undefined) parts.push(rejection.challenge);
  return parts.length ? `Bearer ${parts.join(', ')}` : 'Bearer';
}

/** The HttpError for a rejection, carrying the same headers as a direct answer would. */
export function toHttpError(rejection: Rejection, realm: string | undefined): TokenUnauthorizedError | TokenForbiddenError | TokenUnavailableError {
  const headers = rejectionHeaders(rejection, realm);
  if (rejection.status === 503) return new TokenUnavailableError(rejection, headers);
  return rejection.status === 401 ? new TokenUnauthorizedError(rejection, headers) : new TokenForbiddenError(rejection, headers);
}
