/**
 * The trusted external issuers of `JWT_ISSUERS`: authorization servers whose access tokens this service accepts
 * beside its own. Every entry is checked once, at configuration, with a message that says what to fix.
 */
import { AuthType } from '../keys/algorithms';
import { InvalidConfigError } from '../errors';
import { remoteUrl } from '../keys/remote-jwks';

/**
 * How an issuer's access tokens are checked.
 * - `rfc9068`: JWT access tokens of RFC 9068: header `typ` `at+jwt` (or `application/at+jwt`); `iss`, `exp`,
 *   `aud`, `sub`, `client_id`, `iat` and `jti` required (§2.2, §4).
 * - `generic`: issuers that do not follow it (Keycloak, Entra ID, Cognito): `iss`, `exp`, `aud` and `sub` required;
 *   `typ` absent, `JWT` or `at+jwt` (a token of any other type, e.g. a logout token, is refused).
 */
export type AccessTokenProfile = 'rfc9068' | 'generic';

/**
 * One trusted issuer, as configured.
 *
 * @example
 * ```ts
 * const auth0: TrustedIssuerEntry = { issuer: 'https://acme.eu.auth0.com/', audience: 'https://api.acme.example' };
 * const entra: TrustedIssuerEntry = {
 *   issuer: 'https://login.microsoftonline.com/<tenant-id>/v2.0', audience: '<api-client-id>',
 *   profile: 'generic', scopeClaim: 'scp',
 * };
 * ```
 */
export interface TrustedIssuerEntry {
  /** The exact `iss` of its tokens (and, without `jwksUrl`, where its metadata is discovered). */
  issuer: string;
  /** The `aud` its tokens must carry for this service (RFC 8725 §3.9): required; one of several when a list. */
  audience: string | readonly string[];
  /**
   * The claim `audience` is compared with, for issuers whose access tokens carry no `aud` (Cognito: `client_id`).
   * Generic profile only: RFC 9068 tokens always carry `aud`.
   * @default 'aud'
   */
  audienceClaim?: string;
  /**
   * Its JWK Set (https, or http on loopback). Without it, discovered from the issuer's
   * `/.well-known/openid-configuration`, then its RFC 8414 `/.well-known/oauth-authorization-server`.
   * @default discovered
   */
  jwksUrl?: string | URL;
  /**
   * The algorithms its keys may verify, e.g. `['RS256']`; a key without `alg` is usable when this list (or its
   * curve) names exactly one algorithm for it.
   * @default every supported asymmetric algorithm, each key pinned to its own
   */
  algorithms?: readonly string[];
  /** @default 'rfc9068' */
  profile?: AccessTokenProfile;
  /** Seconds of clock skew tolerated for `exp`, `nbf` and `iat`, 0 to 300. @default JWT_LEEWAY */
  leeway?: number;
  /** Seconds after `iat` a token is refused, whatever its `exp` (then `iat` is required). @default none */
  maxTokenAge?: number;
  /**
   * The claim holding the granted scopes, as a space-delimited string or an array of strings (Entra ID: `scp`);
   * route scope requirements match it, and `currentToken.scope` is it as a space-delimited string.
   * @default 'scope', else `scp` when the token has no `scope`
   */
  scopeClaim?: string;
  /**
   * DPoP (RFC 9449) for this issuer's tokens: `'required'` (only `Authorization: DPoP` with a proof), `'allowed'` or
   * `'off'`. Where a route sets its own `dpop`, the stricter of the two applies. A bound token (`cnf.jkt`) always
   * needs its proof.
   * @default the route's `dpop`, else `JWT_DPOP`
   */
  dpop?: 'off' | 'allowed' | 'required';
}

/**
 * The resolver form of `JWT_ISSUERS`, for multi-tenant issuers: the entry for a token's `iss`, or `undefined` when
 * that issuer is not trusted. Called once per distinct issuer (the answer is kept); it must be synchronous, and the
 * entry's `issuer` must be the `iss` it was asked about.
 *
 * @example
 * ```ts
 * const tenants: TrustedIssuerResolver = (iss) => {
 *   const match = /^https:\/\/login\.microsoftonline\.com\/([0-9a-f-]{36})\/v2\.0$/.exec(iss);
 *   return match && allowedTenants.has(match[1]) ? { issuer: iss, audience: 'api://orders', profile: 'generic', scopeClaim: 'scp' } : undefined;
 * };
 * ```
 */
