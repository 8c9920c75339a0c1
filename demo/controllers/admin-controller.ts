/** Admin-only routes. */
import { Get, JsonController } from 'routing-controllers';
import { Service } from 'typedi';
import { RequireToken } from 'routing-controllers-jwt';
import { AuditService } from '../users/audit-service';

@Service()
@JsonController('/admin')
export class AdminController {
  constructor(private readonly audit: AuditService) {}

  /** The audit log. Needs a token whose scope holds the word `admin` (users get `profile`): 403 for everyone else. */
  @Get('/audit')
  @RequireToken({ scope: 'admin' })
  auditLog(): { lines: string[] } {
    this.audit.record('read the audit log');
    return { lines: this.audit.lines() };
  }
}
