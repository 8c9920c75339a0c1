/**
 * Refresh-token rotation with reuse detection (issue 8, OAuth 2.0 Security BCP §4.14): `authManager.rotate` answers a
 * new auth token and a new refresh token of the same family and retires the old rid; a retired refresh token used
 * again revokes the whole family. Checked on the manager and over real HTTP with the README's refresh route.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import express from 'express';
import { Get, JsonController, Post, useExpressServer } from 'routing-controllers';
import {
  AuthManager,
  currentToken,
  RequireToken,
  TokenType,
  TokenUnauthorizedError,
  type JWT,
  type SignedJWT,
  type RotatedTokens,
} from 'routing-controllers-jwt';
import { hmacSecret } from '../support/keys';
import { bearer, listen, send, type RunningServer } from '../support/server';
import { expectRejection } from '../support/require-token';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const signed = (token: SignedJWT): string => token.signed;

// JWT_REFRESHGRACE 0: a second presentation is reuse at once, as after the grace window (spec/sessions/refresh-grace.spec.ts)
function settings(issuer: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { JWT_ISSUER: issuer, JWT_AUTHTYPE: 'HS256', JWT_SECRET: hmacSecret(64), JWT_REFRESHGRACE: 0, ...extra };
}

/** What `rotate` threw (or `undefined` when it resolved). */
async function rotateError(manager: AuthManager, token: JWT | string): Promise<TokenUnauthorizedError | undefined> {
  try {
    await manager.rotate(token);
  } catch (error) {
    expect(error).to.be.instanceOf(TokenUnauthorizedError);
    return error as TokenUnauthorizedError;
  }
  return undefined;
}

/** Asserts that `rotate(token)` is refused with 401 and `code`. */
async function expectRotateRefused(manager: AuthManager, token: JWT | string, code: string, why: string): Promise<void> {
  const error = await rotateError(manager, token);
  expect(error, `${why}: rotate must be refused`).to.be.instanceOf(TokenUnauthorizedError);
  expect(error?.httpCode, why).to.equal(401);
  expect(error?.code, why).to.equal(code);
}

