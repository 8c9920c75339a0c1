/**
 * @RequireToken's options (API.md §3): validated when the decorator factory is called, positional and object forms,
 * and the decorator's position relative to @Get/@Post.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import { Get, JsonController, useExpressServer } from 'routing-controllers';
import {
  AuthManager,
  currentToken,
  param,
  RequireToken,
  requireToken,
  TokenType,
  type RequireTokenOptions,
} from 'routing-controllers-jwt';
import { configFor } from '../support/keys';
import { bearer, listen, send, type RunningServer } from '../support/server';
import { appWithManager, expectRejection } from '../support/require-token';
import { typeErrorOf } from '../support/tokens';

/** Calls RequireToken with arguments the types forbid, as JavaScript callers can. */
const requireTokenUnchecked = RequireToken as unknown as (...args: unknown[]) => unknown;
const requireTokenMiddlewareUnchecked = requireToken as unknown as (...args: unknown[]) => unknown;


describe('@RequireToken options are validated when the decorator factory is called', () => {
  it('refuses an invalid token type, positional or in options', () => {
    expect(typeErrorOf(() => requireTokenUnchecked('access')).message).to.match(/token type/i);
    typeErrorOf(() => requireTokenUnchecked({ tokenType: 'access' }));
    typeErrorOf(() => requireTokenUnchecked('Auth'));
    typeErrorOf(() => requireTokenUnchecked(42));
  });

  it('refuses an invalid location, positional or in options', () => {
    expect(typeErrorOf(() => requireTokenUnchecked('auth', 'query')).message).to.match(/location/i);
    typeErrorOf(() => requireTokenUnchecked({ location: 'body' }));
    typeErrorOf(() => requireTokenUnchecked('auth', 'cookie', { cookieName: 'auth_token' }));
  });

  it('refuses the cookies location without a cookie name', () => {
    expect(typeErrorOf(() => requireTokenUnchecked('auth', 'cookies')).message).to.match(/cookieName/);
    typeErrorOf(() => requireTokenUnchecked({ location: 'cookies' }));
    typeErrorOf(() => requireTokenUnchecked('auth', 'cookies', { cookieName: '' }));
  });

  it('refuses a cookie name that is not an HTTP token', () => {
    typeErrorOf(() => requireTokenUnchecked('auth', 'cookies', { cookieName: 'auth token' }));
    typeErrorOf(() => requireTokenUnchecked('auth', 'cookies', { cookieName: 'a;b' }));
  });

  it('refuses the seed\'s snake_case spellings instead of turning them into required claims', () => {
    expect(typeErrorOf(() => requireTokenUnchecked({ cookie_name: 'auth_token' })).message).to.include('cookieName');
    expect(typeErrorOf(() => requireTokenUnchecked('auth', 'header', { token_type: 'refresh' })).message).to.include('tokenType');
  });

  it('security: refuses an empty override, which would grant access to every token', () => {
    expect(typeErrorOf(() => requireTokenUnchecked({ scope: 'admin', override: {} })).message).to.match(/override/);
    typeErrorOf(() => requireTokenUnchecked({ override: 'admin' }));
    typeErrorOf(() => requireTokenUnchecked({ override: ['admin'] }));
  });

  it('refuses claim values that are not JSON', () => {
    const notJson: Array<[string, unknown]> = [
      ['a Date', new Date()],
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['a function', () => true],
      ['a bigint', 1n],
      ['a RegExp', /admin/],
      ['a Map', new Map()],
      ['undefined', undefined],
      ['a Date nested in an object', { since: new Date() }],
      ['a function nested in an array', [() => true]],
      ['a class instance', new (class Role {})()],
    ];
    for (const [label, value] of notJson) {
      expect(() => requireTokenUnchecked({ claim: value }), label).to.throw(TypeError);
    }
    typeErrorOf(() => requireTokenUnchecked({ override: { admin: new Date() } }));
  });

  it('refuses a scope that cannot be matched', () => {
    typeErrorOf(() => requireTokenUnchecked({ scope: '' }));
    typeErrorOf(() => requireTokenUnchecked({ scope: '   ' }));
    typeErrorOf(() => requireTokenUnchecked({ scope: ['read'] }));
    typeErrorOf(() => requireTokenUnchecked({ scope: Number.NaN }));
  });

  it('refuses a token type or location given twice with different values', () => {
    typeErrorOf(() => requireTokenUnchecked('auth', 'header', { tokenType: 'refresh' }));
    typeErrorOf(() => requireTokenUnchecked('auth', 'header', { location: 'cookies', cookieName: 'c' }));
  });

  it('refuses more than three arguments and options that are not a plain object', () => {
    typeErrorOf(() => requireTokenUnchecked('auth', 'header', {}, {}));
    typeErrorOf(() => requireTokenUnchecked('auth', 'header', 'scope'));
  });

  it('accepts the positional (seed) form', () => {
    expect(RequireToken()).to.be.a('function');
    expect(RequireToken('refresh')).to.be.a('function');
    expect(RequireToken('auth', 'header')).to.be.a('function');
    expect(RequireToken('auth', 'cookies', { cookieName: 'auth_token', sub: 'userId', override: { admin: true } })).to.be.a('function');
    expect(RequireToken('refresh', 'cookies', { cookieName: 'refresh_token' })).to.be.a('function');
  });

  it('accepts the options-object form', () => {
    expect(RequireToken({ sub: 'userId', custom_claim: 'Flask_PyJWT' })).to.be.a('function');
    expect(RequireToken({ sub: 'userId', scope: { admin: true } })).to.be.a('function');
    expect(RequireToken({ tokenType: 'refresh', location: 'cookies', cookieName: 'refresh_token' })).to.be.a('function');
    expect(RequireToken({ tokenType: TokenType.REFRESH })).to.be.a('function');
    expect(RequireToken({ sub: param('userId'), scope: 'read write', nested: { list: [1, 'a', null, { deep: true }] } })).to.be.a('function');
  });

  it('the same positional value repeated in options is accepted', () => {
    expect(RequireToken('refresh', 'cookies', { tokenType: 'refresh', location: 'cookies', cookieName: 'rt' })).to.be.a('function');
  });

  it('a bad option is a TypeError when the class is defined, not on the first request', () => {
    typeErrorOf(() => {
      class BadController {
        @(requireTokenUnchecked('auth', 'cookies') as MethodDecorator)
        action() {
          return 'never';
        }
      }
      return BadController;
    });
  });

  it('decorates classes and methods only', () => {
    const decorator = RequireToken() as unknown as (...args: unknown[]) => unknown;
    expect(decorator(class Plain {})).to.equal(undefined);
    typeErrorOf(() => decorator({}));
    typeErrorOf(() => decorator({}, 'property', { value: 42, writable: true, enumerable: true, configurable: true }));
  });

  it('requireToken() validates its options the same way', () => {
    typeErrorOf(() => requireTokenMiddlewareUnchecked('access'));
    typeErrorOf(() => requireTokenMiddlewareUnchecked('auth', 'cookies'));
    typeErrorOf(() => requireTokenMiddlewareUnchecked({ cookie_name: 'auth_token' }));
    typeErrorOf(() => requireTokenMiddlewareUnchecked({ override: {} }));
    expect(requireToken({ scope: 'read' })).to.be.a('function');
  });
});

