/**
 * DPoP (RFC 9449) over real HTTP: a real Express app with real routing-controllers controllers issues DPoP-bound
 * tokens at login and refresh and accepts them only with a fresh proof of the key; the clients are our own proof
 * generator (node:crypto, spec/support/dpop.ts) and panva's `dpop` package (WebCrypto). Replay protection runs over
 * the memory store here and over a real redis-server in the last suite.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import express, { type Request, type Response } from 'express';
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { Get, JsonController, Param, Post, useExpressServer } from 'routing-controllers';
import * as dpopClient from 'dpop';
import { AuthManager, currentToken, dpopKeyOf, RedisRevocationStore, RequireToken, requireToken, TokenUnauthorizedError } from 'routing-controllers-jwt';
import { hmacProof, makeProof, noneProof, proofKey, dpopHeaders, type ProofKey, type ProofOptions } from '../support/dpop';
import { hmacSecret } from '../support/keys';
import { ready, useRedis } from '../support/redis';
import { bearer, listen, send, type Reply, type RunningServer } from '../support/server';

interface Tokens {
  access_token: string;
  refresh_token: string;
  token_type: string;
}

/** An app with DPoP login and refresh, and routes with each DPoP mode. */
function dpopApp(settings: Record<string, unknown>): { app: express.Express; manager: AuthManager } {
  const app = express();
  for (const [name, value] of Object.entries(settings)) app.set(name, value);
  const manager = new AuthManager(app);

  // RFC 9449 §5: the token request carries a proof; the tokens are bound to its key.
  app.post('/login', async (req: Request, res: Response) => {
    try {
      const dpopJkt = await dpopKeyOf(req);
      const access = manager.authToken('alice', 'read', {}, { dpopJkt });
      const refresh = manager.refreshToken('alice', { dpopJkt });
      res.json({ access_token: access.signed, refresh_token: refresh.signed, token_type: dpopJkt === undefined ? 'Bearer' : 'DPoP' });
    } catch (error) {
      if (!(error instanceof TokenUnauthorizedError)) throw error;
      res.status(error.httpCode).set(error.headers).json(error);
    }
  });
  app.get('/mw/strict', requireToken({ dpop: 'required' }), (_req, res) => {
    res.json({ sub: currentToken.sub });
  });

  @JsonController()
  class DpopController {
    @Get('/items/:id')
    @RequireToken()
    item(@Param('id') id: string) {
      return { id, sub: currentToken.sub, cnf: currentToken.claims.cnf ?? null };
    }

    @Get('/strict')
    @RequireToken({ dpop: 'required' })
    strict() {
      return { sub: currentToken.sub };
    }

    @Get('/admin')
    @RequireToken({ scope: 'admin' })
    admin() {
      return { sub: currentToken.sub };
    }

    @Get('/plain')
    @RequireToken({ dpop: false })
    plain() {
      return { sub: currentToken.sub };
    }

    @Post('/refresh')
    @RequireToken('refresh')
    async refresh() {
      const rotated = await manager.rotate(currentToken, 'read');
      return { access_token: rotated.authToken.signed, refresh_token: rotated.refreshToken.signed, token_type: 'DPoP' };
    }
  }
  useExpressServer(app, { controllers: [DpopController] });
  return { app, manager };
}

const claimsOf = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
const ath = (token: string): string => createHash('sha256').update(token).digest('base64url');

function expectDpopRejection(reply: Reply, code: string, error: string | undefined): void {
  expect(reply.status, reply.text).to.equal(401);
  expect(reply.headers['content-type']).to.match(/^application\/json/);
  expect((reply.json as { code: string }).code).to.equal(code);
  const challenge = reply.headers['www-authenticate'] ?? '';
  expect(challenge).to.match(/^DPoP realm="[^"]+", algs="ES256 [^"]*"/);
  if (error === undefined) expect(challenge).not.to.contain('error=');
  else expect(challenge).to.contain(`error="${error}"`);
}

