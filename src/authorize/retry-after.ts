/**
 * The `Retry-After` of a 503 (RFC 9110 §10.2.3, delta-seconds): 1 to 3 seconds, at random. When the revocation store
 * comes back, the clients that were answered 503 then come back spread over a few seconds rather than all in the
 * same second (issue 15: a fixed 1 without jitter).
 */
import { randomInt } from 'node:crypto';

/** The least and the most seconds a `Retry-After` says. */
export const RETRY_AFTER_SECONDS = { least: 1, most: 3 } as const;

/** A `Retry-After` value between `RETRY_AFTER_SECONDS.least` and `.most`, inclusive. */
export function retryAfterSeconds(): string {
  return String(randomInt(RETRY_AFTER_SECONDS.least, RETRY_AFTER_SECONDS.most + 1));
}
