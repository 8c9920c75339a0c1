/** A JSON value, as a JWT claim can hold it. */
export type ClaimValue = string | number | boolean | null | ClaimValue[] | { [key: string]: ClaimValue };

/** A set of JWT claims: the payload of a token, or a set of claims a token must carry. */
export type Claims = Record<string, ClaimValue>;

/** The `scope` claim: an OAuth-style space-delimited string, a number, or an object of named authorizations. */
export type Scope = string | number | Record<string, ClaimValue>;
