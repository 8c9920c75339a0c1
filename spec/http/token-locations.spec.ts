/**
 * Where the token is read, over real HTTP: an ordered list of locations, a custom header name and scheme. The first
 * location that holds a token is read; a bad token there is a 401, never a reason to try the next.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { json } from 'express';
import { requireToken, type AuthManager } from 'routing-controllers-jwt';
import { configFor } from '../support/keys';
import { bearer, listen, send, type Reply, type RunningServer } from '../support/server';
import { appWithManager, expectRejection, tamperedSignature } from '../support/require-token';

const issuer = 'https://locations.example';

describe('token locations: ordered lists, header name and scheme', () => {
  let manager: AuthManager;
  let server: RunningServer;

  const call = (path: string, headers: Record<string, string | string[]> = {}, method = 'GET'): Promise<Reply> =>
    send(`${server.url}${path}`, { method, headers, ...(method === 'POST' ? { body: {} } : {}) });
  const signed = (sub = 'alice'): string => manager.authToken(sub).signed;

  before(async () => {
    const built = appWithManager(configFor('HS256', issuer));
    manager = built.manager;
    const ok = (_req: unknown, res: { json(body: unknown): void }) => res.json({ ok: true });
    built.app.use(json());
    built.app.all('/header-then-cookie', requireToken({ location: ['header', 'cookies'], cookieName: 'auth_token' }), ok);
    built.app.all('/cookie-then-header', requireToken({ location: ['cookies', 'header'], cookieName: 'auth_token' }), ok);
    built.app.get('/custom', requireToken({ headerName: 'X-Access-Token', scheme: 'JWT' }), ok);
    built.app.get('/custom-optional', requireToken({ headerName: 'X-Access-Token', scheme: 'JWT', optional: true }), ok);
    server = await listen(built.app);
  });

  after(() => server.close());

  describe("location: ['header', 'cookies']", () => {
    it('reads the header, or else the cookie', async () => {
      expect((await call('/header-then-cookie', bearer(signed()))).status).to.equal(200);
      expect((await call('/header-then-cookie', { cookie: `auth_token=${signed()}` })).status).to.equal(200);
    });

    it('reads the first location that holds a token: a valid header wins over a bad cookie', async () => {
      expect((await call('/header-then-cookie', { ...bearer(signed()), cookie: 'auth_token=garbage' })).status).to.equal(200);
      expect((await call('/cookie-then-header', { ...bearer(signed()), cookie: 'auth_token=garbage' })).status).to.equal(401);
    });

    it('security: a bad token in the first location is a 401, never a reason to try the next', async () => {
      expectRejection(await call('/header-then-cookie', { authorization: 'Basic x', cookie: `auth_token=${signed()}` }), {
        status: 401, code: 'ERR_TOKEN_HEADER', issuer, bearerError: null, // another scheme: no bearer error (RFC 6750 §3.1)
      });
      expectRejection(await call('/header-then-cookie', { ...bearer(tamperedSignature(signed())), cookie: `auth_token=${signed()}` }), {
        status: 401, code: 'ERR_TOKEN_SIGNATURE', issuer, bearerError: 'invalid_token',
      });
    });

    it('answers ERR_TOKEN_MISSING without an error parameter when no location holds a token', async () => {
      expectRejection(await call('/header-then-cookie'), { status: 401, code: 'ERR_TOKEN_MISSING', issuer, bearerError: null });
    });

    it('security: CSRF is checked for a cookie token only: a header token needs no CSRF value', async () => {
      expect((await call('/header-then-cookie', bearer(signed()), 'POST')).status).to.equal(200);
      const forged = await call('/header-then-cookie', { cookie: `auth_token=${signed()}` }, 'POST');
      expect(forged.status).to.equal(403);
      expect(forged.json).to.deep.include({ code: 'ERR_CSRF' });
    });
  });

  describe('headerName and scheme', () => {
    it('reads "<headerName>: <scheme> <token>", the scheme in any case', async () => {
      expect((await call('/custom', { 'x-access-token': `JWT ${signed()}` })).status).to.equal(200);
      expect((await call('/custom', { 'x-access-token': `jwt ${signed()}` })).status).to.equal(200);
    });

    it('refuses another scheme in that header, and two such headers', async () => {
      expectRejection(await call('/custom', { 'x-access-token': `Bearer ${signed()}` }), { status: 401, code: 'ERR_TOKEN_HEADER', issuer, bearerError: 'invalid_token' });
      expectRejection(await call('/custom', { 'x-access-token': [`JWT ${signed()}`, `JWT ${signed('bob')}`] }), {
        status: 401, code: 'ERR_TOKEN_HEADER', issuer, bearerError: 'invalid_token',
      });
    });

    it('security: ignores the Authorization header (it is not where the token is read)', async () => {
      expectRejection(await call('/custom', bearer(signed())), { status: 401, code: 'ERR_TOKEN_MISSING', issuer, bearerError: null });
      expect((await call('/custom-optional', bearer(signed()))).status).to.equal(200);
    });
  });

  it('refuses locations, header names and schemes that cannot be meant, at decoration', () => {
    expect(() => requireToken({ location: [] })).to.throw(TypeError, /Invalid location/);
    expect(() => requireToken({ location: ['header', 'header'] })).to.throw(TypeError, /Invalid location/);
    expect(() => requireToken({ location: 'body' as 'header' })).to.throw(TypeError, /Invalid location/);
    expect(() => requireToken({ location: ['header', 'cookies'] })).to.throw(TypeError, /cookieName/);
    expect(() => requireToken({ headerName: 'X Token' })).to.throw(TypeError, /headerName must be a header name/);
    expect(() => requireToken({ headerName: 'Cookie' })).to.throw(TypeError, /headerName cannot be Cookie/);
    expect(() => requireToken({ scheme: 'Bearer token' })).to.throw(TypeError, /scheme must be/);
    expect(() => requireToken({ location: 'cookies', cookieName: 'a', scheme: 'JWT' })).to.throw(TypeError, /add "header" to location/);
  });
});
