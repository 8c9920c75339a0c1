/**
 * Security, matching class (issue 5): fail-closed matching of required claims, scope and override against validly
 * signed tokens. Prototype keys written as own JSON keys (`__proto__`, `constructor`, `prototype`) never grant
 * anything and never pollute a prototype; inherited names are ordinary missing keys; no type coercion; route params
 * compare with the exact string the handler sees.
 *
 * What Express 5 does with route params (router 2 / path-to-regexp 8), found here: each param is percent-decoded
 * exactly once with decodeURIComponent before the guard and the handler see it (`/users/al%69ce` is "alice" to both);
 * `%2F` becomes "/", `%00` a NUL, `%E2%80%AE` U+202E; double encoding stays encoded once (`%2569` is "%69"); a
 * malformed escape (`%E0%A4%A`) is refused by the router with 400 before any guard runs. So the guard compares the
 * same decoded string the handler uses, and a different string never matches.
 * Express 4 (path-to-regexp 0.1) does the same with all of these; `npm test` runs this file on both majors.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { Get, JsonController, Param } from 'routing-controllers';
import { currentToken, RequireToken } from 'routing-controllers-jwt';
import { configFor } from '../support/keys';
import { claims, hmacSigned, rawClaims, useSecurityServer } from './harness';

const ok = () => ({ sub: currentToken.sub });

@JsonController('/sec/match')
class MatchingController {
  @Get('/ok')
  @RequireToken()
  ok() {
    return ok();
  }

  @Get('/admin-claim')
  @RequireToken({ admin: true })
  adminClaim() {
    return ok();
  }

  @Get('/admin-scope')
  @RequireToken({ scope: { admin: true } })
  adminScope() {
    return ok();
  }

  @Get('/override')
  @RequireToken({ scope: 'write', override: { admin: true } })
  override() {
    return ok();
  }

  @Get('/to-string')
  @RequireToken({ toString: 'x' })
  toStringClaim() {
    return ok();
  }

  @Get('/has-own-property')
  @RequireToken({ hasOwnProperty: 'y' })
  hasOwnPropertyClaim() {
    return ok();
  }

  @Get('/constructor-name')
  @RequireToken({ constructor: { name: 'Object' } })
  constructorName() {
    return ok();
  }

  @Get('/scope-constructor-name')
  @RequireToken({ scope: { constructor: { name: 'Object' } } })
  scopeConstructorName() {
    return ok();
  }

  @Get('/proto-required')
  @RequireToken({ ['__proto__']: { admin: true } })
  protoRequired() {
    return ok();
  }

  @Get('/level-one')
  @RequireToken({ level: 1 })
  levelOne() {
    return ok();
  }

  @Get('/role-string')
  @RequireToken({ role: 'a' })
  roleString() {
    return ok();
  }

  @Get('/roles-array')
  @RequireToken({ roles: ['a'] })
  rolesArray() {
    return ok();
  }

  @Get('/roles-two')
  @RequireToken({ roles: ['a', 'b'] })
  rolesTwo() {
    return ok();
  }

  @Get('/perms')
  @RequireToken({ perms: { admin: true, write: true } })
  perms() {
    return ok();
  }

  @Get('/scope-read')
  @RequireToken({ scope: 'read' })
  scopeRead() {
    return ok();
  }

  @Get('/scope-read-write')
  @RequireToken({ scope: 'read write' })
  scopeReadWrite() {
    return ok();
  }

  @Get('/users/:userId')
  @RequireToken({ sub: 'userId' })
  user(@Param('userId') userId: string) {
    return { id: userId, sub: currentToken.sub };
  }
}

/** Every own property name of the built-in prototypes a pollution would touch. */
function prototypeSnapshot(): Record<string, string[]> {
  const names = (target: object): string[] => Reflect.ownKeys(target).map(String).sort();
  return {
    object: names(Object.prototype),
    array: names(Array.prototype),
    function: names(Function.prototype),
    string: names(String.prototype),
  };
}

