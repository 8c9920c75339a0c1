/** The names API.md §1, §2 and §5 promise at the package root. */
import 'reflect-metadata';
import { expect } from 'chai';
import { Token } from 'typedi';
import * as api from 'routing-controllers-jwt';

/** Every runtime export of the package root, sorted. Types are pinned by the compiler where they are used. */
const EXPORTS = [
  'ACCEPTED_CHANNEL', 'AllowAnonymous', 'AuthData', 'AuthManager', 'AuthType', 'CurrentToken', 'DEFAULT_CSRF_HEADER',
  'DPOP_ALGORITHMS', 'ERROR_CODES', 'InvalidConfigError', 'InvalidTokenError', 'JWT', 'JWT_AUDIENCE', 'JWT_AUTHJTI',
  'JWT_AUTHMAXAGE', 'JWT_AUTHTYPE', 'JWT_CACHESIZE', 'JWT_DPOP', 'JWT_DPOPALGS', 'JWT_DPOPNONCE', 'JWT_ISSUER',
  'JWT_ISSUERS', 'JWT_JWKSCOOLDOWN', 'JWT_JWKSMAXAGE', 'JWT_JWKSTIMEOUT', 'JWT_JWKSURL', 'JWT_KEYS', 'JWT_LEEWAY',
  'JWT_PUBLICKEY', 'JWT_REFRESHGRACE', 'JWT_REFRESHMAXAGE', 'JWT_RESOURCEMETADATA', 'JWT_REVOCATIONSTORE',
  'JWT_REVOCATIONTIMEOUT', 'JWT_SECRET', 'JwtAuthError', 'MAX_TOKEN_LENGTH', 'MemoryRevocationStore',
  'MissingConfigError', 'MissingSignerError', 'NoTokenContextError', 'ParamBinding', 'REFUSED_CHANNEL',
  'RESERVED_CLAIMS', 'RedisRevocationStore', 'RequireToken', 'STORE_CHANNEL', 'TokenForbiddenError', 'TokenType',
  'TokenUnauthorizedError', 'TokenUnavailableError', 'accessTokenHash', 'checkDpopProof', 'clearSessionCookies',
  'clientCertificateThumbprint', 'createDpopNonces', 'currentToken', 'dpopKeyOf', 'getCurrentToken', 'jwkThumbprint',
  'jwtAuthorizationChecker', 'jwtCurrentUserChecker', 'keepAliveErrorSink', 'param', 'requireToken', 'serveJwks',
  'serveResourceMetadata', 'sessionCookieOptions', 'setSessionCookies', 'thumbprint', 'withJwtSecurity',
];

/** AuthManager's public instance members. */
const MANAGER_MEMBERS = [
  'authToken', 'cachedTokenCount', 'checkToken', 'constructor', 'initApp', 'isRevoked', 'issuer', 'jwks', 'refreshToken',
  'revocationStore', 'revoke', 'revokeSubject', 'rotate', 'sessionTokens', 'verifiesRemotely', 'verify', 'verifyToken',
];

describe('public API (package root)', () => {
  const classes = [
    'AuthType',
    'AuthData',
    'JWT',
    'AuthManager',
    'JwtAuthError',
    'MissingSignerError',
    'MissingConfigError',
    'InvalidConfigError',
    'InvalidTokenError',
  ] as const;
  const tokens = ['JWT_ISSUER', 'JWT_AUTHTYPE', 'JWT_SECRET', 'JWT_AUTHMAXAGE', 'JWT_REFRESHMAXAGE', 'JWT_PUBLICKEY'] as const;

  for (const name of classes) {
    it(`exports the class ${name}`, () => {
      expect(api[name], name).to.be.a('function');
    });
  }

  it('exports the TokenType enum', () => {
    expect(api.TokenType).to.be.an('object');
    expect(api.TokenType.AUTH).to.equal('auth');
    expect(api.TokenType.REFRESH).to.equal('refresh');
  });

  for (const name of tokens) {
    it(`exports the typedi Token ${name}`, () => {
      expect(api[name]).to.be.instanceOf(Token);
      expect(api[name].name).to.equal(name);
    });
  }

  it('the six tokens are distinct', () => {
    expect(new Set(tokens.map((name) => api[name])).size).to.equal(6);
  });

  it('the error classes share the JwtAuthError base', () => {
    for (const name of ['MissingSignerError', 'MissingConfigError', 'InvalidConfigError', 'InvalidTokenError'] as const) {
      expect(api[name].prototype, name).to.be.instanceOf(api.JwtAuthError);
    }
    expect(api.JwtAuthError.prototype).to.be.instanceOf(Error);
  });

  it('AuthManager.convertToken is static and the instance methods exist', () => {
    expect(api.AuthManager.convertToken).to.be.a('function');
    for (const method of ['initApp', 'authToken', 'refreshToken', 'verifyToken'] as const) {
      expect(api.AuthManager.prototype[method], method).to.be.a('function');
    }
    expect(api.JWT.fromSignedToken).to.be.a('function');
  });

  it('exports exactly these runtime names: an addition or a removal is a decision, made here', () => {
    expect(Object.keys(api).sort()).to.deep.equal(EXPORTS);
  });

  it('AuthManager\'s public prototype is the facade only: no guard plumbing, no mutable timing statics', () => {
    expect(Object.getOwnPropertyNames(api.AuthManager.prototype).sort()).to.deep.equal(MANAGER_MEMBERS);
    expect(Object.getOwnPropertyNames(api.AuthManager).filter((name) => !['length', 'name', 'prototype'].includes(name)).sort())
      .to.deep.equal(['convertToken', 'defaultAuthMaxAge', 'defaultRefreshMaxAge', 'fromContainer']);
  });
});
