/**
 * Signing in, refreshing and signing out, with tokens in the JSON body (POST /auth/login, POST /auth/refresh,
 * POST /auth/logout) or in cookies (POST /auth/session, POST /auth/session/refresh, DELETE /auth/session).
 *
 * Refreshing rotates: it answers a new auth token AND a new refresh token and retires the one presented. Presenting a
 * retired refresh token again means someone kept a copy: the library revokes the whole family (every refresh token of
 * that login) and answers 401. Logging out revokes the family too.
 *
 * The cookie routes are protected against CSRF by double submit: the session's tokens carry a random `csrf` value,
 * also set in the readable csrf_token cookie, and `@RequireToken(..., 'cookies', ...)` refuses a POST or DELETE that
 * does not send it back in the X-CSRF-Token header (403 ERR_CSRF). Another site can make the browser send the
 * cookies, but cannot read the value.
 */
import type { Request, Response } from 'express';
import { Body, Delete, Header, JsonController, OnUndefined, Post, Req, Res, UnauthorizedError } from 'routing-controllers';
import { Service } from 'typedi';
import {
  clearSessionCookies,
  currentToken,
  dpopKeyOf,
  RequireToken,
  sessionCookieOptions,
  setSessionCookies,
  type JWT,
} from 'routing-controllers-jwt';
import { compactPair, TokenIssuer, type TokenPair } from '../auth/token-issuer';
import { LoginDto } from '../dto/login.dto';
import { JsonObjectBody } from '../http/json-object-body';
import { AuditService } from '../users/audit-service';
import { UserStore } from '../users/user-store';
import type { User } from '../users/user';


/**
 * The session cookies: the library's names and safe defaults (HttpOnly tokens, SameSite=Strict, Secure on https),
 * with the refresh cookie sent only to the routes under /auth/session that use it. Checked here, once, when the demo
 * loads. (Served over https, `prefixed: true` would name them __Host-auth_token, __Secure-refresh_token and
 * __Host-csrf_token; the demo listens on plain http, where browsers drop prefixed cookies.)
 */
export const SESSION_COOKIES = sessionCookieOptions({ refreshPath: '/auth/session' });

/**
 * What the cookie routes answer. The tokens themselves are only in the HttpOnly cookies; `csrf` is the value to send
 * in the X-CSRF-Token header (also readable from the csrf_token cookie).
 */
export interface SessionStarted {
  sub: string;
  expiresIn: number;
  csrf: string;
}

/** The CSRF value a session token carries. */
function csrfOf(token: JWT): string {
  const { csrf } = token.claims;
  if (typeof csrf !== 'string') throw new Error('a session token without a csrf value');
  return csrf;
}

@Service()
@JsonController('/auth')
export class AuthController {
  constructor(
    private readonly users: UserStore,
    private readonly tokens: TokenIssuer,
    private readonly audit: AuditService,
  ) {}

  /**
   * 200 with an auth and a refresh token (of a new family); 401 for a wrong username or password; 400 for a bad body
   * (every action with a `@Body()` DTO also carries `@JsonObjectBody()`: see why in json-object-body.ts).
   *
   * With a `DPoP` proof header (RFC 9449 §5), both tokens are bound to the proof's key (`cnf.jkt`, `tokenType:
   * 'DPoP'`): the demo page's non-extractable WebCrypto key, say. A copied token is then worth nothing without that
   * key. A proof that does not hold is a 401 with the DPoP challenge, never unbound tokens.
   */
  @Post('/login')
  @JsonObjectBody()
  @Header('Cache-Control', 'no-store')
  async login(@Body({ required: true }) body: LoginDto, @Req() request: Request): Promise<TokenPair> {
    const dpopJkt = await dpopKeyOf(request);
    return this.tokens.pair(await this.signIn(body), dpopJkt);
  }

  /**
   * Rotation: a new auth token and a new refresh token for the refresh token in the Authorization header, which is
   * retired. 401 for a retired or revoked refresh token (a retired one also revokes its family), or a removed user.
   */
  @Post('/refresh')
  @RequireToken('refresh')
  @Header('Cache-Control', 'no-store')
  async refresh(): Promise<TokenPair> {
    const rotated = await this.tokens.rotate(currentToken, await this.refreshingUser());
    this.audit.record('refreshed their tokens');
    return compactPair(rotated);
  }

  /** Logout: revokes the family of the refresh token in the Authorization header; 204. It is refused from now on. */
  @Post('/logout')
  @RequireToken('refresh')
  @OnUndefined(204)
  async logout(): Promise<void> {
    await this.tokens.logout(currentToken);
    this.audit.record('logged out');
  }

  /** The same check as /auth/login; the tokens go into the auth_token and refresh_token cookies, the CSRF value into csrf_token. */
  @Post('/session')
  @JsonObjectBody()
  @Header('Cache-Control', 'no-store')
  async startSession(
    @Body({ required: true }) body: LoginDto,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<SessionStarted> {
    const user = await this.signIn(body);
    const session = this.tokens.session(user);
    setSessionCookies(request, response, session, SESSION_COOKIES);
    return { sub: user.username, expiresIn: this.tokens.authMaxAge, csrf: session.csrf };
  }

  /**
   * Rotation for the refresh token in the refresh_token cookie: all the cookies are set again. The tokens stay out
   * of the body: a page script must never see what the HttpOnly cookies hide. Needs the X-CSRF-Token header.
   */
  @Post('/session/refresh')
  @RequireToken('refresh', 'cookies', { cookieName: SESSION_COOKIES.refreshCookie })
  @Header('Cache-Control', 'no-store')
  async refreshSession(@Req() request: Request, @Res() response: Response): Promise<SessionStarted> {
    const user = await this.refreshingUser();
    const rotated = await this.tokens.rotate(currentToken, user);
    setSessionCookies(request, response, rotated, SESSION_COOKIES);
    this.audit.record('refreshed their session');
    return { sub: user.username, expiresIn: this.tokens.authMaxAge, csrf: csrfOf(rotated.refreshToken) };
  }

  /** Cookie logout: revokes the refresh_token cookie's family and clears the cookies; 204. Needs the X-CSRF-Token header. */
  @Delete('/session')
  @RequireToken('refresh', 'cookies', { cookieName: SESSION_COOKIES.refreshCookie })
  @OnUndefined(204)
  async endSession(@Req() request: Request, @Res() response: Response): Promise<void> {
    await this.tokens.logout(currentToken);
    clearSessionCookies(request, response, SESSION_COOKIES);
    this.audit.record('ended their session');
  }

  private async signIn({ username, password }: LoginDto): Promise<User> {
    const user = await this.users.authenticate(username, password);
    if (user === undefined) throw new UnauthorizedError('Wrong username or password');
    return user;
  }

  // The refresh token's user as the store knows them now: a removed user gets no new tokens, a new role shows at once.
  private async refreshingUser(): Promise<User> {
    const user = await this.users.find(String(currentToken.sub));
    if (user === undefined) throw new UnauthorizedError('The user of this token no longer exists');
    return user;
  }
}
