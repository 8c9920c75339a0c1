/**
 * The audit log. Who did something is read from `currentToken`, the verified token of the request being served:
 * callers pass what happened, never who did it, so no layer in between can get the actor wrong.
 */
import { Service } from 'typedi';
import { currentToken } from 'routing-controllers-jwt';

/** The most recent lines kept; older ones are dropped. */
const MAX_LINES = 1000;

@Service()
export class AuditService {
  readonly #lines: string[] = [];

  /**
   * Appends `<time> <who> <what>`, e.g. `2025-01-01T00:00:00.000Z alice read profile bob`. Runs only inside a
   * request that passed `@RequireToken` or `requireToken()`; anywhere else `currentToken` throws
   * `NoTokenContextError`.
   */
  record(what: string): void {
    this.#lines.push(`${new Date().toISOString()} ${currentToken.sub} ${what}`);
    if (this.#lines.length > MAX_LINES) this.#lines.splice(0, this.#lines.length - MAX_LINES);
  }

  /** The lines, oldest first. */
  lines(): string[] {
    return [...this.#lines];
  }
}
