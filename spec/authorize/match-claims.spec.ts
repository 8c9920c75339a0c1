/**
 * The matching rules as a table, checked directly against the pure functions of src/authorize (no HTTP): each row is
 * (token claims, requirement, route params, declared params, expected). Declared params are what the guard knows of
 * the route: the names its path declares, or 'unknown' when it cannot know the route (middleware mounted with use()).
 * A second table pins which parameter names an Express 4 or Express 5 route path declares.
 *
 * These modules are not part of the public API, so they are loaded from the built package (dist/) by path.
 */
import { expect } from 'chai';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { JWT, param, TokenType, type Claims, type RequireTokenOptions, type RouteParams } from 'routing-controllers-jwt';

/** The shape of src/authorize/requirement.ts that this table relies on. */
interface RequirementModule {
  normaliseRequirement(args: readonly unknown[]): object;
  authorize(token: JWT, requirement: object, params: RouteParams, declared: ReadonlySet<string> | undefined): { code: string } | null;
}

/** The shape of src/authorize/route-params.ts that this table relies on. */
interface RouteParamsModule {
  declaredParamNames(path: unknown): ReadonlySet<string> | undefined;
}

const load = createRequire(__filename);
/** A module of the built library by its path under dist/, e.g. 'authorize/requirement'. */
function internal<T>(path: string): T {
  return load(join(dirname(load.resolve('routing-controllers-jwt')), `${path}.js`)) as T;
}

type Expected = 'allow' | 'claims' | 'scope' | 'unknown route';

interface Row {
  rule: string;
  /** The token's claims besides `type` (`sub` defaults to "u1"). */
  claims: Claims;
  requirement: RequireTokenOptions;
  params?: RouteParams;
  /** The names the route declares, or 'unknown'. @default the own keys of params */
  declared?: readonly string[] | 'unknown';
  expected: Expected;
}

const json = (text: string): Claims => JSON.parse(text) as Claims;

