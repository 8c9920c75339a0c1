/**
 * routing-controllers-jwt/testing as an app's own tests use it, with supertest: tokens of every kind for a manager, a
 * throwaway issuer whose JWK Set is served over real HTTP, and a container reset.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { Container } from 'typedi';
import { AuthManager, JWT_AUTHTYPE, JWT_ISSUER, JWT_SECRET, requireToken } from 'routing-controllers-jwt';
import { resetContainer, startTestIssuer, testTokens, type TestIssuer } from 'routing-controllers-jwt/testing';
import { configFor } from '../support/keys';

function appFor(config: Readonly<Record<string, string>>): { app: express.Express; manager: AuthManager } {
  const app = express();
  for (const [name, value] of Object.entries(config)) app.set(name, value);
  const manager = new AuthManager(app);
  app.get('/me', requireToken({ scope: 'profile' }), (_req, res) => res.json({ ok: true }));
  app.get('/refresh-only', requireToken('refresh'), (_req, res) => res.json({ ok: true }));
  return { app, manager };
}

describe('routing-controllers-jwt/testing', () => {
  for (const alg of ['HS256', 'RS256'] as const) {
    describe(`testTokens(manager) with ${alg}`, () => {
      const { app, manager } = appFor(configFor(alg, `https://kit-${alg}.example`));
      const tokens = testTokens(manager);
      const me = (token: string) => request(app).get('/me').auth(token, { type: 'bearer' });

      it('mints a valid token, with scope and claims', async () => {
        await me(tokens.valid('alice', { scope: 'profile', claims: { tenant: 'acme' } })).expect(200, { ok: true });
        await me(tokens.valid('alice')).expect(403);
      });

      it('mints every refused kind, each refused for its own reason', async () => {
        const cases: Array<[string, string]> = [
          [tokens.expired('alice', { scope: 'profile' }), 'ERR_TOKEN_EXPIRED'],
          [tokens.notYetValid('alice', { scope: 'profile' }), 'ERR_TOKEN_NOT_YET_VALID'],
          [tokens.wrongKey('alice', { scope: 'profile' }), 'ERR_TOKEN_SIGNATURE'],
          [tokens.wrongType('alice'), 'ERR_TOKEN_TYPE'],
        ];
        for (const [token, code] of cases) {
          const reply = await me(token).expect(401);
          expect(reply.body, code).to.include({ code });
        }
        await request(app).get('/refresh-only').auth(tokens.refresh('alice'), { type: 'bearer' }).expect(200);
      });
    });
  }

  describe('startTestIssuer()', () => {
    let idp: TestIssuer;
    before(async () => {
      idp = await startTestIssuer();
    });
    after(() => idp.close());

    it('a resource server configured with verifierConfig fetches its keys and accepts its tokens', async () => {
      const { app } = appFor(idp.verifierConfig);
      expect(idp.jwksUrl).to.match(/^http:\/\/127\.0\.0\.1:\d+\/\.well-known\/jwks\.json$/);
      await request(app).get('/me').auth(idp.tokens.valid('alice', { scope: 'profile' }), { type: 'bearer' }).expect(200);
      const reply = await request(app).get('/me').auth(idp.tokens.wrongKey('alice', { scope: 'profile' }), { type: 'bearer' }).expect(401);
      expect(reply.body).to.include({ code: 'ERR_TOKEN_SIGNATURE' });
      expect((await request(app).get('/me').auth(idp.tokens.expired('alice'), { type: 'bearer' }).expect(401)).body).to.include({ code: 'ERR_TOKEN_EXPIRED' });
    });

    it('serves only the public key', async () => {
      const jwks = (await fetch(idp.jwksUrl).then((response) => response.json())) as { keys: Array<Record<string, unknown>> };
      expect(jwks.keys).to.have.length(1);
      expect(jwks.keys[0]).to.include({ kty: 'EC', alg: 'ES256' });
      expect(jwks.keys[0]).not.to.have.property('d');
    });

    it('another issuer\'s tokens are refused (ERR_TOKEN_KEY or ERR_TOKEN_ISSUER)', async () => {
      const other = await startTestIssuer();
      try {
        const { app } = appFor(idp.verifierConfig);
        const reply = await request(app).get('/me').auth(other.tokens.valid('alice', { scope: 'profile' }), { type: 'bearer' }).expect(401);
        expect(reply.body.code).to.be.oneOf(['ERR_TOKEN_KEY', 'ERR_TOKEN_ISSUER']);
      } finally {
        await other.close();
      }
    });
  });

  describe('resetContainer()', () => {
    it('forgets the JWT_* values and instances, and keeps working', () => {
      const config = configFor('HS256', 'https://reset.example');
      Container.set(JWT_ISSUER, config.JWT_ISSUER);
      Container.set(JWT_AUTHTYPE, 'HS256');
      Container.set(JWT_SECRET, config.JWT_SECRET);
      const first = Container.get(AuthManager);
      expect(Container.has(JWT_SECRET)).to.equal(true);
      resetContainer();
      expect(Container.has(JWT_SECRET)).to.equal(false);
      expect(Container.has(JWT_ISSUER)).to.equal(false);
      Container.set(JWT_ISSUER, 'https://reset-again.example');
      Container.set(JWT_AUTHTYPE, 'HS256');
      Container.set(JWT_SECRET, config.JWT_SECRET);
      const second = Container.get(AuthManager);
      expect(second).not.to.equal(first);
      expect(second.issuer).to.equal('https://reset-again.example');
      resetContainer();
    });
  });
});
