/**
 * routing-controllers-jwt: JWT authentication and authorization for routing-controllers and Express.
 * This module only re-exports.
 */
// typedi reads constructor parameter types through reflect-metadata; it must be loaded before any decorated class.
import 'reflect-metadata';

export { AuthType, type HashName, type KeyFamily } from './algorithms';
export { AuthData, type AuthDataOptions } from './auth-data';
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
  type ConfigName,
  type ConfigSource,
  type SettingsSource,
} from './config';
export { InvalidConfigError, InvalidTokenError, JwtAuthError, MissingConfigError, MissingSignerError } from './errors';
export { JWT, RESERVED_CLAIMS, TokenType } from './jwt';
export { MAX_TOKEN_LENGTH } from './token-codec';
export type { ClaimValue, Claims, Scope } from './types';
export type { InvalidTokenReason, TokenCheck, VerificationKey } from './verify';
export { thumbprint, type JwkSet, type KeyEntry, type PublicJwk } from './key-ring';
export { serveJwks, type ServeJwksOptions } from './jwks-route';
export { param, ParamBinding, type RequiredClaims, type RequiredValue, type RouteParams } from './claims';
export { currentToken, getCurrentToken, NoTokenContextError } from './context';
export { keepAliveErrorSink, type NextFunction, type ResponseLike } from './respond';
export { TokenForbiddenError, TokenUnauthorizedError, TokenUnavailableError, type RejectionBody } from './rejections';
export type { RequestLike } from './request-token';
export { DEFAULT_CSRF_HEADER, type RequireTokenOptions } from './requirement';
export {
  RequireToken,
  requireToken,
  type RequestHandler,
  type RequireTokenDecorator,
  type TokenLocation,
  type TokenTypeName,
} from './require-token';
export { MemoryRevocationStore, type RevocationStore } from './revocation-store';
export { RedisRevocationStore, type RedisLikeClient, type RedisRevocationStoreOptions } from './redis-revocation-store';
export { clearSessionCookies, setSessionCookies, type SessionCookieOptions, type SessionTokens } from './session-cookies';
