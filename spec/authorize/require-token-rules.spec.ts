/**
 * @RequireToken's matching rules over HTTP (API.md §3): nested claims on every key, arrays as subsets, strict
 * equality, own properties only, space-delimited scope strings, route-param binding with canonical numbers, explicit
 * param() binding, implicit binding only for the route's own params, override binding, and the token's location.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { Get, JsonController, useExpressServer } from 'routing-controllers';
import { AuthManager, currentToken, param, RequireToken, type Claims, type Scope } from 'routing-controllers-jwt';
import { configFor } from '../support/keys';
import { bearer, listen, send, type Reply, type RunningServer } from '../support/server';
import { appWithManager, expectRejection, hs256Token, nowSeconds } from '../support/require-token';

const ok = () => ({ sub: currentToken.sub });

@JsonController('/rules')
class RulesController {
  @Get('/nested')
  @RequireToken({ org: { team: 'a', role: 'admin' } })
  nested() {
    return ok();
  }

  @Get('/deeply-nested')
  @RequireToken({ org: { unit: { team: 'a', role: 'admin' }, region: 'eu' } })
  deeplyNested() {
    return ok();
  }

  @Get('/array-a')
  @RequireToken({ groups: ['a'] })
  arrayA() {
    return ok();
  }

  @Get('/array-c')
  @RequireToken({ groups: ['c'] })
  arrayC() {
    return ok();
  }

  @Get('/array-objects')
  @RequireToken({ roles: [{ name: 'editor', site: 1 }] })
  arrayObjects() {
    return ok();
  }

  @Get('/number')
  @RequireToken({ level: 1 })
  numberClaim() {
    return ok();
  }

  @Get('/boolean')
  @RequireToken({ verified: true })
  booleanClaim() {
    return ok();
  }

  @Get('/null')
  @RequireToken({ deleted: null })
  nullClaim() {
    return ok();
  }

  @Get('/inherited/to-string')
  @RequireToken({ toString: { name: 'toString' } })
  inheritedToString() {
    return ok();
  }

  @Get('/inherited/constructor')
  @RequireToken({ constructor: { name: 'Object' } })
  inheritedConstructor() {
    return ok();
  }

  @Get('/inherited/proto')
  @RequireToken({ ['__proto__']: {} })
  inheritedProto() {
    return ok();
  }

  @Get('/inherited/nested')
  @RequireToken({ org: { hasOwnProperty: { name: 'hasOwnProperty' } } })
  inheritedNested() {
    return ok();
  }

  @Get('/own/to-string')
  @RequireToken({ toString: 'mine' })
  ownToString() {
    return ok();
  }

  @Get('/scope/read')
  @RequireToken({ scope: 'read' })
  scopeRead() {
    return ok();
  }

  @Get('/scope/read-admin')
  @RequireToken({ scope: 'read admin' })
  scopeReadAdmin() {
    return ok();
  }

  @Get('/users/:userId')
  @RequireToken({ sub: 'userId' })
  user() {
    return ok();
  }

  @Get('/explicit/:userId')
  @RequireToken({ sub: param('userId') })
  explicit() {
    return ok();
  }

  @Get('/explicit-without-param')
  @RequireToken({ sub: param('userId') })
  explicitWithoutParam() {
    return ok();
  }

  @Get('/literal')
  @RequireToken({ sub: 'nobody' })
  literal() {
    return ok();
  }

  @Get('/literal/:somebody')
  @RequireToken({ sub: 'nobody' })
  literalOnRouteWithOtherParam() {
    return ok();
  }

  @Get('/accounts/:userId')
  @RequireToken({ scope: 'admin', override: { sub: 'userId' } })
  account() {
    return ok();
  }

  @Get('/cookie')
  @RequireToken('auth', 'cookies', { cookieName: 'auth_token' })
  cookie() {
    return ok();
  }
}

describe('@RequireToken matching rules', () => {
  const issuer = 'https://rules.example/issuer';
  const config = configFor('HS256', issuer);
  let manager: AuthManager;
  let server: RunningServer;

  before(async () => {
    const built = appWithManager(config);
    manager = built.manager;
    useExpressServer(built.app, { controllers: [RulesController] });
    server = await listen(built.app);
  });

  after(() => server.close());

  const token = (sub: string | number, scope: Scope | null, claims: Claims = {}): string =>
    manager.authToken(sub, scope, claims).signed;
  const get = (path: string, signed: string): Promise<Reply> => send(`${server.url}/rules${path}`, { headers: bearer(signed) });
  const expectAllowed = async (path: string, signed: string, sub: string | number = 'u1'): Promise<void> => {
    const reply = await get(path, signed);
    expect(reply.status, `${path}: ${reply.text}`).to.equal(200);
    expect(reply.json).to.deep.equal({ sub });
  };
  const expectForbidden = async (path: string, signed: string, code = 'ERR_TOKEN_FORBIDDEN_CLAIMS'): Promise<void> => {
    expectRejection(await get(path, signed), { status: 403, code, issuer, bearerError: 'insufficient_scope', secrets: [signed] });
  };

  describe('nested claims', () => {
    it('security: checks every key of a nested claim (the original stopped after the first one)', async () => {
      await expectForbidden('/nested', token('u1', null, { org: { team: 'a', role: 'user' } }));
    });

    it('accepts a nested claim whose every required key matches, extra keys allowed', async () => {
      await expectAllowed('/nested', token('u1', null, { org: { team: 'a', role: 'admin', floor: 3 } }));
    });

    it('security: checks every key at every depth and every top-level key after a nested one', async () => {
      await expectForbidden('/deeply-nested', token('u1', null, { org: { unit: { team: 'a', role: 'user' }, region: 'eu' } }));
      await expectForbidden('/deeply-nested', token('u1', null, { org: { unit: { team: 'a', role: 'admin' }, region: 'us' } }));
      await expectAllowed('/deeply-nested', token('u1', null, { org: { unit: { team: 'a', role: 'admin' }, region: 'eu' } }));
    });

    it('refuses a nested requirement when the token holds a scalar or an array there', async () => {
      await expectForbidden('/nested', token('u1', null, { org: 'a' }));
      await expectForbidden('/nested', token('u1', null, { org: ['team', 'role'] }));
    });
  });

  describe('arrays', () => {
    it('matches a required array that is a subset of the token\'s array', async () => {
      await expectAllowed('/array-a', token('u1', null, { groups: ['a', 'b'] }));
      await expectAllowed('/array-a', token('u1', null, { groups: ['b', 'a'] }));
    });

    it('refuses a required array with an element the token\'s array lacks', async () => {
      await expectForbidden('/array-c', token('u1', null, { groups: ['a', 'b'] }));
    });

    it('refuses a required array when the token holds a scalar', async () => {
      await expectForbidden('/array-a', token('u1', null, { groups: 'a' }));
    });

    it('compares array elements with deep equality', async () => {
      await expectAllowed('/array-objects', token('u1', null, { roles: [{ name: 'viewer', site: 1 }, { site: 1, name: 'editor' }] }));
      await expectForbidden('/array-objects', token('u1', null, { roles: [{ name: 'editor', site: '1' }] }));
      await expectForbidden('/array-objects', token('u1', null, { roles: [{ name: 'editor', site: 1, extra: true }] }));
    });
  });

  describe('scalars compare strictly', () => {
    it('security: 1 never matches true or "1"', async () => {
      await expectForbidden('/number', token('u1', null, { level: true }));
      await expectForbidden('/number', token('u1', null, { level: '1' }));
      await expectForbidden('/number', token('u1', null, { level: [1] }));
      await expectAllowed('/number', token('u1', null, { level: 1 }));
    });

    it('security: true never matches 1 or "true"', async () => {
      await expectForbidden('/boolean', token('u1', null, { verified: 1 }));
      await expectForbidden('/boolean', token('u1', null, { verified: 'true' }));
      await expectAllowed('/boolean', token('u1', null, { verified: true }));
    });

    it('null matches only null, never a missing claim or false', async () => {
      await expectForbidden('/null', token('u1', null));
      await expectForbidden('/null', token('u1', null, { deleted: false }));
      await expectAllowed('/null', token('u1', null, { deleted: null }));
    });
  });

  describe('own properties only', () => {
    it('security: a required toString is never found on the prototype', async () => {
      await expectForbidden('/inherited/to-string', token('u1', null));
    });

    it('security: a required constructor is never found on the prototype', async () => {
      await expectForbidden('/inherited/constructor', token('u1', null));
    });

    it('security: a required __proto__ is an ordinary missing key', async () => {
      await expectForbidden('/inherited/proto', token('u1', null));
    });

    it('security: nested requirements ignore the prototype too', async () => {
      await expectForbidden('/inherited/nested', token('u1', null, { org: { team: 'a' } }));
    });

    it('matches a claim named like a prototype property when the token carries it', async () => {
      const iat = nowSeconds();
      const claims = { sub: 'u1', type: 'auth', iss: issuer, iat, exp: iat + 600 };
      await expectAllowed('/own/to-string', hs256Token(config.JWT_SECRET, { ...claims, toString: 'mine' }));
      await expectForbidden('/own/to-string', hs256Token(config.JWT_SECRET, { ...claims, toString: 'yours' }));
    });
  });

  describe('scope strings', () => {
    it('a required scope word matches a space-delimited token scope that contains it', async () => {
      await expectAllowed('/scope/read', token('u1', 'read write'));
      await expectAllowed('/scope/read', token('u1', 'write read'));
      await expectAllowed('/scope/read', token('u1', 'read'));
    });

    it('every required scope word must be present', async () => {
      await expectForbidden('/scope/read-admin', token('u1', 'read write'), 'ERR_TOKEN_FORBIDDEN_SCOPE');
      await expectAllowed('/scope/read-admin', token('u1', 'admin write read'));
    });

    it('security: scope words are whole words, never substrings', async () => {
      await expectForbidden('/scope/read', token('u1', 'readonly write'), 'ERR_TOKEN_FORBIDDEN_SCOPE');
      await expectForbidden('/scope/read', token('u1', 'rea d'), 'ERR_TOKEN_FORBIDDEN_SCOPE');
      await expectForbidden('/scope/read', token('u1', 'reader'), 'ERR_TOKEN_FORBIDDEN_SCOPE');
    });

    it('a token without a scope never matches a required scope', async () => {
      await expectForbidden('/scope/read', token('u1', null), 'ERR_TOKEN_FORBIDDEN_SCOPE');
      await expectForbidden('/scope/read', token('u1', null, { read: true }), 'ERR_TOKEN_FORBIDDEN_SCOPE');
    });
  });

  describe('route-param binding', () => {
    it('binds a required claim to the route parameter it names', async () => {
      await expectAllowed('/users/alice', token('alice', null), 'alice');
      await expectForbidden('/users/bob', token('alice', null));
    });

    it('security: a number claim matches only the canonical decimal form of the route parameter', async () => {
      const numeric = token(1, null);
      await expectAllowed('/users/1', numeric, 1);
      await expectForbidden('/users/01', numeric);
      await expectForbidden('/users/1.0', numeric);
      await expectForbidden('/users/1e0', numeric);
      await expectForbidden('/users/+1', numeric);
    });

    it('a string claim must equal the route parameter exactly', async () => {
      await expectAllowed('/users/01', token('01', null), '01');
      await expectForbidden('/users/1', token('01', null));
      await expectForbidden('/users/Alice', token('alice', null));
    });

    it('explicit param() binds to the named route parameter', async () => {
      await expectAllowed('/explicit/alice', token('alice', null), 'alice');
      await expectForbidden('/explicit/bob', token('alice', null));
    });

    it('security: explicit param() never falls back to the literal name when the route has no such parameter', async () => {
      await expectForbidden('/explicit-without-param', token('userId', null));
    });

    it('a string naming no route parameter is compared as a literal', async () => {
      await expectAllowed('/literal', token('nobody', null), 'nobody');
      await expectForbidden('/literal', token('somebody', null));
    });

    it('binds implicitly only to a parameter of the same name: other params leave the literal in force', async () => {
      await expectAllowed('/literal/somebody', token('nobody', null), 'nobody');
      await expectForbidden('/literal/somebody', token('somebody', null));
    });

    it('an override claim binds to the route parameter too: own account without the scope, others only with it', async () => {
      await expectAllowed('/accounts/alice', token('alice', null), 'alice');
      await expectForbidden('/accounts/bob', token('alice', null), 'ERR_TOKEN_FORBIDDEN_SCOPE');
      await expectAllowed('/accounts/bob', token('root', 'admin'), 'root');
    });
  });

  describe('cookies', () => {
    it('the first occurrence of the cookie wins', async () => {
      const valid = token('u1', null);
      const first = await send(`${server.url}/rules/cookie`, { headers: { cookie: `auth_token=${valid}; auth_token=garbage` } });
      expect(first.status, first.text).to.equal(200);
      const shadowed = await send(`${server.url}/rules/cookie`, { headers: { cookie: `auth_token=garbage; auth_token=${valid}` } });
      expectRejection(shadowed, { status: 401, code: 'ERR_TOKEN_MALFORMED', issuer, bearerError: 'invalid_token', secrets: [valid] });
    });

    it('reads only the named cookie, not one whose name merely contains it', async () => {
      const valid = token('u1', null);
      const reply = await send(`${server.url}/rules/cookie`, { headers: { cookie: `my_auth_token=${valid}; auth_token_x=${valid}` } });
      expectRejection(reply, { status: 401, code: 'ERR_TOKEN_MISSING', issuer, bearerError: null, secrets: [valid] });
    });
  });
});
