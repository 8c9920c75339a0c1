/**
 * Which tokens a user gets, and the session operations on them (rotation, logout). Everyone's auth token carries the
 * `profile` scope; an admin's also carries the `admin` scope word (for GET /admin/audit) and a top-level
 * `admin: true` claim (the override of GET /users/:userId). Every refresh token belongs to a family (`fam`, one per
 * login): rotating retires the presented one, and logging out or replaying a retired one revokes the whole family.
 */
import { Service } from 'typedi';
import { AuthManager, type Claims, type JWT, type RotatedTokens } from 'routing-controllers-jwt';
import type { User } from '../users/user';

/** What POST /auth/login and POST /auth/refresh answer. */
export interface TokenPair {
  authToken: string;
  refreshToken: string;
  /**
   * `'DPoP'` when both tokens are bound to the key of the login's DPoP proof (RFC 9449 §5, `cnf.jkt`): each use needs
   * `Authorization: DPoP <token>` and a fresh proof of that key. Absent for bearer tokens.
   */
  tokenType?: 'DPoP';
}

/** The tokens of a cookie session, and the CSRF value they carry (sent back in the X-CSRF-Token header). */
export interface CookieSession extends RotatedTokens {
  csrf: string;
}

/** The scope and extra claims of `user`'s auth tokens, read from their role at the time the token is issued. */
function grants(user: User): { scope: string; claims?: Claims } {
  return user.role === 'admin' ? { scope: 'profile admin', claims: { admin: true } } : { scope: 'profile' };
}

/** The compact form of a token the manager has just signed. */
function compact(token: JWT): string {
  if (token.signed === null) throw new Error('the AuthManager returned an unsigned token');
  return token.signed;
}

/** The compact form of both tokens, as the JSON routes answer them; rotation keeps a DPoP binding, and says so. */
export function compactPair({ authToken, refreshToken }: RotatedTokens): TokenPair {
  const pair: TokenPair = { authToken: compact(authToken), refreshToken: compact(refreshToken) };
  if (authToken.claims.cnf !== undefined) pair.tokenType = 'DPoP';
  return pair;
}

@Service()
export class TokenIssuer {
  constructor(private readonly auth: AuthManager) {}

  /**
   * A signed auth token and a signed refresh token of a new family, for a login with the tokens in the body; both
   * bound to the DPoP key `dpopJkt` when the login carried a proof (see dpopKeyOf).
   */
  pair(user: User, dpopJkt?: string): TokenPair {
    const { scope, claims } = grants(user);
    // This is a login: its time goes into both tokens (auth_time) and survives every rotation (RFC 9470 step-up).
    const authTime = Math.floor(Date.now() / 1000);
    const session = dpopJkt === undefined ? { authTime } : { authTime, dpopJkt };
    return compactPair({ authToken: this.auth.authToken(user.username, scope, claims, session), refreshToken: this.auth.refreshToken(user.username, session) });
  }

  /** Tokens of a new family carrying a fresh CSRF value, for a login with the tokens in cookies. */
  session(user: User): CookieSession {
    const { scope, claims } = grants(user);
    return this.auth.sessionTokens(user.username, scope, claims);
  }

  /**
   * A new auth token (with `user`'s current grants) and a new refresh token for `refresh`, which is retired.
   *
   * @throws TokenUnauthorizedError (401, ERR_TOKEN_REVOKED) when `refresh` was already used or its family revoked;
   *   a reuse revokes the family.
   * @throws TokenUnavailableError (503) when the revocation store does not answer.
   */
  rotate(refresh: JWT, user: User): Promise<RotatedTokens> {
    const { scope, claims } = grants(user);
    return this.auth.rotate(refresh, scope, claims);
  }

  /** Revokes the family of the refresh token `refresh`: every refresh token of that login is refused from now on. */
  logout(refresh: JWT): Promise<void> {
    return this.auth.revoke(refresh);
  }

  /** Seconds an auth token lives. */
  get authMaxAge(): number {
    return this.auth.signer?.authMaxAge ?? AuthManager.defaultAuthMaxAge;
  }
}