describe('DPoP-bound tokens over HTTP (RFC 9449)', () => {
  let server: RunningServer;
  let key: ProofKey;
  let tokens: Tokens;
  let manager: AuthManager;
  const url = (path: string): string => `${server.url}${path}`;
  const proofFor = (path: string, options: Partial<ProofOptions> = {}, withKey: ProofKey = key): string =>
    makeProof(withKey, { htm: 'GET', htu: url(path), accessToken: tokens.access_token, ...options });

  before(async () => {
    const built = dpopApp({ JWT_ISSUER: 'https://dpop.example', JWT_AUTHTYPE: 'HS256', JWT_SECRET: hmacSecret() });
    manager = built.manager;
    server = await listen(built.app);
    key = proofKey('ES256');
    const login = await send(url('/login'), { method: 'POST', headers: { dpop: makeProof(key, { htm: 'POST', htu: url('/login') }) } });
    expect(login.status, login.text).to.equal(200);
    tokens = login.json as Tokens;
  });
  after(() => server.close());

  it('binds the tokens of a login with a proof to the proof key (cnf.jkt), and accepts them with a fresh proof', async () => {
    expect(tokens.token_type).to.equal('DPoP');
    expect(claimsOf(tokens.access_token).cnf).to.deep.equal({ jkt: key.jkt });
    expect(claimsOf(tokens.refresh_token).cnf).to.deep.equal({ jkt: key.jkt });
    const reply = await send(url('/items/1'), { headers: dpopHeaders(tokens.access_token, proofFor('/items/1')) });
    expect(reply.status, reply.text).to.equal(200);
    expect(reply.json).to.deep.equal({ id: '1', sub: 'alice', cnf: { jkt: key.jkt } });
  });

  it('a login without a proof issues unbound bearer tokens, which the default mode (allowed) accepts', async () => {
    const login = (await send(url('/login'), { method: 'POST' })).json as Tokens;
    expect(login.token_type).to.equal('Bearer');
    expect(claimsOf(login.access_token)).not.to.have.property('cnf');
    expect((await send(url('/items/2'), { headers: bearer(login.access_token) })).status).to.equal(200);
  });

  it('security: replay: the same proof is accepted once', async () => {
    const proof = proofFor('/items/1');
    expect((await send(url('/items/1'), { headers: dpopHeaders(tokens.access_token, proof) })).status).to.equal(200);
    expectDpopRejection(await send(url('/items/1'), { headers: dpopHeaders(tokens.access_token, proof) }), 'ERR_DPOP_PROOF', 'invalid_dpop_proof');
  });

  it('security: a bound token sent as Bearer is refused (no downgrade), on every mode of route', async () => {
    for (const path of ['/items/1', '/strict', '/plain', '/mw/strict']) {
      expectDpopRejection(await send(url(path), { headers: bearer(tokens.access_token) }), 'ERR_TOKEN_BINDING', 'invalid_token');
    }
  });

  it('security: a bound token sent as DPoP without a proof, or with two proofs, is refused', async () => {
    expectDpopRejection(await send(url('/items/1'), { headers: { authorization: `DPoP ${tokens.access_token}` } }), 'ERR_DPOP_PROOF', 'invalid_dpop_proof');
    const twice = await send(url('/items/1'), { headers: { authorization: `DPoP ${tokens.access_token}`, dpop: [proofFor('/items/1'), proofFor('/items/1')] } });
    expectDpopRejection(twice, 'ERR_DPOP_PROOF', 'invalid_dpop_proof');
  });

  const other = proofKey('ES256');
  const bad: Array<[string, () => string]> = [
    ['security: wrong method', () => proofFor('/items/1', { htm: 'POST' })],
    ['security: wrong URL', () => proofFor('/items/1', { htu: url('/items/2') })],
    ['security: old iat', () => proofFor('/items/1', { claims: { iat: Math.floor(Date.now() / 1000) - 600 } })],
    ['security: wrong ath', () => proofFor('/items/1', { claims: { ath: ath(`${tokens.access_token}x`) } })],
    ['security: other key', () => proofFor('/items/1', {}, other)],
    ['security: private jwk in header', () => proofFor('/items/1', { header: { jwk: key.privateKey.export({ format: 'jwk' }) } })],
    ['security: symmetric alg', () => hmacProof(key, { htm: 'GET', htu: url('/items/1') })],
    ['security: none', () => noneProof(key, { htm: 'GET', htu: url('/items/1') })],
    ['malformed proof', () => 'e30.e30.'],
    ['a proof that is no JWS at all', () => '{"alg":"ES256"}'],
  ];
  for (const [name, proof] of bad) {
    it(`${name}: 401 invalid_dpop_proof as JSON, never a 500, never echoing the proof or token`, async () => {
      const sent = proof();
      const reply = await send(url('/items/1'), { headers: dpopHeaders(tokens.access_token, sent) });
      expectDpopRejection(reply, 'ERR_DPOP_PROOF', 'invalid_dpop_proof');
      expect(reply.text).not.to.contain(tokens.access_token);
      expect(reply.text).not.to.contain(sent);
    });
  }

  it('a route with dpop: "required" refuses bearer tokens and challenges with DPoP (no error code without credentials)', async () => {
    const unbound = ((await send(url('/login'), { method: 'POST' })).json as Tokens).access_token;
    expectDpopRejection(await send(url('/strict'), { headers: bearer(unbound) }), 'ERR_DPOP_REQUIRED', 'invalid_token');
    expectDpopRejection(await send(url('/mw/strict'), { headers: bearer(unbound) }), 'ERR_DPOP_REQUIRED', 'invalid_token');
    expectDpopRejection(await send(url('/strict')), 'ERR_TOKEN_MISSING', undefined);
    const ok = await send(url('/strict'), { headers: dpopHeaders(tokens.access_token, proofFor('/strict')) });
    expect(ok.status, ok.text).to.equal(200);
    const mw = await send(url('/mw/strict'), { headers: dpopHeaders(tokens.access_token, proofFor('/mw/strict')) });
    expect(mw.status, mw.text).to.equal(200);
  });

  it('a route with dpop: false refuses the DPoP scheme and accepts unbound bearer tokens', async () => {
    const reply = await send(url('/plain'), { headers: dpopHeaders(tokens.access_token, proofFor('/plain')) });
    expect(reply.status).to.equal(401);
    expect((reply.json as { code: string }).code).to.equal('ERR_TOKEN_HEADER');
    const unbound = ((await send(url('/login'), { method: 'POST' })).json as Tokens).access_token;
    expect((await send(url('/plain'), { headers: bearer(unbound) })).status).to.equal(200);
  });

  it('security: an unbound token sent with the DPoP scheme is refused (the scheme carries bound tokens only)', async () => {
    const unbound = ((await send(url('/login'), { method: 'POST' })).json as Tokens).access_token;
    const proof = makeProof(key, { htm: 'GET', htu: url('/items/1'), accessToken: unbound });
    expectDpopRejection(await send(url('/items/1'), { headers: dpopHeaders(unbound, proof) }), 'ERR_DPOP_REQUIRED', 'invalid_token');
  });

  it('rotation keeps the binding, and needs a proof of the same key for the refresh token', async () => {
    const path = '/refresh';
    const asBearer = await send(url(path), { method: 'POST', headers: bearer(tokens.refresh_token) });
    expectDpopRejection(asBearer, 'ERR_TOKEN_BINDING', 'invalid_token');
    const stolen = makeProof(other, { htm: 'POST', htu: url(path), accessToken: tokens.refresh_token });
    expectDpopRejection(await send(url(path), { method: 'POST', headers: dpopHeaders(tokens.refresh_token, stolen) }), 'ERR_DPOP_PROOF', 'invalid_dpop_proof');
    const proof = makeProof(key, { htm: 'POST', htu: url(path), accessToken: tokens.refresh_token });
    const rotated = await send(url(path), { method: 'POST', headers: dpopHeaders(tokens.refresh_token, proof) });
    expect(rotated.status, rotated.text).to.equal(200);
    const next = rotated.json as Tokens;
    expect(claimsOf(next.access_token).cnf).to.deep.equal({ jkt: key.jkt });
    expect(claimsOf(next.refresh_token).cnf).to.deep.equal({ jkt: key.jkt });
    const use = await send(url('/items/3'), { headers: dpopHeaders(next.access_token, makeProof(key, { htm: 'GET', htu: url('/items/3'), accessToken: next.access_token })) });
    expect(use.status, use.text).to.equal(200);
  });

  it('a token that is not valid, sent with the DPoP scheme, is challenged with DPoP and error="invalid_token" (RFC 9449 §7.1)', async () => {
    const forged = `${tokens.access_token.slice(0, -4)}AAAA`;
    const reply = await send(url('/items/1'), { headers: dpopHeaders(forged, makeProof(key, { htm: 'GET', htu: url('/items/1'), accessToken: forged })) });
    expectDpopRejection(reply, 'ERR_TOKEN_SIGNATURE', 'invalid_token');
    expect(reply.text).not.to.contain(forged);
  });

  it('a 403 for a scope the bound token lacks challenges with DPoP, error="insufficient_scope" and the scope (RFC 9449 §7.1)', async () => {
    const reply = await send(url('/admin'), { headers: dpopHeaders(tokens.access_token, proofFor('/admin')) });
    expect(reply.status, reply.text).to.equal(403);
    expect((reply.json as { code: string }).code).to.equal('ERR_TOKEN_FORBIDDEN_SCOPE');
    expect(reply.headers['www-authenticate']).to.match(/^DPoP realm="[^"]+", algs="ES256 [^"]*", error="insufficient_scope", scope="admin"$/);
    const unbound = manager.authToken('bob', 'read').signed;
    const asBearer = await send(url('/admin'), { headers: bearer(unbound) });
    expect(asBearer.status).to.equal(403);
    expect(asBearer.headers['www-authenticate']).to.match(/^Bearer realm="[^"]+", error="insufficient_scope", scope="admin"$/);
  });

  it('a login with a bad proof is a 401 with the DPoP challenge, not unbound tokens', async () => {
    const reply = await send(url('/login'), { method: 'POST', headers: { dpop: makeProof(key, { htm: 'GET', htu: url('/login') }) } });
    expectDpopRejection(reply, 'ERR_DPOP_PROOF', 'invalid_dpop_proof');
    expect(reply.text).not.to.contain('access_token');
  });

  it('works with panva\'s dpop client (WebCrypto keys, a non-extractable private key)', async () => {
    const pair = await dpopClient.generateKeyPair('ES256', { extractable: false });
    const login = await send(url('/login'), { method: 'POST', headers: { dpop: await dpopClient.generateProof(pair, url('/login'), 'POST') } });
    const issued = login.json as Tokens;
    expect(claimsOf(issued.access_token).cnf).to.deep.equal({ jkt: await dpopClient.calculateThumbprint(pair.publicKey) });
    const proof = await dpopClient.generateProof(pair, url('/items/9?x=1'), 'GET', undefined, issued.access_token);
    const reply = await send(url('/items/9?x=1'), { headers: dpopHeaders(issued.access_token, proof) });
    expect(reply.status, reply.text).to.equal(200);
    for (const alg of ['PS256', 'Ed25519', 'RS256'] as const) {
      const keys = await dpopClient.generateKeyPair(alg);
      const bound = ((await send(url('/login'), { method: 'POST', headers: { dpop: await dpopClient.generateProof(keys, url('/login'), 'POST') } })).json as Tokens).access_token;
      const again = await send(url('/items/1'), { headers: dpopHeaders(bound, await dpopClient.generateProof(keys, url('/items/1'), 'GET', undefined, bound)) });
      expect(again.status, `${alg}: ${again.text}`).to.equal(200);
    }
  });
});