const mutableOptions: RequireTokenOptions = { scope: 'read', tenant: 'acme' };

@JsonController('/order')
class DecoratorOrderController {
  @RequireToken({ scope: 'read' })
  @Get('/above')
  above() {
    return { sub: currentToken.sub, where: 'above' };
  }

  @Get('/below')
  @RequireToken({ scope: 'read' })
  below() {
    return { sub: currentToken.sub, where: 'below' };
  }

  @Get('/stacked')
  @RequireToken({ scope: 'read' })
  @RequireToken({ tenant: 'acme' })
  stacked() {
    return { sub: currentToken.sub, where: 'stacked' };
  }

  @Get('/copied-options')
  @RequireToken(mutableOptions)
  copiedOptions() {
    return { sub: currentToken.sub, where: 'copied-options' };
  }
}

describe('@RequireToken on routing-controllers actions', () => {
  const issuer = 'https://decorator-order.example';
  let manager: AuthManager;
  let server: RunningServer;

  before(async () => {
    // Changing the options object after decoration must not change the requirement.
    mutableOptions.scope = 'admin';
    mutableOptions.tenant = 'other';
    const built = appWithManager(configFor('HS256', issuer));
    manager = built.manager;
    useExpressServer(built.app, { controllers: [DecoratorOrderController] });
    server = await listen(built.app);
  });

  after(() => server.close());

  const get = (path: string, token?: string) => send(`${server.url}/order${path}`, { headers: token ? bearer(token) : {} });

  for (const where of ['above', 'below'] as const) {
    it(`protects the route when written ${where} @Get`, async () => {
      expectRejection(await get(`/${where}`), { status: 401, code: 'ERR_TOKEN_MISSING', issuer, bearerError: null });
      expectRejection(await get(`/${where}`, manager.authToken('u1', 'write').signed), {
        status: 403,
        code: 'ERR_TOKEN_FORBIDDEN_SCOPE',
        issuer,
        bearerError: 'insufficient_scope',
      });
      const reply = await get(`/${where}`, manager.authToken('u1', 'read').signed);
      expect(reply.status, reply.text).to.equal(200);
      expect(reply.json).to.deep.equal({ sub: 'u1', where });
    });
  }

  it('checks every one of stacked @RequireToken decorators', async () => {
    const readOnly = manager.authToken('u1', 'read').signed;
    expectRejection(await get('/stacked', readOnly), {
      status: 403,
      code: 'ERR_TOKEN_FORBIDDEN_CLAIMS',
      issuer,
      bearerError: 'insufficient_scope',
    });
    const tenantOnly = manager.authToken('u1', null, { tenant: 'acme' }).signed;
    expectRejection(await get('/stacked', tenantOnly), {
      status: 403,
      code: 'ERR_TOKEN_FORBIDDEN_SCOPE',
      issuer,
      bearerError: 'insufficient_scope',
    });
    const both = manager.authToken('u1', 'read', { tenant: 'acme' }).signed;
    const reply = await get('/stacked', both);
    expect(reply.status, reply.text).to.equal(200);
    expect(reply.json).to.deep.equal({ sub: 'u1', where: 'stacked' });
  });

  it('security: keeps the options as they were when decorating, even if the caller\'s object changes later', async () => {
    const original = manager.authToken('u1', 'read', { tenant: 'acme' }).signed;
    const reply = await get('/copied-options', original);
    expect(reply.status, reply.text).to.equal(200);
    const changed = manager.authToken('u1', 'admin', { tenant: 'other' }).signed;
    expect((await get('/copied-options', changed)).status).to.equal(403);
  });
});