const ROWS: readonly Row[] = [
  // Own properties only.
  { rule: 'own: an inherited toString is a missing key', claims: {}, requirement: { toString: { name: 'toString' } }, expected: 'claims' },
  { rule: 'own: an inherited constructor is a missing key', claims: {}, requirement: { constructor: { name: 'Object' } }, expected: 'claims' },
  { rule: 'own: __proto__ required is an ordinary missing key', claims: {}, requirement: { ['__proto__']: {} }, expected: 'claims' },
  { rule: 'own: a "__proto__" claim grants nothing', claims: json('{"__proto__":{"admin":true}}'), requirement: { admin: true }, expected: 'claims' },
  { rule: 'own: nested objects ignore the prototype', claims: { org: { team: 'a' } }, requirement: { org: { hasOwnProperty: { name: 'hasOwnProperty' } } }, expected: 'claims' },
  { rule: 'own: a claim named like a prototype member matches when the token has it', claims: { toString: 'mine' }, requirement: { toString: 'mine' }, expected: 'allow' },

  // Nested objects: every key, at every depth, and the keys after them.
  { rule: 'nested: every key is checked', claims: { org: { team: 'a', role: 'user' } }, requirement: { org: { team: 'a', role: 'admin' } }, expected: 'claims' },
  { rule: 'nested: extra keys are allowed', claims: { org: { team: 'a', role: 'admin', floor: 3 } }, requirement: { org: { team: 'a', role: 'admin' } }, expected: 'allow' },
  { rule: 'nested: every depth', claims: { org: { unit: { team: 'a', role: 'user' } } }, requirement: { org: { unit: { team: 'a', role: 'admin' } } }, expected: 'claims' },
  { rule: 'nested: a key after a nested object', claims: { org: { team: 'a' }, region: 'us' }, requirement: { org: { team: 'a' }, region: 'eu' }, expected: 'claims' },
  { rule: 'nested: a scalar where an object is required', claims: { org: 'a' }, requirement: { org: { team: 'a' } }, expected: 'claims' },

  // Arrays as subsets, with deep equality of elements.
  { rule: 'arrays: a subset in any order', claims: { groups: ['b', 'a'] }, requirement: { groups: ['a'] }, expected: 'allow' },
  { rule: 'arrays: an element the token lacks', claims: { groups: ['a', 'b'] }, requirement: { groups: ['c'] }, expected: 'claims' },
  { rule: 'arrays: a scalar where an array is held', claims: { groups: 'a' }, requirement: { groups: ['a'] }, expected: 'claims' },
  { rule: 'arrays: elements compare deeply', claims: { roles: [{ site: 1, name: 'editor' }] }, requirement: { roles: [{ name: 'editor', site: 1 }] }, expected: 'allow' },
  { rule: 'arrays: no coercion inside elements', claims: { roles: [{ name: 'editor', site: '1' }] }, requirement: { roles: [{ name: 'editor', site: 1 }] }, expected: 'claims' },

  // Scalars with ===.
  { rule: '===: 1 is not true', claims: { level: true }, requirement: { level: 1 }, expected: 'claims' },
  { rule: '===: 1 is not "1"', claims: { level: '1' }, requirement: { level: 1 }, expected: 'claims' },
  { rule: '===: true is not 1', claims: { verified: 1 }, requirement: { verified: true }, expected: 'claims' },
  { rule: '===: null matches null', claims: { deleted: null }, requirement: { deleted: null }, expected: 'allow' },
  { rule: '===: null is not a missing claim', claims: {}, requirement: { deleted: null }, expected: 'claims' },
  { rule: '===: null is not false', claims: { deleted: false }, requirement: { deleted: null }, expected: 'claims' },

  // Scope words.
  { rule: 'scope: a word of a space-delimited scope', claims: { scope: 'write read' }, requirement: { scope: 'read' }, expected: 'allow' },
  { rule: 'scope: every word is required', claims: { scope: 'read write' }, requirement: { scope: 'read admin' }, expected: 'scope' },
  { rule: 'scope: whole words, not substrings', claims: { scope: 'readonly' }, requirement: { scope: 'read' }, expected: 'scope' },
  { rule: 'scope: a token without scope', claims: { read: true }, requirement: { scope: 'read' }, expected: 'scope' },
  { rule: 'scope: an object scope matches like a claim', claims: { scope: { admin: true, x: 1 } }, requirement: { scope: { admin: true } }, expected: 'allow' },

  // Override.
  { rule: 'override: grants without the scope', claims: { admin: true }, requirement: { scope: 'write', override: { admin: true } }, expected: 'allow' },
  { rule: 'override: a partial match does not grant', claims: { admin: true }, requirement: { scope: 'write', override: { admin: true, team: 'a' } }, expected: 'scope' },
  { rule: 'override: binds to a route parameter', claims: { sub: 'alice' }, requirement: { scope: 'admin', override: { sub: 'userId' } }, params: { userId: 'alice' }, expected: 'allow' },
  { rule: 'override: another user needs the scope', claims: { sub: 'bob' }, requirement: { scope: 'admin', override: { sub: 'userId' } }, params: { userId: 'alice' }, expected: 'scope' },

  // Parameter binding, numbers in canonical form.
  { rule: 'binding: a string claim equals the parameter', claims: { sub: 'alice' }, requirement: { sub: 'userId' }, params: { userId: 'alice' }, expected: 'allow' },
  { rule: 'binding: exactly', claims: { sub: 'alice' }, requirement: { sub: 'userId' }, params: { userId: 'Alice' }, expected: 'claims' },
  { rule: 'binding: 1 matches "1"', claims: { sub: 1 }, requirement: { sub: 'userId' }, params: { userId: '1' }, expected: 'allow' },
  { rule: 'binding: 1 never matches "01"', claims: { sub: 1 }, requirement: { sub: 'userId' }, params: { userId: '01' }, expected: 'claims' },
  { rule: 'binding: 1 never matches "1.0"', claims: { sub: 1 }, requirement: { sub: 'userId' }, params: { userId: '1.0' }, expected: 'claims' },
  { rule: 'binding: "01" matches "01"', claims: { sub: '01' }, requirement: { sub: 'userId' }, params: { userId: '01' }, expected: 'allow' },
  { rule: 'binding: numbers beyond 2^53 never match', claims: { sub: 2 ** 53 }, requirement: { sub: 'userId' }, params: { userId: String(2 ** 53) }, expected: 'claims' },
  { rule: 'binding: true never matches "true"', claims: { flag: true }, requirement: { flag: 'f' }, params: { f: 'true' }, expected: 'claims' },
  { rule: 'binding: param() binds explicitly', claims: { sub: 'alice' }, requirement: { sub: param('userId') }, params: { userId: 'alice' }, expected: 'allow' },
  { rule: 'binding: an own key of params binds though the path did not declare it', claims: { sub: 'alice' }, requirement: { sub: 'userId' }, params: { userId: 'alice' }, declared: [], expected: 'allow' },

  // Absent declared parameters: never a literal.
  { rule: 'absent: a declared parameter absent from the request never matches', claims: { sub: 'userId' }, requirement: { sub: 'userId' }, params: {}, declared: ['userId'], expected: 'claims' },
  { rule: 'absent: nor in override', claims: { sub: 'userId' }, requirement: { scope: 'admin', override: { sub: 'userId' } }, params: {}, declared: ['userId'], expected: 'scope' },
  { rule: 'absent: param() of an absent parameter', claims: { sub: 'userId' }, requirement: { sub: param('userId') }, params: {}, declared: [], expected: 'claims' },
  { rule: 'absent: a known route without the parameter compares the literal', claims: { sub: 'userId' }, requirement: { sub: 'userId' }, params: { other: 'x' }, declared: ['other'], expected: 'allow' },
  { rule: 'absent: ... and refuses other values', claims: { sub: 'alice' }, requirement: { sub: 'userId' }, params: {}, declared: [], expected: 'claims' },

  // The claims option: strings are always literals, param() binds.
  { rule: 'claims: a string is a literal even where it names a parameter', claims: { sub: 'userId' }, requirement: { claims: { sub: 'userId' } }, params: { userId: 'alice' }, expected: 'allow' },
  { rule: 'claims: ... so the parameter\'s value does not match', claims: { sub: 'alice' }, requirement: { claims: { sub: 'userId' } }, params: { userId: 'alice' }, expected: 'claims' },
  { rule: 'claims: param() binds', claims: { sub: 'alice' }, requirement: { claims: { sub: param('userId') } }, params: { userId: 'alice' }, expected: 'allow' },
  { rule: 'claims: merges with top-level claims (both checked)', claims: { role: 'admin', team: 'b' }, requirement: { role: 'admin', claims: { team: 'a' } }, params: {}, expected: 'claims' },

  // An unknown route (use()): a plain string names a visible parameter, or is ambiguous.
  { rule: 'unknown: a string naming no visible parameter is ambiguous', claims: { role: 'admin' }, requirement: { role: 'admin' }, params: {}, declared: 'unknown', expected: 'unknown route' },
  { rule: 'unknown: an invisible parameter is ambiguous', claims: { sub: 'userId' }, requirement: { sub: 'userId' }, params: {}, declared: 'unknown', expected: 'unknown route' },
  { rule: 'unknown: ... in override too', claims: { role: 'admin' }, requirement: { scope: 'x', override: { role: 'admin' } }, params: {}, declared: 'unknown', expected: 'unknown route' },
  { rule: 'unknown: a visible parameter binds', claims: { sub: 'alice' }, requirement: { sub: 'userId' }, params: { userId: 'alice' }, declared: 'unknown', expected: 'allow' },
  { rule: 'unknown: the claims option is unambiguous', claims: { role: 'admin' }, requirement: { claims: { role: 'admin' } }, params: {}, declared: 'unknown', expected: 'allow' },
  { rule: 'unknown: param() of an invisible parameter refuses', claims: { sub: 'userId' }, requirement: { sub: param('userId') }, params: {}, declared: 'unknown', expected: 'claims' },
  { rule: 'unknown: numbers are never bindings', claims: { level: 1 }, requirement: { level: 1 }, params: {}, declared: 'unknown', expected: 'allow' },
  { rule: 'unknown: nested strings are never bindings', claims: { org: { role: 'admin' } }, requirement: { org: { role: 'admin' } }, params: {}, declared: 'unknown', expected: 'allow' },
  { rule: 'unknown: strings in arrays are never bindings', claims: { groups: ['admin'] }, requirement: { groups: ['admin'] }, params: {}, declared: 'unknown', expected: 'allow' },
  { rule: 'unknown: scope strings are never bindings', claims: { scope: 'read' }, requirement: { scope: 'read' }, params: {}, declared: 'unknown', expected: 'allow' },
];

