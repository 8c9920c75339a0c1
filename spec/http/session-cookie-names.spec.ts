/**
 * Session cookie names and attributes, checked once (`sessionCookieOptions`): the `__Host-` and `__Secure-` prefixes
 * (RFC 6265bis §4.1.3) refused where the browser would drop the cookie, `prefixed: true` for https deployments, and
 * Secure behind a TLS-terminating proxy (Express's `trust proxy`). Real HTTP on 127.0.0.1 for what reaches the wire.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import { AuthManager, sessionCookieOptions, setSessionCookies, clearSessionCookies, type SessionCookieOptions } from 'routing-controllers-jwt';
import { listen, send, type Reply } from '../support/server';

/** Set-Cookie lines of a reply by cookie name, each as its attributes in lower case. */
function setCookies(reply: Reply): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  for (const line of reply.headers['set-cookie'] ?? []) {
    const [pair, ...attributes] = line.split(';').map((part) => part.trim());
    byName.set(pair.slice(0, pair.indexOf('=')), attributes.map((attribute) => attribute.toLowerCase()));
  }
  return byName;
}

describe('session cookies: names, prefixes and Secure', () => {
  describe('sessionCookieOptions (checked once, at start-up)', () => {
    it('answers the library defaults: unprefixed names, Path=/, SameSite=Strict, Secure on https', () => {
      expect(sessionCookieOptions()).to.deep.equal({
        authCookie: 'auth_token',
        refreshCookie: 'refresh_token',
        csrfCookie: 'csrf_token',
        path: '/',
        refreshPath: '/',
        sameSite: 'strict',
        secure: undefined,
      });
    });

    it('prefixed: true gives __Host- names, and __Secure- to a refresh cookie on another path', () => {
      expect(sessionCookieOptions({ prefixed: true })).to.include({
        authCookie: '__Host-auth_token',
        refreshCookie: '__Host-refresh_token',
        csrfCookie: '__Host-csrf_token',
      });
      expect(sessionCookieOptions({ prefixed: true, refreshPath: '/auth' })).to.include({
        authCookie: '__Host-auth_token',
        refreshCookie: '__Secure-refresh_token',
        csrfCookie: '__Host-csrf_token',
      });
      // A name given with its own prefix keeps it; one without gets it.
      expect(sessionCookieOptions({ prefixed: true, authCookie: '__Secure-a', csrfCookie: 'x' })).to.include({ authCookie: '__Secure-a', csrfCookie: '__Host-x' });
    });

    it('security: refuses a __Host- refresh cookie on a path other than / and says to use __Secure-', () => {
      expect(() => sessionCookieOptions({ refreshCookie: '__Host-refresh', refreshPath: '/auth/session' })).to.throw(
        TypeError,
        /"__Host-refresh" has Path=\/auth\/session, but a __Host- cookie must have Path=\/.*name it __Secure-refresh/,
      );
      expect(() => sessionCookieOptions({ authCookie: '__host-auth', path: '/app' })).to.throw(TypeError, /__Host- cookie must have Path=\//);
      expect(sessionCookieOptions({ refreshCookie: '__Secure-refresh', refreshPath: '/auth/session' }).refreshCookie).to.equal('__Secure-refresh');
    });

    it('security: refuses a prefixed name with secure: false', () => {
      expect(() => sessionCookieOptions({ csrfCookie: '__Secure-csrf', secure: false })).to.throw(TypeError, /needs the Secure attribute/);
      expect(() => sessionCookieOptions({ authCookie: '__Host-auth', secure: false })).to.throw(TypeError, /needs the Secure attribute/);
      expect(() => sessionCookieOptions({ prefixed: true, secure: false })).to.throw(TypeError, /need the Secure attribute/);
    });

    const refused: Array<[string, SessionCookieOptions, RegExp]> = [
      ['a name that is not a cookie name', { authCookie: 'auth token' }, /authCookie must be a cookie name/],
      ['a relative path', { refreshPath: 'auth' }, /refreshPath must be an absolute path/],
      ['a path with a semicolon', { path: '/a;Domain=evil.example' }, /path must be an absolute path/],
      ['two cookies with one name', { authCookie: 'session', refreshCookie: 'SESSION' }, /three different names/],
      ['an unknown option', { domain: 'example.com' } as SessionCookieOptions, /Unknown session cookie option domain/],
      ['a sameSite of none', { sameSite: 'none' } as unknown as SessionCookieOptions, /sameSite must be 'strict' or 'lax'/],
      ['a prefixed that is not a boolean', { prefixed: 'yes' } as unknown as SessionCookieOptions, /prefixed must be true or false/],
    ];
    for (const [what, options, message] of refused) {
      it(`refuses ${what} (TypeError)`, () => {
        expect(() => sessionCookieOptions(options)).to.throw(TypeError, message);
      });
    }
  });

  describe('on the wire', () => {
    const manager = new AuthManager({ JWT_ISSUER: 'names', JWT_AUTHTYPE: 'HS256', JWT_SECRET: randomBytes(48).toString('base64url') });

    /** An app that logs in with `options`, optionally behind a trusted proxy. */
    async function loginReply(options: SessionCookieOptions, trustProxy: boolean, headers: Record<string, string> = {}): Promise<Reply> {
      const app = express();
      if (trustProxy) app.set('trust proxy', 'loopback');
      app.post('/login', (request: Request, response: Response) => {
        setSessionCookies(request, response, manager.sessionTokens('alice'), options);
        response.json({ ok: true });
      });
      app.delete('/login', (request: Request, response: Response) => {
        clearSessionCookies(request, response, options);
        response.status(204).end();
      });
      const server = await listen(app);
      try {
        return await send(`${server.url}/login`, { method: headers['x-method'] ?? 'POST', headers });
      } finally {
        await server.close();
      }
    }

    it('security: prefixed cookies are Secure and host-only (no Domain), __Host- ones on Path=/', async () => {
      const cookies = setCookies(await loginReply({ prefixed: true, refreshPath: '/auth' }, false));
      expect([...cookies.keys()].sort()).to.deep.equal(['__Host-auth_token', '__Host-csrf_token', '__Secure-refresh_token']);
      for (const [name, attributes] of cookies) {
        expect(attributes, name).to.include('secure');
        expect(attributes.some((attribute) => attribute.startsWith('domain')), name).to.equal(false);
      }
      expect(cookies.get('__Host-auth_token')).to.include('path=/');
      expect(cookies.get('__Secure-refresh_token')).to.include('path=/auth');
    });

    it('logout clears the prefixed names, Secure (a browser ignores a clearing __Host- cookie without it)', async () => {
      const cookies = setCookies(await loginReply({ prefixed: true }, false, { 'x-method': 'DELETE' }));
      expect([...cookies.keys()].sort()).to.deep.equal(['__Host-auth_token', '__Host-csrf_token', '__Host-refresh_token']);
      for (const attributes of cookies.values()) expect(attributes).to.include.members(['secure', 'max-age=0']);
    });

    it('setSessionCookies refuses options sessionCookieOptions refuses, before writing any cookie', async () => {
      const app = express();
      app.post('/login', (request: Request, response: Response) => {
        try {
          setSessionCookies(request, response, manager.sessionTokens('alice'), { refreshCookie: '__Host-r', refreshPath: '/auth' });
          response.json({ refused: null });
        } catch (error) {
          response.json({ refused: error instanceof TypeError ? error.message : 'not a TypeError' });
        }
      });
      const server = await listen(app);
      try {
        const reply = await send(`${server.url}/login`, { method: 'POST' });
        expect((reply.json as { refused: string }).refused).to.match(/name it __Secure-r/);
        expect(reply.headers['set-cookie']).to.equal(undefined);
      } finally {
        await server.close();
      }
    });

    it('behind a TLS-terminating proxy: Secure only when trust proxy lets X-Forwarded-Proto count', async () => {
      const proto = { 'x-forwarded-proto': 'https' };
      const trusted = setCookies(await loginReply({}, true, proto));
      expect(trusted.get('auth_token')).to.include('secure');
      const untrusted = setCookies(await loginReply({}, false, proto));
      expect(untrusted.get('auth_token')).to.not.include('secure');
    });
  });
});
