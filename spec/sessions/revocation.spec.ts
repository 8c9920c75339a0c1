/**
 * Revocation (issue 8): the in-memory store's semantics, `authManager.revoke` / `isRevoked`, auth tokens with a
 * jti (JWT_AUTHJTI), and failing closed when the store fails or is slow (503 ERR_REVOCATION_UNAVAILABLE, the action
 * never runs, nothing left unhandled, recovery when the store answers again). Real HTTP on 127.0.0.1.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import express from 'express';
import { Get, JsonController, Post, useExpressServer } from 'routing-controllers';
import {
  AuthManager,
  currentToken,
  InvalidConfigError,
  MemoryRevocationStore,
  RequireToken,
  TokenUnauthorizedError,
  TokenUnavailableError,
  type SignedJWT,
  type RevocationStore,
} from 'routing-controllers-jwt';
import { hmacSecret } from '../support/keys';
import { bearer, listen, send, type Reply, type RunningServer } from '../support/server';
import { expectRejection } from '../support/require-token';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const now = (): number => Date.now() / 1000;
const signed = (token: SignedJWT): string => token.signed;

/** HS256 config values for a manager; `extra` may hold objects (a store) as app settings can. */
function settings(issuer: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { JWT_ISSUER: issuer, JWT_AUTHTYPE: 'HS256', JWT_SECRET: hmacSecret(64), ...extra };
}

/** An Express app with `config` as its settings, its own AuthManager, and routing-controllers `controllers`. */
async function serve(config: Record<string, unknown>, controllers: (manager: AuthManager) => Array<new () => object>): Promise<{ manager: AuthManager; server: RunningServer }> {
  const app = express();
  app.set('env', 'test');
  for (const [name, value] of Object.entries(config)) app.set(name, value);
  const manager = new AuthManager(app);
  useExpressServer(app, { controllers: controllers(manager) });
  return { manager, server: await listen(app) };
}

/** Asserts a 503 fail-closed answer: JSON `{ name, message, code }`, Retry-After, no WWW-Authenticate, no store. */
function expectUnavailable(reply: Reply): void {
  expect(reply.status, reply.text).to.equal(503);
  expect(reply.headers['content-type']).to.match(/^application\/json/);
  expect(Number(reply.headers['retry-after']), 'Retry-After: 1 to 3 s').to.be.oneOf([1, 2, 3]);
  expect(reply.headers['www-authenticate'], 'a 503 is not a challenge').to.equal(undefined);
  const body = reply.json as Record<string, unknown>;
  expect(Object.keys(body).sort()).to.deep.equal(['code', 'message', 'name']);
  expect(body.name).to.equal('TokenUnavailableError');
  expect(body.code).to.equal('ERR_REVOCATION_UNAVAILABLE');
}

/** How a `SwitchableStore` behaves now. */
type StoreMode = 'ok' | 'reject' | 'throw' | 'hang' | 'late-reject' | 'late-ok';

/**
 * A test double of the RevocationStore interface: the memory store, switchable to reject, throw synchronously, hang
 * forever, or answer (or reject) only after `delayMs`.
 */
class SwitchableStore implements RevocationStore {
  readonly inner = new MemoryRevocationStore();
  mode: StoreMode = 'ok';
  delayMs = 400;
  calls = 0;

  #gate<T>(work: () => Promise<T>): Promise<T> {
    this.calls++;
    switch (this.mode) {
      case 'ok':
        return work();
      case 'reject':
        return Promise.reject(new Error('store down'));
      case 'throw':
        throw new Error('store down (thrown synchronously)');
      case 'hang':
        return new Promise<T>(() => undefined);
      case 'late-reject':
        return sleep(this.delayMs).then(() => Promise.reject(new Error('store answered too late')));
      case 'late-ok':
        return sleep(this.delayMs).then(work);
    }
  }

  revoke(key: string, expiresAt: number): Promise<void> {
    return this.#gate(() => this.inner.revoke(key, expiresAt));
  }

  isRevoked(keys: readonly string[]): Promise<boolean> {
    return this.#gate(() => this.inner.isRevoked(keys));
  }

  use(key: string, expiresAt: number): Promise<boolean> {
    return this.#gate(() => this.inner.use(key, expiresAt));
  }

  // Not gated: it is called after a late answer, when the test has already moved on.
  release(key: string): Promise<void> {
    return this.inner.release(key);
  }
}