/** What authorize says for a row: a rejection code, "allow", or "unknown route" for the configuration error. */
function outcomeOf(requirements: RequirementModule, row: Row): Expected {
  const { sub = 'u1', ...rest } = row.claims;
  const token = new JWT(TokenType.AUTH, sub as string | number, undefined, rest);
  const params = row.params ?? {};
  const declared = row.declared === 'unknown' ? undefined : new Set(row.declared ?? Object.keys(params));
  const requirement = requirements.normaliseRequirement([row.requirement]);
  let rejection: { code: string } | null;
  try {
    rejection = requirements.authorize(token, requirement, params, declared);
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_JWT_ROUTE_UNKNOWN') return 'unknown route';
    throw error;
  }
  if (rejection === null) return 'allow';
  if (rejection.code === 'ERR_TOKEN_FORBIDDEN_CLAIMS') return 'claims';
  if (rejection.code === 'ERR_TOKEN_FORBIDDEN_SCOPE') return 'scope';
  throw new Error(`unexpected rejection ${rejection.code}`);
}

describe('matching rules (pure table: authorize and normaliseRequirement)', () => {
  let requirements: RequirementModule;

  before(() => {
    requirements = internal<RequirementModule>('authorize/requirement');
  });

  for (const row of ROWS) {
    it(`${row.rule} -> ${row.expected}`, () => {
      expect(outcomeOf(requirements, row)).to.equal(row.expected);
    });
  }

  it('the configuration error of an unknown route names the fix and no claim value', () => {
    const requirement = requirements.normaliseRequirement([{ role: 'admin-of-everything' }]);
    let thrown: unknown;
    try {
      requirements.authorize(new JWT(TokenType.AUTH, 'u1'), requirement, {}, undefined);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).to.be.instanceOf(Error).and.include({ code: 'ERR_JWT_ROUTE_UNKNOWN' });
    const { message } = thrown as Error;
    expect(message).to.include("param('name')").and.include('`claims`');
    expect(message).not.to.include('admin-of-everything');
  });
});

