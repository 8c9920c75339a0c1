/**
 * DPoP-bound access tokens of a trusted issuer (RFC 9449 §6): oidc-provider binds a client-credentials token to the key
 * of the client's proof (`cnf.jkt`), and the resource server checks them the same way as its own bound tokens. The
 * client is panva's dpop package (WebCrypto keys); everything over real HTTP.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import express from 'express';
import { randomBytes } from 'node:crypto';
import { Get, JsonController, useExpressServer } from 'routing-controllers';
import * as dpopClient from 'dpop';
import { AuthManager, currentToken, RequireToken } from 'routing-controllers-jwt';
import { payloadOf, RESOURCE, signingKey, startAuthorizationServer, type AuthorizationServer } from '../support/authorization-server';
import { bearer, listen, send, type Reply, type RunningServer } from '../support/server';

/** An API trusting `issuer`'s access tokens, besides its own HS256 tokens. */
async function startApi(issuer: string): Promise<RunningServer> {
  const app = express();
  app.set('JWT_ISSUER', 'orders-api');
  app.set('JWT_AUTHTYPE', 'HS256');
  app.set('JWT_SECRET', randomBytes(32).toString('base64url'));
  app.set('JWT_ISSUERS', [{ issuer, audience: RESOURCE, algorithms: ['ES256'] }]);
  new AuthManager(app);

  @JsonController()
  class OrdersController {
    @Get('/orders')
    @RequireToken({ scope: 'orders:read' })
    list() {
      return { iss: currentToken.iss, sub: currentToken.sub };
    }

    @Get('/audit')
    @RequireToken({ scope: 'orders:admin' })
    audit() {
      return { sub: currentToken.sub };
    }
  }
  useExpressServer(app, { controllers: [OrdersController], defaultErrorHandler: false });
  return listen(app);
}

function expectRefused(reply: Reply, code: string, error: string, secret: string): void {
  expect(reply.status, reply.text).to.equal(401);
  expect(reply.headers['content-type']).to.match(/^application\/json/);
  expect((reply.json as { code: string }).code).to.equal(code);
  expect(reply.headers['www-authenticate']).to.match(/^DPoP realm="[^"]+", algs="[^"]+"/);
  expect(reply.headers['www-authenticate']).to.contain(`error="${error}"`);
  expect(reply.text).not.to.contain(secret);
}

describe('DPoP-bound access tokens of a trusted issuer (oidc-provider, RFC 9449)', () => {
  let server: AuthorizationServer;
  let api: RunningServer;
  let pair: dpopClient.KeyPair;
  let token: string;
  const orders = (): string => `${api.url}/orders`;
  const proof = (htu = orders(), keys = pair, accessToken = token): Promise<string> => dpopClient.generateProof(keys, htu, 'GET', undefined, accessToken);
  const withProof = async (dpop: string, accessToken = token): Promise<Reply> => send(orders(), { headers: { authorization: `DPoP ${accessToken}`, dpop } });

  before(async () => {
    server = await startAuthorizationServer([signingKey('ES256')]);
    api = await startApi(server.issuer);
    pair = await dpopClient.generateKeyPair('ES256', { extractable: false });
    token = await server.dpopToken(await dpopClient.generateProof(pair, `${server.issuer}/token`, 'POST'), 'orders:read');
  });
  after(async () => {
    await api.close();
    await server.stop();
  });

  it('the authorization server binds the token to the proof key (cnf.jkt), and the API accepts it with a fresh proof', async () => {
    expect(payloadOf(token).cnf).to.deep.equal({ jkt: await dpopClient.calculateThumbprint(pair.publicKey) });
    const reply = await withProof(await proof());
    expect(reply.status, reply.text).to.equal(200);
    expect(reply.json).to.deep.equal({ iss: server.issuer, sub: 'orders-worker' });
  });

  it('security: a bound token of the issuer sent as Bearer is refused (no downgrade)', async () => {
    const reply = await send(orders(), { headers: bearer(token) });
    expectRefused(reply, 'ERR_TOKEN_BINDING', 'invalid_token', token);
  });

  it('security: wrong key: a proof of another key is refused', async () => {
    const other = await dpopClient.generateKeyPair('ES256');
    expectRefused(await withProof(await proof(orders(), other)), 'ERR_DPOP_PROOF', 'invalid_dpop_proof', token);
  });

  it('security: replay: the same proof is accepted once', async () => {
    const once = await proof();
    expect((await withProof(once)).status).to.equal(200);
    expectRefused(await withProof(once), 'ERR_DPOP_PROOF', 'invalid_dpop_proof', token);
  });

  it('security: wrong htu: a proof made for another URL is refused', async () => {
    const elsewhere = await proof(`${api.url}/audit`);
    expectRefused(await withProof(elsewhere), 'ERR_DPOP_PROOF', 'invalid_dpop_proof', token);
  });

  it('a 403 for a scope the issuer did not grant challenges with DPoP and names the scope', async () => {
    const reply = await send(`${api.url}/audit`, { headers: { authorization: `DPoP ${token}`, dpop: await proof(`${api.url}/audit`) } });
    expect(reply.status, reply.text).to.equal(403);
    expect(reply.headers['www-authenticate']).to.match(/^DPoP realm="[^"]+", algs="[^"]+", error="insufficient_scope", scope="orders:admin"$/);
  });

  it('security: a proof for another access token (wrong ath) is refused', async () => {
    const unbound = await server.token('orders:read');
    expectRefused(await withProof(await proof(orders(), pair, unbound)), 'ERR_DPOP_PROOF', 'invalid_dpop_proof', token);
  });
});
