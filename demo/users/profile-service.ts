/**
 * Profiles: looks the user up and records the read in the audit log. Nothing here is told who is asking; the audit
 * service reads that from the current token, several calls (and awaits) below the controller.
 */
import { Service } from 'typedi';
import { NotFoundError } from 'routing-controllers';
import { AuditService } from './audit-service';
import { UserStore } from './user-store';
import type { Profile, User } from './user';

@Service()
export class ProfileService {
  constructor(
    private readonly users: UserStore,
    private readonly audit: AuditService,
  ) {}

  /**
   * The profile of `userId`.
   *
   * @throws NotFoundError (404) when there is no such user.
   */
  async read(userId: string): Promise<Profile> {
    const user = await this.users.find(userId);
    if (user === undefined) throw new NotFoundError(`There is no user "${userId}"`);
    this.audit.record(`read profile ${userId}`);
    return this.toProfile(user);
  }

  private toProfile(user: User): Profile {
    return { userId: user.username, displayName: user.displayName, role: user.role, memberSince: user.memberSince };
  }
}
