/**
 * Security, structure class (issue 5; RFC 7515 §7.1, RFC 8725 §3.4): only the compact serialisation with exactly three
 * non-empty base64url segments (no padding, no `+`/`/`, no white space), a JSON object header and, once the signature
 * matched, a JSON object payload is read; a signature has exactly one spelling. Everything else is a 401.
 *
 * Where it matters, the malformed token is signed with the real secret, so that the refusal cannot come from the
 * signature check alone.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { Get, JsonController } from 'routing-controllers';
import { currentToken, RequireToken } from 'routing-controllers-jwt';
import { configFor } from '../support/keys';
import { b64, b64std, claims, hmac, hmacSigned, useSecurityServer } from './harness';

@JsonController('/sec/struct')
class StructureController {
  @Get('/ok')
  @RequireToken()
  ok() {
    return { sub: currentToken.sub };
  }

  @Get('/cookie')
  @RequireToken('auth', 'cookies', { cookieName: 'sec_token' })
  cookie() {
    return { sub: currentToken.sub };
  }
}

const HEADER = { alg: 'HS256', typ: 'JWT' };

describe('security: structure', () => {
  const config = configFor('HS256', 'https://issuer.sec-struct.example/Zr4');
  const sec = useSecurityServer({ config, controllers: [StructureController], healthPath: '/sec/struct/ok' });
  const secret = config.JWT_SECRET;
  const valid = (): string => hmacSigned(HEADER, claims(config.JWT_ISSUER), secret);
  /** `headerSegment.payloadSegment` signed with the real secret, whatever the segments are. */
  const signedSegments = (headerSegment: string, payloadSegment: string): string =>
    `${headerSegment}.${payloadSegment}.${hmac(`${headerSegment}.${payloadSegment}`, secret)}`;

  type Code = string | readonly string[];
  /** A non-canonical or wrong-length signature: refused by the parser or by the signature check. */
  const BAD_SIGNATURE = ['ERR_TOKEN_MALFORMED', 'ERR_TOKEN_SIGNATURE'] as const;

  async function refusedByHeader(token: string, code: Code): Promise<void> {
    sec.rejected(await sec.get('/sec/struct/ok', { authorization: `Bearer ${token}` }), { status: 401, code, sent: [token] });
  }

  async function refusedByCookie(value: string, code: Code): Promise<void> {
    sec.rejected(await sec.get('/sec/struct/cookie', { cookie: `sec_token=${value}` }), { status: 401, code, sent: [value] });
  }

  it('accepts a well-formed token in the header and in the cookie (control for every case below)', async () => {
    const token = valid();
    expect((await sec.get('/sec/struct/ok', { authorization: `Bearer ${token}` })).status).to.equal(200);
    expect((await sec.get('/sec/struct/cookie', { cookie: `sec_token=${token}` })).status).to.equal(200);
  });

  describe('segments', () => {
    it('rejects a stripped signature ("header.payload.", RFC 8725 §3.1)', async () => {
      const [h, p] = valid().split('.');
      await refusedByHeader(`${h}.${p}.`, 'ERR_TOKEN_MALFORMED');
    });

    it('rejects two segments ("header.payload")', async () => {
      const [h, p] = valid().split('.');
      await refusedByHeader(`${h}.${p}`, 'ERR_TOKEN_MALFORMED');
    });

    it('rejects four segments (a valid token plus ".sig" or a trailing ".")', async () => {
      const token = valid();
      await refusedByHeader(`${token}.${token.split('.')[2]}`, 'ERR_TOKEN_MALFORMED');
      await refusedByHeader(`${token}.`, 'ERR_TOKEN_MALFORMED');
    });

    it('rejects five segments (the JWE shape)', async () => {
      const [h, p, s] = valid().split('.');
      await refusedByHeader(`${h}.${p}.${s}.${s}.${s}`, 'ERR_TOKEN_MALFORMED');
    });

    it('rejects empty segments: "..", "...", ".payload.sig", "header..sig"', async () => {
      const [h, p, s] = valid().split('.');
      for (const token of ['..', '...', `.${p}.${s}`, `${h}..${s}`]) await refusedByHeader(token, 'ERR_TOKEN_MALFORMED');
    });

    it('rejects a validly signed token whose payload segment is empty', async () => {
      await refusedByHeader(signedSegments(b64(HEADER), ''), 'ERR_TOKEN_MALFORMED');
    });

    it('rejects a header segment whose length is 1 mod 4 (Buffer would drop the extra character)', async () => {
      const [h, p] = valid().split('.');
      const header = `${h}${'A'.repeat((1 - (h.length % 4) + 4) % 4)}`;
      expect(header.length % 4).to.equal(1);
      // Without the length check, the extra character would be dropped and the header would decode as before.
      expect(Buffer.from(header, 'base64url').toString('utf8')).to.equal(JSON.stringify(HEADER));
      await refusedByHeader(signedSegments(header, p), 'ERR_TOKEN_MALFORMED');
    });

    it('rejects a JSON-serialised JWS ({"payload":...,"signature":...})', async () => {
      const [h, p, s] = valid().split('.');
      await refusedByHeader(JSON.stringify({ protected: h, payload: p, signature: s }), 'ERR_TOKEN_MALFORMED');
    });
  });

  describe('base64url alphabet', () => {
    it('rejects "=" padding on the header (validly signed)', async () => {
      const h = `${b64(HEADER)}=`;
      await refusedByHeader(signedSegments(h, b64(claims(config.JWT_ISSUER))), 'ERR_TOKEN_MALFORMED');
    });

    it('rejects "=" padding on the payload (validly signed)', async () => {
      const p = `${b64(claims(config.JWT_ISSUER))}==`;
      await refusedByHeader(signedSegments(b64(HEADER), p), 'ERR_TOKEN_CLAIMS');
    });

    it('rejects "=" padding on the signature', async () => {
      await refusedByHeader(`${valid()}=`, 'ERR_TOKEN_MALFORMED');
    });

    it('rejects a header in standard base64 with "/" (validly signed)', async () => {
      const header = b64std({ ...HEADER, kid: '???' });
      expect(header).to.include('/');
      await refusedByHeader(signedSegments(header.replace(/=+$/, ''), b64(claims(config.JWT_ISSUER))), 'ERR_TOKEN_MALFORMED');
    });

    it('rejects a payload in standard base64 with "+" and "/" (validly signed)', async () => {
      const payload = b64std(claims(config.JWT_ISSUER, { note: '>>>???' })).replace(/=+$/, '');
      expect(payload).to.match(/\+/).and.match(/\//);
      await refusedByHeader(signedSegments(b64(HEADER), payload), 'ERR_TOKEN_CLAIMS');
    });

    it('rejects the real signature spelled in standard base64 ("+", "/", "=")', async () => {
      // Find a token whose signature has a character that differs between the two alphabets.
      let token = valid();
      for (let i = 0; !/[-_]/.test(token.split('.')[2]); i++) token = hmacSigned(HEADER, claims(config.JWT_ISSUER, { n: i }), secret);
      const [h, p, s] = token.split('.');
      const standard = Buffer.from(s, 'base64url').toString('base64');
      expect(standard).to.match(/[+/]/);
      await refusedByHeader(`${h}.${p}.${standard.replace(/=+$/, '')}`, 'ERR_TOKEN_MALFORMED');
      await refusedByHeader(`${h}.${p}.${standard}`, 'ERR_TOKEN_MALFORMED');
    });

    it('rejects a header with a UTF-8 byte order mark before its JSON (validly signed)', async () => {
      await refusedByHeader(signedSegments(b64(`\uFEFF${JSON.stringify(HEADER)}`), b64(claims(config.JWT_ISSUER))), 'ERR_TOKEN_MALFORMED');
    });

    it('rejects a header longer than 1024 characters before parsing it (validly signed)', async () => {
      const header = b64({ ...HEADER, pad: 'x'.repeat(1000) });
      expect(header.length).to.be.greaterThan(1024);
      await refusedByHeader(signedSegments(header, b64(claims(config.JWT_ISSUER))), 'ERR_TOKEN_MALFORMED');
    });
  });

  describe('white space around and inside the token', () => {
    it('rejects a leading space inside the Bearer value ("Bearer  <token>")', async () => {
      await refusedByHeader(` ${valid()}`, 'ERR_TOKEN_HEADER');
    });

    it('rejects a leading tab inside the Bearer value ("Bearer \\t<token>")', async () => {
      await refusedByHeader(`\t${valid()}`, 'ERR_TOKEN_HEADER');
    });

    it('rejects a trailing no-break space (U+00A0) after the token, in the header and in the cookie', async () => {
      await refusedByHeader(`${valid()}\u00a0`, 'ERR_TOKEN_HEADER');
      await refusedByCookie(`${valid()}\u00a0`, 'ERR_TOKEN_MALFORMED');
    });

    it('rejects a space or a tab inside the token (header: not one token; cookie: not base64url)', async () => {
      const [h, p, s] = valid().split('.');
      // In the header segment the parser refuses it; in the payload segment the signature no longer matches.
      for (const [token, code] of [[`${h} .${p}.${s}`, 'ERR_TOKEN_MALFORMED'], [`${h}.${p}.\t${s}`, 'ERR_TOKEN_MALFORMED'], [`${h}. ${p}.${s}`, 'ERR_TOKEN_SIGNATURE'], [`${h}.${p}\t.${s}`, 'ERR_TOKEN_SIGNATURE']]) {
        await refusedByHeader(token, 'ERR_TOKEN_HEADER');
        await refusedByCookie(token, code);
      }
    });

    it('rejects a validly signed token whose payload segment contains a space or a tab (cookie)', async () => {
      const p = b64(claims(config.JWT_ISSUER));
      await refusedByCookie(signedSegments(b64(HEADER), `${p.slice(0, 8)} ${p.slice(8)}`), 'ERR_TOKEN_CLAIMS');
      await refusedByCookie(signedSegments(b64(HEADER), `${p.slice(0, 8)}\t${p.slice(8)}`), 'ERR_TOKEN_CLAIMS');
    });

    it('treats trailing spaces and tabs as HTTP framing, not token bytes (RFC 9110 §5.5: Node strips them)', async () => {
      // Documented behaviour: the field value the library sees is the token itself, so nothing new gets in.
      for (const suffix of [' ', '\t', ' \t ']) {
        const reply = await sec.get('/sec/struct/ok', { authorization: `Bearer ${valid()}${suffix}` });
        expect(reply.status, JSON.stringify(suffix)).to.equal(200);
      }
    });
  });

  describe('JSON of the wrong type', () => {
    for (const [name, header] of [['an array', '["HS256"]'], ['an empty array', '[]'], ['a number', '1'], ['a string', '"HS256"'], ['null', 'null'], ['true', 'true']]) {
      it(`rejects a header that is ${name} (validly signed)`, async () => {
        await refusedByHeader(signedSegments(b64(header), b64(claims(config.JWT_ISSUER))), 'ERR_TOKEN_MALFORMED');
      });
    }

    it('rejects a header that is not JSON (validly signed)', async () => {
      await refusedByHeader(signedSegments(b64('{alg: HS256}'), b64(claims(config.JWT_ISSUER))), 'ERR_TOKEN_MALFORMED');
    });

    it('rejects a non-JSON payload with a garbage signature (payload never decoded before the signature matched)', async () => {
      await refusedByHeader(`${b64(HEADER)}.${b64('{"sub": not json')}.${b64('garbage-signature-bytes')}`, 'ERR_TOKEN_SIGNATURE');
    });

    it('rejects a non-JSON payload that is validly signed', async () => {
      await refusedByHeader(signedSegments(b64(HEADER), b64('{"sub": not json')), 'ERR_TOKEN_CLAIMS');
    });

    for (const [name, payload] of [
      ['an array', () => JSON.stringify([claims(config.JWT_ISSUER)])],
      ['a string', () => JSON.stringify(JSON.stringify(claims(config.JWT_ISSUER)))],
      ['a number', () => '1700000000'],
      ['null', () => 'null'],
      ['true', () => 'true'],
    ] as const) {
      it(`rejects a validly signed payload that is ${name}, not an object`, async () => {
        await refusedByHeader(hmacSigned(HEADER, payload(), secret), 'ERR_TOKEN_CLAIMS');
      });
    }
  });

  describe('signature encoding', () => {
    it('rejects a non-canonical signature: the unused low bits of the last character flipped', async () => {
      const token = valid();
      const [h, p, s] = token.split('.');
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      // 32 bytes = 43 characters carrying 258 bits: the last character's 2 low bits are unused.
      const last = alphabet[alphabet.indexOf(s.at(-1) as string) ^ 0b01];
      const altered = `${s.slice(0, -1)}${last}`;
      expect(altered).not.to.equal(s);
      expect(Buffer.from(altered, 'base64url').equals(Buffer.from(s, 'base64url')), 'same signature bytes').to.equal(true);
      await refusedByHeader(`${h}.${p}.${altered}`, BAD_SIGNATURE);
    });

    it('rejects an over-long signature (the real one plus "AAAA", plus "A", or twice)', async () => {
      const token = valid();
      const s = token.split('.')[2];
      await refusedByHeader(`${token}AAAA`, BAD_SIGNATURE);
      await refusedByHeader(`${token}A`, BAD_SIGNATURE);
      await refusedByHeader(`${token}${s}`, BAD_SIGNATURE);
    });

    it('rejects a truncated signature (the real one minus its last 4 or 1 characters)', async () => {
      const token = valid();
      await refusedByHeader(token.slice(0, -4), BAD_SIGNATURE);
      await refusedByHeader(token.slice(0, -1), BAD_SIGNATURE);
    });

    it('rejects a signature of zero bytes encoded as "AA" and a zero-filled signature of the right length', async () => {
      const [h, p] = valid().split('.');
      await refusedByHeader(`${h}.${p}.AA`, BAD_SIGNATURE);
      await refusedByHeader(`${h}.${p}.${Buffer.alloc(32).toString('base64url')}`, 'ERR_TOKEN_SIGNATURE');
    });
  });
});
