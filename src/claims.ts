/** Claim types, token types and the claim names the library reserves. Pure data, no logic. */

/** A JSON value, as a JWT claim can hold it. */
export type ClaimValue = string | number | boolean | null | ClaimValue[] | { [key: string]: ClaimValue };

/** A set of JWT claims: the payload of a token, or a set of claims a token must carry. */
export type Claims = Record<string, ClaimValue>;

/** The `scope` claim: an OAuth-style space-delimited string, a number, or an object of named authorizations. */
export type Scope = string | number | Record<string, ClaimValue>;

/** The two kinds of token: short-lived `auth` tokens for resources, long-lived `refresh` tokens for new auth tokens. */
export enum TokenType {
  AUTH = 'auth',
  REFRESH = 'refresh',
}

/**
 * Claims set by the manager. They can never be passed as scope or extra claims: the original let callers overwrite
 * `iss` or `exp` that way, which lets a caller mint tokens the configuration never meant to issue. `fam` (the token
 * family of a login), `jti` and `csrf` are the session claims of revocation and CSRF protection; `uti` is the random id
 * that makes every auth token unique when it has no `jti`; `cnf` binds a token to a key (RFC 7800, RFC 9449 §6) and
 * is set only from a verified DPoP proof or client certificate; `auth_time` and `acr` say when and how the user logged
 * in (RFC 9470 §3, OpenID Connect Core §2), set at login and kept through rotation, so a caller cannot make a login fresh.
 */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set(['iss', 'iat', 'exp', 'type', 'rid', 'sub', 'fam', 'jti', 'uti', 'csrf', 'cnf', 'auth_time', 'acr']);
