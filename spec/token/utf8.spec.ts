/**
 * RFC 7519 §7.2: a JWT's header and claims are UTF-8. Bytes that are not valid UTF-8 are refused, never replaced by
 * U+FFFD (which would make "a\xff" and "a\xfe" one and the same subject).
 */
import { expect } from 'chai';
import { createHmac, randomBytes } from 'node:crypto';
import { AuthManager } from 'routing-controllers-jwt';

const ISSUER = 'https://utf8.example';
const SECRET = randomBytes(32).toString('base64url');

function hs256(headerBytes: Buffer, payloadBytes: Buffer): string {
  const input = `${headerBytes.toString('base64url')}.${payloadBytes.toString('base64url')}`;
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
}

/** Claims whose `sub` is "a" followed by `byte`, as raw bytes. */
function payloadWithSubjectByte(byte: number): Buffer {
  const now = Math.floor(Date.now() / 1000);
  const before = `{"iss":"${ISSUER}","type":"auth","iat":${now},"exp":${now + 60},"sub":"a`;
  return Buffer.concat([Buffer.from(before), Buffer.from([byte]), Buffer.from('"}')]);
}

describe('Tokens: UTF-8', () => {
  const manager = new AuthManager({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'HS256', JWT_SECRET: SECRET });
  const header = Buffer.from('{"alg":"HS256","typ":"JWT"}');

  it('security: a validly signed payload that is not valid UTF-8 is refused ("a\\xff" and "a\\xfe" are no user)', () => {
    for (const byte of [0xff, 0xfe, 0xc3]) {
      const result = manager.checkToken(hs256(header, payloadWithSubjectByte(byte)));
      expect(result.valid ? 'valid' : result.reason, `byte ${byte}`).to.equal('claims');
    }
  });

  it('security: a validly signed header that is not valid UTF-8 is refused', () => {
    const badHeader = Buffer.concat([Buffer.from('{"alg":"HS256","typ":"JWT","x":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    const result = manager.checkToken(hs256(badHeader, payloadWithSubjectByte(0x62)));
    expect(result.valid ? 'valid' : result.reason).to.equal('malformed');
  });

  it('valid multi-byte UTF-8 is read as such', () => {
    const now = Math.floor(Date.now() / 1000);
    const payload = Buffer.from(JSON.stringify({ iss: ISSUER, type: 'auth', iat: now, exp: now + 60, sub: 'zoë 🦊' }));
    const result = manager.checkToken(hs256(header, payload));
    expect(result.valid && result.token.sub).to.equal('zoë 🦊');
  });
});