describe('DPoP server nonces (RFC 9449 §8)', () => {
  let server: RunningServer;
  const url = (path: string): string => `${server.url}${path}`;
  before(async () => {
    server = await listen(dpopApp({ JWT_ISSUER: 'https://dpop-nonce.example', JWT_AUTHTYPE: 'HS256', JWT_SECRET: hmacSecret(), JWT_DPOPNONCE: 'true' }).app);
  });
  after(() => server.close());

  it('security: missing nonce: a proof without the server nonce gets use_dpop_nonce and a DPoP-Nonce to retry with', async () => {
    const key = proofKey('ES256');
    const first = await send(url('/login'), { method: 'POST', headers: { dpop: makeProof(key, { htm: 'POST', htu: url('/login') }) } });
    expectDpopRejection(first, 'ERR_DPOP_NONCE', 'use_dpop_nonce');
    const nonce = first.headers['dpop-nonce'] as string;
    expect(nonce).to.match(/^[A-Za-z0-9_-]{20,}$/);
    const login = await send(url('/login'), { method: 'POST', headers: { dpop: makeProof(key, { htm: 'POST', htu: url('/login'), nonce }) } });
    expect(login.status, login.text).to.equal(200);
    const token = (login.json as Tokens).access_token;
    const without = await send(url('/items/1'), { headers: dpopHeaders(token, makeProof(key, { htm: 'GET', htu: url('/items/1'), accessToken: token })) });
    expectDpopRejection(without, 'ERR_DPOP_NONCE', 'use_dpop_nonce');
    const forged = await send(url('/items/1'), { headers: dpopHeaders(token, makeProof(key, { htm: 'GET', htu: url('/items/1'), accessToken: token, nonce: `${nonce.slice(0, -2)}AA` })) });
    expectDpopRejection(forged, 'ERR_DPOP_NONCE', 'use_dpop_nonce');
    const ok = await send(url('/items/1'), { headers: dpopHeaders(token, makeProof(key, { htm: 'GET', htu: url('/items/1'), accessToken: token, nonce })) });
    expect(ok.status, ok.text).to.equal(200);
  });

  it('panva\'s dpop client retries with the nonce it was given', async () => {
    const pair = await dpopClient.generateKeyPair('ES256');
    const first = await send(url('/login'), { method: 'POST', headers: { dpop: await dpopClient.generateProof(pair, url('/login'), 'POST') } });
    const nonce = first.headers['dpop-nonce'] as string;
    const login = await send(url('/login'), { method: 'POST', headers: { dpop: await dpopClient.generateProof(pair, url('/login'), 'POST', nonce) } });
    expect(login.status, login.text).to.equal(200);
  });
});

