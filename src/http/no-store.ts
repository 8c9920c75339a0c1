/**
 * `Cache-Control: no-store` on answers to requests that passed a guard. Such an answer was made for one token's
 * holder: a browser must not keep it for the back button after logout, nor a shared cache hand it to someone else
 * (RFC 9111 §5.2.2.5; RFC 6749 §5.1 asks the same of token answers). Set when the guard lets the request through, so
 * that whatever the action sets afterwards (routing-controllers' `@Header('Cache-Control', ...)`, `res.set`) wins, and
 * never over a value an earlier middleware already set.
 */
import type { TokenRequirement } from '../authorize/requirement';

/** The parts of a response read and written here. */
interface CacheableResponse {
  headersSent?: boolean;
  getHeader?(name: string): unknown;
  setHeader?(name: string, value: string): unknown;
}

/** Sets `Cache-Control: no-store` on `response` unless `requirement.noStore` is off or a Cache-Control is already set. */
export function preventCaching(response: unknown, requirement: TokenRequirement): void {
  if (!requirement.noStore || typeof response !== 'object' || response === null) return;
  const target = response as CacheableResponse;
  if (target.headersSent === true || typeof target.getHeader !== 'function' || typeof target.setHeader !== 'function') return;
  if (target.getHeader('Cache-Control') !== undefined) return;
  target.setHeader('Cache-Control', 'no-store');
}