describe('security: matching', () => {
  const issuer = 'https://issuer.sec-match.example/Wv3';
  const config = configFor('HS256', issuer);
  const sec = useSecurityServer({ config, controllers: [MatchingController], healthPath: '/sec/match/ok' });
  const HEADER = { alg: 'HS256', typ: 'JWT' };
  /** A validly signed token: registered claims plus `extra` (an object, or raw JSON members as text). */
  const token = (extra: Record<string, unknown> | string = {}): string =>
    hmacSigned(HEADER, typeof extra === 'string' ? rawClaims(issuer, extra) : claims(issuer, extra), config.JWT_SECRET);
  let prototypesBefore: Record<string, string[]>;

  async function status(path: string, signed: string): Promise<number> {
    return (await sec.get(path, { authorization: `Bearer ${signed}` })).status;
  }

  async function forbidden(path: string, signed: string, code?: string): Promise<void> {
    sec.rejected(await sec.get(path, { authorization: `Bearer ${signed}` }), { status: 403, code, sent: [signed] });
  }

  beforeEach(() => {
    prototypesBefore = prototypeSnapshot();
  });

  afterEach(() => {
    expect(({} as Record<string, unknown>).admin, '({}).admin').to.equal(undefined);
    expect(Object.getPrototypeOf({}), 'prototype of {}').to.equal(Object.prototype);
    expect(prototypeSnapshot(), 'built-in prototypes unchanged').to.deep.equal(prototypesBefore);
  });

  describe('prototype keys in claims and scope', () => {
    it('grants the admin routes to real admin claims and scope (control)', async () => {
      expect(await status('/sec/match/admin-claim', token({ admin: true }))).to.equal(200);
      expect(await status('/sec/match/admin-scope', token({ scope: { admin: true } }))).to.equal(200);
      expect(await status('/sec/match/override', token({ admin: true }))).to.equal(200);
    });

    it('rejects claims {"__proto__":{"admin":true}} on a route requiring admin: true', async () => {
      await forbidden('/sec/match/admin-claim', token('"__proto__":{"admin":true}'), 'ERR_TOKEN_FORBIDDEN_CLAIMS');
    });

    it('rejects claims {"__proto__":{"admin":true}} against override { admin: true }', async () => {
      await forbidden('/sec/match/override', token('"__proto__":{"admin":true}'), 'ERR_TOKEN_FORBIDDEN_SCOPE');
    });

    it('rejects scope {"__proto__":{"admin":true}} on a route requiring scope { admin: true }', async () => {
      await forbidden('/sec/match/admin-scope', token('"scope":{"__proto__":{"admin":true}}'), 'ERR_TOKEN_FORBIDDEN_SCOPE');
    });

    it('rejects claims {"constructor":{"prototype":{"admin":true}}} on a route requiring admin: true', async () => {
      await forbidden('/sec/match/admin-claim', token('"constructor":{"prototype":{"admin":true}}'), 'ERR_TOKEN_FORBIDDEN_CLAIMS');
    });

    it('rejects scope {"constructor":{"prototype":{"admin":true}}} on a route requiring scope { admin: true }', async () => {
      await forbidden('/sec/match/admin-scope', token('"scope":{"constructor":{"prototype":{"admin":true}}}'), 'ERR_TOKEN_FORBIDDEN_SCOPE');
    });

    it('rejects claims {"prototype":{"admin":true}} and scope {"prototype":{"admin":true}}', async () => {
      await forbidden('/sec/match/admin-claim', token('"prototype":{"admin":true}'), 'ERR_TOKEN_FORBIDDEN_CLAIMS');
      await forbidden('/sec/match/admin-scope', token('"scope":{"prototype":{"admin":true}}'), 'ERR_TOKEN_FORBIDDEN_SCOPE');
    });

    it('rejects nested "__proto__" under a required object: perms {"__proto__":{"admin":true,"write":true}}', async () => {
      await forbidden('/sec/match/perms', token('"perms":{"__proto__":{"admin":true,"write":true}}'), 'ERR_TOKEN_FORBIDDEN_CLAIMS');
    });

    it('rejects "__proto__" keys inside array elements of the scope', async () => {
      await forbidden('/sec/match/admin-scope', token('"scope":[{"__proto__":{"admin":true}}]'), 'ERR_TOKEN_FORBIDDEN_SCOPE');
    });
  });

  describe('inherited names as required claims', () => {
    it('rejects a token without "toString" on a route requiring toString: "x"', async () => {
      await forbidden('/sec/match/to-string', token(), 'ERR_TOKEN_FORBIDDEN_CLAIMS');
    });

    it('rejects a token without "hasOwnProperty" on a route requiring hasOwnProperty: "y"', async () => {
      await forbidden('/sec/match/has-own-property', token(), 'ERR_TOKEN_FORBIDDEN_CLAIMS');
    });

    it('rejects a token without "constructor" on a route requiring constructor { name: "Object" } (inherited Object.name)', async () => {
      await forbidden('/sec/match/constructor-name', token(), 'ERR_TOKEN_FORBIDDEN_CLAIMS');
    });

    it('rejects a scope without "constructor" on a route requiring scope { constructor: { name: "Object" } }', async () => {
      await forbidden('/sec/match/scope-constructor-name', token({ scope: { other: 1 } }), 'ERR_TOKEN_FORBIDDEN_SCOPE');
    });

    it('rejects a token without an own "__proto__" key on a route requiring one', async () => {
      await forbidden('/sec/match/proto-required', token({ admin: true }), 'ERR_TOKEN_FORBIDDEN_CLAIMS');
    });

    it('grants the same routes to tokens that carry those names as own claims (control)', async () => {
      expect(await status('/sec/match/to-string', token({ toString: 'x' }))).to.equal(200);
      expect(await status('/sec/match/has-own-property', token({ hasOwnProperty: 'y' }))).to.equal(200);
      expect(await status('/sec/match/constructor-name', token('"constructor":{"name":"Object"}'))).to.equal(200);
    });
  });

  describe('no type coercion', () => {
    it('rejects admin: 1 and admin: "true" against admin: true', async () => {
      await forbidden('/sec/match/admin-claim', token({ admin: 1 }), 'ERR_TOKEN_FORBIDDEN_CLAIMS');
      await forbidden('/sec/match/admin-claim', token({ admin: 'true' }), 'ERR_TOKEN_FORBIDDEN_CLAIMS');
    });

    it('rejects level: true, level: "1" and level: [1] against level: 1', async () => {
      for (const level of [true, '1', [1], { value: 1 }]) await forbidden('/sec/match/level-one', token({ level }), 'ERR_TOKEN_FORBIDDEN_CLAIMS');
    });

    it('rejects role ["a"] (an array) against the string "a"', async () => {
      await forbidden('/sec/match/role-string', token({ role: ['a'] }), 'ERR_TOKEN_FORBIDDEN_CLAIMS');
    });

    it('rejects roles "a" (a string) against the array ["a"]', async () => {
      await forbidden('/sec/match/roles-array', token({ roles: 'a' }), 'ERR_TOKEN_FORBIDDEN_CLAIMS');
      await forbidden('/sec/match/roles-array', token({ roles: 'a,b' }), 'ERR_TOKEN_FORBIDDEN_CLAIMS');
    });

    it('rejects roles ["a"] against ["a", "b"] (a subset is required of the route, not of the token)', async () => {
      expect(await status('/sec/match/roles-two', token({ roles: ['b', 'a', 'c'] })), 'control').to.equal(200);
      await forbidden('/sec/match/roles-two', token({ roles: ['a'] }), 'ERR_TOKEN_FORBIDDEN_CLAIMS');
      await forbidden('/sec/match/roles-two', token({ roles: [['a', 'b']] }), 'ERR_TOKEN_FORBIDDEN_CLAIMS');
    });

    it('rejects perms { admin: true } against { admin: true, write: true } (every nested key is checked)', async () => {
      await forbidden('/sec/match/perms', token({ perms: { admin: true } }), 'ERR_TOKEN_FORBIDDEN_CLAIMS');
      await forbidden('/sec/match/perms', token({ perms: { admin: true, write: 'true' } }), 'ERR_TOKEN_FORBIDDEN_CLAIMS');
    });
  });

  describe('scope words (OAuth 2.0 space-delimited)', () => {
    it('grants "read" to scope "read write" and to " read" (an empty word is ignored, not granted) (control)', async () => {
      expect(await status('/sec/match/scope-read', token({ scope: 'read write' }))).to.equal(200);
      expect(await status('/sec/match/scope-read', token({ scope: ' read' }))).to.equal(200);
    });

    it('rejects scope "readonly" against "read"', async () => {
      await forbidden('/sec/match/scope-read', token({ scope: 'readonly' }), 'ERR_TOKEN_FORBIDDEN_SCOPE');
    });

    it('rejects scope "read" against "read write"', async () => {
      await forbidden('/sec/match/scope-read-write', token({ scope: 'read' }), 'ERR_TOKEN_FORBIDDEN_SCOPE');
      await forbidden('/sec/match/scope-read-write', token({ scope: 'read read' }), 'ERR_TOKEN_FORBIDDEN_SCOPE');
    });

    it('rejects words glued by other white space or punctuation: "read\\twrite", "read,write", "read\\u00a0write"', async () => {
      for (const scope of ['read\twrite', 'read,write', 'read\u00a0write', 'read\nwrite']) {
        await forbidden('/sec/match/scope-read', token({ scope }), 'ERR_TOKEN_FORBIDDEN_SCOPE');
      }
    });

    it('rejects "READ", "", a missing scope and scope ["read"] against "read"', async () => {
      for (const scope of ['READ', '', ['read'], { read: true }]) await forbidden('/sec/match/scope-read', token({ scope }), 'ERR_TOKEN_FORBIDDEN_SCOPE');
      await forbidden('/sec/match/scope-read', token(), 'ERR_TOKEN_FORBIDDEN_SCOPE');
    });
  });

  describe('route params', () => {
    async function user(path: string, sub: unknown): Promise<{ status: number; json: unknown; signed: string }> {
      const signed = token({ sub });
      const reply = await sec.get(`/sec/match/users/${path}`, { authorization: `Bearer ${signed}` });
      return { status: reply.status, json: reply.json, signed };
    }

    async function userForbidden(path: string, sub: unknown): Promise<void> {
      const signed = token({ sub });
      sec.rejected(await sec.get(`/sec/match/users/${path}`, { authorization: `Bearer ${signed}` }), {
        status: 403,
        code: 'ERR_TOKEN_FORBIDDEN_CLAIMS',
        sent: [signed],
      });
    }

    it('grants /users/1 to sub 1 and /users/alice to sub "alice" (control)', async () => {
      expect(await user('1', 1)).to.deep.include({ status: 200, json: { id: '1', sub: 1 } });
      expect(await user('alice', 'alice')).to.deep.include({ status: 200, json: { id: 'alice', sub: 'alice' } });
    });

    it('rejects /users/01 for sub 1 and for sub "1" (leading zeros)', async () => {
      await userForbidden('01', 1);
      await userForbidden('01', '1');
      await userForbidden('001', 1);
    });

    it('rejects other spellings of the number 1: 1.0, +1, 1e0, 0x1, %201, 1%20', async () => {
      for (const path of ['1.0', '+1', '1e0', '0x1', '%201', '1%20']) await userForbidden(path, 1);
    });

    it('rejects /users/1 for a fractional or negative sub (1.0000000000000002, -1)', async () => {
      await userForbidden('1', 1.0000000000000002);
      await userForbidden('1', -1);
    });

    it('Express decodes /users/al%69ce once into "alice": guard and handler see the same string', async () => {
      expect(await user('al%69ce', 'alice')).to.deep.include({ status: 200, json: { id: 'alice', sub: 'alice' } });
      await userForbidden('al%69ce', 'bob');
    });

    it('rejects the raw percent-encoded spelling as a sub: sub "al%69ce" on /users/al%69ce', async () => {
      await userForbidden('al%69ce', 'al%69ce');
    });

    it('rejects double encoding: /users/al%2569ce (decoded once to "al%69ce") for sub "alice"', async () => {
      await userForbidden('al%2569ce', 'alice');
      // Decoded exactly once: the handler sees "al%69ce", which only that very sub matches.
      expect(await user('al%2569ce', 'al%69ce')).to.deep.include({ status: 200, json: { id: 'al%69ce', sub: 'al%69ce' } });
    });

    it('rejects an encoded slash: /users/al%2Fice for sub "alice" and for sub "al"', async () => {
      await userForbidden('al%2Fice', 'alice');
      await userForbidden('al%2Fice', 'al');
      // The param is decoded to "al/ice": only that exact sub matches, and the handler sees the same string.
      expect(await user('al%2Fice', 'al/ice')).to.deep.include({ status: 200, json: { id: 'al/ice', sub: 'al/ice' } });
    });

    it('rejects a NUL (%00) in the route param for a sub without it', async () => {
      await userForbidden('alice%00', 'alice');
      await userForbidden('%00alice', 'alice');
      await userForbidden('ali%00ce', 'alice');
      // %00 is decoded to a real NUL: it matches only a sub that carries the NUL too.
      expect(await user('alice%00', 'alice\u0000')).to.deep.include({ status: 200, json: { id: 'alice\u0000', sub: 'alice\u0000' } });
    });

    it('rejects a NUL in the sub for a route param without it', async () => {
      await userForbidden('alice', 'alice\u0000');
    });

    it('rejects a right-to-left override (%E2%80%AE) in the route param for a sub without it', async () => {
      await userForbidden('alice%E2%80%AE', 'alice');
      await userForbidden('%E2%80%AEecila', 'alice');
      await userForbidden('%E2%80%AEalice', 'alice');
    });

    it('rejects zero-width and case variants: alice%E2%80%8B, ALICE, Alice', async () => {
      for (const path of ['alice%E2%80%8B', 'ALICE', 'Alice']) await userForbidden(path, 'alice');
    });

    it('rejects a Unicode normalisation variant: NFD "e\\u0301" in the route for NFC sub "\\u00e9" and the reverse', async () => {
      await userForbidden('e%CC%81', '\u00e9');
      await userForbidden('%C3%A9', 'e\u0301');
    });

    it('never matches a malformed percent escape: the router answers 400 before any guard runs', async () => {
      const reply = await sec.get('/sec/match/users/%E0%A4%A', { authorization: `Bearer ${token({ sub: '%E0%A4%A' })}` });
      expect(reply.status).to.equal(400);
    });

    it('rejects a numeric sub beyond 2^53 on the neighbouring id it rounds to (precision loss)', async () => {
      // The JSON text says 9007199254740993; JSON.parse rounds it to 9007199254740992, which is another user's id.
      const signed = hmacSigned(HEADER, rawClaims(issuer, '"sub":9007199254740993', { sub: undefined }), config.JWT_SECRET);
      const reply = await sec.get('/sec/match/users/9007199254740992', { authorization: `Bearer ${signed}` });
      expect([401, 403], `status; body: ${reply.text}`).to.include(reply.status);
      sec.rejected(reply, { status: reply.status as 401 | 403, sent: [signed] });
    });
  });
});