describe('DPoP behind a proxy (Express trust proxy)', () => {
  let server: RunningServer;
  let trusting: RunningServer;
  const settings = { JWT_ISSUER: 'https://dpop-proxy.example', JWT_AUTHTYPE: 'HS256', JWT_SECRET: hmacSecret() };
  before(async () => {
    server = await listen(dpopApp(settings).app);
    const { app } = dpopApp(settings);
    app.set('trust proxy', 'loopback');
    trusting = await listen(app);
  });
  after(async () => {
    await server.close();
    await trusting.close();
  });

  it('takes htu from X-Forwarded-Proto and X-Forwarded-Host only when trust proxy trusts the peer', async () => {
    const key = proofKey('ES256');
    const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example' };
    const login = await send(`${trusting.url}/login`, { method: 'POST', headers: { ...forwarded, dpop: makeProof(key, { htm: 'POST', htu: 'https://api.example/login' }) } });
    expect(login.status, login.text).to.equal(200);
    const token = (login.json as Tokens).access_token;
    const proof = (): string => makeProof(key, { htm: 'GET', htu: 'https://api.example/items/1', accessToken: token });
    expect((await send(`${trusting.url}/items/1`, { headers: { ...forwarded, ...dpopHeaders(token, proof()) } })).status).to.equal(200);
    // The same forwarded headers from a peer the app does not trust name nothing: the proof is for another URL.
    expectDpopRejection(await send(`${server.url}/items/1`, { headers: { ...forwarded, ...dpopHeaders(token, proof()) } }), 'ERR_DPOP_PROOF', 'invalid_dpop_proof');
  });
});

