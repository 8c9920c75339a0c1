/**
 * Finding 1 of the composition review: routing-controllers' documented per-request container pattern
 * (`useContainer({ get: (cls, action) => Container.of(requestId).get(cls) })`) built a new AuthManager per request,
 * each with its own memory revocation store, so a logged-out refresh token rotated again and one refresh token
 * rotated twice. Every manager built from the same configuration, in whatever container or app, now shares one
 * runtime: revocation store, keys, remote keys and verify cache.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import express from 'express';
import { randomUUID } from 'node:crypto';
import { Get, JsonController, Post, useContainer, useExpressServer, type Action } from 'routing-controllers';
import { Container, Service } from 'typedi';
import {
  AuthManager,
  currentToken,
  JWT_AUTHTYPE,
  JWT_ISSUER,
  JWT_REFRESHGRACE,
  JWT_SECRET,
  RequireToken,
} from 'routing-controllers-jwt';
import { hmacSecret } from '../support/keys';
import { bearer, listen, send, type RunningServer } from '../support/server';

const ISSUER = 'https://shared-runtime.example';

describe('one runtime per configuration, shared by every manager built from it', () => {
  describe('over HTTP with per-request typedi containers (useContainer with Container.of(requestId))', () => {
    let server: RunningServer;
    const requestIds: string[] = [];
    const secret = hmacSecret(64);

    before(async () => {
      Container.set(JWT_ISSUER, ISSUER);
      Container.set(JWT_AUTHTYPE, 'HS256');
      Container.set(JWT_SECRET, secret);
      // A second presentation is reuse at once, as after the grace window.
      Container.set(JWT_REFRESHGRACE, 0);

      @Service()
      @JsonController('/auth')
      class ScopedAuthController {
        constructor(private readonly auth: AuthManager) {}

        @Post('/login')
        login() {
          const refresh = this.auth.refreshToken('alice');
          return { refreshToken: refresh.signed };
        }

        @Post('/refresh')
        @RequireToken('refresh')
        async refresh() {
          const rotated = await this.auth.rotate(currentToken);
          return { authToken: rotated.authToken.signed, refreshToken: rotated.refreshToken.signed };
        }

        @Post('/logout')
        @RequireToken('refresh')
        async logout() {
          await this.auth.revoke(currentToken);
          return { ok: true };
        }

        @Get('/manager')
        managerId() {
          if (!managerIds.has(this.auth)) managerIds.set(this.auth, randomUUID());
          return { id: managerIds.get(this.auth) };
        }
      }

      const managerIds = new WeakMap<AuthManager, string>();
      const app = express();
      // Each request gets its own container: every service (and AuthManager) is built anew per request.
      useContainer({
        get<T>(someClass: { new (...args: unknown[]): T }, action?: Action): T {
          const request = action?.request as { scopeId?: string } | undefined;
          if (request && request.scopeId === undefined) {
            request.scopeId = randomUUID();
            requestIds.push(request.scopeId);
          }
          const container = request?.scopeId === undefined ? Container : Container.of(request.scopeId);
          return container.get(someClass);
        },
      });
      useExpressServer(app, { controllers: [ScopedAuthController] });
      server = await listen(app);
    });

    after(async () => {
      await server.close();
      for (const id of requestIds) Container.reset(id);
      Container.remove([JWT_ISSUER, JWT_AUTHTYPE, JWT_SECRET, JWT_REFRESHGRACE]);
      // Back to routing-controllers' own default container, which the other specs use.
      useContainer(undefined as unknown as Parameters<typeof useContainer>[0]);
    });

    it('really builds a new AuthManager per request (the pattern the finding is about)', async () => {
      const a = (await send(`${server.url}/auth/manager`)).json as { id: string };
      const b = (await send(`${server.url}/auth/manager`)).json as { id: string };
      expect(a.id).to.be.a('string');
      expect(a.id).not.to.equal(b.id);
    });

    it('security: a logged-out refresh token cannot rotate again (401 ERR_TOKEN_REVOKED), whichever manager serves it', async () => {
      const { refreshToken } = (await send(`${server.url}/auth/login`, { method: 'POST' })).json as { refreshToken: string };
      const logout = await send(`${server.url}/auth/logout`, { method: 'POST', headers: bearer(refreshToken) });
      expect(logout.status, logout.text).to.equal(200);
      const refresh = await send(`${server.url}/auth/refresh`, { method: 'POST', headers: bearer(refreshToken) });
      expect(refresh.status, refresh.text).to.equal(401);
      expect((refresh.json as { code: string }).code).to.equal('ERR_TOKEN_REVOKED');
    });

    it('security: one refresh token rotates once: the second use is reuse (401) and ends the family', async () => {
      const { refreshToken } = (await send(`${server.url}/auth/login`, { method: 'POST' })).json as { refreshToken: string };
      const first = await send(`${server.url}/auth/refresh`, { method: 'POST', headers: bearer(refreshToken) });
      expect(first.status, first.text).to.equal(200);
      const second = await send(`${server.url}/auth/refresh`, { method: 'POST', headers: bearer(refreshToken) });
      expect(second.status, second.text).to.equal(401);
      const next = (first.json as { refreshToken: string }).refreshToken;
      const afterReuse = await send(`${server.url}/auth/refresh`, { method: 'POST', headers: bearer(next) });
      expect(afterReuse.status, 'the family is revoked after a reuse').to.equal(401);
    });

    it('security: of concurrent rotations of one refresh token through per-request managers, exactly one wins', async () => {
      const { refreshToken } = (await send(`${server.url}/auth/login`, { method: 'POST' })).json as { refreshToken: string };
      const replies = await Promise.all(Array.from({ length: 8 }, () =>
        send(`${server.url}/auth/refresh`, { method: 'POST', headers: bearer(refreshToken) })));
      expect(replies.filter((reply) => reply.status === 200)).to.have.length(1);
      expect(replies.filter((reply) => reply.status === 401)).to.have.length(7);
    });
  });

  describe('on the manager', () => {
    const config = (): Record<string, unknown> => ({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'HS256', JWT_SECRET: hmacSecret(64), JWT_REFRESHGRACE: 0 });

    afterEach(() => {
      Container.reset('shared-a');
      Container.reset('shared-b');
    });

    it('managers of the same values share the revocation store and the verify cache', async () => {
      const values = config();
      const one = new AuthManager(values);
      const two = new AuthManager({ ...values });
      expect(one.revocationStore).to.equal(two.revocationStore);
      const token = one.authToken('alice');
      const cachedBefore = two.cachedTokenCount;
      expect(one.verifyToken(token)).to.equal(true);
      expect(two.cachedTokenCount, 'a token verified by one is cached for the other').to.equal(cachedBefore + 1);
      const refresh = one.refreshToken('alice');
      await one.revoke(refresh);
      expect(await two.isRevoked(refresh)).to.equal(true);
    });

    it('managers of two scoped containers with the same tokens share their state; other values do not', async () => {
      const values = config();
      for (const id of ['shared-a', 'shared-b']) {
        Container.of(id).set(JWT_ISSUER, values.JWT_ISSUER);
        Container.of(id).set(JWT_AUTHTYPE, values.JWT_AUTHTYPE);
        Container.of(id).set(JWT_SECRET, values.JWT_SECRET);
        Container.of(id).set(JWT_REFRESHGRACE, values.JWT_REFRESHGRACE);
      }
      const a = Container.of('shared-a').get(AuthManager);
      const b = Container.of('shared-b').get(AuthManager);
      expect(a).not.to.equal(b);
      expect(a.revocationStore).to.equal(b.revocationStore);
      const other = new AuthManager(config());
      expect(other.revocationStore).not.to.equal(a.revocationStore);
      const refresh = a.refreshToken('bob');
      await a.rotate(refresh);
      const error = await b.rotate(refresh).then(() => undefined, (err: unknown) => err);
      expect(error, 'the rotation through a is seen by b').to.have.property('code', 'ERR_TOKEN_REVOKED');
    });
  });
});
