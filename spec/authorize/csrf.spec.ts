/**
 * CSRF double submit for cookie tokens (issue 8) and the session-cookie helpers: a state-changing request with a cookie
 * token must send the token's `csrf` value in a header (X-CSRF-Token by default); `setSessionCookies` and
 * `clearSessionCookies` set and clear the cookies with safe defaults. Real HTTP on 127.0.0.1.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import express, { type Request, type Response } from 'express';
import { Delete, Get, JsonController, Patch, Post, Put, Req, Res, useExpressServer } from 'routing-controllers';
import {
  AuthManager,
  clearSessionCookies,
  currentToken,
  DEFAULT_CSRF_HEADER,
  RequireToken,
  setSessionCookies,
  type SignedJWT,
  type SessionCookieOptions,
} from 'routing-controllers-jwt';
import { hmacSecret } from '../support/keys';
import { bearer, listen, send, type Reply, type RunningServer } from '../support/server';
import { expectRejection } from '../support/require-token';

const signed = (token: SignedJWT): string => token.signed;

/** One parsed Set-Cookie line: its value and attributes (names lower-cased; flags are `true`). */
interface SetCookie {
  value: string;
  attributes: Record<string, string | true>;
}

/** The Set-Cookie lines of a reply, by cookie name (each name must appear once). */
function setCookies(reply: Reply): Record<string, SetCookie> {
  const lines = reply.headers['set-cookie'] ?? [];
  const cookies: Record<string, SetCookie> = {};
  for (const line of lines) {
    const [pair, ...attributeParts] = line.split(';').map((part) => part.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    expect(cookies, `Set-Cookie ${name} appears once`).not.to.have.property(name);
    const attributes: Record<string, string | true> = {};
    for (const part of attributeParts) {
      const at = part.indexOf('=');
      if (at === -1) attributes[part.toLowerCase()] = true;
      else attributes[part.slice(0, at).toLowerCase()] = part.slice(at + 1);
    }
    cookies[name] = { value: pair.slice(eq + 1), attributes };
  }
  return cookies;
}

/** The Cookie request header a browser would send for `cookies`. */
const cookieHeader = (cookies: Record<string, string>): string => Object.entries(cookies).map(([name, value]) => `${name}=${value}`).join('; ');

const AUTH_MAX_AGE = 300;
const REFRESH_MAX_AGE = 3600;

describe('CSRF double submit and session cookies', () => {
  const issuer = 'https://csrf.example';
  let manager: AuthManager;
  let server: RunningServer;
  const actions: string[] = [];

  before(async () => {
    const app = express();
    app.set('env', 'test');
    for (const [name, value] of Object.entries({ JWT_ISSUER: issuer, JWT_AUTHTYPE: 'HS256', JWT_SECRET: hmacSecret(64), JWT_AUTHMAXAGE: AUTH_MAX_AGE, JWT_REFRESHMAXAGE: REFRESH_MAX_AGE })) {
      app.set(name, value);
    }
    manager = new AuthManager(app);
    const custom: SessionCookieOptions = {
      authCookie: 'a_tok',
      refreshCookie: 'r_tok',
      csrfCookie: 'xsrf',
      path: '/app',
      refreshPath: '/app/auth',
      sameSite: 'lax',
      secure: true,
    };

    const cookieAction = (name: string) => {
      actions.push(name);
      return { sub: currentToken.sub };
    };

    @JsonController()
    class CsrfRoutes {
      @Post('/cookie')
      @RequireToken('auth', 'cookies', { cookieName: 'auth_token' })
      post() {
        return cookieAction('post');
      }

      @Get('/cookie')
      @RequireToken('auth', 'cookies', { cookieName: 'auth_token' })
      get() {
        return cookieAction('get');
      }

      @Put('/cookie')
      @RequireToken('auth', 'cookies', { cookieName: 'auth_token' })
      put() {
        return cookieAction('put');
      }

      @Patch('/cookie')
      @RequireToken('auth', 'cookies', { cookieName: 'auth_token' })
      patch() {
        return cookieAction('patch');
      }

      @Delete('/cookie')
      @RequireToken('auth', 'cookies', { cookieName: 'auth_token' })
      remove() {
        return cookieAction('delete');
      }

      @Post('/cookie-no-csrf')
      @RequireToken('auth', 'cookies', { cookieName: 'auth_token', csrf: false })
      noCsrf() {
        return cookieAction('no-csrf');
      }

      @Post('/cookie-custom')
      @RequireToken({ location: 'cookies', cookieName: 'auth_token', csrf: 'X-XSRF-Token' })
      customHeader() {
        return cookieAction('custom');
      }

      @Post('/bearer')
      @RequireToken()
      bearerPost() {
        return cookieAction('bearer');
      }

      @Post('/auth/refresh')
      @RequireToken('refresh', 'cookies', { cookieName: 'refresh_token' })
      async refresh(@Req() request: Request, @Res() response: Response) {
        actions.push('refresh');
        setSessionCookies(request, response, await manager.rotate(currentToken));
        return { ok: true };
      }

      @Post('/login')
      login(@Req() request: Request, @Res() response: Response) {
        const session = manager.sessionTokens('alice', 'profile');
        setSessionCookies(request, response, session);
        return { csrf: session.csrf, authToken: session.authToken.signed, refreshToken: session.refreshToken.signed };
      }

      @Post('/login-custom')
      loginCustom(@Req() request: Request, @Res() response: Response) {
        const session = manager.sessionTokens('alice');
        setSessionCookies(request, response, session, custom);
        return { csrf: session.csrf };
      }

      @Post('/login-plain')
      loginPlain(@Req() request: Request, @Res() response: Response) {
        response.cookie('theme', 'dark');
        setSessionCookies(request, response, { authToken: manager.authToken('alice') });
        return { ok: true };
      }

      @Post('/login-insecure')
      loginInsecure(@Req() request: Request, @Res() response: Response) {
        setSessionCookies(request, response, manager.sessionTokens('alice'), { secure: false });
        return { ok: true };
      }

      @Post('/logout')
      logout(@Req() request: Request, @Res() response: Response) {
        clearSessionCookies(request, response);
        return { ok: true };
      }

      @Post('/logout-custom')
      logoutCustom(@Req() request: Request, @Res() response: Response) {
        clearSessionCookies(request, response, custom);
        return { ok: true };
      }
    }
    useExpressServer(app, { controllers: [CsrfRoutes] });
    server = await listen(app);
  });

  after(() => server.close());
  beforeEach(() => {
    actions.length = 0;
  });

  const request = (method: string, path: string, headers: Record<string, string | string[]> = {}) =>
    send(`${server.url}${path}`, { method, headers });
  const withCookie = (token: SignedJWT, headers: Record<string, string | string[]> = {}) => ({ cookie: `auth_token=${signed(token)}`, ...headers });
  /** A 403 ERR_CSRF: JSON `{ name, message, code }` that echoes no token. */
  const csrfRejected = (reply: Reply, sent: readonly string[] = []): void => {
    expect(reply.status, reply.text).to.equal(403);
    expect(reply.headers['content-type']).to.match(/^application\/json/);
    const body = reply.json as Record<string, unknown>;
    expect(Object.keys(body).sort()).to.deep.equal(['code', 'message', 'name']);
    expect(body.name).to.equal('TokenForbiddenError');
    expect(body.code).to.equal('ERR_CSRF');
    for (const secret of sent) expect(reply.text).not.to.include(secret);
  };

  describe('the CSRF check', () => {
    it('the default header is X-CSRF-Token', () => {
      expect(DEFAULT_CSRF_HEADER).to.equal('X-CSRF-Token');
    });

    it('a cookie-authenticated POST with the token\'s csrf value in X-CSRF-Token → 200', async () => {
      const { authToken, csrf } = manager.sessionTokens('alice');
      const reply = await request('POST', '/cookie', withCookie(authToken, { 'X-CSRF-Token': csrf }));
      expect(reply.status, reply.text).to.equal(200);
      expect(actions).to.deep.equal(['post']);
    });

    it('security: a cookie-authenticated POST without the header → 403 ERR_CSRF; the action never runs', async () => {
      const { authToken } = manager.sessionTokens('alice');
      csrfRejected(await request('POST', '/cookie', withCookie(authToken)));
      expect(actions).to.deep.equal([]);
    });

    it('security: a wrong value → 403: one character off, shorter, longer, empty, or another session\'s value', async () => {
      const { authToken, csrf } = manager.sessionTokens('alice');
      const other = manager.sessionTokens('alice').csrf;
      const oneOff = `${csrf.slice(0, -1)}${csrf.endsWith('A') ? 'B' : 'A'}`;
      for (const value of [oneOff, csrf.slice(0, -1), `${csrf}x`, '', other, signed(authToken)]) {
        csrfRejected(await request('POST', '/cookie', withCookie(authToken, { 'X-CSRF-Token': value })), [csrf, signed(authToken)]);
      }
      expect(actions).to.deep.equal([]);
    });

    it('security: the right value sent twice (two header lines) is refused, not taken from either line', async () => {
      const { authToken, csrf } = manager.sessionTokens('alice');
      csrfRejected(await request('POST', '/cookie', withCookie(authToken, { 'X-CSRF-Token': [csrf, csrf] })));
      expect(actions).to.deep.equal([]);
    });

    it('security: a cookie token without a csrf claim → 403 on POST whatever the header says', async () => {
      const plain = manager.authToken('alice');
      expect(plain.claims).not.to.have.property('csrf');
      for (const headers of [{}, { 'X-CSRF-Token': 'anything' }, { 'X-CSRF-Token': '' }, { 'X-CSRF-Token': 'undefined' }] as Array<Record<string, string>>) {
        csrfRejected(await request('POST', '/cookie', withCookie(plain, headers)));
      }
      expect(actions).to.deep.equal([]);
    });

    it('safe methods need no header: GET → 200, with or without a csrf claim', async () => {
      const reply = await request('GET', '/cookie', withCookie(manager.sessionTokens('alice').authToken));
      expect(reply.status, reply.text).to.equal(200);
      const plain = await request('GET', '/cookie', withCookie(manager.authToken('alice')));
      expect(plain.status, plain.text).to.equal(200);
      expect(actions).to.deep.equal(['get', 'get']);
    });

    it('security: PUT, PATCH and DELETE are checked like POST', async () => {
      const { authToken, csrf } = manager.sessionTokens('alice');
      for (const method of ['PUT', 'PATCH', 'DELETE']) {
        csrfRejected(await request(method, '/cookie', withCookie(authToken)));
        const ok = await request(method, '/cookie', withCookie(authToken, { 'x-csrf-token': csrf }));
        expect(ok.status, `${method}: ${ok.text}`).to.equal(200);
      }
      expect(actions).to.deep.equal(['put', 'patch', 'delete']);
    });

    it('csrf: false turns the check off: POST without the header → 200', async () => {
      const reply = await request('POST', '/cookie-no-csrf', withCookie(manager.sessionTokens('alice').authToken));
      expect(reply.status, reply.text).to.equal(200);
      expect(actions).to.deep.equal(['no-csrf']);
    });

    it('a custom header name: the value must come in that header (any case); X-CSRF-Token no longer counts', async () => {
      const { authToken, csrf } = manager.sessionTokens('alice');
      csrfRejected(await request('POST', '/cookie-custom', withCookie(authToken, { 'X-CSRF-Token': csrf })));
      const ok = await request('POST', '/cookie-custom', withCookie(authToken, { 'x-xsrf-token': csrf }));
      expect(ok.status, ok.text).to.equal(200);
      const upper = await request('POST', '/cookie-custom', withCookie(authToken, { 'X-XSRF-TOKEN': csrf }));
      expect(upper.status, upper.text).to.equal(200);
      expect(actions).to.deep.equal(['custom', 'custom']);
    });

    it('bearer tokens (not sent by the browser on its own) need no CSRF header', async () => {
      const reply = await request('POST', '/bearer', bearer(signed(manager.sessionTokens('alice').authToken)));
      expect(reply.status, reply.text).to.equal(200);
      expect(actions).to.deep.equal(['bearer']);
    });

    it('an invalid cookie token is a 401 before any CSRF question, and a valid header does not help it', async () => {
      const { csrf } = manager.sessionTokens('alice');
      const reply = await request('POST', '/cookie', { cookie: 'auth_token=not.a.token', 'X-CSRF-Token': csrf });
      expectRejection(reply, { status: 401, code: 'ERR_TOKEN_MALFORMED', issuer, bearerError: 'invalid_token' });
      expect(actions).to.deep.equal([]);
    });

    it('refuses a csrf option that is not a header name or false, when the decorator is applied', () => {
      for (const csrf of ['', 'Bad Header', 'X-CSRF:Token']) {
        expect(() => RequireToken('auth', 'cookies', { cookieName: 'auth_token', csrf }), JSON.stringify(csrf)).to.throw(TypeError, /csrf/);
      }
    });
  });

  describe('setSessionCookies and clearSessionCookies', () => {
    const login = async (path = '/login'): Promise<{ reply: Reply; cookies: Record<string, SetCookie> }> => {
      const reply = await request('POST', path);
      expect(reply.status, reply.text).to.equal(200);
      return { reply, cookies: setCookies(reply) };
    };

    it('sets HttpOnly auth/refresh cookies (SameSite=Strict, Path=/, Max-Age to the token\'s exp) and a readable csrf_token', async () => {
      const { reply, cookies } = await login();
      const body = reply.json as { csrf: string; authToken: string; refreshToken: string };
      expect(Object.keys(cookies).sort()).to.deep.equal(['auth_token', 'csrf_token', 'refresh_token']);
      const { auth_token: auth, refresh_token: refresh, csrf_token: csrf } = cookies;
      expect(auth.value).to.equal(body.authToken);
      expect(refresh.value).to.equal(body.refreshToken);
      expect(csrf.value).to.equal(body.csrf);
      expect(manager.checkToken(auth.value).valid).to.equal(true);
      for (const [name, cookie] of Object.entries({ auth, refresh })) {
        expect(cookie.attributes.httponly, `${name} HttpOnly`).to.equal(true);
      }
      expect(csrf.attributes, 'the csrf cookie must be readable by the page').not.to.have.property('httponly');
      for (const [name, cookie] of Object.entries(cookies)) {
        expect(cookie.attributes.samesite, `${name} SameSite`).to.equal('Strict');
        expect(cookie.attributes.path, `${name} Path`).to.equal('/');
        expect(cookie.attributes, `${name}: no Secure over plain http`).not.to.have.property('secure');
      }
      expect(Number(auth.attributes['max-age'])).to.be.within(AUTH_MAX_AGE - 2, AUTH_MAX_AGE);
      expect(Number(refresh.attributes['max-age'])).to.be.within(REFRESH_MAX_AGE - 2, REFRESH_MAX_AGE);
      expect(Number(csrf.attributes['max-age']), 'the csrf cookie lives as long as the longest token').to.be.within(REFRESH_MAX_AGE - 2, REFRESH_MAX_AGE);
    });

    it('the browser flow: login cookies + the csrf cookie echoed in X-CSRF-Token pass; cookies alone (cross-site) do not', async () => {
      const { cookies } = await login();
      const jar = { auth_token: cookies.auth_token.value, refresh_token: cookies.refresh_token.value };
      const ok = await request('POST', '/cookie', { cookie: cookieHeader(jar), 'X-CSRF-Token': cookies.csrf_token.value });
      expect(ok.status, ok.text).to.equal(200);
      csrfRejected(await request('POST', '/cookie', { cookie: cookieHeader({ ...jar, csrf_token: cookies.csrf_token.value }) }));
      expect(actions).to.deep.equal(['post']);
    });

    it('refresh through the refresh_token cookie is CSRF-checked too, and keeps the csrf value across rotation', async () => {
      const { cookies } = await login();
      const jar = cookieHeader({ refresh_token: cookies.refresh_token.value });
      csrfRejected(await request('POST', '/auth/refresh', { cookie: jar }));
      expect(actions).to.deep.equal([]);
      const reply = await request('POST', '/auth/refresh', { cookie: jar, 'X-CSRF-Token': cookies.csrf_token.value });
      expect(reply.status, reply.text).to.equal(200);
      const rotated = setCookies(reply);
      expect(rotated.refresh_token.value).not.to.equal(cookies.refresh_token.value);
      expect(rotated.auth_token.attributes.httponly).to.equal(true);
      expect(rotated.csrf_token.value).to.equal(cookies.csrf_token.value);
    });

    it('honours the options: names, path, refreshPath, SameSite=Lax and secure: true', async () => {
      const { reply, cookies } = await login('/login-custom');
      expect(Object.keys(cookies).sort()).to.deep.equal(['a_tok', 'r_tok', 'xsrf']);
      expect(cookies.xsrf.value).to.equal((reply.json as { csrf: string }).csrf);
      expect(cookies.a_tok.attributes.path).to.equal('/app');
      expect(cookies.r_tok.attributes.path, 'the refresh cookie travels to the refresh routes only').to.equal('/app/auth');
      expect(cookies.xsrf.attributes.path).to.equal('/app');
      for (const [name, cookie] of Object.entries(cookies)) {
        expect(cookie.attributes.samesite, name).to.equal('Lax');
        expect(cookie.attributes.secure, name).to.equal(true);
      }
    });

    it('secure: false leaves Secure off; tokens without a csrf claim get no csrf cookie; other cookies are kept', async () => {
      const insecure = (await login('/login-insecure')).cookies;
      for (const [name, cookie] of Object.entries(insecure)) expect(cookie.attributes, name).not.to.have.property('secure');
      const { cookies } = await login('/login-plain');
      expect(Object.keys(cookies).sort()).to.deep.equal(['auth_token', 'theme']);
      expect(cookies.theme.value).to.equal('dark');
      expect(cookies.auth_token.attributes.httponly).to.equal(true);
    });

    it('clearSessionCookies expires all three cookies (empty, Max-Age=0) with the same attributes they were set with', async () => {
      const cleared = setCookies((await login('/logout')).reply);
      expect(Object.keys(cleared).sort()).to.deep.equal(['auth_token', 'csrf_token', 'refresh_token']);
      for (const [name, cookie] of Object.entries(cleared)) {
        expect(cookie.value, name).to.equal('');
        expect(cookie.attributes['max-age'], name).to.equal('0');
        expect(cookie.attributes.path, name).to.equal('/');
        expect(cookie.attributes.samesite, name).to.equal('Strict');
      }
      expect(cleared.auth_token.attributes.httponly).to.equal(true);
      expect(cleared.refresh_token.attributes.httponly).to.equal(true);
      expect(cleared.csrf_token.attributes).not.to.have.property('httponly');
      const custom = setCookies((await login('/logout-custom')).reply);
      expect(Object.keys(custom).sort()).to.deep.equal(['a_tok', 'r_tok', 'xsrf']);
      expect(custom.r_tok.attributes.path, 'cleared on the path it was set on').to.equal('/app/auth');
      expect(custom.a_tok.attributes.path).to.equal('/app');
      for (const cookie of Object.values(custom)) expect(cookie.attributes['max-age']).to.equal('0');
    });
  });
});
