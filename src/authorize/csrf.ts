/**
 * CSRF double submit for cookie tokens (the header check), separate from the token checks it follows.
 */
import { timingSafeEqual } from 'node:crypto';
import type { JWT } from '../token/jwt';
import { REJECTIONS, type Rejection } from './rejections';
import type { TokenRequirement } from './requirement';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/**
 * CSRF double submit for cookie tokens: a state-changing request must send, in its CSRF header, the `csrf` value the
 * token carries (a page of the site can read it from the readable csrf cookie; another site cannot). Compared in
 * constant time.
 */
export function checkCsrf(
  token: JWT,
  requirement: TokenRequirement,
  method: string | undefined,
  headers: Readonly<Record<string, string | string[] | undefined>>,
): Rejection | null {
  const header = requirement.csrfHeader;
  if (header === undefined || SAFE_METHODS.has(method ?? 'GET')) return null;
  const sent = headers[header];
  const expected = token.claims.csrf;
  if (typeof sent !== 'string' || typeof expected !== 'string') return REJECTIONS.csrf;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b) ? null : REJECTIONS.csrf;
}

