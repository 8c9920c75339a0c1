/** The token model: TokenType, AuthType and JWT (API.md §1). */
import 'reflect-metadata';
import { expect } from 'chai';
import {
  AuthData,
  AuthType,
  InvalidConfigError,
  InvalidTokenError,
  JWT,
  MAX_TOKEN_LENGTH,
  RESERVED_CLAIMS,
  TokenType,
  type Claims,
} from 'routing-controllers-jwt';
import { hmacSecret } from '../support/keys';
import { claimsFor, decodeSegment, nowSeconds, segment, thrownBy, without } from '../support/tokens';

const ISSUER = 'token-model-spec';

function hsSigner(authMaxAge = 3600, refreshMaxAge = 604800): AuthData {
  return new AuthData(AuthType.HS256, hmacSecret(64), ISSUER, authMaxAge, refreshMaxAge);
}

/** Asserts that `fn` throws an InvalidTokenError, and nothing else. */
function expectInvalidToken(fn: () => unknown): void {
  const err = thrownBy(fn);
  expect(err).to.be.instanceOf(InvalidTokenError);
  expect((err as InvalidTokenError).name).to.equal('InvalidTokenError');
}

/** An unsigned-looking compact token from a header and a payload (object or raw JSON text). */
function compact(payload: unknown, header: unknown = { alg: 'HS256', typ: 'JWT' }): string {
  return `${segment(header)}.${segment(payload)}.${segment('signature')}`;
}

describe('TokenType', () => {
  it('has the values "auth" and "refresh"', () => {
    expect(TokenType.AUTH).to.equal('auth');
    expect(TokenType.REFRESH).to.equal('refresh');
  });
});

describe('AuthType', () => {
  const rows = [
    { type: AuthType.HS256, name: 'HS256', secretType: 'string', hashSize: 32 },
    { type: AuthType.HS512, name: 'HS512', secretType: 'string', hashSize: 64 },
    { type: AuthType.RS256, name: 'RS256', secretType: 'bytes', hashSize: 32 },
    { type: AuthType.RS512, name: 'RS512', secretType: 'bytes', hashSize: 64 },
  ];

  for (const row of rows) {
    it(`${row.name}: name === algorithm, secretType '${row.secretType}', hashSize ${row.hashSize}`, () => {
      expect(row.type.name).to.equal(row.name);
      expect(row.type.algorithm).to.equal(row.name);
      expect(row.type.secretType).to.equal(row.secretType);
      expect(row.type.hashSize).to.equal(row.hashSize);
    });

    it(`AuthType.from('${row.name}') returns the ${row.name} row itself`, () => {
      expect(AuthType.from(row.name)).to.equal(row.type);
    });
  }

  for (const name of ['none', 'hs256', 'HS1024', 'eddsa', 'HS256 ', '', 'RS256\u0000']) {
    it(`AuthType.from(${JSON.stringify(name)}) throws InvalidConfigError naming JWT_AUTHTYPE`, () => {
      const err = thrownBy(() => AuthType.from(name));
      expect(err).to.be.instanceOf(InvalidConfigError);
      expect((err as InvalidConfigError).configValue).to.equal('JWT_AUTHTYPE');
      expect((err as InvalidConfigError).message).to.match(/^Invalid config "JWT_AUTHTYPE": /);
    });
  }

  it('values() lists every algorithm in table order, the seed four among them', () => {
    expect(AuthType.values().map((type) => type.name)).to.deep.equal([
      'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519',
    ]);
  });

  it('values() returns a copy: changing it does not change the table', () => {
    const values = AuthType.values();
    values.pop();
    expect(AuthType.values()).to.have.length(14);
  });

  it('rows are frozen: an algorithm name cannot be changed at run time', () => {
    expect(Object.isFrozen(AuthType.HS256)).to.equal(true);
    expect(() => {
      (AuthType.HS256 as unknown as { name: string }).name = 'none';
    }).to.throw(TypeError);
    expect(AuthType.HS256.name).to.equal('HS256');
  });
});

