/**
 * An authorization server signing its JWT access tokens with EdDSA (oidc-provider with an Ed25519 key in its jwks and
 * the resource's accessTokenFormat signed with EdDSA, then with Ed25519, RFC 9864): its OKP keys are discovered and
 * verify its tokens over real HTTP; a tampered token is 401. (An OKP key published without alg: spec/keys/eddsa.)
 */
import 'reflect-metadata';
import { expect } from 'chai';
import express from 'express';
import { randomBytes } from 'node:crypto';
import { AuthManager, currentToken, requireToken } from 'routing-controllers-jwt';
import { payloadOf, RESOURCE, signingKey, startAuthorizationServer, type AuthorizationServer } from '../support/authorization-server';
import { bearer, listen, send, type RunningServer } from '../support/server';
import { tamperedSignature } from '../support/require-token';

describe('An authorization server signing access tokens with EdDSA (oidc-provider)', function () {
  for (const alg of ['EdDSA', 'Ed25519'] as const) {
    describe(alg, () => {
      let server: AuthorizationServer;
      let api: RunningServer;

      before(async () => {
        server = await startAuthorizationServer([signingKey(alg)]);
        const app = express();
        app.set('JWT_ISSUER', 'orders-api');
        app.set('JWT_AUTHTYPE', 'HS256');
        app.set('JWT_SECRET', randomBytes(32).toString('base64url'));
        app.set('JWT_ISSUERS', [{ issuer: server.issuer, audience: RESOURCE }]);
        new AuthManager().initApp(app);
        app.get('/orders', requireToken({ scope: 'orders:read' }), (_req, res) => {
          res.json({ iss: currentToken.iss, sub: currentToken.sub });
        });
        api = await listen(app);
      });

      after(async () => {
        await api.close();
        await server.stop();
      });

      it(`its ${alg} access tokens verify (200), discovered from the issuer; a tampered one is 401`, async () => {
        const token = await server.token('orders:read');
        expect(JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'))).to.include({ alg, typ: 'at+jwt' });
        expect(payloadOf(token)).to.include({ iss: server.issuer, aud: RESOURCE });
        const reply = await send(`${api.url}/orders`, { headers: bearer(token) });
        expect(reply.status, reply.text).to.equal(200);
        expect(reply.json).to.deep.equal({ iss: server.issuer, sub: 'orders-worker' });
        expect((await send(`${api.url}/orders`, { headers: bearer(tamperedSignature(token)) })).status).to.equal(401);
      });
    });
  }
});
