/**
 * The 403 of a missing scope names the scope the route needs (RFC 6750 §3: "scope" attribute), so that a client can
 * ask its authorization server for a token that has it. Built once per requirement, never per request.
 */
import type { Scope } from '../claims';
import { REJECTIONS, type Rejection } from './rejections';

// RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E (no space, quote or backslash), so it is safe in a quoted-string.
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * The rejection for a token lacking `scope`: `REJECTIONS.scopeMismatch` carrying the required scope tokens, when the
 * requirement is a space-delimited scope string; otherwise (an object or numeric scope) the plain rejection.
 *
 * @example
 * ```ts
 * scopeRejection('orders:read orders:write').scope; // 'orders:read orders:write'
 * ```
 */
export function scopeRejection(scope: Scope | undefined): Rejection {
  if (typeof scope !== 'string') return REJECTIONS.scopeMismatch;
  const words = scope.split(' ').filter(Boolean);
  if (words.length === 0 || !words.every((word) => SCOPE_TOKEN.test(word))) return REJECTIONS.scopeMismatch;
  return Object.freeze({ ...REJECTIONS.scopeMismatch, scope: words.join(' ') });
}
