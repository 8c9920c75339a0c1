/**
 * `@RequireToken`'s options: normalised and validated once, when the decorator is applied, into a frozen requirement;
 * and `authorize`, the per-request check of a verified token against it.
 */
import {
  matchClaims,
  matchScope,
  ParamBinding,
  type RequiredClaims,
  type RequiredValue,
  type RouteParams,
  type RouteView,
} from './match-claims';
import { TokenType } from '../claims';
import type { JWT } from '../token/jwt';
import { REJECTIONS, type Rejection } from './rejections';
import { UnknownRouteError } from '../errors';
import type { ClaimValue, Scope } from '../claims';
import { normaliseDpopOption, type DpopMode } from './dpop-option';
import { normaliseAccessCheck, type AccessCheck } from './access-check';
import { matchAnyScope, normaliseAnyScope } from './any-scope';
import { refuseLookalikeOptions } from './option-names';
import { normaliseLocations, type Location } from './locations';
import { normaliseStepUp, satisfiesStepUp, type StepUp } from './step-up';

/**
 * Options of `@RequireToken` and `requireToken()`. Every key that is not one of the named options is a claim the token
 * must carry (the seed's `**kwargs`); a top-level string value naming a parameter the route declares binds to it
 * (`sub: 'userId'` on `/users/:userId`). Under `claims`, strings are always literals and only `param()` binds.
 *
 * A check is never dropped silently: `scope`, `override`, `claims` and any required claim present as `undefined` (the
 * three options also as `null`) are a `TypeError`; `tokenType`, `location` and `csrf` present as `undefined` take their
 * defaults, as when absent.
 *
 * @example
 * ```ts
 * requireToken({ scope: 'read', tenant: 'acme', override: { admin: true } });
 * requireToken({ ...(config.scope === undefined ? {} : { scope: config.scope }) }); // not { scope: config.scope }
 * ```
 */
