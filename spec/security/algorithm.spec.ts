/**
 * Security, algorithm class (issue 5; RFC 8725 §3.1 and §3.2): one pinned algorithm per configuration. `none` in any
 * spelling, any other algorithm name (however close), and HMAC tokens keyed with the RS public key in any of its
 * encodings are refused with 401 (CVE-2015-9235, CVE-2022-23540, CVE-2022-23541, CVE-2023-48223, CVE-2020-15084).
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { constants, createPrivateKey, createPublicKey, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { Get, JsonController } from 'routing-controllers';
import { AuthData, AuthManager, AuthType, currentToken, RequireToken } from 'routing-controllers-jwt';
import { configFor, rsaPair } from '../support/keys';
import { b64, claims, hmac, hmacSigned, pkcs1Pem, useSecurityServer, type SecurityServer } from './harness';

@JsonController('/sec/alg')
class AlgorithmController {
  @Get('/ok')
  @RequireToken()
  ok() {
    return { sub: currentToken.sub };
  }
}

const GARBAGE_SIGNATURE = b64('definitely-not-a-signature');

/** Sends `token` as a bearer token to the guarded route and asserts a 401 with `code`. */
async function expectRefused(sec: SecurityServer, token: string, code: string | string[]): Promise<void> {
  sec.rejected(await sec.get('/sec/alg/ok', { authorization: `Bearer ${token}` }), { status: 401, code, sent: [token] });
}