describe('DPoP replay across instances sharing Redis (real redis-server)', function () {
  this.timeout(30_000);
  const redis = useRedis('dpop');
  let first: RunningServer;
  let second: RunningServer;

  before(async () => {
    const client = redis.client();
    await ready(client);
    const settings = { JWT_ISSUER: 'https://dpop-redis.example', JWT_AUTHTYPE: 'HS256', JWT_SECRET: hmacSecret(), JWT_REVOCATIONSTORE: new RedisRevocationStore(client, { prefix: redis.prefix }) };
    first = await listen(dpopApp(settings).app);
    second = await listen(dpopApp(settings).app);
  });
  after(async () => {
    await first?.close();
    await second?.close();
  });

  it('security: replay: a proof used at one instance is refused at the other (one atomic SET NX)', async () => {
    const key = proofKey('ES256');
    // Both instances listen on 127.0.0.1; the proof names the first one's URL, which the second one checks against
    // its own URL: use the same path on a shared-looking URL by sending the Host header of the first.
    const host = new URL(first.url).host;
    const login = await send(`${first.url}/login`, { method: 'POST', headers: { dpop: makeProof(key, { htm: 'POST', htu: `${first.url}/login` }) } });
    const token = (login.json as Tokens).access_token;
    const proof = makeProof(key, { htm: 'GET', htu: `${first.url}/items/1`, accessToken: token });
    expect((await send(`${first.url}/items/1`, { headers: dpopHeaders(token, proof) })).status).to.equal(200);
    const replayed = await send(`${second.url}/items/1`, { headers: { ...dpopHeaders(token, proof), host } });
    expectDpopRejection(replayed, 'ERR_DPOP_PROOF', 'invalid_dpop_proof');
    const fresh = makeProof(key, { htm: 'GET', htu: `${first.url}/items/1`, accessToken: token });
    expect((await send(`${second.url}/items/1`, { headers: { ...dpopHeaders(token, fresh), host } })).status).to.equal(200);
    expect(redis.errors).to.deep.equal([]);
    expect(Redis).to.be.a('function');
  });
});
