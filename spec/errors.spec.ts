/**
 * Errors as callers meet them: one vocabulary of literal codes (`switch (err.code)` narrows), rejections carrying
 * `status`, `statusCode` and `httpCode` (findings 10 and 11 of the composition review), and configuration errors that
 * name the value, never its content, in exceptions and in response bodies.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import express, { type NextFunction, type Request, type Response } from 'express';
import {
  AuthManager,
  ERROR_CODES,
  InvalidConfigError,
  JwtAuthError,
  requireToken,
  TokenUnauthorizedError,
  type ErrorCode,
  type LibraryErrorCode,
  type RejectionCode,
} from 'routing-controllers-jwt';
import { hmacSecret } from './support/keys';
import { bearer, listen, send } from './support/server';

/** Compiles only while `code` narrows to the literal codes: an unknown literal or a missing case fails `tsc`. */
function describeCode(code: RejectionCode): string {
  switch (code) {
    case 'ERR_TOKEN_MISSING':
    case 'ERR_TOKEN_HEADER':
    case 'ERR_TOKEN_MALFORMED':
    case 'ERR_TOKEN_ALGORITHM':
    case 'ERR_TOKEN_KEY':
    case 'ERR_TOKEN_KEY_UNAVAILABLE':
    case 'ERR_TOKEN_AUDIENCE':
    case 'ERR_TOKEN_CRITICAL_HEADER':
    case 'ERR_TOKEN_SIGNATURE':
    case 'ERR_TOKEN_CLAIMS':
    case 'ERR_TOKEN_ISSUER':
    case 'ERR_TOKEN_EXPIRED':
    case 'ERR_TOKEN_NOT_YET_VALID':
    case 'ERR_TOKEN_TYPE':
    case 'ERR_TOKEN_REVOKED':
    case 'ERR_TOKEN_BINDING':
    case 'ERR_DPOP_REQUIRED':
    case 'ERR_DPOP_PROOF':
    case 'ERR_DPOP_NONCE':
    case 'ERR_TOKEN_STEP_UP':
      return 'unauthorized';
    case 'ERR_TOKEN_FORBIDDEN_CLAIMS':
    case 'ERR_TOKEN_FORBIDDEN_SCOPE':
    case 'ERR_TOKEN_FORBIDDEN_CHECK':
    case 'ERR_CSRF':
      return 'forbidden';
    case 'ERR_REVOCATION_UNAVAILABLE':
      return 'unavailable';
    default: {
      const unreachable: never = code;
      return unreachable;
    }
  }
}

const ISSUER = 'https://errors.example';

describe('errors', () => {
  it('one table of literal codes: every thrown and answered code is in ERROR_CODES, each with a meaning', () => {
    const codes = Object.keys(ERROR_CODES) as ErrorCode[];
    expect(codes).to.include.members(['ERR_JWT_MISSING_CONFIG', 'ERR_TOKEN_EXPIRED', 'ERR_CSRF', 'ERR_REVOCATION_UNAVAILABLE']);
    for (const code of codes) expect(ERROR_CODES[code], code).to.be.a('string').and.not.equal('');
    expect(describeCode('ERR_TOKEN_EXPIRED')).to.equal('unauthorized');
    const library: LibraryErrorCode = new InvalidConfigError('JWT_ISSUER', 'x').code;
    expect(library).to.equal('ERR_JWT_INVALID_CONFIG');
  });

  it('a rejection has status, statusCode and httpCode: the common `res.status(err.statusCode || 500)` handler answers 401', async () => {
    const app = express();
    app.set('JWT_ISSUER', ISSUER).set('JWT_AUTHTYPE', 'HS256').set('JWT_SECRET', hmacSecret(64));
    new AuthManager(app);
    app.get('/me', requireToken(), (_req, res) => {
      res.json({ ok: true });
    });
    const seen: unknown[] = [];
    app.use((err: { statusCode?: number; message: string }, _req: Request, res: Response, _next: NextFunction) => {
      seen.push(err);
      res.status(err.statusCode || 500).json({ message: err.message });
    });
    const server = await listen(app);
    try {
      const reply = await send(`${server.url}/me`, { headers: bearer('not-a-token') });
      expect(reply.status).to.equal(401);
      const error = seen[0] as TokenUnauthorizedError;
      expect(error).to.be.instanceOf(TokenUnauthorizedError);
      expect([error.status, error.statusCode, error.httpCode]).to.deep.equal([401, 401, 401]);
    } finally {
      await server.close();
    }
  });

  describe('security: configuration errors name the value, never its content', () => {
    const secret = hmacSecret(64);

    it('a secret pasted into JWT_AUTHTYPE is not in the exception', () => {
      let error: unknown;
      try {
        new AuthManager({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: secret, JWT_SECRET: hmacSecret(64) });
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(InvalidConfigError);
      expect((error as InvalidConfigError).configValue).to.equal('JWT_AUTHTYPE');
      expect((error as Error).message).to.include('JWT_AUTHTYPE');
      expect((error as Error).message).not.to.include(secret);
    });

    it('a short secret: the message says the least length and how to make one, not the length it got', () => {
      const short = 'x'.repeat(17);
      let error: unknown;
      try {
        new AuthManager({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'HS256', JWT_SECRET: short });
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(InvalidConfigError);
      expect((error as Error).message).to.include('at least 32 bytes');
      expect((error as Error).message).not.to.match(/\b17\b/);
    });

    it('over HTTP: the 500 for a wrong configuration names JWT_AUTHTYPE and does not echo the secret pasted into it', async () => {
      const app = express();
      app.set('JWT_ISSUER', ISSUER).set('JWT_AUTHTYPE', secret).set('JWT_SECRET', hmacSecret(64));
      // No manager is attached: the guard builds one from the container, whose JWT_AUTHTYPE comes from the env.
      const saved = process.env.JWT_AUTHTYPE;
      const savedIssuer = process.env.JWT_ISSUER;
      const savedSecret = process.env.JWT_SECRET;
      process.env.JWT_ISSUER = ISSUER;
      process.env.JWT_AUTHTYPE = secret;
      process.env.JWT_SECRET = hmacSecret(64);
      app.get('/me', requireToken(), (_req, res) => {
        res.json({ ok: true });
      });
      const server = await listen(app);
      try {
        const reply = await send(`${server.url}/me`, { headers: bearer('a.b.c') });
        expect(reply.status).to.equal(500);
        expect(reply.text).to.include('JWT_AUTHTYPE');
        expect(reply.text).not.to.include(secret);
        expect(reply.text).not.to.include('stack');
        expect(Object.keys(reply.json as object).sort()).to.deep.equal(['code', 'message', 'name']);
      } finally {
        await server.close();
        for (const [name, value] of [['JWT_AUTHTYPE', saved], ['JWT_ISSUER', savedIssuer], ['JWT_SECRET', savedSecret]] as const) {
          if (value === undefined) delete process.env[name];
          else process.env[name] = value;
        }
      }
    });

    it('every library error is a JwtAuthError with a literal code', () => {
      expect(new InvalidConfigError('JWT_KEYS', 'x')).to.be.instanceOf(JwtAuthError);
    });
  });
});
