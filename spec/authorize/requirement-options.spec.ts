/**
 * Options present with no value: nothing is ever silently dropped. `scope`, `override`, `claims` and every required
 * claim given as `undefined` (or, for the three options, `null`) are a TypeError when the decorator is applied, never
 * a check that quietly disappears; `tokenType`, `location` and `csrf` given as `undefined` are treated as absent, since
 * spreading optional values (`{ ...defaults, csrf: options.csrf }`) is common, and their defaults then apply in full.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import type { RequestHandler as ExpressHandler } from 'express';
import { AuthManager, currentToken, RequireToken, requireToken, type Claims } from 'routing-controllers-jwt';
import { configFor } from '../support/keys';
import { bearer, listen, send, type RunningServer } from '../support/server';
import { appWithManager } from '../support/require-token';
import { typeErrorOf } from '../support/tokens';

/** Calls the factories with arguments the types forbid, as JavaScript callers (and spreads) can. */
const requireTokenUnchecked = requireToken as unknown as (...args: unknown[]) => unknown;
const RequireTokenUnchecked = RequireToken as unknown as (...args: unknown[]) => unknown;


/** Options with `key` present and `value` in it, as a spread of an optional value makes them. */
const withValue = (key: string, value: unknown, base: Record<string, unknown> = {}): Record<string, unknown> => ({ ...base, [key]: value });

describe('@RequireToken options present without a value', () => {
  describe('at decoration time', () => {
    for (const key of ['scope', 'override', 'claims']) {
      for (const value of [undefined, null]) {
        it(`${key}: ${String(value)} is a TypeError that says to remove the key or give the value`, () => {
          const error = typeErrorOf(() => requireTokenUnchecked(withValue(key, value)));
          expect(error.message).to.include(key).and.match(/remove/i).and.match(/value/i);
          typeErrorOf(() => RequireTokenUnchecked(withValue(key, value)));
          typeErrorOf(() => RequireTokenUnchecked('auth', 'header', withValue(key, value)));
        });
      }
    }

    it('a required claim given as undefined is a TypeError, at the top level, in override and under claims', () => {
      expect(typeErrorOf(() => requireTokenUnchecked({ role: undefined })).message).to.include('role').and.match(/remove/i);
      expect(typeErrorOf(() => requireTokenUnchecked({ override: { admin: undefined } })).message).to.include('admin');
      expect(typeErrorOf(() => requireTokenUnchecked({ claims: { role: undefined } })).message).to.include('role');
    });

    it('a required claim given as null is kept as a requirement (the claim must be null), not dropped', () => {
      expect(requireToken({ deleted: null })).to.be.a('function');
      expect(requireToken({ claims: { deleted: null } })).to.be.a('function');
    });

    it('a spread of an optional scope that is unset is refused, not turned into "no scope check"', () => {
      const configured: { scope?: string } = {};
      typeErrorOf(() => requireTokenUnchecked({ tenant: 'acme', scope: configured.scope }));
    });

    it('tokenType, location and csrf given as undefined are absent: the defaults apply', () => {
      expect(requireToken({ tokenType: undefined, location: undefined, csrf: undefined, scope: 'read' })).to.be.a('function');
      expect(RequireToken('auth', 'cookies', { cookieName: 'sid', csrf: undefined })).to.be.a('function');
      expect(RequireToken(undefined, undefined, { tokenType: undefined, location: undefined })).to.be.a('function');
    });

    it('tokenType, location and csrf given as null are a TypeError (null is no spread of an unset value)', () => {
      typeErrorOf(() => requireTokenUnchecked({ tokenType: null }));
      typeErrorOf(() => requireTokenUnchecked({ location: null }));
      typeErrorOf(() => requireTokenUnchecked({ csrf: null }));
    });

    it('a class whose action asks for scope: undefined cannot be defined', () => {
      typeErrorOf(() => {
        class Dropped {
          @(RequireTokenUnchecked({ scope: undefined }) as MethodDecorator)
          action() {
            return currentToken.sub;
          }
        }
        return Dropped;
      });
    });
  });

  describe('over HTTP: nothing is silently dropped', () => {
    const config = configFor('HS256', 'https://requirement-options.example');
    let manager: AuthManager;
    let server: RunningServer;
    const refused: string[] = [];

    /** Registers GET `path` guarded by `options`, unless the options are refused at decoration (then the route never exists). */
    function route(app: ReturnType<typeof appWithManager>['app'], path: string, options: Record<string, unknown>, method: 'get' | 'post' = 'get'): void {
      let guard: ExpressHandler;
      try {
        guard = requireTokenUnchecked(options) as ExpressHandler;
      } catch (error) {
        if (!(error instanceof TypeError)) throw error;
        refused.push(path);
        return;
      }
      app[method](path, guard, (_req, res) => {
        res.json({ sub: currentToken.sub });
      });
    }

    before(async () => {
      const built = appWithManager(config);
      manager = built.manager;
      for (const key of ['scope', 'override', 'claims']) {
        route(built.app, `/undefined-${key}`, withValue(key, undefined, { tenant: 'acme' }));
        route(built.app, `/null-${key}`, withValue(key, null, { tenant: 'acme' }));
      }
      route(built.app, '/defaults', { tokenType: undefined, location: undefined, csrf: undefined, scope: 'read' });
      route(built.app, '/cookie', { location: 'cookies', cookieName: 'sid', csrf: undefined }, 'post');
      server = await listen(built.app);
    });

    after(() => server.close());

    const token = (scope: string | null, claims: Claims = {}): string => manager.authToken('ann', scope, claims).signed;

    it('a token without a scope never gets 200 from a route that asked for scope: undefined or null', async () => {
      for (const path of ['/undefined-scope', '/null-scope']) {
        const reply = await send(`${server.url}${path}`, { headers: bearer(token(null, { tenant: 'acme' })) });
        expect(reply.status, `${path}: ${reply.text}`).not.to.equal(200);
      }
    });

    it('no route was built from an option present without a value', async () => {
      expect(refused.sort()).to.deep.equal(
        ['/null-claims', '/null-override', '/null-scope', '/undefined-claims', '/undefined-override', '/undefined-scope'],
      );
      for (const path of refused) expect((await send(`${server.url}${path}`, { headers: bearer(token('read', { tenant: 'acme' })) })).status).to.equal(404);
    });

    it('tokenType, location and csrf given as undefined keep their defaults: an auth token in the header, scope checked', async () => {
      expect((await send(`${server.url}/defaults`, { headers: bearer(token('read')) })).status).to.equal(200);
      const noScope = await send(`${server.url}/defaults`, { headers: bearer(token(null)) });
      expect(noScope.status).to.equal(403);
      expect(noScope.json).to.deep.include({ code: 'ERR_TOKEN_FORBIDDEN_SCOPE' });
      const refresh = manager.refreshToken('ann').signed;
      expect((await send(`${server.url}/defaults`, { headers: bearer(refresh) })).status).to.equal(401);
    });

    it('csrf: undefined with cookies keeps the CSRF check (X-CSRF-Token)', async () => {
      const { authToken, csrf } = manager.sessionTokens('ann');
      const cookie = `sid=${authToken.signed}`;
      const forged = await send(`${server.url}/cookie`, { method: 'POST', headers: { cookie } });
      expect(forged.status).to.equal(403);
      expect(forged.json).to.deep.include({ code: 'ERR_CSRF' });
      const sent = await send(`${server.url}/cookie`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf } });
      expect(sent.status, sent.text).to.equal(200);
    });
  });
});
