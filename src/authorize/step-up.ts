/**
 * Step-up authentication (RFC 9470): a route may require a recent login (`maxAge`, seconds since the token's
 * `auth_time`) or a kind of login (`acr`, one of the accepted `acr` values). A token that falls short is a 401 with
 * `error="insufficient_user_authentication"` and the `max_age` / `acr_values` the client must ask its login for
 * (RFC 9470 §3). Pure: options are checked and the rejection is built once, when the decorator is applied.
 */
import type { Claims } from '../claims';
import { REJECTIONS, type Rejection } from './rejections';
import type { RejectionBody } from '../errors';

/** A route's step-up requirement, validated and frozen. */
export interface StepUp {
  /** The most seconds since the login (`auth_time`), or `undefined` when any age is accepted. */
  readonly maxAge: number | undefined;
  /** The accepted `acr` values, or `undefined` when any (or none) is accepted. */
  readonly acrValues: readonly string[] | undefined;
  /** The 401 answered when the token falls short, built once. */
  readonly rejection: Rejection;
}

// RFC 9470 §3 carries acr_values space-separated in a quoted-string: each value must be a printable token.
/** Seconds an `auth_time` may lie ahead of this clock (another issuer's). */
const FUTURE_SKEW = 60;

const ACR_VALUE = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

function normaliseMaxAge(maxAge: unknown): number | undefined {
  if (maxAge === undefined) return undefined;
  if (typeof maxAge !== 'number' || !Number.isSafeInteger(maxAge) || maxAge < 0) {
    throw new TypeError('maxAge must be a whole number of seconds (0 or more) since the login');
  }
  return maxAge;
}

function normaliseAcr(acr: unknown): readonly string[] | undefined {
  if (acr === undefined) return undefined;
  const values: unknown[] = Array.isArray(acr) ? acr : [acr];
  if (values.length === 0 || !values.every((value): value is string => typeof value === 'string' && ACR_VALUE.test(value))) {
    throw new TypeError('acr must be an acr value or a non-empty list of them (printable, without spaces, quotes or backslashes)');
  }
  return Object.freeze([...values]);
}

function stepUpRejection(maxAge: number | undefined, acrValues: readonly string[] | undefined): Rejection {
  const message = 'A more recent or stronger login is required: log in again';
  const body: RejectionBody = { name: 'TokenUnauthorizedError', message, code: 'ERR_TOKEN_STEP_UP' };
  const params = [`error_description="${message}"`];
  if (maxAge !== undefined) params.push(`max_age="${maxAge}"`);
  if (acrValues !== undefined) params.push(`acr_values="${acrValues.join(' ')}"`);
  return Object.freeze({
    ...REJECTIONS.needAuth,
    code: 'ERR_TOKEN_STEP_UP',
    message,
    bearerError: 'insufficient_user_authentication',
    body: JSON.stringify(body),
    challenge: params.join(', '),
  });
}

/**
 * The step-up requirement of `@RequireToken`'s `maxAge` and `acr` options, or `undefined` when neither is given.
 *
 * @throws TypeError for a `maxAge` that is not a whole number of seconds, or an `acr` that is not a value or a list.
 * @example
 * ```ts
 * normaliseStepUp(300, ['mfa', 'hwk'])?.rejection.challenge; // 'error_description="...", max_age="300", acr_values="mfa hwk"'
 * ```
 */
export function normaliseStepUp(maxAge: unknown, acr: unknown): StepUp | undefined {
  const age = normaliseMaxAge(maxAge);
  const acrValues = normaliseAcr(acr);
  if (age === undefined && acrValues === undefined) return undefined;
  return Object.freeze({ maxAge: age, acrValues, rejection: stepUpRejection(age, acrValues) });
}

/**
 * True when the token's login satisfies the step-up: its `auth_time` (a number of seconds) is at most `maxAge` old,
 * and its `acr` is one of the accepted values. A missing or malformed claim never satisfies (fail closed).
 *
 * @param now - Seconds since the epoch.
 */
export function satisfiesStepUp(claims: Claims, stepUp: StepUp, now: number): boolean {
  if (stepUp.maxAge !== undefined) {
    const authTime = Object.hasOwn(claims, 'auth_time') ? claims.auth_time : undefined;
    // A login more than a minute in the future (clock skew of another issuer) is no login: refused like a missing one.
    if (typeof authTime !== 'number' || !Number.isFinite(authTime) || authTime > now + FUTURE_SKEW || now - authTime > stepUp.maxAge) return false;
  }
  if (stepUp.acrValues !== undefined) {
    const acr = Object.hasOwn(claims, 'acr') ? claims.acr : undefined;
    if (typeof acr !== 'string' || !stepUp.acrValues.includes(acr)) return false;
  }
  return true;
}
