/**
 * The library's error classes. Every error carries a stable string `code` so that callers can
 * `switch (err.code)` instead of matching messages. No imports: any part of the library may use this module.
 */

/**
 * Every error code the library uses, with what it means: one vocabulary for thrown errors (`ERR_JWT_*`) and for the
 * answers to requests (`ERR_TOKEN_*`, `ERR_CSRF`, `ERR_REVOCATION_UNAVAILABLE`). Codes are stable; messages may change.
 */
export const ERROR_CODES = Object.freeze({
  // Thrown by the library (configuration, programming errors).
  ERR_JWT_AUTH: 'any other library error',
  ERR_JWT_MISSING_SIGNER: 'a manager without a configuration was asked to sign or verify',
  ERR_JWT_MISSING_CONFIG: 'a required configuration value is not set anywhere',
  ERR_JWT_INVALID_CONFIG: 'a configuration value is set but unusable',
  ERR_JWT_INVALID_TOKEN: 'convertToken/fromSignedToken got something that is not a well-formed token',
  ERR_JWT_NO_TOKEN_CONTEXT: 'currentToken was read outside of a request that passed a guard',
  ERR_JWT_ROUTE_UNKNOWN: 'a guard that cannot see the route was given a plain string that may name a route parameter',
  // Answers to requests: 401.
  ERR_TOKEN_MISSING: 'no token in the request',
  ERR_TOKEN_HEADER: 'the Authorization header is not "Bearer <token>"',
  ERR_TOKEN_MALFORMED: 'the token is not a well-formed compact JWS',
  ERR_TOKEN_ALGORITHM: 'the token names another algorithm than its key\'s',
  ERR_TOKEN_KEY: 'the token names a key that is not known',
  ERR_TOKEN_KEY_UNAVAILABLE: 'the remote keys could not be loaded (fail closed)',
  ERR_TOKEN_AUDIENCE: 'the token is for another audience',
  ERR_TOKEN_CRITICAL_HEADER: 'the token has a critical header extension (RFC 7515 §4.1.11)',
  ERR_TOKEN_SIGNATURE: 'the signature does not verify',
  ERR_TOKEN_CLAIMS: 'registered claims are missing or of the wrong type',
  ERR_TOKEN_ISSUER: 'the token is from another issuer',
  ERR_TOKEN_EXPIRED: 'the token has expired',
  ERR_TOKEN_NOT_YET_VALID: 'iat or nbf is in the future',
  ERR_TOKEN_TYPE: 'an auth token where a refresh token is required, or the reverse; or a trusted issuer\'s token not typed as an access token',
  ERR_TOKEN_REVOKED: 'the token, its family or its subject was revoked',
  ERR_TOKEN_BINDING: 'a sender-constrained token without its DPoP proof or client certificate (RFC 9449, RFC 8705)',
  ERR_DPOP_REQUIRED: 'the route requires "Authorization: DPoP <token>" with a DPoP proof',
  ERR_DPOP_PROOF: 'the DPoP proof is missing, malformed, replayed or does not match the request or the token',
  ERR_TOKEN_STEP_UP: 'the login behind the token is older than the route\'s maxAge, or its acr is not one the route accepts (RFC 9470)',
  ERR_DPOP_NONCE: 'the DPoP proof lacks the server nonce; retry with the DPoP-Nonce header\'s value',
  // 403.
  ERR_TOKEN_FORBIDDEN_CLAIMS: 'a valid token without the required claims',
  ERR_TOKEN_FORBIDDEN_SCOPE: 'a valid token without the required scope',
  ERR_TOKEN_FORBIDDEN_CHECK: 'a valid token that the check predicate of the route did not accept (or that threw)',
  ERR_CSRF: 'a state-changing request with a cookie token lacks the CSRF header value',
  // 503.
  ERR_REVOCATION_UNAVAILABLE: 'the revocation store did not answer in time (fail closed)',
} as const);

/** Any code of `ERROR_CODES`. `switch (err.code)` on a library error narrows to the literal. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes of thrown library errors. */
export type LibraryErrorCode = Extract<ErrorCode, `ERR_JWT_${string}`>;