/** A route path and the names it declares: exactly, or at least (`includes`) where Express 4 and 5 read it apart. */
interface PathRow {
  path: unknown;
  names?: readonly string[];
  includes?: readonly string[];
}

const PATHS: readonly PathRow[] = [
  { path: '/users/:userId', names: ['userId'] },
  { path: '/plain/path', names: [] },
  { path: '/users{/:userId}', names: ['userId'] },
  { path: '/files{/:dir}/:name{.:ext}', names: ['dir', 'ext', 'name'] },
  { path: '/users/:userId?', names: ['userId'] },
  { path: '/users/:userId(\\d+)', names: ['userId'] },
  { path: '/:user.:format', names: ['format', 'user'] },
  { path: '/:from-:to', names: ['from', 'to'] },
  { path: '/q/:"user id"', names: ['user id'] },
  { path: '/escaped\\:colon', names: [] },
  { path: '/files/*', names: ['0'] },
  { path: '/files/*path', includes: ['path'] },
  { path: '/files/*"the path"', includes: ['the path'] },
  { path: '/:café', includes: ['café'] },
  { path: ['/a/:x', '/b/:y', ['/c/:z']], names: ['x', 'y', 'z'] },
  { path: /^\/re\/(?<userId>[^/]+)$/, includes: ['userId'] },
  { path: /^\/re\/([^/]+)$/, names: ['0'] },
  { path: /^\/re\/(?:a|b)$/, names: [] },
  { path: /^\/re\/\(x\)$/, names: [] },
  { path: [/^\/r\/(?<a>\w+)$/, '/s/:b'], includes: ['a', 'b'] },
];

describe('the parameter names a route path declares (pure table: declaredParamNames)', () => {
  let routes: RouteParamsModule;

  before(() => {
    routes = internal<RouteParamsModule>('authorize/route-params');
  });

  for (const row of PATHS) {
    it(`${String(row.path)} declares ${JSON.stringify(row.names ?? row.includes)}`, () => {
      const names = routes.declaredParamNames(row.path);
      expect(names, 'a route path is understood').not.to.equal(undefined);
      if (row.names) expect([...(names ?? [])].sort()).to.deep.equal(row.names);
      else expect([...(names ?? [])]).to.include.members(row.includes ?? []);
    });
  }

  it('anything else is no route path: the route is unknown', () => {
    for (const path of [undefined, null, 42, {}, () => '/x']) expect(routes.declaredParamNames(path), String(path)).to.equal(undefined);
  });
});
