/**
 * Security, claims class (issue 5; RFC 8725 §3.8, §3.10 and §3.11, RFC 7519 §4.1, RFC 7515 §4.1.11): every token here
 * is validly signed with the real key, so each refusal comes from the claim checks: registered claims present and of
 * the right type, `exp` finite and in the future (`now >= exp` is expired), `iat`/`nbf` not in the future, the exact
 * issuer, the right token type, and no critical header extension.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { Get, JsonController } from 'routing-controllers';
import { currentToken, RequireToken } from 'routing-controllers-jwt';
import { configFor } from '../support/keys';
import { claims, hmacSigned, now, rawClaims, useSecurityServer } from './harness';

@JsonController('/sec/claims')
class ClaimsController {
  @Get('/ok')
  @RequireToken()
  ok() {
    return { sub: currentToken.sub };
  }

  @Get('/refresh')
  @RequireToken('refresh')
  refresh() {
    return { sub: currentToken.sub };
  }
}

const HEADER = { alg: 'HS256', typ: 'JWT' };

describe('security: claims', () => {
  const issuer = 'https://issuer.sec-claims.example/Tm9';
  const config = configFor('HS256', issuer);
  const sec = useSecurityServer({ config, controllers: [ClaimsController], healthPath: '/sec/claims/ok' });
  const sign = (payload: unknown, header: unknown = HEADER): string => hmacSigned(header, payload, config.JWT_SECRET);
  const without = (...keys: string[]): Record<string, unknown> => {
    const copy = claims(issuer);
    for (const key of keys) delete copy[key];
    return copy;
  };

  async function refused(token: string, code: string, path = '/sec/claims/ok'): Promise<void> {
    sec.rejected(await sec.get(path, { authorization: `Bearer ${token}` }), { status: 401, code, sent: [token] });
  }

  it('accepts the hand-built claim set as is (control for every case below)', async () => {
    const reply = await sec.get('/sec/claims/ok', { authorization: `Bearer ${sign(claims(issuer))}` });
    expect(reply.status, reply.text).to.equal(200);
    expect(reply.json).to.deep.equal({ sub: 'user-1' });
  });

  describe('expiry (RFC 7519 §4.1.4)', () => {
    it('rejects an expired token', async () => {
      await refused(sign(claims(issuer, { iat: now() - 7200, exp: now() - 3600 })), 'ERR_TOKEN_EXPIRED');
    });

    it('rejects a token one second past exp', async () => {
      await refused(sign(claims(issuer, { iat: now() - 60, exp: now() - 1 })), 'ERR_TOKEN_EXPIRED');
    });

    it('rejects a token exactly at exp (now >= exp is expired)', async () => {
      // exp is this whole second; the server's clock, with its milliseconds, is at or past it.
      await refused(sign(claims(issuer, { iat: now() - 60, exp: now() })), 'ERR_TOKEN_EXPIRED');
    });

    it('rejects a non-finite exp (1e309 in the JSON text parses to Infinity)', async () => {
      await refused(sign(rawClaims(issuer, '"exp":1e309', { exp: undefined })), 'ERR_TOKEN_CLAIMS');
    });

    it('rejects a negative non-finite exp (-1e309 parses to -Infinity)', async () => {
      await refused(sign(rawClaims(issuer, '"exp":-1e309', { exp: undefined })), 'ERR_TOKEN_CLAIMS');
    });

    it('rejects exp as a string (a far-future date spelled as text)', async () => {
      await refused(sign(claims(issuer, { exp: String(now() + 3600) })), 'ERR_TOKEN_CLAIMS');
    });

    it('rejects exp as a boolean, as null, as an array and as an object', async () => {
      for (const exp of [true, null, [now() + 3600], { value: now() + 3600 }]) await refused(sign(claims(issuer, { exp })), 'ERR_TOKEN_CLAIMS');
    });
  });

  describe('registered claims present (RFC 8725 §3.10)', () => {
    for (const claim of ['exp', 'iat', 'iss', 'sub', 'type']) {
      it(`rejects a token without "${claim}"`, async () => {
        await refused(sign(without(claim)), 'ERR_TOKEN_CLAIMS');
      });
    }

    it('rejects a token whose registered claims are null', async () => {
      for (const claim of ['iat', 'iss', 'sub', 'type']) await refused(sign(claims(issuer, { [claim]: null })), 'ERR_TOKEN_CLAIMS');
    });

    it('rejects sub as an object, an array, a boolean and a non-finite number', async () => {
      for (const sub of [{ id: 'user-1' }, ['user-1'], true]) await refused(sign(claims(issuer, { sub })), 'ERR_TOKEN_CLAIMS');
      await refused(sign(rawClaims(issuer, '"sub":1e309', { sub: undefined })), 'ERR_TOKEN_CLAIMS');
    });

    it('rejects iat as a string and as a non-finite number', async () => {
      await refused(sign(claims(issuer, { iat: String(now()) })), 'ERR_TOKEN_CLAIMS');
      await refused(sign(rawClaims(issuer, '"iat":-1e309', { iat: undefined })), 'ERR_TOKEN_CLAIMS');
    });
  });

  describe('not before (RFC 7519 §4.1.5, §4.1.6)', () => {
    it('rejects iat in the future', async () => {
      await refused(sign(claims(issuer, { iat: now() + 120, exp: now() + 3600 })), 'ERR_TOKEN_NOT_YET_VALID');
    });

    it('rejects nbf in the future', async () => {
      await refused(sign(claims(issuer, { nbf: now() + 120 })), 'ERR_TOKEN_NOT_YET_VALID');
    });

    it('rejects nbf as a string and as a non-finite number', async () => {
      await refused(sign(claims(issuer, { nbf: String(now() - 60) })), 'ERR_TOKEN_CLAIMS');
      await refused(sign(rawClaims(issuer, '"nbf":1e309')), 'ERR_TOKEN_CLAIMS');
    });
  });

  describe('issuer (RFC 8725 §3.8)', () => {
    it('rejects a token of another issuer', async () => {
      await refused(sign(claims(issuer, { iss: 'https://attacker.example/Tm9' })), 'ERR_TOKEN_ISSUER');
    });

    it('rejects the issuer in another case', async () => {
      await refused(sign(claims(issuer, { iss: issuer.toUpperCase() })), 'ERR_TOKEN_ISSUER');
    });

    it('rejects the empty-string issuer', async () => {
      await refused(sign(claims(issuer, { iss: '' })), 'ERR_TOKEN_ISSUER');
    });

    it('rejects near misses: a trailing slash, surrounding space, a prefix, a suffix', async () => {
      for (const iss of [`${issuer}/`, ` ${issuer}`, `${issuer} `, issuer.slice(0, -1), `${issuer}x`]) {
        await refused(sign(claims(issuer, { iss })), 'ERR_TOKEN_ISSUER');
      }
    });

    it('rejects the issuer wrapped in an array', async () => {
      await refused(sign(claims(issuer, { iss: [issuer] })), 'ERR_TOKEN_CLAIMS');
    });
  });

  describe('token type (RFC 8725 §3.11)', () => {
    it('rejects a refresh token where an auth token is required', async () => {
      await refused(sign(claims(issuer, { type: 'refresh', rid: 'r-1' })), 'ERR_TOKEN_TYPE');
      await refused(sec.manager.refreshToken('user-1').signed, 'ERR_TOKEN_TYPE');
    });

    it('rejects an auth token where a refresh token is required', async () => {
      await refused(sign(claims(issuer)), 'ERR_TOKEN_TYPE', '/sec/claims/refresh');
      await refused(sec.authToken('user-1'), 'ERR_TOKEN_TYPE', '/sec/claims/refresh');
    });

    it('rejects type "admin", "AUTH" and "auth " on both routes', async () => {
      for (const type of ['admin', 'AUTH', 'auth ', 'Refresh']) {
        await refused(sign(claims(issuer, { type })), 'ERR_TOKEN_CLAIMS');
        await refused(sign(claims(issuer, { type })), 'ERR_TOKEN_CLAIMS', '/sec/claims/refresh');
      }
    });

    it('rejects type ["auth"] (an array)', async () => {
      await refused(sign(claims(issuer, { type: ['auth'] })), 'ERR_TOKEN_CLAIMS');
    });
  });

  describe('critical header extensions (RFC 7515 §4.1.11)', () => {
    it('rejects crit ["exp"] (an unknown extension named like a claim)', async () => {
      await refused(sign(claims(issuer), { ...HEADER, crit: ['exp'], exp: now() + 3600 }), 'ERR_TOKEN_CRITICAL_HEADER');
    });

    it('rejects crit ["b64"] with b64 false (RFC 7797 unencoded payload)', async () => {
      await refused(sign(claims(issuer), { ...HEADER, crit: ['b64'], b64: false }), 'ERR_TOKEN_CRITICAL_HEADER');
    });

    it('rejects crit [] (an empty list is itself invalid)', async () => {
      await refused(sign(claims(issuer), { ...HEADER, crit: [] }), 'ERR_TOKEN_CRITICAL_HEADER');
    });

    it('rejects crit null and crit "exp" (wrong types)', async () => {
      await refused(sign(claims(issuer), { ...HEADER, crit: null }), 'ERR_TOKEN_CRITICAL_HEADER');
      await refused(sign(claims(issuer), { ...HEADER, crit: 'exp' }), 'ERR_TOKEN_CRITICAL_HEADER');
    });
  });
});