export type TrustedIssuerResolver = (iss: string) => TrustedIssuerEntry | undefined;

/** One issuer's entry, checked: what its keys and its profile check are built from. */
export interface TrustedIssuer {
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly audienceClaim: string;
  /** The JWK Set, or the issuer URL its metadata is discovered from. */
  readonly keys: { readonly jwksUrl: URL } | { readonly discoverFrom: URL };
  /** `null`: every asymmetric algorithm. */
  readonly algorithms: readonly AuthType[] | null;
  readonly profile: AccessTokenProfile;
  readonly leeway: number;
  readonly maxTokenAge: number | null;
  readonly scopeClaim: string | null;
  /** This issuer's DPoP mode, or `null` for the route's (or the configuration's). */
  readonly dpop: 'off' | 'allowed' | 'required' | null;
}

/** The trusted issuers of a configuration: a checked list, or a resolver. */
export type TrustedIssuersConfig =
  | { readonly list: ReadonlyMap<string, TrustedIssuer> }
  | { readonly resolve: (iss: string) => TrustedIssuer | undefined };

const NAME = 'JWT_ISSUERS';
const FIELDS = new Set(['issuer', 'audience', 'audienceClaim', 'jwksUrl', 'algorithms', 'profile', 'leeway', 'maxTokenAge', 'scopeClaim', 'dpop']);
const MAX_LEEWAY = 300;
const MAX_TOKEN_AGE = 31_536_000;

const nonEmptyString = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';

function secondsField(value: unknown, where: string, field: string, limit: number, fallback: number | null): number | null {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > limit) {
    throw new InvalidConfigError(NAME, `${where}: ${field} must be a non-negative number of seconds, at most ${limit}`);
  }
  return value;
}

function algorithmsField(value: unknown, where: string): readonly AuthType[] | null {
  if (value === undefined) return null;
  const asymmetric = AuthType.values().filter((type) => type.family !== 'hmac');
  if (!Array.isArray(value) || value.length === 0) {
    throw new InvalidConfigError(NAME, `${where}: algorithms must be a non-empty array, e.g. ["RS256"]`);
  }
  return Object.freeze(value.map((name: unknown) => {
    const found = asymmetric.find((type) => type.name === name);
    // An issuer's keys are public keys: a shared-secret algorithm would let anyone holding its JWK Set sign.
    if (found === undefined) throw new InvalidConfigError(NAME, `${where}: algorithms may hold only ${asymmetric.map(String).join(', ')}`);
    return found;
  }));
}

function audiencesField(value: unknown, where: string): readonly string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every(nonEmptyString)) {
    throw new InvalidConfigError(NAME, `${where}: audience is required (RFC 8725 §3.9): the non-empty string (or strings) its tokens carry as aud for this service`);
  }
  return Object.freeze([...list]);
}

/**
 * Checks one entry.
 *
 * @param where - Names the entry in messages (`entry 2`, or the issuer); never a value that could be a secret.
 */
