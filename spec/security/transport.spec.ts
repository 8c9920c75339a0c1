/**
 * Security, transport class (issue 5; RFC 6750 §2.1, RFC 6265 §4.2.1): the token is read only from
 * `Authorization: Bearer <token>` (scheme in any case, exactly one space, one token, one header) or from the first
 * occurrence of the named cookie, taken raw (no percent-decoding, no unquoting). Over-long tokens are refused before
 * anything is decoded; deep JSON nesting and oversized headers do not take the process down.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { Agent } from 'node:http';
import { Get, JsonController } from 'routing-controllers';
import { currentToken, MAX_TOKEN_LENGTH, RequireToken } from 'routing-controllers-jwt';
import { configFor } from '../support/keys';
import { send } from '../support/server';
import { b64, claims, hmac, hmacSigned, rawClaims, rawGet, useSecurityServer } from './harness';

@JsonController('/sec/transport')
class TransportController {
  @Get('/ok')
  @RequireToken()
  ok() {
    return { sub: currentToken.sub };
  }

  @Get('/cookie')
  @RequireToken('auth', 'cookies', { cookieName: 'auth_token' })
  cookie() {
    return { sub: currentToken.sub };
  }

  @Get('/claim')
  @RequireToken({ a: { b: 1 } })
  claim() {
    return { sub: currentToken.sub };
  }
}

describe('security: transport', () => {
  const issuer = 'https://issuer.sec-transport.example/Hn5';
  const config = configFor('HS256', issuer);
  const sec = useSecurityServer({ config, controllers: [TransportController], healthPath: '/sec/transport/ok' });
  const HEADER = { alg: 'HS256', typ: 'JWT' };
  const valid = (): string => sec.authToken('user-1');
  /** `headerSegment.payloadSegment` signed with the real secret. */
  const signedSegments = (headerSegment: string, payloadSegment: string): string =>
    `${headerSegment}.${payloadSegment}.${hmac(`${headerSegment}.${payloadSegment}`, config.JWT_SECRET)}`;

  async function headerRefused(authorization: string | string[], code: string, sent: readonly string[] = []): Promise<void> {
    const values = Array.isArray(authorization) ? authorization : [authorization];
    sec.rejected(await sec.get('/sec/transport/ok', { authorization }), { status: 401, code, sent: [...values, ...sent] });
  }

  async function cookieRefused(cookie: string | undefined, code: string, sent: readonly string[] = []): Promise<void> {
    const headers: Record<string, string> = cookie === undefined ? {} : { cookie };
    sec.rejected(await sec.get('/sec/transport/cookie', headers), { status: 401, code, sent: [...(cookie === undefined ? [] : [cookie]), ...sent] });
  }

  describe('Authorization header', () => {
    it('accepts "Bearer", "bearer", "BEARER" and "bEaReR" as the scheme (RFC 6750: case-insensitive)', async () => {
      for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
        const reply = await sec.get('/sec/transport/ok', { authorization: `${scheme} ${valid()}` });
        expect(reply.status, scheme).to.equal(200);
        expect(reply.json).to.deep.equal({ sub: 'user-1' });
      }
    });

    it('rejects a missing and an empty Authorization header (no error code: no token was presented)', async () => {
      const missing = await sec.get('/sec/transport/ok');
      sec.rejected(missing, { status: 401, code: 'ERR_TOKEN_MISSING' });
      expect(missing.headers['www-authenticate']).not.to.include('error=');
      await headerRefused('', 'ERR_TOKEN_MISSING');
    });

    it('rejects "Bearer  <token>" (two spaces)', async () => {
      await headerRefused(`Bearer  ${valid()}`, 'ERR_TOKEN_HEADER');
    });

    it('rejects "Bearer\\t<token>" (a tab instead of the space)', async () => {
      await headerRefused(`Bearer\t${valid()}`, 'ERR_TOKEN_HEADER');
    });

    it('rejects "Bearer" alone and "Bearer " with nothing after it', async () => {
      await headerRefused('Bearer', 'ERR_TOKEN_HEADER');
      await headerRefused('Bearer ', 'ERR_TOKEN_HEADER');
    });

    it('rejects "Basic <token>" and a real Basic credential', async () => {
      await headerRefused(`Basic ${valid()}`, 'ERR_TOKEN_HEADER');
      await headerRefused(`Basic ${Buffer.from('admin:hunter2').toString('base64')}`, 'ERR_TOKEN_HEADER');
    });

    it('rejects other schemes: "Token <token>", "JWT <token>", "Bearer: <token>", "Bearerx <token>"', async () => {
      for (const scheme of ['Token', 'JWT', 'Bearer:', 'Bearerx', 'Beare']) await headerRefused(`${scheme} ${valid()}`, 'ERR_TOKEN_HEADER');
    });

    it('rejects the bare token without a scheme', async () => {
      await headerRefused(valid(), 'ERR_TOKEN_HEADER');
    });

    it('rejects two tokens in one header: "Bearer <t> <t>" and "Bearer <t>, Bearer <t>"', async () => {
      const token = valid();
      await headerRefused(`Bearer ${token} ${token}`, 'ERR_TOKEN_HEADER');
      await headerRefused(`Bearer ${token}, Bearer ${token}`, 'ERR_TOKEN_HEADER');
      await headerRefused(`Bearer ${token},${token}`, 'ERR_TOKEN_MALFORMED');
    });

    it('rejects two Authorization headers, both valid', async () => {
      const token = valid();
      await headerRefused([`Bearer ${token}`, `Bearer ${token}`], 'ERR_TOKEN_HEADER');
    });

    it('rejects two Authorization headers: valid first, garbage second (Node keeps only the first)', async () => {
      await headerRefused([`Bearer ${valid()}`, 'Bearer garbage'], 'ERR_TOKEN_HEADER');
    });

    it('rejects two Authorization headers: garbage first, valid second', async () => {
      await headerRefused(['Bearer garbage', `Bearer ${valid()}`], 'ERR_TOKEN_HEADER');
    });

    it('rejects a valid token offered in the cookie or the query string of a header route', async () => {
      const token = valid();
      sec.rejected(await sec.get('/sec/transport/ok', { cookie: `auth_token=${token}` }), { status: 401, code: 'ERR_TOKEN_MISSING', sent: [token] });
      sec.rejected(await sec.get(`/sec/transport/ok?access_token=${token}`), { status: 401, code: 'ERR_TOKEN_MISSING', sent: [token] });
    });
  });

  describe('cookie', () => {
    it('accepts the token in the auth_token cookie, first among others (control)', async () => {
      const token = valid();
      expect((await sec.get('/sec/transport/cookie', { cookie: `auth_token=${token}` })).status).to.equal(200);
      expect((await sec.get('/sec/transport/cookie', { cookie: `theme=dark; auth_token=${token}; x=1` })).status).to.equal(200);
    });

    it('rejects a request without a Cookie header', async () => {
      await cookieRefused(undefined, 'ERR_TOKEN_MISSING');
    });

    it('rejects malformed cookie headers: "auth_token", "=x", ";;;", "auth_token=;", "auth_token="', async () => {
      for (const cookie of ['auth_token', '=x', ';;;', 'auth_token=;', 'auth_token=', ' = ; = ']) await cookieRefused(cookie, 'ERR_TOKEN_MISSING');
    });

    it('rejects a valid token under a near-miss name: AUTH_TOKEN, xauth_token, auth_token2, "auth token"', async () => {
      const token = valid();
      for (const name of ['AUTH_TOKEN', 'xauth_token', 'auth_token2', 'auth token', 'auth_toke']) {
        await cookieRefused(`${name}=${token}`, 'ERR_TOKEN_MISSING', [token]);
      }
    });

    it('uses the first occurrence: valid first and garbage second is accepted', async () => {
      const reply = await sec.get('/sec/transport/cookie', { cookie: `auth_token=${valid()}; auth_token=garbage` });
      expect(reply.status, reply.text).to.equal(200);
    });

    it('uses the first occurrence: garbage first and valid second is refused', async () => {
      await cookieRefused(`auth_token=garbage; auth_token=${valid()}`, 'ERR_TOKEN_MALFORMED');
    });

    it('uses the first occurrence across two Cookie header lines (Node joins them with "; ")', async () => {
      const token = valid();
      const first = await rawGet(sec.url, '/sec/transport/cookie', [`Cookie: auth_token=${token}`, 'Cookie: auth_token=garbage']);
      expect(first.status, first.text).to.equal(200);
      const second = await rawGet(sec.url, '/sec/transport/cookie', ['Cookie: auth_token=garbage', `Cookie: auth_token=${token}`]);
      sec.rejected(second, { status: 401, code: 'ERR_TOKEN_MALFORMED', sent: [token] });
    });

    it('rejects a URL-encoded token (one character percent-encoded): the value is taken raw', async () => {
      const token = valid();
      await cookieRefused(`auth_token=%65${token.slice(1)}`, 'ERR_TOKEN_MALFORMED', [token]);
      await cookieRefused(`auth_token=${token.replace('.', '%2E')}`, 'ERR_TOKEN_MALFORMED', [token]);
    });

    it('rejects a quoted cookie value ("<token>")', async () => {
      const token = valid();
      await cookieRefused(`auth_token="${token}"`, 'ERR_TOKEN_MALFORMED', [token]);
    });

    it('rejects a valid token sent in the Authorization header of a cookie route', async () => {
      const token = valid();
      sec.rejected(await sec.get('/sec/transport/cookie', { authorization: `Bearer ${token}` }), { status: 401, code: 'ERR_TOKEN_MISSING', sent: [token] });
    });
  });

  describe('size and depth', () => {
    const garbage = (length: number): string => {
      const part = Math.floor((length - 2) / 3);
      return `${'e'.repeat(part)}.${'f'.repeat(part)}.${'g'.repeat(length - 2 - 2 * part)}`;
    };

    it(`rejects a 9000-character token in the header (over the ${MAX_TOKEN_LENGTH} cap)`, async () => {
      const token = garbage(9000);
      expect(token).to.have.length(9000);
      await headerRefused(`Bearer ${token}`, 'ERR_TOKEN_HEADER');
    });

    it('rejects a 16000-character token in the header', async () => {
      await headerRefused(`Bearer ${garbage(16000)}`, 'ERR_TOKEN_HEADER');
    });

    it('rejects a validly signed 9000-character token: the cap applies before the signature is even looked at', async () => {
      const token = hmacSigned(HEADER, claims(issuer, { pad: 'x'.repeat(6600) }), config.JWT_SECRET);
      expect(token.length).to.be.within(MAX_TOKEN_LENGTH + 1, 9500);
      await headerRefused(`Bearer ${token}`, 'ERR_TOKEN_HEADER');
      await cookieRefused(`auth_token=${token}`, 'ERR_TOKEN_MALFORMED', [token]);
    });

    it('rejects a 9000- and a 16000-character token in the cookie', async () => {
      await cookieRefused(`auth_token=${garbage(9000)}`, 'ERR_TOKEN_MALFORMED');
      await cookieRefused(`auth_token=${garbage(16000)}`, 'ERR_TOKEN_MALFORMED');
    });

    it('rejects a 7000-character garbage token within the limits', async () => {
      const header = b64(HEADER);
      const token = `${header}.${'A'.repeat(7000 - header.length - 45)}.${Buffer.alloc(32, 7).toString('base64url')}`;
      expect(token).to.have.length(7000);
      await headerRefused(`Bearer ${token}`, 'ERR_TOKEN_SIGNATURE');
      await headerRefused(`Bearer ${'x'.repeat(7000)}`, 'ERR_TOKEN_MALFORMED');
    });

    it('rejects a payload of 5000 "[" with a garbage signature (never parsed)', async () => {
      await headerRefused(`Bearer ${b64(HEADER)}.${b64('['.repeat(5000))}.${b64('garbage-signature')}`, 'ERR_TOKEN_SIGNATURE');
    });

    it('rejects a validly signed payload of 5000 "[" (unterminated JSON)', async () => {
      const token = signedSegments(b64(HEADER), b64('['.repeat(5000)));
      expect(token.length).to.be.at.most(MAX_TOKEN_LENGTH);
      await headerRefused(`Bearer ${token}`, 'ERR_TOKEN_CLAIMS');
    });

    it('rejects a validly signed payload of 3000 nested arrays', async () => {
      const token = signedSegments(b64(HEADER), b64(`${'['.repeat(3000)}${']'.repeat(3000)}`));
      expect(token.length).to.be.at.most(MAX_TOKEN_LENGTH);
      await headerRefused(`Bearer ${token}`, 'ERR_TOKEN_CLAIMS');
    });

    it('answers 403 for validly signed claims nested 900 deep ({"a":{"a":...}}) and stays up', async () => {
      const depth = 900;
      const nested = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      const token = hmacSigned(HEADER, rawClaims(issuer, `"a":${nested}`), config.JWT_SECRET);
      expect(token.length).to.be.at.most(MAX_TOKEN_LENGTH);
      sec.rejected(await sec.get('/sec/transport/claim', { authorization: `Bearer ${token}` }), {
        status: 403,
        code: 'ERR_TOKEN_FORBIDDEN_CLAIMS',
        sent: [token],
      });
    });

    it('rejects a header nested 400 deep (over the header length cap, never parsed)', async () => {
      const header = b64(`{"alg":"HS256","x":${'['.repeat(400)}${']'.repeat(400)}}`);
      expect(header.length).to.be.greaterThan(1024);
      await headerRefused(`Bearer ${signedSegments(header, b64(claims(issuer)))}`, 'ERR_TOKEN_MALFORMED');
    });

    it('gets 431 from Node itself for headers over its limit, and the server answers afterwards', async () => {
      // Node refuses the request before Express runs; it may answer 431 or simply close the connection.
      const agent = new Agent({ keepAlive: false });
      try {
        const outcome = await send(`${sec.url}/sec/transport/ok`, {
          headers: { authorization: `Bearer ${valid()}`, 'x-padding': 'p'.repeat(20000) },
          agent,
        }).then(
          (reply) => reply.status,
          (error: NodeJS.ErrnoException) => error.code ?? 'error',
        );
        expect([431, 'ECONNRESET', 'EPIPE']).to.include(outcome);
      } finally {
        agent.destroy();
      }
      expect((await sec.get('/sec/transport/ok', { authorization: `Bearer ${valid()}` })).status).to.equal(200);
    });
  });
});
