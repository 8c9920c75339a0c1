/**
 * Which tokens a user gets. Everyone's auth token carries the `profile` scope; an admin's also carries the `admin`
 * scope word (for GET /admin/audit) and a top-level `admin: true` claim (the override of GET /users/:userId).
 */
import { Service } from 'typedi';
import { AuthManager, type JWT } from 'routing-controllers-jwt';
import type { User } from '../users/user';

/** What the login routes answer. */
export interface TokenPair {
  authToken: string;
  refreshToken: string;
}

/** The compact form of a token the manager has just signed. */
function compact(token: JWT): string {
  if (token.signed === null) throw new Error('the AuthManager returned an unsigned token');
  return token.signed;
}

@Service()
export class TokenIssuer {
  constructor(private readonly auth: AuthManager) {}

  /** A signed auth token for `user`. */
  authToken(user: User): string {
    const token = user.role === 'admin'
      ? this.auth.authToken(user.username, 'profile admin', { admin: true })
      : this.auth.authToken(user.username, 'profile');
    return compact(token);
  }

  /** A signed auth token and a signed refresh token for `user`. */
  pair(user: User): TokenPair {
    return { authToken: this.authToken(user), refreshToken: compact(this.auth.refreshToken(user.username)) };
  }

  /** Seconds an auth token lives. */
  get authMaxAge(): number {
    return this.auth.signer?.authMaxAge ?? AuthManager.defaultAuthMaxAge;
  }

  /** Seconds a refresh token lives. */
  get refreshMaxAge(): number {
    return this.auth.signer?.refreshMaxAge ?? AuthManager.defaultRefreshMaxAge;
  }
}