describe('JWT', () => {
  describe('constructor', () => {
    it('sets sub, type, scope and extra claims', () => {
      const token = new JWT(TokenType.AUTH, 'user-1', { admin: true }, { tenant: 'acme', level: 3 });
      expect(token.tokenType).to.equal(TokenType.AUTH);
      expect(token.claims).to.deep.equal({ tenant: 'acme', level: 3, sub: 'user-1', type: 'auth', scope: { admin: true } });
      expect(token.sub).to.equal('user-1');
      expect(token.scope).to.deep.equal({ admin: true });
    });

    it('accepts a numeric subject', () => {
      expect(new JWT(TokenType.AUTH, 42).sub).to.equal(42);
    });

    it('accepts a string and a number as scope', () => {
      expect(new JWT(TokenType.AUTH, 'u', 'read write').scope).to.equal('read write');
      expect(new JWT(TokenType.AUTH, 'u', 7).scope).to.equal(7);
    });

    it('has no scope claim when scope is null or omitted', () => {
      expect(new JWT(TokenType.AUTH, 'u', null).claims).to.not.have.property('scope');
      expect(new JWT(TokenType.AUTH, 'u').scope).to.equal(null);
    });

    it('accepts scope as an extra claim when the scope argument is not given', () => {
      expect(new JWT(TokenType.AUTH, 'u', null, { scope: 'read' }).scope).to.equal('read');
    });

    it('does not keep a reference to the caller\'s claims object', () => {
      const extra: Claims = { tenant: 'acme' };
      const token = new JWT(TokenType.AUTH, 'u', null, extra);
      extra.tenant = 'evil';
      expect(token.claims.tenant).to.equal('acme');
      expect(extra).to.not.have.property('sub');
    });

    for (const reserved of ['iss', 'iat', 'exp', 'type', 'rid', 'sub', 'fam', 'jti', 'uti', 'csrf']) {
      it(`refuses the reserved claim "${reserved}" as an extra claim (TypeError)`, () => {
        expect(() => new JWT(TokenType.AUTH, 'u', null, { [reserved]: 'x' })).to.throw(TypeError, reserved);
      });
    }

    it('lists exactly iss, iat, exp, type, rid, sub, the session claims fam, jti, uti, csrf, and cnf as reserved', () => {
      expect([...RESERVED_CLAIMS].sort()).to.deep.equal(['acr', 'auth_time', 'cnf', 'csrf', 'exp', 'fam', 'iat', 'iss', 'jti', 'rid', 'sub', 'type', 'uti']);
    });

    it('refuses a scope given twice, as argument and as extra claim (TypeError)', () => {
      expect(() => new JWT(TokenType.AUTH, 'u', 'read', { scope: 'write' })).to.throw(TypeError, /scope/);
    });

    it('refuses a scope on a refresh token, as argument or as extra claim (TypeError)', () => {
      expect(() => new JWT(TokenType.REFRESH, 'u', 'read')).to.throw(TypeError, /scope/);
      expect(() => new JWT(TokenType.REFRESH, 'u', null, { scope: 'read' })).to.throw(TypeError, /scope/);
    });

    for (const bad of ['bearer', 'AUTH', '', null, undefined, 1]) {
      it(`refuses the token type ${JSON.stringify(bad) ?? 'undefined'} (TypeError)`, () => {
        expect(() => new JWT(bad as unknown as TokenType, 'u')).to.throw(TypeError);
      });
    }

    const badSubjects: Array<[string, unknown]> = [
      ['null', null],
      ['undefined', undefined],
      ['an object', { id: 1 }],
      ['an array', ['u']],
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['a boolean', true],
    ];
    for (const [label, sub] of badSubjects) {
      it(`refuses ${label} as subject (TypeError)`, () => {
        expect(() => new JWT(TokenType.AUTH, sub as string)).to.throw(TypeError, /sub/);
      });
    }

    for (const [label, claims] of [['null', null], ['an array', []], ['a string', 'x']] as const) {
      it(`refuses ${label} as extra claims (TypeError)`, () => {
        expect(() => new JWT(TokenType.AUTH, 'u', null, claims as unknown as Claims)).to.throw(TypeError);
      });
    }
  });

  describe('before signing', () => {
    const token = new JWT(TokenType.AUTH, 'user-1', 'read');

    for (const getter of ['alg', 'exp', 'iat', 'iss', 'maxAge'] as const) {
      it(`${getter} is null`, () => {
        expect(token[getter]).to.equal(null);
      });
    }

    it('signed is null and isSigned() is false', () => {
      expect(token.signed).to.equal(null);
      expect(token.isSigned()).to.equal(false);
    });

    it('header is { typ: "JWT", alg: null }', () => {
      expect(token.typ).to.equal('JWT');
      expect(token.header).to.deep.equal({ typ: 'JWT', alg: null });
    });
  });

  describe('sign', () => {
    it('sets iat to now, exp to iat + authMaxAge and iss to the issuer, and returns the signed token', () => {
      const token = new JWT(TokenType.AUTH, 'user-1', 'read', { tenant: 'acme' });
      const before = nowSeconds();
      const signed = token.sign(hsSigner(120));
      const after = nowSeconds();
      expect(signed).to.be.a('string');
      expect(token.signed).to.equal(signed);
      expect(token.isSigned()).to.equal(true);
      expect(token.iat).to.be.a('number').within(before, after);
      expect(token.exp).to.equal((token.iat ?? Number.NaN) + 120);
      expect(token.maxAge).to.equal(120);
      expect(token.iss).to.equal(ISSUER);
      expect(token.alg).to.equal('HS256');
      expect(token.header).to.deep.equal({ typ: 'JWT', alg: 'HS256' });
    });

    it('writes the claims and a { alg, typ: "JWT" } header into the compact token', () => {
      const token = new JWT(TokenType.AUTH, 'user-1', 'read', { tenant: 'acme' });
      const signed = token.sign(hsSigner());
      expect(signed.split('.')).to.have.length(3);
      expect(decodeSegment(signed, 0)).to.deep.equal({ alg: 'HS256', typ: 'JWT' });
      expect(decodeSegment(signed, 1)).to.deep.equal(token.claims);
      expect(token.claims).to.include({ sub: 'user-1', type: 'auth', scope: 'read', tenant: 'acme', iss: ISSUER });
    });

    it('gives an auth token no rid', () => {
      const token = new JWT(TokenType.AUTH, 'u');
      token.sign(hsSigner());
      expect(token.claims).to.not.have.property('rid');
    });

    it('gives a refresh token exp = iat + refreshMaxAge, a base64url rid of at least 128 bits and no scope', () => {
      const token = new JWT(TokenType.REFRESH, 'u');
      token.sign(hsSigner(60, 900));
      expect(token.maxAge).to.equal(900);
      const rid = token.claims.rid;
      expect(rid).to.be.a('string').and.match(/^[A-Za-z0-9_-]+$/);
      expect(Buffer.from(rid as string, 'base64url').length).to.be.at.least(16);
      expect(token.claims).to.not.have.property('scope');
      expect(decodeSegment(token.signed ?? '', 1)).to.have.property('rid', rid);
    });

    it('gives every refresh token a different rid', () => {
      const signer = hsSigner();
      const rids = new Set<unknown>();
      for (let i = 0; i < 20; i += 1) {
        const token = new JWT(TokenType.REFRESH, 'u');
        token.sign(signer);
        rids.add(token.claims.rid);
      }
      expect(rids.size).to.equal(20);
    });

    it('can re-sign a token with another signer, replacing iss, iat and exp', () => {
      const token = new JWT(TokenType.AUTH, 'u');
      token.sign(hsSigner(100));
      const other = new AuthData(AuthType.HS512, hmacSecret(64), 'other-issuer', 50, 60);
      token.sign(other);
      expect(token.iss).to.equal('other-issuer');
      expect(token.maxAge).to.equal(50);
      expect(token.alg).to.equal('HS512');
    });
  });

  describe('fromSignedToken', () => {
    it('round-trips a signed auth token: claims, alg, signed text, type and scope', () => {
      const original = new JWT(TokenType.AUTH, 'user-1', { admin: true }, { tenant: 'acme' });
      original.sign(hsSigner());
      const parsed = JWT.fromSignedToken(original.signed ?? '');
      expect(parsed).to.be.instanceOf(JWT);
      expect(parsed.claims).to.deep.equal(original.claims);
      expect(parsed.signed).to.equal(original.signed);
      expect(parsed.isSigned()).to.equal(true);
      expect(parsed.alg).to.equal('HS256');
      expect(parsed.tokenType).to.equal(TokenType.AUTH);
      expect(parsed.sub).to.equal('user-1');
      expect(parsed.scope).to.deep.equal({ admin: true });
      expect(parsed.iat).to.equal(original.iat);
      expect(parsed.exp).to.equal(original.exp);
      expect(parsed.iss).to.equal(ISSUER);
    });

    it('round-trips a refresh token and a numeric subject', () => {
      const original = new JWT(TokenType.REFRESH, 7);
      original.sign(hsSigner());
      const parsed = JWT.fromSignedToken(original.signed ?? '');
      expect(parsed.tokenType).to.equal(TokenType.REFRESH);
      expect(parsed.sub).to.equal(7);
      expect(parsed.claims.rid).to.equal(original.claims.rid);
    });

    it('parses without verifying: a token signed with an unknown key is read', () => {
      const parsed = JWT.fromSignedToken(compact(claimsFor('elsewhere')));
      expect(parsed.iss).to.equal('elsewhere');
    });

    const valid = claimsFor(ISSUER);
    const malformed: Array<[string, unknown]> = [
      ['garbage', 'not a token'],
      ['an empty string', ''],
      ['undefined', undefined],
      ['null', null],
      ['a number', 42],
      ['an object', { signed: compact(valid) }],
      ['two segments', `${segment({ alg: 'HS256' })}.${segment(valid)}`],
      ['four segments', `${compact(valid)}.${segment('more')}`],
      ['an empty signature segment', `${segment({ alg: 'HS256' })}.${segment(valid)}.`],
      ['an empty header segment', `.${segment(valid)}.${segment('s')}`],
      ['padding characters', `${compact(valid)}==`],
      ['surrounding white space', ` ${compact(valid)} `],
      ['a non-object payload (array)', compact('[1,2,3]')],
      ['a non-object payload (string)', compact('"claims"')],
      ['a non-object payload (null)', compact('null')],
      ['a payload that is not JSON', compact('{sub:1')],
      ['a header that is not an object', compact(valid, '"HS256"')],
      ['a header without alg', compact(valid, { typ: 'JWT' })],
      ['exp as a string', compact({ ...valid, exp: String(valid.exp) })],
      ['iat as a string', compact({ ...valid, iat: String(valid.iat) })],
      ['a type that is neither auth nor refresh', compact({ ...valid, type: 'admin' })],
      ['a subject that is an object', compact({ ...valid, sub: { id: 1 } })],
      ['exp: 1e309 (Infinity once parsed)', compact(`{"sub":"u","type":"auth","iss":"i","iat":${nowSeconds()},"exp":1e309}`)],
      ['iat: -1e309', compact(`{"sub":"u","type":"auth","iss":"i","iat":-1e309,"exp":${nowSeconds() + 60}}`)],
    ];
    for (const claim of ['exp', 'iss', 'sub', 'iat', 'type']) {
      malformed.push([`a payload missing ${claim}`, compact(without(valid, claim))]);
    }

    for (const [label, input] of malformed) {
      it(`throws InvalidTokenError (only) for ${label}`, () => {
        expectInvalidToken(() => JWT.fromSignedToken(input as string));
      });
    }

    it(`accepts a token of exactly MAX_TOKEN_LENGTH (${MAX_TOKEN_LENGTH}) characters and refuses one character more`, () => {
      expect(MAX_TOKEN_LENGTH).to.equal(8192);
      const head = `${segment({ alg: 'HS256', typ: 'JWT' })}.${segment({ ...valid, pad: 'x'.repeat(4000) })}.`;
      const exact = head + 'A'.repeat(MAX_TOKEN_LENGTH - head.length);
      expect(exact).to.have.length(MAX_TOKEN_LENGTH);
      expect(JWT.fromSignedToken(exact).iss).to.equal(ISSUER);
      expectInvalidToken(() => JWT.fromSignedToken(`${exact}A`));
    });

    it('refuses a very long token without decoding it', () => {
      expectInvalidToken(() => JWT.fromSignedToken(compact({ ...valid, pad: 'x'.repeat(1_000_000) })));
    });

    it('never puts the token text into the error message', () => {
      const input = compact(without(valid, 'exp'));
      const err = thrownBy(() => JWT.fromSignedToken(input));
      expect((err as Error).message).to.not.include(input.split('.')[1]);
    });
  });
});
