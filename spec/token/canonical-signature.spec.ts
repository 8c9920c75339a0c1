/**
 * One token, one spelling, for ECDSA (issue 12). An ES signature (r, s) verifies exactly when (r, n - s) does, so a
 * holder of any ES token can spell it twice without a key. Standard signers do not normalise s (measured: jsonwebtoken
 * and jose, which oidc-provider signs with, give a high s for about half of their ES256 tokens), so high-S is not
 * refused: a token is checked, cached and served as its low-S spelling instead, and both spellings are one entry.
 */
import { expect } from 'chai';
import { AuthManager, type TokenCheck } from 'routing-controllers-jwt';
import { ecPair } from '../support/keys';

const ISSUER = 'https://one-spelling.example';

const CURVES = {
  ES256: { curve: 'P-256', bytes: 32, order: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n },
  ES384: {
    curve: 'P-384',
    bytes: 48,
    order: BigInt('0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973'),
  },
  ES512: {
    curve: 'P-521',
    bytes: 66,
    order: BigInt(`0x01ff${'ffffffff'.repeat(7)}fffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409`),
  },
} as const;
type Es = keyof typeof CURVES;

let managers = 0;

/** A manager of a configuration of its own (managers of one configuration share their cache). */
function managerOf(alg: Es): AuthManager {
  const { privateKey, publicKey } = ecPair(CURVES[alg].curve);
  return new AuthManager({ JWT_ISSUER: `${ISSUER}/${++managers}`, JWT_AUTHTYPE: alg, JWT_SECRET: privateKey, JWT_PUBLICKEY: publicKey });
}

/** `token` with its s replaced by `f(s)`. */
function withS(token: string, alg: Es, f: (s: bigint, order: bigint) => bigint): string {
  const { bytes, order } = CURVES[alg];
  const signature = Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url');
  const s = BigInt(`0x${signature.subarray(bytes).toString('hex')}`);
  const replaced = Buffer.from(f(s, order).toString(16).padStart(bytes * 2, '0'), 'hex');
  return `${token.slice(0, token.lastIndexOf('.'))}.${Buffer.concat([signature.subarray(0, bytes), replaced]).toString('base64url')}`;
}

const twinOf = (token: string, alg: Es): string => withS(token, alg, (s, order) => order - s);
const isLowS = (token: string, alg: Es): boolean => {
  const { bytes, order } = CURVES[alg];
  const s = BigInt(`0x${Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url').subarray(bytes).toString('hex')}`);
  return s <= order / 2n;
};

function verified(result: TokenCheck): NonNullable<Extract<TokenCheck, { valid: true }>['token']> {
  expect(result.valid, result.valid ? '' : result.reason).to.equal(true);
  if (!result.valid) throw new Error('not valid');
  return result.token;
}

describe('ECDSA: one token, one spelling (the high-S twin is the same token)', () => {
  for (const alg of Object.keys(CURVES) as Es[]) {
    describe(alg, () => {
      it('security: the app signs the low-S spelling (OpenSSL alone gives a high s about half the time), and it verifies as itself', () => {
        const manager = managerOf(alg);
        for (let n = 0; n < 40; n += 1) {
          const issued = manager.authToken(`user-${n}`).signed;
          expect(isLowS(issued, alg), `token ${n} is low-S`).to.equal(true);
          expect(verified(manager.checkToken(issued)).signed).to.equal(issued);
        }
      });

      it('security: the twin of a cached token is the cached entry itself, not a second one', () => {
        const manager = managerOf(alg);
        const token = manager.authToken('user-1').signed;
        const first = verified(manager.checkToken(token));
        expect(manager.cachedTokenCount).to.equal(1);
        const twin = verified(manager.checkToken(twinOf(token, alg)));
        expect(twin).to.equal(first);
        expect(manager.cachedTokenCount).to.equal(1);
        expect(isLowS(twin.signed as string, alg)).to.equal(true);
      });

      it('security: the twin of a fresh token is checked and cached as the low-S spelling; the original then hits it', () => {
        const manager = managerOf(alg);
        const token = manager.authToken('user-1').signed;
        const highS = isLowS(token, alg) ? twinOf(token, alg) : token;
        const fromTwin = verified(manager.checkToken(highS));
        expect(fromTwin.signed).to.equal(isLowS(token, alg) ? token : twinOf(token, alg));
        expect(manager.cachedTokenCount).to.equal(1);
        expect(verified(manager.checkToken(twinOf(highS, alg)))).to.equal(fromTwin);
        expect(manager.cachedTokenCount).to.equal(1);
      });

      it('security: s = n, s = 0 and a changed s are refused (signature), never normalised into validity', () => {
        const manager = managerOf(alg);
        const token = manager.authToken('user-1').signed;
        for (const f of [(_s: bigint, n: bigint) => n, () => 0n, (s: bigint) => s ^ 1n]) {
          const result = manager.checkToken(withS(token, alg, f));
          expect(result).to.deep.equal({ valid: false, reason: 'signature' });
        }
        expect(manager.cachedTokenCount).to.equal(0);
      });
    });
  }

  it('without the cache (JWT_CACHESIZE 0) the verified token is still the low-S spelling', () => {
    const { privateKey, publicKey } = ecPair('P-256');
    const manager = new AuthManager({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'ES256', JWT_SECRET: privateKey, JWT_PUBLICKEY: publicKey, JWT_CACHESIZE: 0 });
    const token = manager.authToken('user-1').signed;
    for (const spelling of [token, twinOf(token, 'ES256')]) {
      expect(isLowS(verified(manager.checkToken(spelling)).signed as string, 'ES256')).to.equal(true);
    }
  });
});
