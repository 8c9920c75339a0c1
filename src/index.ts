/**
 * routing-controllers-jwt: JWT authentication and authorization for routing-controllers and Express.
 * This module only re-exports, in the order data flows: tokens and keys, configuration, the manager, authorization,
 * sessions, the current token, then the HTTP front doors. spec/public-api.spec.ts pins the exact list.
 */
// typedi reads constructor parameter types through reflect-metadata; it must be loaded before any decorated class.
import 'reflect-metadata';
// routing-controllers is loaded only by its integrations; an app that loaded it before this package gets the rejection
// errors as its HttpErrors at once (routing-controllers-module.ts).
import { routingControllersIfLoaded } from './http/routing-controllers-module';
routingControllersIfLoaded();

// Errors: every error class and the one table of codes.
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

// Claims and the token model.
export { RESERVED_CLAIMS, TokenType, type ClaimValue, type Claims, type Scope } from './claims';
export { JWT, type SignedJWT } from './token/jwt';
export { MAX_TOKEN_LENGTH } from './token/compact';
export type { InvalidTokenReason, TokenCheck } from './token/verify';
export {
  accessTokenHash,
  checkDpopProof,
  DPOP_ALGORITHMS,
  jwkThumbprint,
  type DpopProofCheck,
  type DpopProofFailure,
  type DpopProofInput,
  type DpopProofPolicy,
  type DpopProofSuccess,
} from './token/dpop-proof';
export { createDpopNonces, type DpopNonces } from './token/dpop-nonce';

// Keys.
export { AuthType, type HashName, type KeyFamily } from './keys/algorithms';
export { AuthData, type AuthDataOptions } from './keys/auth-data';
export type { KeyEntry } from './keys/key-ring';
export { thumbprint, type JwkSet, type PublicJwk } from './keys/jwk';
export type { VerificationKey } from './keys/verification-key';

// Configuration: the typedi tokens and where values come from.
export {
  JWT_AUDIENCE,
  JWT_AUTHJTI,
  JWT_AUTHMAXAGE,
  JWT_AUTHTYPE,
  JWT_CACHESIZE,
  JWT_DPOP,
  JWT_DPOPALGS,
  JWT_DPOPNONCE,
  JWT_ISSUER,
  JWT_ISSUERS,
  JWT_JWKSCOOLDOWN,
  JWT_JWKSMAXAGE,
  JWT_JWKSTIMEOUT,
  JWT_JWKSURL,
  JWT_KEYS,
  JWT_LEEWAY,
  JWT_PUBLICKEY,
  JWT_REFRESHGRACE,
  JWT_REFRESHMAXAGE,
  JWT_REVOCATIONSTORE,
  JWT_RESOURCEMETADATA,
  JWT_REVOCATIONTIMEOUT,
  JWT_SECRET,
  type ConfigName,
} from './config/tokens';
export type { ConfigSource, SettingsSource } from './config/sources';
export type { AccessTokenProfile, TrustedIssuerEntry, TrustedIssuerResolver } from './issuers/trusted-issuer';

// The manager.
export { AuthManager, type LoginOptions, type RotatedTokens, type SessionClaims } from './auth-manager';

// Authorization: what a guard requires.
export { param, ParamBinding, type RequiredClaims, type RequiredValue, type RouteParams } from './authorize/match-claims';
export { DEFAULT_CSRF_HEADER, type RequireTokenOptions } from './authorize/requirement';
export type { DpopMode } from './authorize/dpop-option';
export type { AccessCheck, CheckedRequest } from './authorize/access-check';

// Sessions: revocation stores.
export type { RetireRequest, RevocationStore, StoreRetireOutcome } from './sessions/revocation-store';
export { MemoryRevocationStore } from './sessions/memory-revocation-store';
export { RedisRevocationStore, type RedisLikeClient, type RedisRevocationStoreOptions, type LocalRevocationCacheOptions, type RedisSubscriberLike } from './sessions/redis-revocation-store';
export type { IoredisLikeClient, NodeRedisClusterLikeClient, NodeRedisLikeClient } from './sessions/redis-commands';
export { STORE_CHANNEL, type StoreFailure, type StoreOperation } from './sessions/store-failures';

// The current token.
export { currentToken, getCurrentToken } from './context';

// HTTP: the decorator, the middleware, answering, JWKS and cookies.
export {
  RequireToken,
  requireToken,
  type RequestHandler,
  type RequireTokenDecorator,
  type TokenLocation,
  type TokenTypeName,
} from './http/require-token';
export { AllowAnonymous, type AllowAnonymousDecorator } from './http/class-guard';
export { CurrentToken, type CurrentTokenDecorator } from './http/current-token-param';
export {
  jwtAuthorizationChecker,
  jwtCurrentUserChecker,
  type AuthorizationChecker,
  type CurrentUserChecker,
  type JwtAuthorizationCheckerOptions,
} from './http/routing-controllers-checkers';
export { withJwtSecurity, type JwtOpenApiOptions, type OpenApiDocumentLike, type OpenApiOAuthFlows } from './http/openapi';
export { ACCEPTED_CHANNEL, REFUSED_CHANNEL, type AuthEvent } from './http/auth-events';
export type { RequestLike } from './http/extract-token';
export { keepAliveErrorSink, type NextFunction, type ResponseLike } from './http/respond';
export { serveJwks, type ServeJwksOptions } from './http/serve-jwks';
export { dpopKeyOf } from './http/dpop-key';
export { clientCertificateThumbprint } from './http/sender-constraint';
export { serveResourceMetadata, type ResourceMetadataOptions } from './http/serve-resource-metadata';
export { clearSessionCookies, setSessionCookies, type SessionCookieOptions, type SessionTokens } from './http/session-cookies';
export { sessionCookieOptions, type ResolvedSessionCookieOptions } from './http/session-cookie-options';
