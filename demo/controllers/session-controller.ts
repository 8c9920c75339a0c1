/**
 * The routes the demo page (demo/public/) calls with its cookie session: the tokens travel in the HttpOnly cookies,
 * never through page scripts. The bearer routes (/users/:userId, /admin/audit) stay as they are, for other clients.
 *
 * Reads (GET) need only the auth_token cookie: SameSite=Strict keeps it off requests started by another site. A
 * state-changing action (POST) also needs the X-CSRF-Token header (double submit, 403 ERR_CSRF without it).
 */
import { Get, JsonController, Param, Post } from 'routing-controllers';
import { Service } from 'typedi';
import { currentToken, RequireToken } from 'routing-controllers-jwt';
import { AUTH_COOKIE } from '../http/header-or-cookie';
import { AuditService } from '../users/audit-service';
import { ProfileService } from '../users/profile-service';
import type { Profile } from '../users/user';

/** What POST /session/waves answers. */
export interface Wave {
  sub: string;
  /** How many times this user has waved since the demo started. */
  waves: number;
}

@Service()
@JsonController('/session')
export class SessionController {
  readonly #waves = new Map<string, number>();

  constructor(
    private readonly profiles: ProfileService,
    private readonly audit: AuditService,
  ) {}

  /** GET /users/:userId with the auth_token cookie: your own profile, or anyone's for an admin. */
  @Get('/users/:userId')
  @RequireToken('auth', 'cookies', { cookieName: AUTH_COOKIE, sub: 'userId', override: { admin: true } })
  profile(@Param('userId') userId: string): Promise<Profile> {
    return this.profiles.read(userId);
  }

  /** A protected action that changes state: the auth_token cookie and the X-CSRF-Token header. */
  @Post('/waves')
  @RequireToken('auth', 'cookies', { cookieName: AUTH_COOKIE, scope: 'profile' })
  wave(): Wave {
    const sub = String(currentToken.sub);
    const waves = (this.#waves.get(sub) ?? 0) + 1;
    this.#waves.set(sub, waves);
    this.audit.record('waved');
    return { sub, waves };
  }

  /** How many times the cookie's user has waved (a read: no CSRF header needed). */
  @Get('/waves')
  @RequireToken('auth', 'cookies', { cookieName: AUTH_COOKIE, scope: 'profile' })
  waves(): Wave {
    const sub = String(currentToken.sub);
    return { sub, waves: this.#waves.get(sub) ?? 0 };
  }
}
