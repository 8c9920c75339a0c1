/**
 * Signing in and refreshing, with tokens in the JSON body (POST /auth/login, POST /auth/refresh) or in cookies
 * (POST /auth/session, POST /auth/session/refresh, DELETE /auth/session).
 */
import type { Request, Response } from 'express';
import { Body, Delete, Header, JsonController, OnUndefined, Post, Req, Res, UnauthorizedError } from 'routing-controllers';
import { Service } from 'typedi';
import { currentToken, RequireToken } from 'routing-controllers-jwt';
import { AUTH_COOKIE, clearTokenCookies, REFRESH_COOKIE, setTokenCookie } from '../auth/session-cookies';
import { TokenIssuer, type TokenPair } from '../auth/token-issuer';
import { LoginDto } from '../dto/login.dto';
import { AuditService } from '../users/audit-service';
import { UserStore } from '../users/user-store';
import type { User } from '../users/user';

/** What POST /auth/session answers; the tokens themselves are only in the HttpOnly cookies. */
export interface SessionStarted {
  sub: string;
  expiresIn: number;
}

@Service()
@JsonController('/auth')
export class AuthController {
  constructor(
    private readonly users: UserStore,
    private readonly tokens: TokenIssuer,
    private readonly audit: AuditService,
  ) {}

  /** 200 with an auth and a refresh token; 401 for a wrong username or password; 400 for a bad body. */
  @Post('/login')
  @Header('Cache-Control', 'no-store')
  async login(@Body({ required: true }) body: LoginDto): Promise<TokenPair> {
    return this.tokens.pair(await this.signIn(body));
  }

  /** The same check as /auth/login; the tokens go into the auth_token and refresh_token cookies. */
  @Post('/session')
  @Header('Cache-Control', 'no-store')
  async startSession(
    @Body({ required: true }) body: LoginDto,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<SessionStarted> {
    const user = await this.signIn(body);
    const { authToken, refreshToken } = this.tokens.pair(user);
    setTokenCookie(request, response, AUTH_COOKIE, authToken, this.tokens.authMaxAge);
    setTokenCookie(request, response, REFRESH_COOKIE, refreshToken, this.tokens.refreshMaxAge);
    return { sub: user.username, expiresIn: this.tokens.authMaxAge };
  }

  /** A new auth token for the refresh token in the Authorization header. */
  @Post('/refresh')
  @RequireToken('refresh')
  @Header('Cache-Control', 'no-store')
  async refresh(): Promise<{ authToken: string }> {
    return { authToken: this.tokens.authToken(await this.refreshingUser()) };
  }

  /**
   * A new auth token for the refresh token in the refresh_token cookie, set as the auth_token cookie again. The
   * token stays out of the body: a page script must never see what the HttpOnly cookie hides.
   */
  @Post('/session/refresh')
  @RequireToken('refresh', 'cookies', { cookieName: REFRESH_COOKIE })
  @Header('Cache-Control', 'no-store')
  async refreshSession(@Req() request: Request, @Res() response: Response): Promise<SessionStarted> {
    const user = await this.refreshingUser();
    setTokenCookie(request, response, AUTH_COOKIE, this.tokens.authToken(user), this.tokens.authMaxAge);
    return { sub: user.username, expiresIn: this.tokens.authMaxAge };
  }

  /** Removes both cookies: 204. */
  @Delete('/session')
  @OnUndefined(204)
  endSession(@Req() request: Request, @Res() response: Response): void {
    clearTokenCookies(request, response);
  }

  private async signIn({ username, password }: LoginDto): Promise<User> {
    const user = await this.users.authenticate(username, password);
    if (user === undefined) throw new UnauthorizedError('Wrong username or password');
    return user;
  }

  // The refresh token's user as the store knows them now: a removed user gets no new token, a new role shows at once.
  private async refreshingUser(): Promise<User> {
    const user = await this.users.find(String(currentToken.sub));
    if (user === undefined) throw new UnauthorizedError('The user of this token no longer exists');
    this.audit.record('refreshed an auth token');
    return user;
  }
}