export interface RequireTokenOptions {
  /** The token type required. @default 'auth' */
  tokenType?: 'auth' | 'refresh' | TokenType;
  /**
   * Where the token is read from: one location, or a list tried in order (the first that holds a token is read; a
   * token present there but invalid is a 401, never a reason to try the next). @default 'header'
   *
   * @example
   * ```ts
   * requireToken({ location: ['header', 'cookies'], cookieName: 'auth_token' });
   * ```
   */
  location?: Location | readonly Location[];
  /** The header holding the token, for `'header'`. @default 'Authorization' */
  headerName?: string;
  /** The authentication scheme before the token in that header (matched in any case). @default 'Bearer' */
  scheme?: string;
  /** The cookie holding the token; required when `location` is `'cookies'`. */
  cookieName?: string;
  /** Required entries of the token's `scope` claim. `undefined` or `null` is a `TypeError`: remove the key instead. */
  scope?: Scope;
  /**
   * Claims that, when they all match, grant access without checking `scope` and the required claims. `undefined` or
   * `null` is a `TypeError`: remove the key instead.
   */
  override?: Readonly<Record<string, RequiredValue>>;
  /**
   * CSRF double submit, for cookie tokens: the header a state-changing request (POST, PUT, PATCH, DELETE) must send
   * the token's `csrf` value in; `false` turns it off. @default 'X-CSRF-Token' with `location: 'cookies'`
   */
  csrf?: string | false;
  /**
   * `Cache-Control: no-store` on the answers of requests that pass, unless the action sets its own: an answer made for
   * one token's holder must not stay in a browser's or a shared cache after logout (RFC 9111 §5.2.2.5). `false`
   * leaves caching to the action. @default true
   */
  noStore?: boolean;
  /**
   * Required claims whose strings are always literals: binding to a route parameter happens only through `param()`.
   * Merged with the top-level required claims (a claim given in both is a `TypeError`). Needed for literal strings
   * where the guard cannot know the route (`router.use(requireToken(...))`). `undefined` or `null` is a `TypeError`.
   *
   * @example
   * ```ts
   * router.use(requireToken({ claims: { role: 'admin', sub: param('userId') } }));
   * ```
   */
  claims?: Readonly<Record<string, RequiredValue>>;
  /**
   * DPoP (RFC 9449) on this route: `'required'` (only `Authorization: DPoP` with a proof), `'allowed'` (Bearer or
   * DPoP) or `false` (the DPoP scheme is refused). A token bound to a key always needs its proof.
   * @default the configuration's `JWT_DPOP` ('allowed')
   */
  dpop?: 'required' | 'allowed' | false;
  /**
   * Authentication is optional: a request without any token runs without a token context (`getCurrentToken()` is
   * `undefined`); a token that is sent must still be valid (401) and match the requirement (403). @default false
   */
  optional?: boolean;
  /**
   * Alternatives, of which the token's scope must satisfy at least one (each as `scope` reads it: every word of a
   * string). Combined with `scope` when both are given. An empty list, `undefined` or `null` is a `TypeError`.
   *
   * @example
   * ```ts
   * requireToken({ anyScope: ['documents:read', 'admin'] });
   * ```
   */
  anyScope?: readonly Scope[];
  /**
   * The app's own predicate, run once every other check passed, with the verified token, the route parameters and the
   * request: `true` grants access; `false`, a throw or a rejected promise answers 403 `ERR_TOKEN_FORBIDDEN_CHECK`
   * (fail closed; what was thrown is never sent). May be async on requests; on a guarded method called inside another
   * request's token context it must answer synchronously (a promise there refuses).
   *
   * @example
   * ```ts
   * @RequireToken({ check: async (token, params) => (await docs.ownerOf(params.id)) === token.sub })
   * ```
   */
  check?: AccessCheck;
  /**
   * Step-up (RFC 9470): the most seconds since the login behind the token (its `auth_time`, kept through rotation).
   * An older login, or a token without `auth_time`, is a 401 `ERR_TOKEN_STEP_UP` with `max_age` in the challenge.
   * `undefined` or `null` is a `TypeError`. @default any age
   *
   * @example
   * ```ts
   * @RequireToken({ maxAge: 300 })
   * ```
   */
  maxAge?: number;
  /**
   * Step-up (RFC 9470): the accepted `acr` values of the login (one, or a list of which one must be the token's).
   * Any other is a 401 `ERR_TOKEN_STEP_UP` with `acr_values` in the challenge. `undefined` or `null` is a `TypeError`.
   * @default any (or no) acr
   *
   * @example
   * ```ts
   * @RequireToken({ acr: ['mfa', 'hwk'] })
   * ```
   */
  acr?: string | readonly string[];
  /**
   * Any other key: a claim the token must carry. A key that reads like an option name (another case, `_`/`-`, or one
   * typo away from a name of five letters or more: `Optional`, `token_type`, `scopes`) is a `TypeError`: require such
   * a claim under `claims`.
   */
  [claim: string]: RequiredValue | Readonly<Record<string, RequiredValue>> | readonly Scope[] | readonly Location[] | AccessCheck | undefined;
}

/** The CSRF header used when `csrf` is not given. */
export const DEFAULT_CSRF_HEADER = 'X-CSRF-Token';

/** A validated, frozen requirement. */
export interface TokenRequirement {
  readonly tokenType: TokenType;
  /** The first of `locations`. */
  readonly location: 'header' | 'cookies';
  /** Where the token is read from, in order. */
  readonly locations: readonly Location[];
  /** The header holding the token (lower case), for `'header'`. */
  readonly headerName: string;
  /** The scheme before the token in that header. */
  readonly scheme: string;
  readonly cookieName: string | undefined;
  readonly scope: Scope | undefined;
  readonly override: RequiredClaims | undefined;
  /** The top-level required claims: a string naming a route parameter binds to it. */
  readonly claims: RequiredClaims | undefined;
  /** The required claims of the `claims` option: strings are literals. */
  readonly literalClaims: RequiredClaims | undefined;
  /** Where a string may name a route parameter (top-level claims and `override`): `[where, string]`, e.g. `['sub', 'userId']`. */
  readonly namedStrings: ReadonlyArray<readonly [where: string, name: string]>;
  /** The CSRF header (lower case) for cookie tokens, or `undefined` when CSRF is not checked. */
  readonly csrfHeader: string | undefined;
  /** The route's DPoP mode, or `undefined` for the configuration's. */
  readonly dpop: DpopMode | undefined;
  /** Whether answers that pass get `Cache-Control: no-store` (unless the action sets its own). */
  readonly noStore: boolean;
  /** Whether a request without a token is let through, without a token context. */
  readonly optional: boolean;
  /** Alternatives of `anyScope`, one of which the token's scope must satisfy. */
  readonly anyScope: readonly Scope[] | undefined;
  /** The app's predicate, run after every other check. */
  readonly check: AccessCheck | undefined;
  /** The step-up of `maxAge` and `acr`, checked right after the token type. */
  readonly stepUp: StepUp | undefined;
}

