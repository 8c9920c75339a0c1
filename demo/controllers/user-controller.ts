/** Profiles: a user reads their own, an admin anyone's. */
import { Get, JsonController, Param } from 'routing-controllers';
import { Service } from 'typedi';
import { RequireToken } from 'routing-controllers-jwt';
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
}
