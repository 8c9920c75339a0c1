/**
 * The verified-token cache: bounded, keyed by the exact token string, entries dropped at exp, filled only by
 * successful verification, with an off switch; every per-request check that is not about the signature still runs
 * on a hit.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import express from 'express';
import { Get, JsonController, useExpressServer } from 'routing-controllers';
import { AuthManager, InvalidConfigError, RequireToken, type JWT } from 'routing-controllers-jwt';
import { configFor } from '../support/keys';
import { bearer, listen, send } from '../support/server';
import { tamperedSignature } from '../support/require-token';
import { later } from '../support/tokens';

function managerWith(cacheSize: string | undefined, maxAge = '3600'): AuthManager {
  const config: Record<string, string> = { ...configFor('HS256', 'cache-spec'), JWT_AUTHMAXAGE: maxAge };
  if (cacheSize !== undefined) config.JWT_CACHESIZE = cacheSize;
  return new AuthManager(config);
}

function verified(manager: AuthManager, token: string): JWT {
  const result = manager.checkToken(token);
  if (!result.valid) throw new Error(`expected a valid token, got ${result.reason}`);
  return result.token;
}


@JsonController('/cache')
class CacheController {
  @Get('/any')
  @RequireToken()
  any() {
    return { ok: true };
  }

  @Get('/admin')
  @RequireToken({ scope: { admin: true } })
  admin() {
    return { ok: true };
  }

  @Get('/refresh')
  @RequireToken('refresh')
  refresh() {
    return { ok: true };
  }
}

describe('verified-token cache', () => {
  it('is on by default (1000 entries) and answers a hit with the same verified token', () => {
    const manager = managerWith(undefined);
    const token = manager.authToken('u1').signed;
    const first = verified(manager, token);
    expect(manager.cachedTokenCount).to.equal(1);
    expect(verified(manager, token)).to.equal(first);
  });

  it('JWT_CACHESIZE=0 turns it off: nothing is kept, every check verifies again', () => {
    const manager = managerWith('0');
    const token = manager.authToken('u1').signed;
    expect(verified(manager, token)).not.to.equal(verified(manager, token));
    expect(manager.cachedTokenCount).to.equal(0);
  });

  it('refuses a JWT_CACHESIZE that is not a whole non-negative number', () => {
    for (const bad of ['-1', '1.5', 'lots', '2000000']) {
      expect(() => managerWith(bad), bad).to.throw(InvalidConfigError, /JWT_CACHESIZE/);
    }
  });

  it('is bounded: the least recently used token is dropped first', () => {
    const manager = managerWith('2');
    const [a, b, c] = ['a', 'b', 'c'].map((sub) => manager.authToken(sub).signed);
    const first = verified(manager, a);
    verified(manager, b);
    verified(manager, a); // a is now the most recent
    verified(manager, c); // evicts b
    expect(manager.cachedTokenCount).to.equal(2);
    expect(verified(manager, a)).to.equal(first);
  });

  it('security: garbage and forged tokens are never cached and never evict a good entry', () => {
    const manager = managerWith('2');
    const good = manager.authToken('u1').signed;
    const first = verified(manager, good);
    for (let i = 0; i < 100; i++) {
      expect(manager.checkToken(tamperedSignature(good)).valid).to.equal(false);
      expect(manager.checkToken(`garbage.${i}.x`).valid).to.equal(false);
    }
    expect(manager.cachedTokenCount).to.equal(1);
    expect(verified(manager, good)).to.equal(first);
  });

  it('security: a cached token stops verifying at its exp', () => {
    const manager = managerWith(undefined, '60');
    const token = manager.authToken('u1').signed;
    verified(manager, token);
    expect(later(59, () => manager.checkToken(token).valid)).to.equal(true);
    expect(later(60, () => manager.checkToken(token))).to.deep.equal({ valid: false, reason: 'expired' });
    expect(manager.cachedTokenCount).to.equal(0);
  });

  it('is keyed by the exact token string: another spelling is verified (and refused) on its own', () => {
    const manager = managerWith(undefined);
    const token = manager.authToken('u1').signed;
    verified(manager, token);
    expect(manager.checkToken(` ${token}`).valid).to.equal(false);
    expect(manager.checkToken(`${token}=`).valid).to.equal(false);
  });

  it('serves verified tokens read-only, so a handler cannot change what the cache hands to the next request', () => {
    const manager = managerWith(undefined);
    const token = verified(manager, manager.authToken('u1', { admin: false }).signed);
    expect(Object.isFrozen(token)).to.equal(true);
    expect(Object.isFrozen(token.claims)).to.equal(true);
    expect(Object.isFrozen(token.claims.scope)).to.equal(true);
    expect(() => {
      (token.claims.scope as Record<string, unknown>).admin = true;
    }).to.throw(TypeError);
  });

  describe('over HTTP: every check that is not about the signature still runs on a hit', () => {
    const app = express();
    for (const [name, value] of Object.entries(configFor('HS256', 'cache-http'))) app.set(name, value);
    const manager = new AuthManager(app);
    useExpressServer(app, { controllers: [CacheController] });

    it('a cached token without the scope is still refused (403) where the scope is required', async () => {
      const server = await listen(app);
      try {
        const token = manager.authToken('u1').signed;
        expect((await send(`${server.url}/cache/any`, { headers: bearer(token) })).status).to.equal(200);
        expect(manager.cachedTokenCount).to.be.greaterThan(0);
        expect((await send(`${server.url}/cache/admin`, { headers: bearer(token) })).status).to.equal(403);
      } finally {
        await server.close();
      }
    });

    it('a cached auth token is still refused (401) where a refresh token is required', async () => {
      const server = await listen(app);
      try {
        const token = manager.authToken('u2').signed;
        expect((await send(`${server.url}/cache/any`, { headers: bearer(token) })).status).to.equal(200);
        expect((await send(`${server.url}/cache/refresh`, { headers: bearer(token) })).status).to.equal(401);
      } finally {
        await server.close();
      }
    });
  });
});
