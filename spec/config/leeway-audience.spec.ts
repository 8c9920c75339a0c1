/**
 * JWT_LEEWAY (seconds of clock skew for exp, nbf and iat; 0 to 300, default 0: exact) and JWT_AUDIENCE (when set,
 * issued tokens carry it as aud and verified tokens must carry it; RFC 8725 §3.9). Tokens are crafted by hand
 * (base64url JSON signed with node:crypto and the real key) to set exp, iat, nbf and aud exactly.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import express from 'express';
import { createPrivateKey, sign as cryptoSign } from 'node:crypto';
import { AuthManager, currentToken, InvalidConfigError, requireToken, type TokenCheck } from 'routing-controllers-jwt';
import { decodeSegment, later, nowSeconds, segment, thrownBy } from '../support/tokens';
import { isolateConfig, isolateEnv } from '../support/isolation';
import { ecPair } from '../support/keys';
import { bearer, listen, send, type RunningServer } from '../support/server';
import { expectRejection } from '../support/require-token';

const ISSUER = 'https://skew.example';
const pair = ecPair('P-256');
const BASE_CONFIG = { JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'ES256', JWT_SECRET: pair.privateKey, JWT_PUBLICKEY: pair.publicKey };


/** An ES256 token over exactly these claims, signed by hand with the manager's real key (no kid: the single key). */
function tokenWith(claims: Record<string, unknown>): string {
  const input = `${segment({ alg: 'ES256', typ: 'JWT' })}.${segment(claims)}`;
  const signature = cryptoSign('sha256', Buffer.from(input), { key: createPrivateKey(pair.privateKey), dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/** Valid registered claims issued now and expiring in an hour, with `overrides` (a value of undefined removes it). */
function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = nowSeconds();
  const result: Record<string, unknown> = { sub: 'user-1', type: 'auth', iss: ISSUER, iat: now, exp: now + 3600, ...overrides };
  for (const key of Object.keys(result)) if (result[key] === undefined) delete result[key];
  return result;
}

function reasonOf(result: TokenCheck): string {
  return result.valid ? 'valid' : result.reason;
}


describe('JWT_LEEWAY', () => {
  isolateConfig();
  isolateEnv();

  const withLeeway = (leeway?: string | number): AuthManager =>
    new AuthManager(leeway === undefined ? BASE_CONFIG : { ...BASE_CONFIG, JWT_LEEWAY: leeway });

  it('the hand-made tokens are right: a fresh one verifies', () => {
    expect(reasonOf(withLeeway().checkToken(tokenWith(claims())))).to.equal('valid');
  });

  describe('JWT_LEEWAY 30', () => {
    it('a token expired 10 s ago passes; one expired 40 s ago fails (\'expired\')', () => {
      const manager = withLeeway('30');
      const now = nowSeconds();
      expect(reasonOf(manager.checkToken(tokenWith(claims({ iat: now - 100, exp: now - 10 }))))).to.equal('valid');
      expect(reasonOf(manager.checkToken(tokenWith(claims({ iat: now - 100, exp: now - 40 }))))).to.equal('expired');
    });

    it('the edge: expired exactly 30 s ago fails, 28 s ago passes', () => {
      const manager = withLeeway(30);
      const now = nowSeconds();
      expect(reasonOf(manager.checkToken(tokenWith(claims({ iat: now - 100, exp: now - 30 }))))).to.equal('expired');
      expect(reasonOf(manager.checkToken(tokenWith(claims({ iat: now - 100, exp: now - 28 }))))).to.equal('valid');
    });

    it('iat 10 s in the future passes; 40 s in the future fails (\'not_yet_valid\')', () => {
      const manager = withLeeway('30');
      const now = nowSeconds();
      expect(reasonOf(manager.checkToken(tokenWith(claims({ iat: now + 10 }))))).to.equal('valid');
      expect(reasonOf(manager.checkToken(tokenWith(claims({ iat: now + 40 }))))).to.equal('not_yet_valid');
    });

    it('nbf 10 s in the future passes; 40 s in the future fails (\'not_yet_valid\')', () => {
      const manager = withLeeway('30');
      const now = nowSeconds();
      expect(reasonOf(manager.checkToken(tokenWith(claims({ nbf: now + 10 }))))).to.equal('valid');
      expect(reasonOf(manager.checkToken(tokenWith(claims({ nbf: now + 40 }))))).to.equal('not_yet_valid');
    });

    it('a cached token stops verifying at exp + leeway, not later', () => {
      const manager = withLeeway('30');
      const now = nowSeconds();
      const token = tokenWith(claims({ iat: now - 100, exp: now - 10 }));
      // Managers of the same configuration share one cache: count what this token adds.
      const cachedBefore = manager.cachedTokenCount;
      expect(reasonOf(manager.checkToken(token))).to.equal('valid');
      expect(manager.cachedTokenCount).to.equal(cachedBefore + 1);
      expect(later(15, () => reasonOf(manager.checkToken(token)))).to.equal('valid');
      expect(later(22, () => reasonOf(manager.checkToken(token)))).to.equal('expired');
    });

    it('over HTTP: requireToken() applies the same leeway (200, then 401 ERR_TOKEN_EXPIRED / ERR_TOKEN_NOT_YET_VALID)', async () => {
      const app = express();
      for (const [name, value] of Object.entries({ ...BASE_CONFIG, JWT_LEEWAY: '30' })) app.set(name, value);
      new AuthManager(app);
      app.get('/x', requireToken(), (_req, res) => {
        res.json({ sub: currentToken.sub });
      });
      const server: RunningServer = await listen(app);
      try {
        const now = nowSeconds();
        const slightlyExpired = await send(`${server.url}/x`, { headers: bearer(tokenWith(claims({ iat: now - 100, exp: now - 10 }))) });
        expect(slightlyExpired.status, slightlyExpired.text).to.equal(200);
        const expired = await send(`${server.url}/x`, { headers: bearer(tokenWith(claims({ iat: now - 100, exp: now - 40 }))) });
        expectRejection(expired, { status: 401, code: 'ERR_TOKEN_EXPIRED', issuer: ISSUER, bearerError: 'invalid_token' });
        const early = await send(`${server.url}/x`, { headers: bearer(tokenWith(claims({ nbf: now + 40 }))) });
        expectRejection(early, { status: 401, code: 'ERR_TOKEN_NOT_YET_VALID', issuer: ISSUER, bearerError: 'invalid_token' });
      } finally {
        await server.close();
      }
    });
  });

  describe('JWT_LEEWAY 0 (the default) is exact', () => {
    for (const leeway of [undefined, '0', 0] as const) {
      it(`leeway ${JSON.stringify(leeway) ?? 'not set'}: expired at exp, not valid before iat or nbf`, () => {
        const manager = withLeeway(leeway);
        const now = nowSeconds();
        expect(reasonOf(manager.checkToken(tokenWith(claims({ iat: now - 100, exp: now }))))).to.equal('expired');
        expect(reasonOf(manager.checkToken(tokenWith(claims({ iat: now - 100, exp: now - 1 }))))).to.equal('expired');
        expect(reasonOf(manager.checkToken(tokenWith(claims({ iat: now - 100, exp: now + 2 }))))).to.equal('valid');
        expect(reasonOf(manager.checkToken(tokenWith(claims({ iat: now + 2 }))))).to.equal('not_yet_valid');
        expect(reasonOf(manager.checkToken(tokenWith(claims({ nbf: now + 2 }))))).to.equal('not_yet_valid');
        expect(reasonOf(manager.checkToken(tokenWith(claims({ nbf: now - 1 }))))).to.equal('valid');
      });
    }
  });

  it('security: nbf is honoured at all, and a non-numeric nbf is refused', () => {
    const manager = withLeeway();
    const now = nowSeconds();
    expect(reasonOf(manager.checkToken(tokenWith(claims({ nbf: now + 3600 }))))).to.equal('not_yet_valid');
    expect(reasonOf(manager.checkToken(tokenWith(claims({ nbf: String(now - 10) }))))).to.equal('claims');
  });

  it('refuses a JWT_LEEWAY outside 0..300 or not a whole number (InvalidConfigError naming JWT_LEEWAY)', () => {
    for (const bad of ['301', '-1', 301, -1, '1.5', 1.5, 'thirty', '30s', true]) {
      const error = thrownBy(() => withLeeway(bad as string));
      expect(error, String(bad)).to.be.instanceOf(InvalidConfigError);
      expect((error as InvalidConfigError).configValue).to.equal('JWT_LEEWAY');
      expect((error as InvalidConfigError).message).to.include('at most 300');
    }
    expect(withLeeway('300').verifyToken(tokenWith(claims()))).to.equal(true);
  });

  it('JWT_LEEWAY is read from process.env too', () => {
    process.env.JWT_LEEWAY = '30';
    const manager = withLeeway();
    const now = nowSeconds();
    expect(reasonOf(manager.checkToken(tokenWith(claims({ iat: now - 100, exp: now - 10 }))))).to.equal('valid');
  });
});

describe('JWT_AUDIENCE', () => {
  isolateConfig();
  isolateEnv();
  const AUDIENCE = 'api://orders';
  const withAudience = (audience?: unknown): AuthManager =>
    new AuthManager(audience === undefined ? BASE_CONFIG : { ...BASE_CONFIG, JWT_AUDIENCE: audience });

  it('issued auth and refresh tokens carry aud, and verify', () => {
    const manager = withAudience(AUDIENCE);
    const auth = manager.authToken('user-1').signed;
    const refresh = manager.refreshToken('user-1').signed;
    expect(decodeSegment(auth, 1).aud).to.equal(AUDIENCE);
    expect(decodeSegment(refresh, 1).aud).to.equal(AUDIENCE);
    expect(manager.verifyToken(auth)).to.equal(true);
    expect(manager.verifyToken(refresh)).to.equal(true);
  });

  it('security: a token without aud, with another aud, or with an aud array not containing it is refused (\'audience\')', () => {
    const manager = withAudience(AUDIENCE);
    const refused: unknown[] = [
      undefined,
      'api://billing',
      ['api://billing', 'api://users'],
      'API://ORDERS',
      'api://orders/',
      'api://order',
      'api://orders api://billing',
      [],
      [['api://orders']],
      { aud: 'api://orders' },
      null,
    ];
    for (const aud of refused) {
      expect(reasonOf(manager.checkToken(tokenWith(claims({ aud })))), JSON.stringify(aud) ?? 'no aud').to.equal('audience');
    }
  });

  it('an aud array containing it passes, as does the exact string', () => {
    const manager = withAudience(AUDIENCE);
    expect(reasonOf(manager.checkToken(tokenWith(claims({ aud: ['api://billing', AUDIENCE] }))))).to.equal('valid');
    expect(reasonOf(manager.checkToken(tokenWith(claims({ aud: [AUDIENCE] }))))).to.equal('valid');
    expect(reasonOf(manager.checkToken(tokenWith(claims({ aud: AUDIENCE }))))).to.equal('valid');
  });

  it('security: a token meant for one service is refused by another sharing the key', () => {
    const orders = withAudience(AUDIENCE);
    const billing = withAudience('api://billing');
    const token = orders.authToken('user-1').signed;
    expect(orders.verifyToken(token)).to.equal(true);
    expect(reasonOf(billing.checkToken(token))).to.equal('audience');
  });

  it('without JWT_AUDIENCE configured, aud is not required (and not checked); issued tokens carry none', () => {
    const manager = withAudience();
    expect(decodeSegment(manager.authToken('u').signed, 1)).not.to.have.property('aud');
    expect(reasonOf(manager.checkToken(tokenWith(claims())))).to.equal('valid');
    expect(reasonOf(manager.checkToken(tokenWith(claims({ aud: 'api://anything' }))))).to.equal('valid');
    expect(reasonOf(manager.checkToken(tokenWith(claims({ aud: ['a', 'b'] }))))).to.equal('valid');
  });

  it('the signer sets aud: passing aud as an extra claim is a TypeError when an audience is configured', () => {
    const manager = withAudience(AUDIENCE);
    expect(() => manager.authToken('u', null, { aud: 'api://billing' })).to.throw(TypeError, /aud/);
  });

  it('security: the signature is checked before aud (a forged token with the right aud is refused for its signature)', () => {
    const manager = withAudience(AUDIENCE);
    const genuine = tokenWith(claims({ aud: 'api://billing' }));
    const [h, , s] = genuine.split('.');
    expect(reasonOf(manager.checkToken(`${h}.${segment(claims({ aud: AUDIENCE }))}.${s}`))).to.equal('signature');
  });

  it('refuses a JWT_AUDIENCE that is not a non-empty string (InvalidConfigError naming JWT_AUDIENCE)', () => {
    for (const bad of ['   ', 42, ['api://orders'], true]) {
      const error = thrownBy(() => withAudience(bad));
      expect(error, String(bad)).to.be.instanceOf(InvalidConfigError);
      expect((error as InvalidConfigError).configValue).to.equal('JWT_AUDIENCE');
    }
  });

  it('over HTTP: a token for another audience is answered 401 ERR_TOKEN_AUDIENCE', async () => {
    const app = express();
    for (const [name, value] of Object.entries({ ...BASE_CONFIG, JWT_AUDIENCE: AUDIENCE })) app.set(name, value);
    const manager = new AuthManager(app);
    app.get('/x', requireToken(), (_req, res) => {
      res.json({ aud: currentToken.claims.aud });
    });
    const server = await listen(app);
    try {
      const ok = await send(`${server.url}/x`, { headers: bearer(manager.authToken('u').signed) });
      expect(ok.status, ok.text).to.equal(200);
      expect(ok.json).to.deep.equal({ aud: AUDIENCE });
      const other = await send(`${server.url}/x`, { headers: bearer(tokenWith(claims({ aud: 'api://billing' }))) });
      expectRejection(other, { status: 401, code: 'ERR_TOKEN_AUDIENCE', issuer: ISSUER, bearerError: 'invalid_token', secrets: [AUDIENCE] });
      const none = await send(`${server.url}/x`, { headers: bearer(tokenWith(claims())) });
      expectRejection(none, { status: 401, code: 'ERR_TOKEN_AUDIENCE', issuer: ISSUER, bearerError: 'invalid_token' });
    } finally {
      await server.close();
    }
  });
});