export function checkTrustedIssuer(value: unknown, where: string, defaultLeeway: number): TrustedIssuer {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidConfigError(NAME, `${where} must be an object { issuer, audience, audienceClaim?, jwksUrl?, algorithms?, profile?, leeway?, maxTokenAge?, scopeClaim? }`);
  }
  const entry = value as Record<string, unknown>;
  const unknown = Object.keys(entry).filter((key) => !FIELDS.has(key));
  if (unknown.length > 0) throw new InvalidConfigError(NAME, `${where} has unknown fields (${unknown.join(', ')}); use ${[...FIELDS].join(', ')}`);
  if (!nonEmptyString(entry.issuer)) throw new InvalidConfigError(NAME, `${where}: issuer must be the non-empty iss of its tokens`);
  const issuer = entry.issuer;
  const audiences = audiencesField(entry.audience, where);
  const profile = entry.profile ?? 'rfc9068';
  if (profile !== 'rfc9068' && profile !== 'generic') throw new InvalidConfigError(NAME, `${where}: profile must be "rfc9068" or "generic"`);
  if (entry.audienceClaim !== undefined && (!nonEmptyString(entry.audienceClaim) || (profile === 'rfc9068' && entry.audienceClaim !== 'aud'))) {
    throw new InvalidConfigError(NAME, `${where}: audienceClaim must be a claim name (e.g. "client_id"), and only with profile "generic" (RFC 9068 tokens carry aud)`);
  }
  if (entry.scopeClaim !== undefined && !nonEmptyString(entry.scopeClaim)) {
    throw new InvalidConfigError(NAME, `${where}: scopeClaim must be a claim name, e.g. "scp"`);
  }
  if (entry.dpop !== undefined && entry.dpop !== 'off' && entry.dpop !== 'allowed' && entry.dpop !== 'required') {
    throw new InvalidConfigError(NAME, `${where}: dpop must be "off", "allowed" or "required"`);
  }
  const keys = entry.jwksUrl !== undefined
    ? { jwksUrl: remoteUrl(entry.jwksUrl, NAME, `${where}: jwksUrl`) }
    : { discoverFrom: remoteUrl(issuer, NAME, `${where}: without a jwksUrl, the issuer (where its metadata is discovered)`) };
  return Object.freeze({
    issuer,
    audiences,
    audienceClaim: (entry.audienceClaim as string | undefined) ?? 'aud',
    keys: Object.freeze(keys),
    algorithms: algorithmsField(entry.algorithms, where),
    profile,
    leeway: secondsField(entry.leeway, where, 'leeway', MAX_LEEWAY, defaultLeeway) as number,
    maxTokenAge: secondsField(entry.maxTokenAge, where, 'maxTokenAge', MAX_TOKEN_AGE, null),
    scopeClaim: (entry.scopeClaim as string | undefined) ?? null,
    dpop: (entry.dpop as TrustedIssuer['dpop'] | undefined) ?? null,
  });
}

/**
 * Checks `JWT_ISSUERS`: a list of entries (an array, or its JSON text in the environment), or a resolver function.
 *
 * @param ownIssuer - The app's own `JWT_ISSUER`: it cannot be listed too (its tokens are checked as the app's own).
 * @throws InvalidConfigError naming the entry and the field to fix.
 */
export function trustedIssuersFrom(value: unknown, ownIssuer: string, defaultLeeway: number): TrustedIssuersConfig {
  if (typeof value === 'function') {
    const resolver = value as TrustedIssuerResolver;
    return Object.freeze({
      resolve: (iss: string): TrustedIssuer | undefined => {
        if (iss === ownIssuer) return undefined;
        let checked: TrustedIssuer;
        try {
          const found: unknown = resolver(iss);
          if (found === undefined || found === null) return undefined;
          checked = checkTrustedIssuer(found, 'the entry the resolver gave', defaultLeeway);
        } catch (error) {
          // Fail closed: a resolver that throws or answers nonsense trusts nobody, and the request is a 401.
          process.emitWarning(`routing-controllers-jwt: the JWT_ISSUERS resolver failed (${error instanceof Error ? error.message : 'not an Error'}); the token is refused`);
          return undefined;
        }
        // The resolver answers for one issuer: an entry for another would let B's keys verify tokens claiming A.
        return checked.issuer === iss ? checked : undefined;
      },
    });
  }
  let list: unknown = value;
  if (typeof value === 'string') {
    try {
      list = JSON.parse(value);
    } catch {
      throw new InvalidConfigError(NAME, 'must be a JSON array of { issuer, audience, ... } objects (in the environment)');
    }
  }
  if (!Array.isArray(list)) throw new InvalidConfigError(NAME, 'must be an array of { issuer, audience, ... } objects, or a resolver function (iss) => entry | undefined');
  const entries = new Map<string, TrustedIssuer>();
  list.forEach((item: unknown, index) => {
    const checked = checkTrustedIssuer(item, `entry ${index}`, defaultLeeway);
    if (checked.issuer === ownIssuer) throw new InvalidConfigError(NAME, `entry ${index}: the issuer is this app's own JWT_ISSUER; list only other issuers`);
    if (entries.has(checked.issuer)) throw new InvalidConfigError(NAME, `entry ${index}: the issuer is listed twice`);
    entries.set(checked.issuer, checked);
  });
  return Object.freeze({ list: entries });
}