const OPTION_NAMES = new Set([
  'tokenType', 'location', 'cookieName', 'scope', 'override', 'csrf', 'claims', 'dpop', 'noStore', 'optional', 'anyScope', 'check',
  'headerName', 'scheme', 'maxAge', 'acr',
]);
// The seed's Python spellings would otherwise silently become required claims and answer 403 to everyone.
const SEED_SPELLINGS: Readonly<Record<string, string>> = { token_type: 'tokenType', cookie_name: 'cookieName' };
// RFC 6265 §4.1.1: a cookie name is an HTTP token.
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A deep, frozen copy of a JSON value; a `TypeError` naming `where` for anything that is not JSON. */
function frozenJson(value: unknown, where: string): ClaimValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${where} must be a finite number`);
    return value;
  }
  if (Array.isArray(value)) return Object.freeze(value.map((item, i) => frozenJson(item, `${where}[${i}]`))) as ClaimValue[];
  if (isPlainObject(value)) {
    const copy: Record<string, ClaimValue> = {};
    for (const key of Object.keys(value)) {
      // defineProperty, not assignment: a "__proto__" key stays an ordinary key.
      Object.defineProperty(copy, key, { value: frozenJson(value[key], `${where}.${key}`), enumerable: true });
    }
    return Object.freeze(copy);
  }
  throw new TypeError(`${where} must be a JSON value (string, number, boolean, null, array or plain object)`);
}

function requiredClaims(entries: Array<[string, unknown]>, where: string): RequiredClaims | undefined {
  if (entries.length === 0) return undefined;
  const claims: Record<string, RequiredValue> = {};
  for (const [key, value] of entries) {
    if (value === undefined) throw new TypeError(`${where}${key} has no value; remove it or give the value it must have`);
    const normalised = value instanceof ParamBinding ? value : frozenJson(value, `${where}${key}`);
    Object.defineProperty(claims, key, { value: normalised, enumerable: true });
  }
  return Object.freeze(claims);
}

function normaliseScope(scope: unknown): Scope | undefined {
  if (scope === undefined) return undefined;
  if (typeof scope === 'string' && scope.trim() !== '') return scope;
  if (typeof scope === 'number' && Number.isFinite(scope)) return scope;
  if (isPlainObject(scope)) return frozenJson(scope, 'scope') as Scope;
  throw new TypeError('scope must be a non-empty string, a finite number or a plain object');
}

function normaliseOverride(override: unknown): RequiredClaims | undefined {
  if (override === undefined) return undefined;
  if (!isPlainObject(override) || Object.keys(override).length === 0) {
    // An empty override would match every token and silently disable authorization.
    throw new TypeError('override must be a plain object naming at least one claim');
  }
  return requiredClaims(Object.entries(override), 'override.');
}

function normaliseLiteralClaims(claims: unknown, topLevel: RequiredClaims | undefined): RequiredClaims | undefined {
  if (claims === undefined) return undefined;
  if (!isPlainObject(claims)) throw new TypeError('claims must be a plain object of required claims');
  for (const key of Object.keys(claims)) {
    // Two values for one claim: which one was meant is a guess, so neither is.
    if (topLevel && Object.hasOwn(topLevel, key)) throw new TypeError(`${key} is required both at the top level and under claims: give it once`);
  }
  return requiredClaims(Object.entries(claims), 'claims.');
}

/** The strings of `claims` that may name a route parameter, labelled with where they were given. */
function namedStringsOf(claims: RequiredClaims | undefined, prefix: string): Array<readonly [string, string]> {
  if (claims === undefined) return [];
  return Object.entries(claims).flatMap(([key, value]) => (typeof value === 'string' ? [[`${prefix}${key}`, value] as const] : []));
}

// Options that add a check: present without a value, they would drop it silently (a spread of an unset value,
// `{ scope: config.scope }`, would leave a route open to tokens without any scope).
const CHECK_OPTIONS = ['scope', 'override', 'claims', 'anyScope', 'check', 'maxAge', 'acr'] as const;

function refuseChecksWithoutValue(options: Record<string, unknown>): void {
  for (const name of CHECK_OPTIONS) {
    const value = options[name];
    if (Object.hasOwn(options, name) && (value === undefined || value === null)) {
      throw new TypeError(`${name} is given as ${String(value)}: remove the key, or give the value it must have`);
    }
  }
}

/** The first value that is given: `undefined` is absent (a spread of an unset optional value), `null` is not. */
function firstGiven(...values: unknown[]): unknown {
  return values.find((value) => value !== undefined);
}

/**
 * Normalises the positional (`'auth', 'cookies', { cookieName }`) or object (`{ tokenType, ... }`) form.
 *
 * @throws TypeError for an invalid token type or location, a cookie location without a cookie name, a value
 *   that cannot be matched, or `scope`, `override`, `claims` or a required claim present without a value.
 */
export function normaliseRequirement(args: readonly unknown[]): TokenRequirement {
  if (args.length > 3) throw new TypeError('RequireToken takes (tokenType?, location?, options?) or (options)');
  const [first, second, third] = args;
  const objectForm = isPlainObject(first) && second === undefined && third === undefined;
  const options: Record<string, unknown> = objectForm ? first : (third ?? {}) as Record<string, unknown>;
  if (!isPlainObject(options)) throw new TypeError('RequireToken options must be a plain object');
  const positionalType = objectForm ? undefined : first;
  const positionalLocation = objectForm ? undefined : second;
  for (const [name, value] of [['tokenType', positionalType], ['location', positionalLocation]] as const) {
    if (value !== undefined && options[name] !== undefined && options[name] !== value) {
      throw new TypeError(`${name} is given twice with different values`);
    }
  }
  refuseChecksWithoutValue(options);
  const tokenType = firstGiven(positionalType, options.tokenType, TokenType.AUTH);
  if (tokenType !== TokenType.AUTH && tokenType !== TokenType.REFRESH) {
    throw new TypeError(`Invalid token type ${JSON.stringify(tokenType)}: use 'auth' or 'refresh'`);
  }
  const where = normaliseLocations(firstGiven(positionalLocation, options.location, 'header'), options.headerName, options.scheme);
  const location = where.locations[0];
  const readsCookies = where.locations.includes('cookies');
  const { cookieName } = options;
  if (readsCookies && (typeof cookieName !== 'string' || !COOKIE_NAME.test(cookieName))) {
    throw new TypeError('cookieName must be set to a valid cookie name when location is "cookies"');
  }
  const claimEntries = Object.entries(options).filter(([key]) => !OPTION_NAMES.has(key));
  for (const [key] of claimEntries) {
    if (Object.hasOwn(SEED_SPELLINGS, key)) throw new TypeError(`Unknown option ${key}: did you mean ${SEED_SPELLINGS[key]}?`);
  }
  refuseLookalikeOptions(claimEntries.map(([key]) => key), OPTION_NAMES);
  const { csrf, optional } = options;
  if (optional !== undefined && typeof optional !== 'boolean') throw new TypeError('optional must be true or false');
  if (csrf !== undefined && csrf !== false && !(typeof csrf === 'string' && COOKIE_NAME.test(csrf))) {
    throw new TypeError('csrf must be a header name or false');
  }
  if (options.noStore !== undefined && typeof options.noStore !== 'boolean') throw new TypeError('noStore must be true or false');
  const claims = requiredClaims(claimEntries, '');
  const override = normaliseOverride(options.override);
  return Object.freeze({
    tokenType,
    location,
    csrfHeader: readsCookies && csrf !== false ? (csrf ?? DEFAULT_CSRF_HEADER).toLowerCase() : undefined,
    cookieName: readsCookies ? (cookieName as string) : undefined,
    locations: where.locations,
    headerName: where.headerName,
    scheme: where.scheme,
    scope: normaliseScope(options.scope),
    override,
    claims,
    literalClaims: normaliseLiteralClaims(options.claims, claims),
    namedStrings: Object.freeze([...namedStringsOf(claims, ''), ...namedStringsOf(override, 'override.')]),
    dpop: normaliseDpopOption(options.dpop),
    noStore: options.noStore !== false,
    optional: optional === true,
    anyScope: normaliseAnyScope(options.anyScope, normaliseScope),
    check: normaliseAccessCheck(options.check),
    stepUp: normaliseStepUp(options.maxAge, options.acr),
  });
}

/**
 * Where the route is unknown (`declared` is `undefined`): the places of the requirement whose string names no
 * parameter visible in `params`, so that it could be a literal or a parameter the guard cannot see. Empty when the
 * route is known or every such string names a visible parameter.
 *
 * @example
 * ```ts
 * ambiguousStrings(normaliseRequirement([{ role: 'admin', sub: 'userId' }]), { userId: 'alice' }, undefined); // ['role']
 * ```
 */
export function ambiguousStrings(requirement: TokenRequirement, params: RouteParams, declared: ReadonlySet<string> | undefined): string[] {
  if (declared !== undefined || requirement.namedStrings.length === 0) return [];
  return requirement.namedStrings.filter(([, name]) => !Object.hasOwn(params, name)).map(([where]) => where);
}

const NO_NAMES: ReadonlySet<string> = new Set();

/**
 * Checks a verified token against a requirement: the token type (401), then `override` (grants access when all its
 * claims match), then the required claims and the scope (403). `null` when access is granted.
 *
 * @param params - The request's route parameters.
 * @param declared - The parameter names the request's route declares, or `undefined` when the route is unknown.
 * @throws UnknownRouteError when the route is unknown and a string of the requirement names no visible parameter.
 */
export function authorize(token: JWT, requirement: TokenRequirement, params: RouteParams, declared: ReadonlySet<string> | undefined): Rejection | null {
  if (ambiguousStrings(requirement, params, declared).length > 0) throw new UnknownRouteError();
  if (token.tokenType !== requirement.tokenType) {
    return requirement.tokenType === TokenType.AUTH ? REJECTIONS.needAuth : REJECTIONS.needRefresh;
  }
  const { claims } = token;
  // A login too old or too weak is about authentication (401), before any 403, and no override skips it (RFC 9470 §3).
  if (requirement.stepUp && !satisfiesStepUp(claims, requirement.stepUp, Math.floor(Date.now() / 1000))) return requirement.stepUp.rejection;
  const route: RouteView = { params, declared: declared ?? NO_NAMES };
  if (requirement.override && matchClaims(claims, requirement.override, route, 'bind')) return null;
  if (requirement.claims && !matchClaims(claims, requirement.claims, route, 'bind')) return REJECTIONS.claimsMismatch;
  if (requirement.literalClaims && !matchClaims(claims, requirement.literalClaims, route, 'literal')) return REJECTIONS.claimsMismatch;
  if (requirement.scope !== undefined && !matchScope(Object.hasOwn(claims, 'scope') ? claims.scope : undefined, requirement.scope)) {
    return REJECTIONS.scopeMismatch;
  }
  if (requirement.anyScope !== undefined && !matchAnyScope(Object.hasOwn(claims, 'scope') ? claims.scope : undefined, requirement.anyScope)) {
    return REJECTIONS.scopeMismatch;
  }
  return null;
}