/** A store that records every revoke call (key and expiry) and otherwise is the memory store. */
class RecordingStore extends MemoryRevocationStore {
  readonly revoked: Array<{ key: string; expiresAt: number }> = [];

  override async revoke(key: string, expiresAt: number): Promise<void> {
    this.revoked.push({ key, expiresAt });
    await super.revoke(key, expiresAt);
  }
}

describe('revocation', () => {
  describe('MemoryRevocationStore', () => {
    it('revoke marks a key revoked; isRevoked is true when any of the keys is revoked, false otherwise', async () => {
      const store = new MemoryRevocationStore();
      expect(await store.isRevoked(['a'])).to.equal(false);
      await store.revoke('a', now() + 60);
      expect(await store.isRevoked(['a'])).to.equal(true);
      expect(await store.isRevoked(['x', 'a'])).to.equal(true);
      expect(await store.isRevoked(['x', 'y'])).to.equal(false);
      expect(await store.isRevoked([]), 'no keys: nothing is revoked').to.equal(false);
    });

    it('forgets a revocation once its expiry has passed, and never records one already in the past', async () => {
      const store = new MemoryRevocationStore();
      await store.revoke('soon', now() + 0.3);
      await store.revoke('past', now() - 1);
      expect(await store.isRevoked(['soon'])).to.equal(true);
      expect(await store.isRevoked(['past'])).to.equal(false);
      await sleep(400);
      expect(await store.isRevoked(['soon'])).to.equal(false);
    });

    it('keeps the later expiry when a key is revoked twice (a shorter revocation never shortens a longer one)', async () => {
      const store = new MemoryRevocationStore();
      await store.revoke('k', now() + 60);
      await store.revoke('k', now() + 0.1);
      await sleep(200);
      expect(await store.isRevoked(['k'])).to.equal(true);
    });

    it('use: true the first time, false afterwards; a used key counts as revoked; false for a revoked key', async () => {
      const store = new MemoryRevocationStore();
      expect(await store.use('rid:1', now() + 60)).to.equal(true);
      expect(await store.use('rid:1', now() + 60)).to.equal(false);
      expect(await store.isRevoked(['rid:1'])).to.equal(true);
      await store.revoke('rid:2', now() + 60);
      expect(await store.use('rid:2', now() + 60)).to.equal(false);
    });

    it('use: a key can be used again once its entry has expired', async () => {
      const store = new MemoryRevocationStore();
      expect(await store.use('k', now() + 0.2)).to.equal(true);
      expect(await store.use('k', now() + 0.2)).to.equal(false);
      await sleep(300);
      expect(await store.use('k', now() + 60)).to.equal(true);
    });

    it('use is sequentially single-winner: of 20 awaited uses of one key exactly one wins', async () => {
      const store = new MemoryRevocationStore();
      const wins: boolean[] = [];
      for (let i = 0; i < 20; i++) wins.push(await store.use('seq', now() + 60));
      expect(wins.filter(Boolean)).to.have.length(1);
      expect(wins[0]).to.equal(true);
    });

    it('security: use is single-winner under concurrency: of 10 concurrent uses of one key exactly one wins', async () => {
      const store = new MemoryRevocationStore();
      const wins = await Promise.all(Array.from({ length: 10 }, () => store.use('race', now() + 60)));
      expect(wins.filter(Boolean), JSON.stringify(wins)).to.have.length(1);
    });

    it('size counts the kept entries', async () => {
      const store = new MemoryRevocationStore();
      expect(store.size).to.equal(0);
      await store.revoke('a', now() + 60);
      await store.use('b', now() + 60);
      await store.revoke('a', now() + 120);
      expect(store.size).to.equal(2);
    });
  });

  describe('configuration', () => {
    it('uses a MemoryRevocationStore by default and the JWT_REVOCATIONSTORE object when given', () => {
      expect(new AuthManager(settings('rev-config')).revocationStore).to.be.instanceOf(MemoryRevocationStore);
      const store = new SwitchableStore();
      expect(new AuthManager(settings('rev-config', { JWT_REVOCATIONSTORE: store })).revocationStore).to.equal(store);
    });

    it('refuses a JWT_REVOCATIONSTORE that lacks revoke, isRevoked or use, and a JWT_AUTHJTI that is not a boolean', () => {
      const partial = { revoke: async () => undefined, isRevoked: async () => false };
      expect(() => new AuthManager(settings('rev-config', { JWT_REVOCATIONSTORE: partial })))
        .to.throw(InvalidConfigError, /JWT_REVOCATIONSTORE/);
      expect(() => new AuthManager(settings('rev-config', { JWT_AUTHJTI: 'yes' }))).to.throw(InvalidConfigError, /JWT_AUTHJTI/);
    });
  });

  describe('authManager.revoke and isRevoked', () => {
    it('revoke(refresh token) revokes its whole family: every refresh token of that login, not other logins', async () => {
      const manager = new AuthManager(settings('rev-manager'));
      const first = manager.refreshToken('alice');
      const { refreshToken: second } = await manager.rotate(first);
      const other = manager.refreshToken('alice');
      expect(await manager.isRevoked(second)).to.equal(false);
      await manager.revoke(signed(second));
      expect(await manager.isRevoked(second)).to.equal(true);
      const sibling = manager.refreshToken('alice', { family: second.claims.fam as string });
      expect(await manager.isRevoked(sibling), 'a token of the revoked family').to.equal(true);
      expect(await manager.isRevoked(other), 'another login of the same user').to.equal(false);
    });

    it('a refresh-token revocation lasts as long as any token of the family can live (refreshMaxAge)', async () => {
      const store = new RecordingStore();
      const manager = new AuthManager(settings('rev-manager', { JWT_REVOCATIONSTORE: store, JWT_REFRESHMAXAGE: 600 }));
      const token = manager.refreshToken('alice');
      const before = now();
      await manager.revoke(token);
      expect(store.revoked).to.have.length(1);
      expect(store.revoked[0].key, 'revoked by its family').to.include(String(token.claims.fam));
      expect(store.revoked[0].expiresAt).to.be.within(before + 600, now() + 602);
    });

    it('without JWT_AUTHJTI auth tokens carry no jti, need no store round trip, and revoke(auth) is a TypeError', async () => {
      const store = new SwitchableStore();
      const manager = new AuthManager(settings('rev-manager', { JWT_REVOCATIONSTORE: store }));
      const auth = manager.authToken('alice', 'profile');
      expect(auth.claims).not.to.have.property('jti');
      // No store round trip is needed for it: the store is failing below, and the answer is still 'not revoked'.
      store.mode = 'reject';
      expect(await manager.isRevoked(auth)).to.equal(false);
      expect(store.calls).to.equal(0);
      store.mode = 'ok';
      let error: unknown;
      try {
        await manager.revoke(auth);
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(TypeError);
      expect((error as Error).message).to.match(/JWT_AUTHJTI/);
    });

    it('revoke of a token that is not valid is refused (401, with the reason) and records nothing', async () => {
      const store = new RecordingStore();
      const manager = new AuthManager(settings('rev-manager', { JWT_REVOCATIONSTORE: store }));
      const foreign = new AuthManager(settings('rev-manager')).refreshToken('alice');
      for (const [token, code] of [['not-a-token', 'ERR_TOKEN_MALFORMED'], [signed(foreign), 'ERR_TOKEN_SIGNATURE']]) {
        let error: unknown;
        try {
          await manager.revoke(token);
        } catch (caught) {
          error = caught;
        }
        expect(error, token).to.be.instanceOf(TokenUnauthorizedError);
        expect((error as TokenUnauthorizedError).code, token).to.equal(code);
      }
      expect(store.revoked).to.deep.equal([]);
    });

    it('with JWT_AUTHJTI auth tokens carry a unique jti, and an auth revocation lasts until the token expires', async () => {
      const store = new RecordingStore();
      const manager = new AuthManager(settings('rev-manager', { JWT_REVOCATIONSTORE: store, JWT_AUTHJTI: true, JWT_LEEWAY: 5 }));
      const a = manager.authToken('alice');
      const b = manager.authToken('alice');
      expect(a.claims.jti).to.be.a('string').with.length.greaterThan(15);
      expect(a.claims.jti).not.to.equal(b.claims.jti);
      expect(await manager.isRevoked(a), 'looked up by its jti: not revoked yet').to.equal(false);
      await manager.revoke(a);
      expect(store.revoked).to.have.length(1);
      expect(store.revoked[0].key, 'revoked by its jti').to.include(String(a.claims.jti));
      expect(store.revoked[0].expiresAt, 'until exp + leeway').to.equal((a.exp as number) + 5);
      expect(await manager.isRevoked(a)).to.equal(true);
      expect(await manager.isRevoked(b)).to.equal(false);
    });

    it('JWT_AUTHJTI accepts the environment spellings "true" and "1"', () => {
      for (const value of ['true', '1']) {
        const manager = new AuthManager(settings('rev-manager', { JWT_AUTHJTI: value }));
        expect(manager.authToken('alice').claims.jti, value).to.be.a('string');
      }
      expect(new AuthManager(settings('rev-manager', { JWT_AUTHJTI: 'false' })).authToken('alice').claims).not.to.have.property('jti');
    });
  });

  describe('@RequireToken checks revocations (JWT_AUTHJTI on)', () => {
    const issuer = 'https://revocation.example';
    let manager: AuthManager;
    let server: RunningServer;
    const actions: string[] = [];

    before(async () => {
      ({ manager, server } = await serve(settings(issuer, { JWT_AUTHJTI: true }), () => {
        @JsonController()
        class RevocationRoutes {
          @Get('/me')
          @RequireToken()
          me() {
            actions.push('me');
            return { sub: currentToken.sub };
          }

          @Post('/logout')
          @RequireToken('refresh')
          async logout() {
            actions.push('logout');
            await manager.revoke(currentToken);
            return { ok: true };
          }
        }
        return [RevocationRoutes];
      }));
    });

    after(() => server.close());
    beforeEach(() => {
      actions.length = 0;
    });

    const me = (token: string) => send(`${server.url}/me`, { headers: bearer(token) });

    it('security: a revoked auth token is refused with 401 ERR_TOKEN_REVOKED; other auth tokens of the user pass', async () => {
      const revoked = manager.authToken('alice');
      const kept = manager.authToken('alice');
      expect((await me(signed(revoked))).status).to.equal(200);
      await manager.revoke(revoked);
      expectRejection(await me(signed(revoked)), { status: 401, code: 'ERR_TOKEN_REVOKED', issuer, bearerError: 'invalid_token', secrets: [signed(revoked)] });
      const reply = await me(signed(kept));
      expect(reply.status, reply.text).to.equal(200);
      expect(actions).to.deep.equal(['me', 'me']);
    });

    it('security: logout (revoke of the refresh token) also ends the auth tokens of that session, not other sessions', async () => {
      const session = manager.sessionTokens('bob');
      const otherSession = manager.sessionTokens('bob');
      expect((await me(signed(session.authToken))).status).to.equal(200);
      const out = await send(`${server.url}/logout`, { method: 'POST', headers: bearer(signed(session.refreshToken)) });
      expect(out.status, out.text).to.equal(200);
      expectRejection(await me(signed(session.authToken)), { status: 401, code: 'ERR_TOKEN_REVOKED', issuer, bearerError: 'invalid_token' });
      const again = await send(`${server.url}/logout`, { method: 'POST', headers: bearer(signed(session.refreshToken)) });
      expectRejection(again, { status: 401, code: 'ERR_TOKEN_REVOKED', issuer, bearerError: 'invalid_token' });
      expect((await me(signed(otherSession.authToken))).status).to.equal(200);
      expect(actions).to.deep.equal(['me', 'logout', 'me']);
    });

    it('revoking an auth token leaves its refresh token (the family) usable', async () => {
      const session = manager.sessionTokens('carol');
      await manager.revoke(session.authToken);
      expect(await manager.isRevoked(session.refreshToken)).to.equal(false);
      const rotated = await manager.rotate(session.refreshToken);
      expect((await me(signed(rotated.authToken))).status).to.equal(200);
    });
  });

  describe('without JWT_AUTHJTI', () => {
    it('revoked sessions end for refresh tokens at once; their auth tokens (no jti) live until they expire', async () => {
      const { manager, server } = await serve(settings('https://no-jti.example'), () => {
        @JsonController()
        class NoJtiRoutes {
          @Get('/me')
          @RequireToken()
          me() {
            return { sub: currentToken.sub };
          }

          @Get('/refresh-only')
          @RequireToken('refresh')
          refreshOnly() {
            return { sub: currentToken.sub };
          }
        }
        return [NoJtiRoutes];
      });
      try {
        const session = manager.sessionTokens('dave');
        await manager.revoke(session.refreshToken);
        const refresh = await send(`${server.url}/refresh-only`, { headers: bearer(signed(session.refreshToken)) });
        expect(refresh.status, refresh.text).to.equal(401);
        expect((refresh.json as { code: string }).code).to.equal('ERR_TOKEN_REVOKED');
        const auth = await send(`${server.url}/me`, { headers: bearer(signed(session.authToken)) });
        expect(auth.status, auth.text).to.equal(200);
      } finally {
        await server.close();
      }
    });
  });

  describe('store outage: fails closed within JWT_REVOCATIONTIMEOUT, recovers when the store answers', () => {
    const issuer = 'https://outage.example';
    const store = new SwitchableStore();
    const config = settings(issuer, { JWT_REVOCATIONSTORE: store, JWT_AUTHJTI: true, JWT_REVOCATIONTIMEOUT: 0.2 });
    let manager: AuthManager;
    let server: RunningServer;
    const actions: string[] = [];
    const processEvents: string[] = [];
    const onRejection = (reason: unknown): void => {
      processEvents.push(`unhandledRejection: ${String(reason)}`);
    };

    before(async () => {
      process.on('unhandledRejection', onRejection);
      ({ manager, server } = await serve(config, () => {
        @JsonController()
        class OutageRoutes {
          @Post('/auth/refresh')
          @RequireToken('refresh')
          refresh() {
            actions.push('refresh');
            return { sub: currentToken.sub };
          }

          @Get('/me')
          @RequireToken()
          me() {
            actions.push('me');
            return { sub: currentToken.sub };
          }
        }
        return [OutageRoutes];
      }));
    });

    beforeEach(() => {
      store.mode = 'ok';
      actions.length = 0;
    });

    afterEach(async () => {
      store.mode = 'ok';
      // Let late store answers settle before judging that nothing was left unhandled.
      await sleep(store.delayMs + 100);
      expect(processEvents, 'unhandledRejection seen').to.deep.equal([]);
    });

    after(async () => {
      process.off('unhandledRejection', onRejection);
      await server.close();
    });

    const refresh = (token: SignedJWT) => send(`${server.url}/auth/refresh`, { method: 'POST', headers: bearer(signed(token)) });
    const timed = async (request: () => Promise<Reply>): Promise<{ reply: Reply; ms: number }> => {
      const started = performance.now();
      const reply = await request();
      return { reply, ms: performance.now() - started };
    };

    it('security: a rejecting store → 503 ERR_REVOCATION_UNAVAILABLE with Retry-After at once; the action never runs', async () => {
      const token = manager.refreshToken('erin');
      store.mode = 'reject';
      const { reply, ms } = await timed(() => refresh(token));
      expectUnavailable(reply);
      expect(ms, 'a failing store answers without waiting for the timeout').to.be.below(500);
      expect(actions).to.deep.equal([]);
      store.mode = 'ok';
      const back = await refresh(token);
      expect(back.status, back.text).to.equal(200);
      expect(actions).to.deep.equal(['refresh']);
    });

    it('security: a hanging store → 503 within about JWT_REVOCATIONTIMEOUT (0.2 s); the action never runs; then recovery', async () => {
      const token = manager.refreshToken('erin');
      store.mode = 'hang';
      const { reply, ms } = await timed(() => refresh(token));
      expectUnavailable(reply);
      expect(ms).to.be.within(150, 900);
      const auth = await timed(() => send(`${server.url}/me`, { headers: bearer(signed(manager.authToken('erin'))) }));
      expectUnavailable(auth.reply);
      expect(auth.ms).to.be.within(150, 900);
      expect(actions).to.deep.equal([]);
      store.mode = 'ok';
      expect((await refresh(token)).status).to.equal(200);
      expect((await send(`${server.url}/me`, { headers: bearer(signed(manager.authToken('erin'))) })).status).to.equal(200);
      expect(actions).to.deep.equal(['refresh', 'me']);
    });

    it('a store that rejects only after the timeout → 503 in time, and its late rejection is not left unhandled', async () => {
      store.mode = 'late-reject';
      const { reply, ms } = await timed(() => refresh(manager.refreshToken('erin')));
      expectUnavailable(reply);
      expect(ms).to.be.below(store.delayMs);
      expect(actions).to.deep.equal([]);
      // afterEach waits for the late rejection and checks that nothing was unhandled.
    });

    it('auth tokens with a jti fail closed too (503); auth tokens without one never touch the store', async () => {
      const withJti = manager.authToken('erin');
      // The same key and issuer without JWT_AUTHJTI: its auth tokens carry no jti and are valid on the server.
      const plain = new AuthManager({ ...config, JWT_AUTHJTI: false }).authToken('erin');
      expect(plain.claims).not.to.have.property('jti');
      store.mode = 'reject';
      expectUnavailable(await send(`${server.url}/me`, { headers: bearer(signed(withJti)) }));
      expect(actions).to.deep.equal([]);
      const calls = store.calls;
      const reply = await send(`${server.url}/me`, { headers: bearer(signed(plain)) });
      expect(reply.status, reply.text).to.equal(200);
      expect(store.calls, 'no store round trip for an auth token without jti').to.equal(calls);
      expect(actions).to.deep.equal(['me']);
    });

    it('rotate throws TokenUnavailableError (503, ERR_REVOCATION_UNAVAILABLE) while the store is down, and works after', async () => {
      const token = manager.refreshToken('erin');
      for (const mode of ['reject', 'hang'] as const) {
        store.mode = mode;
        let error: unknown;
        const started = performance.now();
        try {
          await manager.rotate(token);
        } catch (caught) {
          error = caught;
        }
        expect(performance.now() - started, mode).to.be.below(900);
        expect(error, mode).to.be.instanceOf(TokenUnavailableError);
        expect((error as TokenUnavailableError).httpCode).to.equal(503);
        expect((error as TokenUnavailableError).code).to.equal('ERR_REVOCATION_UNAVAILABLE');
        expect(Object.keys((error as TokenUnavailableError).headers)).to.deep.equal(['Retry-After']);
        expect((error as TokenUnavailableError).headers['Retry-After']).to.be.oneOf(['1', '2', '3']);
      }
      store.mode = 'ok';
      const rotated = await manager.rotate(token);
      expect(manager.verifyToken(rotated.refreshToken)).to.equal(true);
    });

    it('revoke rejects (it does not silently succeed) while the store is down', async () => {
      store.mode = 'reject';
      let error: unknown;
      try {
        await manager.revoke(manager.refreshToken('erin'));
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(Error);
    });

    it('security: revoke with a hanging store rejects with TokenUnavailableError within about JWT_REVOCATIONTIMEOUT', async () => {
      store.mode = 'hang';
      const started = performance.now();
      const outcome = await Promise.race([
        manager.revoke(manager.refreshToken('erin')).then(() => 'resolved', (error: unknown) => error),
        sleep(1500).then(() => 'still pending'),
      ]);
      expect(outcome).to.be.instanceOf(TokenUnavailableError);
      expect(performance.now() - started).to.be.below(900);
    });

    it('security: a store that throws synchronously → 503 ERR_REVOCATION_UNAVAILABLE as well', async () => {
      store.mode = 'throw';
      expectUnavailable(await refresh(manager.refreshToken('erin')));
      expect(actions).to.deep.equal([]);
    });

    it('security: after a 503 from a slow store, retrying the rotation with the same refresh token works', async () => {
      const token = manager.refreshToken('frank');
      store.mode = 'late-ok';
      let error: unknown;
      try {
        await manager.rotate(token);
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(TokenUnavailableError);
      await sleep(store.delayMs * 2 + 100);
      store.mode = 'ok';
      const retried = await manager.rotate(token);
      expect(await manager.isRevoked(retried.refreshToken)).to.equal(false);
    });
  });
});