describe('refresh-token rotation', () => {
  describe('authManager.rotate', () => {
    const issuer = 'https://rotation.example';
    let manager: AuthManager;

    beforeEach(() => {
      manager = new AuthManager(settings(issuer, { JWT_AUTHMAXAGE: 300, JWT_REFRESHMAXAGE: 3600 }));
    });

    it('login → rotate → rotate: each step answers a valid auth token and a new refresh token of the same family', async () => {
      const login = manager.refreshToken('alice');
      expect(login.claims.rid).to.be.a('string');
      expect(login.claims.fam).to.be.a('string');
      const chain: SignedJWT[] = [login];
      const rotations: RotatedTokens[] = [];
      for (let i = 0; i < 2; i++) {
        const rotated = await manager.rotate(signed(chain[chain.length - 1]), { role: 'user' }, { tenant: 'acme' });
        rotations.push(rotated);
        chain.push(rotated.refreshToken);
      }
      expect(new Set(chain.map((token) => token.claims.rid)).size, 'every refresh token has its own rid').to.equal(3);
      for (const { authToken, refreshToken } of rotations) {
        expect(manager.verifyToken(authToken)).to.equal(true);
        expect(manager.verifyToken(refreshToken)).to.equal(true);
        expect(authToken.tokenType).to.equal(TokenType.AUTH);
        expect(refreshToken.tokenType).to.equal(TokenType.REFRESH);
        expect(authToken.sub).to.equal('alice');
        expect(refreshToken.sub).to.equal('alice');
        expect(authToken.scope).to.deep.equal({ role: 'user' });
        expect(authToken.claims.tenant).to.equal('acme');
        expect(refreshToken.claims.fam).to.equal(login.claims.fam);
        expect(authToken.claims.fam).to.equal(login.claims.fam);
        expect(refreshToken.claims).not.to.have.property('scope');
      }
    });

    it('security: each refresh token works exactly once; presenting it again → 401 ERR_TOKEN_REVOKED', async () => {
      const login = manager.refreshToken('alice');
      await manager.rotate(login);
      await expectRotateRefused(manager, login, 'ERR_TOKEN_REVOKED', 'the login token a second time');
      const other = await manager.rotate(manager.refreshToken('alice'));
      const next = await manager.rotate(other.refreshToken);
      expect(manager.verifyToken(next.refreshToken)).to.equal(true);
      await expectRotateRefused(manager, other.refreshToken, 'ERR_TOKEN_REVOKED', 'a rotated token a second time');
    });

    it('security: reuse of a retired refresh token revokes the whole family, its latest refresh token included', async () => {
      const login = manager.refreshToken('alice');
      const one = await manager.rotate(login);
      const two = await manager.rotate(one.refreshToken);
      // The thief replays the retired login token: refused, and the family ends.
      await expectRotateRefused(manager, login, 'ERR_TOKEN_REVOKED', 'the retired token');
      await expectRotateRefused(manager, two.refreshToken, 'ERR_TOKEN_REVOKED', 'the latest, never used token');
      expect(await manager.isRevoked(two.refreshToken)).to.equal(true);
      const sibling = manager.refreshToken('alice', { family: login.claims.fam as string });
      expect(await manager.isRevoked(sibling), 'any token of the family').to.equal(true);
    });

    it('other families are unaffected by a reuse', async () => {
      const stolen = manager.refreshToken('alice');
      const otherLogin = manager.refreshToken('alice');
      const otherUser = manager.refreshToken('bob');
      await manager.rotate(stolen);
      await expectRotateRefused(manager, stolen, 'ERR_TOKEN_REVOKED', 'reuse');
      const a = await manager.rotate(otherLogin);
      const b = await manager.rotate(otherUser);
      expect(await manager.isRevoked(a.refreshToken)).to.equal(false);
      expect(await manager.isRevoked(b.refreshToken)).to.equal(false);
    });

    it('logout: revoke(refresh token) ends the family, for rotate and for every descendant', async () => {
      const login = manager.refreshToken('alice');
      const { refreshToken } = await manager.rotate(login);
      const other = manager.refreshToken('alice');
      await manager.revoke(refreshToken);
      await expectRotateRefused(manager, refreshToken, 'ERR_TOKEN_REVOKED', 'after logout');
      expect(await manager.isRevoked(refreshToken)).to.equal(true);
      expect((await manager.rotate(other)).refreshToken.claims.fam).to.equal(other.claims.fam);
    });

    it('refuses auth tokens, invalid, foreign and expired tokens (401) without touching the family', async () => {
      await expectRotateRefused(manager, manager.authToken('alice'), 'ERR_TOKEN_TYPE', 'an auth token');
      await expectRotateRefused(manager, 'not.a.token', 'ERR_TOKEN_MALFORMED', 'garbage');
      const foreign = new AuthManager(settings(issuer)).refreshToken('alice');
      await expectRotateRefused(manager, foreign, 'ERR_TOKEN_SIGNATURE', 'another key');
      const shortLived = new AuthManager({ ...settings(issuer), JWT_REFRESHMAXAGE: 1 });
      const expiring = shortLived.refreshToken('alice');
      await sleep(2100);
      await expectRotateRefused(shortLived, expiring, 'ERR_TOKEN_EXPIRED', 'an expired refresh token');
    });

    it('keeps the csrf value of a cookie session across rotations; plain refresh tokens get none', async () => {
      const session = manager.sessionTokens('alice', 'profile');
      expect(session.csrf).to.be.a('string').with.length.greaterThan(15);
      expect(session.authToken.claims.csrf).to.equal(session.csrf);
      expect(session.refreshToken.claims.csrf).to.equal(session.csrf);
      expect(session.authToken.claims.fam).to.equal(session.refreshToken.claims.fam);
      const rotated = await manager.rotate(session.refreshToken, 'profile');
      expect(rotated.authToken.claims.csrf).to.equal(session.csrf);
      expect(rotated.refreshToken.claims.csrf).to.equal(session.csrf);
      const plain = await manager.rotate(manager.refreshToken('alice'));
      expect(plain.authToken.claims).not.to.have.property('csrf');
      expect(plain.refreshToken.claims).not.to.have.property('csrf');
      expect(manager.sessionTokens('alice').csrf, 'a new value per session').not.to.equal(session.csrf);
    });

    it('rotations of one token awaited one after the other: exactly one succeeds', async () => {
      const login = manager.refreshToken('alice');
      const outcomes: string[] = [];
      for (let i = 0; i < 5; i++) outcomes.push(await manager.rotate(login).then(() => 'rotated', () => 'refused'));
      expect(outcomes).to.deep.equal(['rotated', 'refused', 'refused', 'refused', 'refused']);
    });

    it('security: of two concurrent rotations of one refresh token exactly one wins (memory store)', async () => {
      const login = manager.refreshToken('alice');
      const outcomes = await Promise.allSettled([manager.rotate(login), manager.rotate(login)]);
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).to.have.length(1);
    });

    it('security: within JWT_LEEWAY after exp a refresh token still rotates exactly once', async () => {
      const lenient = new AuthManager({ ...settings(issuer), JWT_LEEWAY: 30, JWT_REFRESHMAXAGE: 1 });
      const login = lenient.refreshToken('alice');
      await sleep(2100);
      expect(lenient.verifyToken(login), 'valid within the leeway').to.equal(true);
      await lenient.rotate(login);
      await expectRotateRefused(lenient, login, 'ERR_TOKEN_REVOKED', 'the same token again within the leeway');
    });
  });

  describe('over HTTP: the README refresh route (@RequireToken("refresh") + rotate(currentToken))', () => {
    const issuer = 'https://rotation-http.example';
    let manager: AuthManager;
    let server: RunningServer;
    const actions: string[] = [];

    before(async () => {
      const app = express();
      app.set('env', 'test');
      for (const [name, value] of Object.entries(settings(issuer))) app.set(name, value);
      manager = new AuthManager(app);
      @JsonController()
      class RotationRoutes {
        @Post('/auth/refresh')
        @RequireToken('refresh')
        async refresh() {
          actions.push('refresh');
          const { authToken, refreshToken } = await manager.rotate(currentToken, 'profile');
          return { authToken: authToken.signed, refreshToken: refreshToken.signed };
        }

        @Get('/auth/session')
        @RequireToken('refresh')
        session() {
          actions.push('session');
          return { fam: currentToken.claims.fam };
        }

        @Get('/me')
        @RequireToken('auth', 'header', { scope: 'profile' })
        me() {
          return { sub: currentToken.sub };
        }
      }
      useExpressServer(app, { controllers: [RotationRoutes] });
      server = await listen(app);
    });

    after(() => server.close());
    beforeEach(() => {
      actions.length = 0;
    });

    interface Pair {
      authToken: string;
      refreshToken: string;
    }
    const refresh = (token: string) => send(`${server.url}/auth/refresh`, { method: 'POST', headers: bearer(token) });
    const rotateOk = async (token: string): Promise<Pair> => {
      const reply = await refresh(token);
      expect(reply.status, reply.text).to.equal(200);
      return reply.json as Pair;
    };

    it('login → refresh → refresh: each answer holds a working auth token and the next refresh token', async () => {
      const login = signed(manager.refreshToken('alice'));
      const one = await rotateOk(login);
      const two = await rotateOk(one.refreshToken);
      for (const pair of [one, two]) {
        const me = await send(`${server.url}/me`, { headers: bearer(pair.authToken) });
        expect(me.status, me.text).to.equal(200);
      }
      expect(new Set([login, one.refreshToken, two.refreshToken]).size).to.equal(3);
      expect(actions).to.deep.equal(['refresh', 'refresh']);
    });

    it('security: a retired refresh token is refused by refresh routes (401 ERR_TOKEN_REVOKED), the action never runs', async () => {
      const login = signed(manager.refreshToken('alice'));
      await rotateOk(login);
      actions.length = 0;
      expectRejection(await refresh(login), { status: 401, code: 'ERR_TOKEN_REVOKED', issuer, bearerError: 'invalid_token', secrets: [login] });
      expectRejection(await send(`${server.url}/auth/session`, { headers: bearer(login) }), { status: 401, code: 'ERR_TOKEN_REVOKED', issuer, bearerError: 'invalid_token' });
      expect(actions).to.deep.equal([]);
    });

    it('security: after reuse detected by rotate, the latest refresh token of the family is refused by the routes too', async () => {
      const login = manager.refreshToken('alice');
      const one = await manager.rotate(login);
      const two = await manager.rotate(one.refreshToken);
      await expectRotateRefused(manager, one.refreshToken, 'ERR_TOKEN_REVOKED', 'reuse');
      expectRejection(await refresh(signed(two.refreshToken)), { status: 401, code: 'ERR_TOKEN_REVOKED', issuer, bearerError: 'invalid_token' });
      expectRejection(await send(`${server.url}/auth/session`, { headers: bearer(signed(two.refreshToken)) }), { status: 401, code: 'ERR_TOKEN_REVOKED', issuer, bearerError: 'invalid_token' });
      const other = await rotateOk(signed(manager.refreshToken('alice')));
      expect(other.refreshToken).to.be.a('string');
      expect(actions).to.deep.equal(['refresh']);
    });

    it('security: a retired refresh token presented to the refresh route revokes the whole family (thief first)', async () => {
      const login = signed(manager.refreshToken('alice'));
      const thief = await rotateOk(login);
      expectRejection(await refresh(login), { status: 401, code: 'ERR_TOKEN_REVOKED', issuer, bearerError: 'invalid_token' });
      expectRejection(await refresh(thief.refreshToken), { status: 401, code: 'ERR_TOKEN_REVOKED', issuer, bearerError: 'invalid_token' });
      expect(actions, 'only the thief\'s rotation ran').to.deep.equal(['refresh']);
    });

    it('security: a retired refresh token replayed to any refresh-token route (not only rotate) ends the family', async () => {
      const login = signed(manager.refreshToken('alice'));
      const user = await rotateOk(login);
      expectRejection(await send(`${server.url}/auth/session`, { headers: bearer(login) }), { status: 401, code: 'ERR_TOKEN_REVOKED', issuer, bearerError: 'invalid_token' });
      expectRejection(await send(`${server.url}/auth/session`, { headers: bearer(user.refreshToken) }), { status: 401, code: 'ERR_TOKEN_REVOKED', issuer, bearerError: 'invalid_token' });
      expect(actions).to.deep.equal(['refresh']);
    });
  });
});