/** `header.payload.` signed with RSASSA-PKCS1-v1_5 (or PSS) and `hash` by `key`. */
function rsaSigned(header: unknown, payload: unknown, keyMaterial: string | KeyObject, hash: 'sha256' | 'sha512', pss = false): string {
  const key = typeof keyMaterial === 'string' ? createPrivateKey(keyMaterial) : keyMaterial;
  const input = `${b64(header)}.${b64(payload)}`;
  const signature = pss
    ? cryptoSign(hash, Buffer.from(input), { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
    : cryptoSign(hash, Buffer.from(input), key);
  return `${input}.${signature.toString('base64url')}`;
}

describe('security: algorithm', () => {
  describe('an HS256 configuration', () => {
    const config = configFor('HS256', 'https://issuer.sec-alg.example/hs256-Xq7');
    const sec = useSecurityServer({ config, controllers: [AlgorithmController], healthPath: '/sec/alg/ok' });
    const payload = () => claims(config.JWT_ISSUER);

    it('accepts the hand-built token with the pinned "HS256" header (control for every case below)', async () => {
      const token = hmacSigned({ alg: 'HS256', typ: 'JWT' }, payload(), config.JWT_SECRET);
      const reply = await sec.get('/sec/alg/ok', { authorization: `Bearer ${token}` });
      expect(reply.status, reply.text).to.equal(200);
      expect(reply.json).to.deep.equal({ sub: 'user-1' });
    });

    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      it(`rejects alg "${alg}" with an empty signature (CVE-2022-23540)`, async () => {
        await expectRefused(sec, `${b64({ alg, typ: 'JWT' })}.${b64(payload())}.`, 'ERR_TOKEN_MALFORMED');
      });

      it(`rejects alg "${alg}" with a garbage signature (CVE-2022-23540)`, async () => {
        await expectRefused(sec, `${b64({ alg, typ: 'JWT' })}.${b64(payload())}.${GARBAGE_SIGNATURE}`, 'ERR_TOKEN_ALGORITHM');
      });
    }

    it('rejects alg "none" carrying the real HS256 signature (RFC 8725 §3.1)', async () => {
      const input = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload())}`;
      await expectRefused(sec, `${input}.${hmac(input, config.JWT_SECRET)}`, 'ERR_TOKEN_ALGORITHM');
    });

    it('rejects a duplicated "alg" whose last (effective) value is "none"', async () => {
      const header = '{"alg":"HS256","typ":"JWT","alg":"none"}';
      await expectRefused(sec, hmacSigned(header, payload(), config.JWT_SECRET), 'ERR_TOKEN_ALGORITHM');
    });

    it('rejects HS384 signed with the real secret (algorithm pinning, CVE-2020-15084)', async () => {
      await expectRefused(sec, hmacSigned({ alg: 'HS384', typ: 'JWT' }, payload(), config.JWT_SECRET, 'sha384'), 'ERR_TOKEN_ALGORITHM');
    });

    it('rejects HS512 signed with the real secret (algorithm pinning, CVE-2020-15084)', async () => {
      await expectRefused(sec, hmacSigned({ alg: 'HS512', typ: 'JWT' }, payload(), config.JWT_SECRET, 'sha512'), 'ERR_TOKEN_ALGORITHM');
    });

    it('rejects ES256 with an attacker\'s EC signature', async () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const input = `${b64({ alg: 'ES256', typ: 'JWT' })}.${b64(payload())}`;
      const signature = cryptoSign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
      await expectRefused(sec, `${input}.${signature.toString('base64url')}`, 'ERR_TOKEN_ALGORITHM');
    });

    it('rejects PS256 with an attacker\'s RSA-PSS signature', async () => {
      await expectRefused(sec, rsaSigned({ alg: 'PS256', typ: 'JWT' }, payload(), rsaPair().privateKey, 'sha256', true), 'ERR_TOKEN_ALGORITHM');
    });

    it('rejects alg "hs256" (lower case) signed with the real secret', async () => {
      await expectRefused(sec, hmacSigned({ alg: 'hs256', typ: 'JWT' }, payload(), config.JWT_SECRET), 'ERR_TOKEN_ALGORITHM');
    });

    it('rejects alg "HS256 " (trailing space) signed with the real secret', async () => {
      await expectRefused(sec, hmacSigned({ alg: 'HS256 ', typ: 'JWT' }, payload(), config.JWT_SECRET), 'ERR_TOKEN_ALGORITHM');
    });

    it('rejects alg " HS256" (leading space) and "HS256\\u0000" signed with the real secret', async () => {
      await expectRefused(sec, hmacSigned({ alg: ' HS256', typ: 'JWT' }, payload(), config.JWT_SECRET), 'ERR_TOKEN_ALGORITHM');
      await expectRefused(sec, hmacSigned({ alg: 'HS256\u0000', typ: 'JWT' }, payload(), config.JWT_SECRET), 'ERR_TOKEN_ALGORITHM');
    });

    it('rejects alg ["HS256"] (an array) signed with the real secret', async () => {
      await expectRefused(sec, hmacSigned({ alg: ['HS256'], typ: 'JWT' }, payload(), config.JWT_SECRET), 'ERR_TOKEN_ALGORITHM');
    });

    it('rejects alg {"name":"HS256"} (an object) and alg null signed with the real secret', async () => {
      await expectRefused(sec, hmacSigned({ alg: { name: 'HS256' }, typ: 'JWT' }, payload(), config.JWT_SECRET), 'ERR_TOKEN_ALGORITHM');
      await expectRefused(sec, hmacSigned({ alg: null, typ: 'JWT' }, payload(), config.JWT_SECRET), 'ERR_TOKEN_ALGORITHM');
    });

    it('rejects a header without alg signed with the real secret', async () => {
      await expectRefused(sec, hmacSigned({ typ: 'JWT' }, payload(), config.JWT_SECRET), 'ERR_TOKEN_ALGORITHM');
    });

    it('rejects an RS256-signed token (algorithm confusion the other way)', async () => {
      await expectRefused(sec, rsaSigned({ alg: 'RS256', typ: 'JWT' }, payload(), rsaPair().privateKey, 'sha256'), 'ERR_TOKEN_ALGORITHM');
    });

    it('rejects "RS256" in the header over a valid HS256 signature', async () => {
      await expectRefused(sec, hmacSigned({ alg: 'RS256', typ: 'JWT' }, payload(), config.JWT_SECRET), 'ERR_TOKEN_ALGORITHM');
    });

    it('rejects an HS256 token signed with an empty key (kid pointing at an empty file)', async () => {
      await expectRefused(sec, hmacSigned({ alg: 'HS256', typ: 'JWT', kid: '../../../../dev/null' }, payload(), ''), ['ERR_TOKEN_KEY', 'ERR_TOKEN_SIGNATURE']);
    });
  });

  for (const alg of ['RS256', 'RS512'] as const) {
    describe(`an ${alg} configuration attacked with its own public key as an HMAC secret (CVE-2015-9235, CVE-2023-48223)`, () => {
      const config = configFor(alg, `https://issuer.sec-alg.example/${alg.toLowerCase()}-Kp2`);
      const sec = useSecurityServer({ config, controllers: [AlgorithmController], healthPath: '/sec/alg/ok' });
      const hash = alg === 'RS256' ? 'sha256' : 'sha512';
      const hsAlg = alg === 'RS256' ? 'HS256' : 'HS512';
      const spki = config.JWT_PUBLICKEY;
      const pkcs1 = pkcs1Pem(spki);
      const publicKey = createPublicKey(spki);
      const forms: Array<[string, string | Buffer]> = [
        ['SPKI PEM as configured (trailing newline)', spki],
        ['SPKI PEM without trailing newline', spki.trimEnd()],
        ['SPKI PEM with surrounding white space', `  \n${spki}\n\t `],
        ['SPKI PEM with literal \\n escapes', spki.trimEnd().replace(/\n/g, '\\n')],
        ['SPKI PEM with CRLF line ends', spki.replace(/\n/g, '\r\n')],
        ['PKCS#1 PEM ("BEGIN RSA PUBLIC KEY") with trailing newline', pkcs1],
        ['PKCS#1 PEM without trailing newline', pkcs1.trimEnd()],
        ['PKCS#1 PEM with surrounding white space', `\n  ${pkcs1}  \n`],
        ['PKCS#1 PEM with literal \\n escapes', pkcs1.trimEnd().replace(/\n/g, '\\n')],
        ['SPKI DER bytes', publicKey.export({ type: 'spki', format: 'der' })],
        ['PKCS#1 DER bytes', publicKey.export({ type: 'pkcs1', format: 'der' })],
        ['base64 body of the PEM without armour', spki.split('\n').filter((line) => line && !line.startsWith('-----')).join('')],
        ['JWK JSON text', JSON.stringify(publicKey.export({ format: 'jwk' }))],
      ];

      it(`accepts a token signed by the real private key with ${alg} (control)`, async () => {
        const token = rsaSigned({ alg, typ: 'JWT' }, claims(config.JWT_ISSUER), config.JWT_SECRET, hash);
        const reply = await sec.get('/sec/alg/ok', { authorization: `Bearer ${token}` });
        expect(reply.status, reply.text).to.equal(200);
      });

      for (const [name, key] of forms) {
        it(`rejects ${hsAlg} HMAC'd with the public key: ${name}`, async () => {
          await expectRefused(sec, hmacSigned({ alg: hsAlg, typ: 'JWT' }, claims(config.JWT_ISSUER), key, hash), 'ERR_TOKEN_ALGORITHM');
        });
      }

      it(`rejects HS256 and HS512 HMAC'd with the SPKI PEM whatever the configured hash`, async () => {
        await expectRefused(sec, hmacSigned({ alg: 'HS256', typ: 'JWT' }, claims(config.JWT_ISSUER), spki, 'sha256'), 'ERR_TOKEN_ALGORITHM');
        await expectRefused(sec, hmacSigned({ alg: 'HS512', typ: 'JWT' }, claims(config.JWT_ISSUER), spki, 'sha512'), 'ERR_TOKEN_ALGORITHM');
      });

      it(`rejects "${alg}" in the header over an HMAC of the public key PEM (signature check never uses HMAC)`, async () => {
        await expectRefused(sec, hmacSigned({ alg, typ: 'JWT' }, claims(config.JWT_ISSUER), spki, hash), 'ERR_TOKEN_SIGNATURE');
        await expectRefused(sec, hmacSigned({ alg, typ: 'JWT' }, claims(config.JWT_ISSUER), pkcs1, hash), 'ERR_TOKEN_SIGNATURE');
      });

      it(`rejects ${alg === 'RS256' ? 'RS512' : 'RS256'} signed by the real private key (hash is pinned too)`, async () => {
        const other = alg === 'RS256' ? 'RS512' : 'RS256';
        await expectRefused(sec, rsaSigned({ alg: other, typ: 'JWT' }, claims(config.JWT_ISSUER), config.JWT_SECRET, other === 'RS256' ? 'sha256' : 'sha512'), 'ERR_TOKEN_ALGORITHM');
      });

      it(`rejects PS${alg.slice(2)} signed by the real private key`, async () => {
        await expectRefused(sec, rsaSigned({ alg: `PS${alg.slice(2)}`, typ: 'JWT' }, claims(config.JWT_ISSUER), config.JWT_SECRET, hash, true), 'ERR_TOKEN_ALGORITHM');
      });

      it(`rejects ${alg} signed by an attacker's key that the header embeds as "jwk" (CVE-2018-0114)`, async () => {
        const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
        const header = { alg, typ: 'JWT', jwk: attacker.publicKey.export({ format: 'jwk' }), jku: 'https://attacker.example/jwks.json' };
        await expectRefused(sec, rsaSigned(header, claims(config.JWT_ISSUER), attacker.privateKey, hash), 'ERR_TOKEN_SIGNATURE');
      });

      it('rejects alg "none" with an empty and with a garbage signature', async () => {
        await expectRefused(sec, `${b64({ alg: 'none' })}.${b64(claims(config.JWT_ISSUER))}.`, 'ERR_TOKEN_MALFORMED');
        await expectRefused(sec, `${b64({ alg: 'none' })}.${b64(claims(config.JWT_ISSUER))}.${GARBAGE_SIGNATURE}`, 'ERR_TOKEN_ALGORITHM');
      });
    });
  }

  describe('a public key PEM is never accepted as an HMAC secret, in any form (CVE-2023-48223)', () => {
    const spki = rsaPair().publicKey;
    const pkcs1 = pkcs1Pem(spki);
    const forms: Array<[string, string]> = [
      ['SPKI PEM', spki],
      ['SPKI PEM without trailing newline', spki.trimEnd()],
      ['SPKI PEM with surrounding white space', `  \n${spki}\n  `],
      ['SPKI PEM with literal \\n escapes', spki.trimEnd().replace(/\n/g, '\\n')],
      ['PKCS#1 PEM', pkcs1],
      ['PKCS#1 PEM with literal \\n escapes', pkcs1.trimEnd().replace(/\n/g, '\\n')],
    ];
    for (const [name, pem] of forms) {
      it(`refuses the ${name} as an HS256 secret in configuration and in AuthData`, () => {
        expect(() => new AuthManager({ JWT_ISSUER: 'https://issuer.sec-alg.example', JWT_AUTHTYPE: 'HS256', JWT_SECRET: pem }))
          .to.throw(/PEM/);
        expect(() => new AuthData(AuthType.HS256, pem, 'https://issuer.sec-alg.example', 60, 60)).to.throw(TypeError, /PEM/);
      });
    }
  });
});