/** The codes of answers to requests (401, 403, 503). */
export type RejectionCode = Exclude<ErrorCode, LibraryErrorCode>;

/**
 * Base class of every error this library throws outside of an HTTP response.
 *
 * @example
 * ```ts
 * try { Container.get(AuthManager); } catch (err) {
 *   if (err instanceof JwtAuthError) console.error(err.code, err.message);
 * }
 * ```
 */
export class JwtAuthError extends Error {
  /** A stable, machine-readable identifier of the kind of failure. */
  readonly code: LibraryErrorCode = 'ERR_JWT_AUTH';

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Thrown when a manager that has no signer (it was never configured) is asked to sign or verify. */
export class MissingSignerError extends JwtAuthError {
  override readonly code = 'ERR_JWT_MISSING_SIGNER';

  constructor(message = 'The AuthManager has no signer: configure it (initApp, or Container.get(AuthManager)) first') {
    super(message);
  }
}

/** Thrown when a required configuration value (e.g. `JWT_SECRET`) is not set anywhere. */
export class MissingConfigError extends JwtAuthError {
  override readonly code = 'ERR_JWT_MISSING_CONFIG';

  /** @param configValue - The name of the missing value, e.g. `"JWT_SECRET"`. */
  constructor(readonly configValue: string) {
    super(`Missing config value "${configValue}"`);
  }
}

/** Thrown when a configuration value is set but unusable; the message says what to fix. */
export class InvalidConfigError extends JwtAuthError {
  override readonly code = 'ERR_JWT_INVALID_CONFIG';

  /**
   * @param configValue - The name of the offending value, e.g. `"JWT_AUTHMAXAGE"`.
   * @param reason - Why it is refused and how to make a proper one.
   */
  constructor(
    readonly configValue: string,
    reason: string,
  ) {
    super(`Invalid config "${configValue}": ${reason}`);
  }
}

/**
 * Thrown by `JWT.fromSignedToken`/`AuthManager.convertToken` for anything that is not a well-formed token carrying
 * the required claims. The message never contains the token.
 */
export class InvalidTokenError extends JwtAuthError {
  override readonly code = 'ERR_JWT_INVALID_TOKEN';

  constructor(message = 'The token is not a well-formed JWT with the required claims') {
    super(message);
  }
}

/**
 * Thrown when `currentToken` is read outside of a request that passed `@RequireToken`.
 */
export class NoTokenContextError extends JwtAuthError {
  override readonly code = 'ERR_JWT_NO_TOKEN_CONTEXT';

  constructor(
    message = 'currentToken was read outside of a request that passed @RequireToken (or requireToken()); ' +
      'read it only in code called from such a request, or use getCurrentToken() to test for one',
  ) {
    super(message);
  }
}

/** The message of `UnknownRouteError`: the fix, never a claim value. */
export const UNKNOWN_ROUTE_MESSAGE =
  'requireToken() mounted with use() cannot see route parameters, so a plain string among the required claims could ' +
  "be a literal or a parameter: bind with param('name') and give literal values under the `claims` option";

/**
 * A guard that cannot know the request's route (middleware mounted with `use()`, or a guarded service method called
 * under such a guard) was given a plain string that names no visible route parameter. It could be a literal or a
 * parameter the guard cannot see, so the request is refused (a JSON 500) rather than guessed.
 *
 * @example
 * ```ts
 * app.use((err, req, res, next) => {
 *   if (err.code === 'ERR_JWT_ROUTE_UNKNOWN') log.error(err.message); // a guarded service under a use() guard
 *   next(err);
 * });
 * ```
 */
export class UnknownRouteError extends JwtAuthError {
  override readonly code = 'ERR_JWT_ROUTE_UNKNOWN';

