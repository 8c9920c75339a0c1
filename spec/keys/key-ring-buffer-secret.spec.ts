/** JWT_KEYS takes an HMAC secret as a Buffer, as JWT_SECRET does (issue 12): raw bytes, checked for length. */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { AuthManager, InvalidConfigError } from 'routing-controllers-jwt';

const ISSUER = 'https://ring-buffer.example';

describe('key ring (JWT_KEYS): Buffer HMAC secrets', () => {
  it('a Buffer HMAC secret signs and verifies in JWT_KEYS, and tokens verify with the same bytes as JWT_SECRET', () => {
    const secret = randomBytes(32);
    const ring = new AuthManager({ JWT_ISSUER: ISSUER, JWT_KEYS: [{ kid: 'hs-1', alg: 'HS256', secret, current: true }] });
    const token = ring.authToken('u1').signed;
    expect(ring.checkToken(token).valid).to.equal(true);
    // Another ring holding the same bytes as text would be another key: a Buffer is used as its raw bytes.
    const other = new AuthManager({ JWT_ISSUER: ISSUER, JWT_KEYS: [{ kid: 'hs-1', alg: 'HS256', secret: randomBytes(32), current: true }] });
    const refused = other.checkToken(token);
    expect(refused.valid ? 'valid' : refused.reason).to.equal('signature');
  });

  it('security: a Buffer HMAC secret shorter than the hash is refused at start-up', () => {
    expect(() => new AuthManager({ JWT_ISSUER: ISSUER, JWT_KEYS: [{ kid: 'hs-1', alg: 'HS256', secret: randomBytes(16), current: true }] }))
      .to.throw(InvalidConfigError);
  });
});
