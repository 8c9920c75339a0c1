/**
 * Checking an access token of a trusted issuer once its signature matched one of that issuer's keys: the profile
 * (RFC 9068 or generic), the registered claims, the audience and the clock. Pure: no keys, no network.
 */
import { TokenType, type ClaimValue, type Claims } from '../claims';
import { JWT } from '../token/jwt';
import { audienceMatches, freezeClaims, type InvalidTokenReason, type TokenCheck } from '../token/verify';
import type { VerificationKey } from '../keys/verification-key';
import type { TrustedIssuer } from './trusted-issuer';

// RFC 9068 §4: "at+jwt" or its full media type; media types compare case-insensitively (RFC 2045 §5.1).
const ACCESS_TOKEN_TYPES = new Set(['at+jwt', 'application/at+jwt']);
// The generic profile refuses only tokens typed as something else (an ID token is refused by its audience).
const GENERIC_TYPES = new Set(['jwt', 'application/jwt', ...ACCESS_TOKEN_TYPES]);

const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isNonEmptyString = (value: unknown): value is string => typeof value === 'string' && value !== '';

function typeAccepted(typ: unknown, profile: TrustedIssuer['profile']): boolean {
  if (typ === undefined) return profile === 'generic';
  return typeof typ === 'string' && (profile === 'rfc9068' ? ACCESS_TOKEN_TYPES : GENERIC_TYPES).has(typ.toLowerCase());
}

/** The reason registered claims are missing or unusable, or `null`. */
function registeredClaimsProblem(claims: Record<string, unknown>, entry: TrustedIssuer): InvalidTokenReason | null {
  const { exp, iat, nbf, sub } = claims;
  if (!isFiniteNumber(exp) || !isNonEmptyString(sub)) return 'claims';
  if ((iat !== undefined || entry.profile === 'rfc9068' || entry.maxTokenAge !== null) && !isFiniteNumber(iat)) return 'claims';
  if (nbf !== undefined && !isFiniteNumber(nbf)) return 'claims';
  // RFC 9068 §2.2: client_id and jti are required too.
  if (entry.profile === 'rfc9068' && (!isNonEmptyString(claims.client_id) || !isNonEmptyString(claims.jti))) return 'claims';
  return null;
}

/** The reason the token is outside its validity window at `now`, or `null`. */
function clockProblem(claims: Record<string, unknown>, entry: TrustedIssuer, now: number): InvalidTokenReason | null {
  const { leeway } = entry;
  const exp = claims.exp as number;
  const iat = claims.iat as number | undefined;
  if (now >= exp + leeway) return 'expired';
  if (entry.maxTokenAge !== null && now > (iat as number) + entry.maxTokenAge + leeway) return 'expired';
  if ((iat !== undefined && iat > now + leeway) || (typeof claims.nbf === 'number' && claims.nbf > now + leeway)) return 'not_yet_valid';
  return null;
}

/**
 * The granted scopes as one space-delimited string (RFC 6749 §3.3), from the configured claim, else `scope`, else an
 * `scp` string or array (Entra ID, Okta); `undefined` when there are none.
 */
export function grantedScope(claims: Record<string, unknown>, scopeClaim: string | null): string | undefined {
  const names = scopeClaim === null ? ['scope', 'scp'] : [scopeClaim];
  for (const name of names) {
    const value = claims[name];
    if (typeof value === 'string') return value;
    if (Array.isArray(value) && value.every((word) => typeof word === 'string' && !word.includes(' '))) return value.join(' ');
  }
  return undefined;
}

/**
 * Checks the header and claims of a token whose signature matched `key`, one of `entry`'s keys; the verified token
 * (an auth token, read-only) or why it is refused.
 */
export function checkAccessToken(
  signed: string,
  header: Readonly<Record<string, unknown>>,
  claims: Record<string, unknown>,
  key: VerificationKey,
  entry: TrustedIssuer,
  now: number,
): TokenCheck {
  if (!typeAccepted(header.typ, entry.profile)) return { valid: false, reason: 'token_type' };
  const missing = registeredClaimsProblem(claims, entry);
  if (missing !== null) return { valid: false, reason: missing };
  // The keys were picked by this issuer; the claim is compared again, never assumed.
  if (claims.iss !== entry.issuer) return { valid: false, reason: 'issuer' };
  const aud = claims[entry.audienceClaim];
  if (!entry.audiences.some((audience) => audienceMatches(aud, audience))) return { valid: false, reason: 'audience' };
  const late = clockProblem(claims, entry, now);
  if (late !== null) return { valid: false, reason: late };
  const scope = grantedScope(claims, entry.scopeClaim);
  const tokenClaims = { ...claims } as Claims;
  if (scope === undefined) delete tokenClaims.scope;
  else tokenClaims.scope = scope satisfies ClaimValue;
  // An external access token counts as an auth token: @RequireToken() accepts it, a refresh route never does.
  const token = JWT.restore(key.authType.name, freezeClaims(tokenClaims), signed, TokenType.AUTH);
  Object.freeze(token);
  return { valid: true, token };
}