  constructor(message = UNKNOWN_ROUTE_MESSAGE) {
    super(message);
  }
}

/** What a rejection error is built from: its status, stable code and message. */
export interface RejectionLike {
  readonly status: 401 | 403 | 503;
  readonly code: RejectionCode;
  readonly message: string;
}

/** The JSON body of a rejection: `{ name, message, code }`, nothing else. */
export interface RejectionBody {
  name: string;
  message: string;
  code: RejectionCode;
}

type Headers = Readonly<Record<string, string>>;

/**
 * What the three rejection errors share: the stable `code`, the HTTP status under the three names handlers read
 * (`httpCode` for routing-controllers, `status` and `statusCode` for Express), the response `headers` (which
 * Express's final handler also applies), and no stack: a rejection is expected control flow, its stack would only
 * show library frames to whoever prints it.
 */
function adopt(error: Error & { code: RejectionCode; headers: Headers; httpCode: number }, name: string, rejection: RejectionLike, headers: Headers): void {
  error.name = name;
  error.code = rejection.code;
  error.headers = headers;
  error.httpCode = rejection.status;
  Object.defineProperty(error, 'stack', { value: `${name}: ${error.message}`, configurable: true, writable: true });
}

/** The response body of a rejection: `{ name, message, code }`, nothing else. */
function rejectionBody(this: Error & { code: RejectionCode }): RejectionBody {
  return { name: this.name, message: this.message, code: this.code };
}

/**
 * 401: no token, or one that is malformed, badly signed, of another algorithm, expired, from another issuer, without
 * the registered claims, of the wrong type, or revoked. Once routing-controllers is loaded (by the library's
 * integrations, see http/routing-controllers-errors.ts) it is also a routing-controllers `UnauthorizedError`, so an
 * app's own routing-controllers error handler sees it; this module itself never loads routing-controllers.
 */
export class TokenUnauthorizedError extends Error {
  /** The stable code, e.g. `ERR_TOKEN_EXPIRED`. */
  declare code: RejectionCode;
  /** The HTTP status, as routing-controllers reads it. */
  declare httpCode: number;
  /** The HTTP status, for plain Express error handlers. */
  readonly status = 401;
  /** The HTTP status again, under the name Express error handlers often read (`res.status(err.statusCode)`). */
  readonly statusCode = 401;
  /** Response headers (`WWW-Authenticate`). */
  declare headers: Headers;
  /** The response body. */
  declare toJSON: () => RejectionBody;

  constructor(rejection: RejectionLike, headers: Headers) {
    super(rejection.message);
    adopt(this, 'TokenUnauthorizedError', rejection, headers);
  }
}

/** 403: a valid token whose claims or scope do not match (and no matching `override`), or a missing CSRF value. */
export class TokenForbiddenError extends Error {
  /** The stable code, e.g. `ERR_TOKEN_FORBIDDEN_SCOPE`. */
  declare code: RejectionCode;
  /** The HTTP status, as routing-controllers reads it. */
  declare httpCode: number;
  /** The HTTP status, for plain Express error handlers. */
  readonly status = 403;
  /** The HTTP status again, under the name Express error handlers often read (`res.status(err.statusCode)`). */
  readonly statusCode = 403;
  /** Response headers (`WWW-Authenticate` with `error="insufficient_scope"`, none for CSRF). */
  declare headers: Headers;
  /** The response body. */
  declare toJSON: () => RejectionBody;

  constructor(rejection: RejectionLike, headers: Headers) {
    super(rejection.message);
    adopt(this, 'TokenForbiddenError', rejection, headers);
  }
}

/** 503: the revocation store did not answer in time, so the request is refused rather than let through. */
export class TokenUnavailableError extends Error {
  /** The stable code, `ERR_REVOCATION_UNAVAILABLE`. */
  declare code: RejectionCode;
  /** The HTTP status, as routing-controllers reads it. */
  declare httpCode: number;
  /** The HTTP status, for plain Express error handlers. */
  readonly status = 503;
  /** The HTTP status again, under the name Express error handlers often read (`res.status(err.statusCode)`). */
  readonly statusCode = 503;
  /** Response headers (`Retry-After`). */
  declare headers: Headers;
  /** The response body. */
  declare toJSON: () => RejectionBody;

  constructor(rejection: RejectionLike, headers: Headers) {
    super(rejection.message);
    adopt(this, 'TokenUnavailableError', rejection, headers);
  }
}

for (const rejectionClass of [TokenUnauthorizedError, TokenForbiddenError, TokenUnavailableError]) {
  Object.defineProperty(rejectionClass.prototype, 'toJSON', { value: rejectionBody, writable: true, configurable: true });
}
