/**
 * The twelve algorithms of issue 7: HS256/384/512, RS256/384/512, PS256/384/512 and ES256/384/512. Every one round
 * trips; a token of one algorithm is refused by a manager of every other one (RFC 8725 §3.1: one key, one algorithm);
 * keys of the wrong kind, size or curve are refused at configuration; ES signatures are R || S, never DER.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import {
  constants,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';
import { AuthManager, AuthType, InvalidConfigError, JWT, thumbprint } from 'routing-controllers-jwt';
import { claimsFor, decodeSegment, segment, thrownBy } from '../support/tokens';
import { isolateConfig, isolateEnv } from '../support/isolation';
import { ecPair, hmacSecret, rsaPair, type PemPair } from '../support/keys';

const ALGORITHMS = [
  'HS256', 'HS384', 'HS512',
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
] as const;
type Alg = (typeof ALGORITHMS)[number];

const CURVE = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' } as const;
const SIGNATURE_BYTES = { ES256: 64, ES384: 96, ES512: 132 } as const;
const ISSUER = 'https://algorithms.example';


type Hash = 'sha256' | 'sha384' | 'sha512';
const hashOf = (alg: string): Hash => `sha${alg.slice(2)}` as Hash;
const isEc = (alg: Alg): alg is 'ES256' | 'ES384' | 'ES512' => alg.startsWith('ES');

/** HMAC secrets, one per HS algorithm (each as long as the hash, in bytes of text). */
const hmacSecrets: Record<string, string> = {};

/** The key pair of an asymmetric algorithm: one RSA pair for RS and PS (the strongest cross check), an EC pair per curve. */
function pairFor(alg: Alg): PemPair {
  return isEc(alg) ? ecPair(CURVE[alg]) : rsaPair(2048);
}

/** Single-key config values for `alg`. */
function configOf(alg: Alg): Record<string, string> {
  if (alg.startsWith('HS')) {
    hmacSecrets[alg] ??= hmacSecret(64);
    return { JWT_ISSUER: ISSUER, JWT_AUTHTYPE: alg, JWT_SECRET: hmacSecrets[alg] };
  }
  const { privateKey, publicKey } = pairFor(alg);
  return { JWT_ISSUER: ISSUER, JWT_AUTHTYPE: alg, JWT_SECRET: privateKey, JWT_PUBLICKEY: publicKey };
}

