/** Profiles: a user reads their own, an admin anyone's. */
import { Get, JsonController, Param } from 'routing-controllers';
import { Service } from 'typedi';
import { currentToken, RequireToken } from 'routing-controllers-jwt';
import { ProfileService } from '../users/profile-service';
import type { Profile } from '../users/user';

@Service()
@JsonController('/users')
export class UserController {
  constructor(private readonly profiles: ProfileService) {}

  /**
   * 200 when the token's `sub` is the `:userId` of the URL, or when the token carries `admin: true` (the override);
   * 403 otherwise; 404 for an unknown user once allowed.
   */
  @Get('/:userId')
  @RequireToken({ sub: 'userId', override: { admin: true } })
  get(@Param('userId') userId: string): Promise<Profile> {
    return this.profiles.read(userId);
  }

  /**
   * Security settings need a recent login (step-up, RFC 9470): 200 for the user's own token when they logged in at
   * most 5 minutes ago; a token of an older login (refreshing does not make it newer) is a 401 with
   * `error="insufficient_user_authentication"` and `max_age="300"`: log in again.
   */
  @Get('/:userId/security')
  @RequireToken({ sub: 'userId', maxAge: 300 })
  security(@Param('userId') userId: string): { userId: string; loggedInAt: string } {
    return { userId, loggedInAt: new Date(Number(currentToken.claims.auth_time) * 1000).toISOString() };
  }
}
