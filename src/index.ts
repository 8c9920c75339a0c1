/**
 * routing-controllers-jwt: JWT authentication and authorization for routing-controllers and Express.
 * This module only re-exports.
 */
// typedi reads constructor parameter types through reflect-metadata; it must be loaded before any decorated class.
import 'reflect-metadata';

export { AuthType, type HashName, type KeyFamily } from './keys/algorithms';
export { AuthData, type AuthDataOptions } from './keys/auth-data';
export { AuthManager, type RotatedTokens, type SessionClaims } from './auth-manager';
export {
  JWT_AUDIENCE,
  JWT_AUTHJTI,
  JWT_AUTHMAXAGE,
  JWT_CACHESIZE,
  JWT_JWKSURL,
  JWT_KEYS,
  JWT_LEEWAY,
  JWT_AUTHTYPE,
  JWT_ISSUER,
  JWT_PUBLICKEY,
  JWT_REFRESHMAXAGE,
  JWT_REVOCATIONSTORE,
  JWT_SECRET,
  JWT_REVOCATIONTIMEOUT,
  JWT_JWKSCOOLDOWN,
  JWT_JWKSTIMEOUT,
  JWT_JWKSMAXAGE,
  type ConfigName,
} from './config/tokens';
export type { ConfigSource, SettingsSource } from './config/sources';
export {
  ERROR_CODES,
  InvalidConfigError,
  InvalidTokenError,
  JwtAuthError,
  MissingConfigError,
  MissingSignerError,
  NoTokenContextError,
  TokenForbiddenError,
  TokenUnauthorizedError,
  TokenUnavailableError,
  type ErrorCode,
  type LibraryErrorCode,
  type RejectionBody,
  type RejectionCode,
} from './errors';
export { JWT, type SignedJWT } from './token/jwt';
export { MAX_TOKEN_LENGTH } from './token/compact';
export { RESERVED_CLAIMS, TokenType, type ClaimValue, type Claims, type Scope } from './claims';
export type { InvalidTokenReason, TokenCheck } from './token/verify';
export type { VerificationKey } from './keys/verification-key';
export { thumbprint, type JwkSet, type PublicJwk } from './keys/jwk';
export type { KeyEntry } from './keys/key-ring';
export { serveJwks, type ServeJwksOptions } from './http/serve-jwks';
export { param, ParamBinding, type RequiredClaims, type RequiredValue, type RouteParams } from './authorize/match-claims';
export { currentToken, getCurrentToken } from './context';
export { keepAliveErrorSink, type NextFunction, type ResponseLike } from './http/respond';
export type { RequestLike } from './http/extract-token';
export { DEFAULT_CSRF_HEADER, type RequireTokenOptions } from './authorize/requirement';
export {
  RequireToken,
  requireToken,
  type RequestHandler,
  type RequireTokenDecorator,
  type TokenLocation,
  type TokenTypeName,
} from './http/require-token';
export { MemoryRevocationStore } from './sessions/memory-revocation-store';
export type { RevocationStore } from './sessions/revocation-store';
export { RedisRevocationStore, type RedisLikeClient, type RedisRevocationStoreOptions } from './sessions/redis-revocation-store';
export { clearSessionCookies, setSessionCookies, type SessionCookieOptions, type SessionTokens } from './http/session-cookies';