/** A compact JWS over exactly `header` and `payload`, signed with node:crypto under RFC 7518's parameters for `alg`. */
function jws(header: Record<string, unknown>, payload: Record<string, unknown>, alg: string, key: string | KeyObject, der = false): string {
  const input = `${segment(header)}.${segment(payload)}`;
  const hash = hashOf(alg);
  const data = Buffer.from(input);
  let signature: Buffer;
  if (alg.startsWith('HS')) return `${input}.${createHmac(hash, key).update(input).digest('base64url')}`;
  const privateKey = typeof key === 'string' ? createPrivateKey(key) : key;
  if (alg.startsWith('RS')) signature = cryptoSign(hash, data, privateKey);
  else if (alg.startsWith('PS')) {
    signature = cryptoSign(hash, data, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
  } else signature = cryptoSign(hash, data, { key: privateKey, dsaEncoding: der ? 'der' : 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/** Verifies a library-issued token with node:crypto alone, under RFC 7518's parameters for `alg`. */
function independentlyVerified(token: string, alg: Alg): boolean {
  const [h, p, s] = token.split('.');
  const input = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(s, 'base64url');
  const hash = hashOf(alg);
  if (alg.startsWith('HS')) return createHmac(hash, hmacSecrets[alg]).update(input).digest().equals(signature);
  const key = createPublicKey(pairFor(alg).publicKey);
  if (alg.startsWith('RS')) return cryptoVerify(hash, input, key, signature);
  if (alg.startsWith('PS')) {
    return cryptoVerify(hash, input, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, signature);
  }
  return cryptoVerify(hash, input, { key, dsaEncoding: 'ieee-p1363' }, signature);
}

function configError(fn: () => unknown): InvalidConfigError {
  const error = thrownBy(fn);
  expect(error).to.be.instanceOf(InvalidConfigError);
  return error as InvalidConfigError;
}

describe('algorithms: HS, RS, PS and ES at 256, 384 and 512 bits', () => {
  isolateConfig();
  isolateEnv();
  const managers = new Map<Alg, AuthManager>();
  const tokens = new Map<Alg, string>();

  before(() => {
    for (const alg of ALGORITHMS) {
      const manager = new AuthManager(configOf(alg));
      managers.set(alg, manager);
      tokens.set(alg, manager.authToken(`user-${alg}`, { read: true }).signed);
    }
  });

  const managerOf = (alg: Alg): AuthManager => managers.get(alg) as AuthManager;
  const tokenOf = (alg: Alg): string => tokens.get(alg) as string;

  it('the AuthType table holds exactly the twelve algorithms (then EdDSA and Ed25519, spec/keys/eddsa), ES rows with their curve and R || S size', () => {
    expect(AuthType.values().map((type) => type.name)).to.deep.equal([...ALGORITHMS, 'EdDSA', 'Ed25519']);
    for (const alg of ALGORITHMS) {
      const type = AuthType.from(alg);
      expect(type.algorithm).to.equal(alg);
      if (isEc(alg)) {
        expect(type.curve).to.equal(CURVE[alg]);
        expect(type.signatureSize).to.equal(SIGNATURE_BYTES[alg]);
      } else {
        expect(type.curve).to.equal(null);
      }
    }
    for (const unknown of ['none', 'eddsa', 'Ed448', 'hs256', 'ES256K', 'RS1']) {
      expect(() => AuthType.from(unknown), unknown).to.throw(InvalidConfigError, /JWT_AUTHTYPE/);
    }
  });

  describe('round trip: authToken -> verifyToken -> convertToken', () => {
    for (const alg of ALGORITHMS) {
      it(`${alg}`, () => {
        const manager = managerOf(alg);
        const token = manager.authToken('user-1', { read: true }, { tenant: 'acme' });
        const signed = token.signed;
        expect(token.alg).to.equal(alg);
        expect(decodeSegment(signed, 0).alg).to.equal(alg);
        expect(manager.verifyToken(signed)).to.equal(true);
        const checked = manager.checkToken(signed);
        expect(checked.valid).to.equal(true);
        const converted = AuthManager.convertToken(signed);
        expect(converted).to.be.instanceOf(JWT);
        expect(converted.alg).to.equal(alg);
        expect(converted.sub).to.equal('user-1');
        expect(converted.scope).to.deep.equal({ read: true });
        expect(converted.claims.tenant).to.equal('acme');
        expect(converted.iss).to.equal(ISSUER);
        // A refresh token round trips too.
        const refresh = manager.refreshToken('user-1').signed;
        expect(manager.verifyToken(refresh)).to.equal(true);
        expect(AuthManager.convertToken(refresh).claims.type).to.equal('refresh');
      });
    }
  });

  describe('interoperability: the library signs exactly as RFC 7518 says (checked with node:crypto alone)', () => {
    for (const alg of ALGORITHMS) {
      it(`${alg}: the signature verifies independently${isEc(alg) ? ' and is R || S of the exact size' : ''}`, () => {
        const signed = tokenOf(alg);
        expect(independentlyVerified(signed, alg)).to.equal(true);
        if (isEc(alg)) expect(Buffer.from(signed.split('.')[2], 'base64url').length).to.equal(SIGNATURE_BYTES[alg]);
      });

      it(`${alg}: a token signed by hand with node:crypto verifies`, () => {
        const key = alg.startsWith('HS') ? hmacSecrets[alg] : pairFor(alg).privateKey;
        // Asymmetric single-key managers carry their RFC 7638 thumbprint as kid; a token without kid verifies too.
        const handMade = jws({ alg, typ: 'JWT' }, claimsFor(ISSUER, { sub: 'by-hand' }), alg, key);
        expect(managerOf(alg).checkToken(handMade)).to.include({ valid: true });
      });
    }
  });

  describe('cross-algorithm rejection (RFC 8725 §3.1): a token is refused by a manager of every other algorithm', () => {
    for (const from of ALGORITHMS) {
      it(`a ${from} token is refused by the other eleven managers, and still accepted by its own`, () => {
        const token = tokenOf(from);
        expect(managerOf(from).verifyToken(token), `${from} manager`).to.equal(true);
        const others = ALGORITHMS.filter((alg) => alg !== from);
        expect(others).to.have.length(11);
        for (const to of others) {
          const result = managerOf(to).checkToken(token);
          expect(result.valid, `${from} token accepted by the ${to} manager`).to.equal(false);
        }
      });
    }

    it('security: an RS256 token re-labelled PS256, with the same RSA key on both sides, is refused', () => {
      const rs = managerOf('RS256');
      const ps = managerOf('PS256');
      const token = tokenOf('RS256');
      const header = decodeSegment(token, 0);
      // Both managers hold the same key, so they share its thumbprint kid: only the algorithm binding can refuse.
      expect(header.kid).to.be.a('string');
      expect(decodeSegment(ps.authToken('x').signed, 0).kid).to.equal(header.kid);
      const [, payload, signature] = token.split('.');
      const relabelled = `${segment({ ...header, alg: 'PS256' })}.${payload}.${signature}`;
      expect(ps.checkToken(relabelled).valid).to.equal(false);
      expect(rs.checkToken(relabelled)).to.deep.equal({ valid: false, reason: 'algorithm' });
      // Re-signed over the new header with PKCS#1 v1.5 (what RS256 does): a PS256 manager must not accept it.
      const resigned = jws({ ...header, alg: 'PS256' }, decodeSegment(token, 1), 'RS256', rsaPair(2048).privateKey);
      expect(ps.checkToken(resigned)).to.deep.equal({ valid: false, reason: 'signature' });
      // And the other way round: PSS signature under an RS256 header.
      const pssUnderRs = jws({ ...header, alg: 'RS256' }, decodeSegment(token, 1), 'PS256', rsaPair(2048).privateKey);
      expect(rs.checkToken(pssUnderRs)).to.deep.equal({ valid: false, reason: 'signature' });
      // Control: the same forged pieces with matching labels do verify, so the refusals above are about the algorithm.
      const honest = jws({ ...header, alg: 'PS256' }, decodeSegment(token, 1), 'PS256', rsaPair(2048).privateKey);
      expect(ps.checkToken(honest).valid).to.equal(true);
    });

    it('security: ES256 refuses a signature in DER form (RFC 7518 §3.4 requires R || S)', () => {
      const manager = managerOf('ES256');
      const { privateKey } = ecPair('P-256');
      const claims = claimsFor(ISSUER);
      const header = decodeSegment(tokenOf('ES256'), 0);
      const der = jws(header, claims, 'ES256', privateKey, true);
      // The DER signature is itself valid ECDSA over the same input: only its encoding is wrong.
      const [h, p, s] = der.split('.');
      expect(cryptoVerify('sha256', Buffer.from(`${h}.${p}`), { key: createPublicKey(ecPair('P-256').publicKey), dsaEncoding: 'der' }, Buffer.from(s, 'base64url')))
        .to.equal(true);
      expect(manager.checkToken(der)).to.deep.equal({ valid: false, reason: 'signature' });
      // Control: R || S over the same header and claims verifies.
      expect(manager.checkToken(jws(header, claims, 'ES256', privateKey)).valid).to.equal(true);
    });

    it('security: an ES512 signature cut or padded to another size is refused', () => {
      const manager = managerOf('ES512');
      const [h, p, s] = tokenOf('ES512').split('.');
      const signature = Buffer.from(s, 'base64url');
      for (const wrong of [signature.subarray(0, 130), Buffer.concat([signature, Buffer.alloc(2)]), Buffer.concat([Buffer.alloc(1), signature])]) {
        expect(manager.checkToken(`${h}.${p}.${wrong.toString('base64url')}`).valid).to.equal(false);
      }
    });
  });

  describe('configuration refuses keys of the wrong kind, size or curve', () => {
    const expectNamed = (error: InvalidConfigError, howTo: RegExp): void => {
      expect(['JWT_SECRET', 'JWT_PUBLICKEY']).to.include(error.configValue);
      expect(error.code).to.equal('ERR_JWT_INVALID_CONFIG');
      expect(error.message).to.match(howTo);
    };
    const configWith = (alg: Alg, pair: PemPair): Record<string, string> => ({
      JWT_ISSUER: ISSUER,
      JWT_AUTHTYPE: alg,
      JWT_SECRET: pair.privateKey,
      JWT_PUBLICKEY: pair.publicKey,
    });

    const wrongCurves: Array<['ES256' | 'ES384' | 'ES512', 'P-256' | 'P-384' | 'P-521']> = [
      ['ES256', 'P-384'],
      ['ES256', 'P-521'],
      ['ES384', 'P-256'],
      ['ES384', 'P-521'],
      ['ES512', 'P-256'],
      ['ES512', 'P-384'],
    ];
    for (const [alg, curve] of wrongCurves) {
      it(`an EC key on ${curve} for ${alg}`, () => {
        const error = configError(() => new AuthManager(configWith(alg, ecPair(curve))));
        expectNamed(error, new RegExp(`${alg} needs an EC key on ${CURVE[alg]}`));
        expect(error.message).to.include(`openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:${CURVE[alg]}`);
      });
    }

    it('an ES256 private key with a public key on another curve (JWT_PUBLICKEY named)', () => {
      const error = configError(() => new AuthManager({ ...configWith('ES256', ecPair('P-256')), JWT_PUBLICKEY: ecPair('P-384').publicKey }));
      expect(error.configValue).to.equal('JWT_PUBLICKEY');
      expect(error.message).to.include('P-256');
    });

    it('an RSA key for ES256, ES384 and ES512', () => {
      for (const alg of ['ES256', 'ES384', 'ES512'] as const) {
        const error = configError(() => new AuthManager(configWith(alg, rsaPair(2048))));
        expectNamed(error, /needs an EC key/);
        expect(error.message).to.include('openssl genpkey -algorithm EC');
      }
    });

    it('an EC key for RS256 and PS256 (and the other RS/PS sizes)', () => {
      for (const alg of ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const) {
        const error = configError(() => new AuthManager(configWith(alg, ecPair('P-256'))));
        expectNamed(error, /needs an RSA key; got a ec key/);
        expect(error.message, alg).to.include('openssl genpkey -algorithm RSA');
      }
    });

    it('a 1024-bit RSA key for PS256 (and RS256)', () => {
      for (const alg of ['PS256', 'RS256'] as const) {
        const error = configError(() => new AuthManager(configWith(alg, rsaPair(1024))));
        expectNamed(error, /at least 2048 bits/);
        expect(error.message).to.include('got 1024');
        expect(error.message).to.include('rsa_keygen_bits:2048');
      }
    });

    it('an HS384 secret shorter than 48 bytes (JWT_SECRET named, with how to make one)', () => {
      const error = configError(() => new AuthManager({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'HS384', JWT_SECRET: 'x'.repeat(47) }));
      expect(error.configValue).to.equal('JWT_SECRET');
      expect(error.message).to.include('at least 48 bytes');
      expect(error.message).to.include('randomBytes(48)');
      // The boundary: 48 bytes are enough.
      expect(new AuthManager({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'HS384', JWT_SECRET: 'x'.repeat(48) }).signer?.algorithm()).to.equal('HS384');
    });

    it('an HS512 secret shorter than 64 bytes, and a PEM used as any HS secret', () => {
      expect(configError(() => new AuthManager({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'HS512', JWT_SECRET: 'y'.repeat(63) })).configValue)
        .to.equal('JWT_SECRET');
      for (const alg of ['HS256', 'HS384', 'HS512']) {
        const error = configError(() => new AuthManager({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: alg, JWT_SECRET: rsaPair(2048).publicKey }));
        expect(error.configValue).to.equal('JWT_SECRET');
        expect(error.message).to.match(/PEM key is never used/);
      }
    });

    it('the right key for each algorithm is accepted (the refusals above are about the key, not the algorithm)', () => {
      for (const alg of ALGORITHMS) expect(new AuthManager(configOf(alg)).signer?.algorithm(), alg).to.equal(alg);
    });
  });

  it('the kid of an asymmetric single-key manager is the RFC 7638 thumbprint of its public key', () => {
    for (const alg of ALGORITHMS.filter((name) => !name.startsWith('HS'))) {
      const jwk = createPublicKey(pairFor(alg).publicKey).export({ format: 'jwk' });
      const members = jwk.kty === 'RSA' ? { e: jwk.e, kty: jwk.kty, n: jwk.n } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y };
      const expected = createHash('sha256').update(JSON.stringify(members)).digest('base64url');
      expect(thumbprint(createPublicKey(pairFor(alg).publicKey))).to.equal(expected);
      expect(decodeSegment(tokenOf(alg), 0).kid, alg).to.equal(expected);
    }
    for (const alg of ['HS256', 'HS384', 'HS512'] as const) expect(decodeSegment(tokenOf(alg), 0)).not.to.have.property('kid');
  });
});
