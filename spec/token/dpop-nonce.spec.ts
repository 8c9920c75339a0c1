/** Server nonces for DPoP (RFC 9449 §8): stateless, rotated, the previous one still accepted, forgeries refused. */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { createDpopNonces } from 'routing-controllers-jwt';

describe('DPoP server nonces', () => {
  const key = randomBytes(32);
  const t = 1_800_000_000;

  it('rotates: one nonce per slot, a new one in the next slot', () => {
    const nonces = createDpopNonces(key, 300);
    expect(nonces.current(t)).to.equal(nonces.current(t + 1));
    expect(nonces.current(t + 300)).not.to.equal(nonces.current(t));
  });

  it('accepts the current and the previous slot\'s nonce, and refuses older and future ones', () => {
    const nonces = createDpopNonces(key, 300);
    const now = nonces.current(t);
    expect(nonces.accepts(now, t)).to.equal(true);
    expect(nonces.accepts(now, t + 300)).to.equal(true);
    expect(nonces.accepts(now, t + 600)).to.equal(false);
    expect(nonces.accepts(nonces.current(t + 300), t)).to.equal(false);
  });

  it('security: a nonce of another key, a changed nonce, or anything else is refused', () => {
    const nonces = createDpopNonces(key, 300);
    const other = createDpopNonces(randomBytes(32), 300);
    const nonce = nonces.current(t);
    expect(nonces.accepts(other.current(t), t)).to.equal(false);
    expect(nonces.accepts(`${nonce.slice(0, -1)}${nonce.endsWith('A') ? 'B' : 'A'}`, t)).to.equal(false);
    for (const value of [undefined, null, 42, '', 'x'.repeat(30), {}, [nonce]]) expect(nonces.accepts(value, t)).to.equal(false);
  });

  it('instances sharing a key accept each other\'s nonces; a random key is per process', () => {
    expect(createDpopNonces(key, 300).accepts(createDpopNonces(key, 300).current(t), t)).to.equal(true);
    expect(createDpopNonces(null, 300).accepts(createDpopNonces(null, 300).current(t), t)).to.equal(false);
  });
});
