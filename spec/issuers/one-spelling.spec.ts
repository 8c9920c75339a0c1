/**
 * One token, one spelling, for an authorization server's ES256 access tokens (issue 12): oidc-provider signs with
 * jose, which does not normalise s; the high-S twin of its token is the same token to the guard: one verify-cache
 * entry, and the action sees the low-S spelling either way. Over real HTTP.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import express from 'express';
import { randomBytes } from 'node:crypto';
import { AuthManager, currentToken, requireToken } from 'routing-controllers-jwt';
import { RESOURCE, signingKey, startAuthorizationServer, type AuthorizationServer } from '../support/authorization-server';
import { bearer, listen, send, type RunningServer } from '../support/server';

const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** The other spelling of an ES256 token: s replaced by n - s. */
function twinOf(token: string): string {
  const signature = Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url');
  const s = BigInt(`0x${signature.subarray(32).toString('hex')}`);
  const twin = Buffer.from((P256_ORDER - s).toString(16).padStart(64, '0'), 'hex');
  return `${token.slice(0, token.lastIndexOf('.'))}.${Buffer.concat([signature.subarray(0, 32), twin]).toString('base64url')}`;
}

const isLowS = (token: string): boolean =>
  BigInt(`0x${Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url').subarray(32).toString('hex')}`) <= P256_ORDER / 2n;

describe('An authorization server\'s ES256 access token has one spelling', function () {
  let server: AuthorizationServer;
  let api: RunningServer;
  let manager: AuthManager;

  before(async () => {
    server = await startAuthorizationServer([signingKey('ES256')]);
    const app = express();
    app.set('JWT_ISSUER', 'orders-api');
    app.set('JWT_AUTHTYPE', 'HS256');
    app.set('JWT_SECRET', randomBytes(32).toString('base64url'));
    app.set('JWT_ISSUERS', [{ issuer: server.issuer, audience: RESOURCE }]);
    manager = new AuthManager(app);
    app.get('/orders', requireToken({ scope: 'orders:read' }), (_req, res) => {
      res.json({ signed: currentToken.signed });
    });
    api = await listen(app);
  });

  after(async () => {
    await api.close();
    await server.stop();
  });

  it('security: the twin of a cached access token is the cached entry itself; the action sees the low-S spelling', async () => {
    const token = await server.token('orders:read');
    const before = manager.cachedTokenCount;
    const low = isLowS(token) ? token : twinOf(token);
    for (const spelling of [token, twinOf(token), token]) {
      const reply = await send(`${api.url}/orders`, { headers: bearer(spelling) });
      expect(reply.status, reply.text).to.equal(200);
      expect(reply.json).to.deep.equal({ signed: low });
    }
    expect(manager.cachedTokenCount).to.equal(before + 1);
  });
});
