/**
 * The 401 answers of sender-constrained tokens, and the DPoP challenge of any answer to a DPoP request: data only. A DPoP answer challenges with the `DPoP` scheme and the
 * accepted algorithms (RFC 9449 §7.1), the RFC's error code, and the current server nonce when there is one (§8).
 */
import type { RejectionBody, RejectionCode } from '../errors';
import type { Rejection } from './rejections';

/** The ways a sender-constrained request is refused. */
export type DpopRejectionKind = 'proof' | 'nonce' | 'required' | 'missing' | 'bound' | 'certificate';

const TABLE: Readonly<Record<DpopRejectionKind, { code: RejectionCode; message: string; error: string | undefined }>> = Object.freeze({
  proof: { code: 'ERR_DPOP_PROOF', message: 'The DPoP proof is invalid', error: 'invalid_dpop_proof' },
  nonce: { code: 'ERR_DPOP_NONCE', message: 'The DPoP proof must carry the server nonce sent in the DPoP-Nonce header', error: 'use_dpop_nonce' },
  required: { code: 'ERR_DPOP_REQUIRED', message: 'A DPoP-bound token is required: send "Authorization: DPoP <token>" with a DPoP proof', error: 'invalid_token' },
  // RFC 9449 §7.1: no error code when the request carried no credentials at all.
  missing: { code: 'ERR_TOKEN_MISSING', message: 'A token is required: send it as "Authorization: DPoP <token>" with a DPoP proof', error: undefined },
  // §7.2: a bound token presented as a bearer token is refused; nothing downgrades it.
  bound: { code: 'ERR_TOKEN_BINDING', message: 'This token is bound to a key: send it as "Authorization: DPoP <token>" with a DPoP proof', error: 'invalid_token' },
  certificate: { code: 'ERR_TOKEN_BINDING', message: 'This token is bound to a client certificate that this connection did not present', error: 'invalid_token' },
});

/** What a challenge names: the realm and the accepted algorithms, each already quoted. */
export interface DpopChallenge {
  readonly realm: string;
  readonly algs: string;
}

/**
 * The rejection of `kind`, challenging with `DPoP` (or `Bearer` for a certificate-bound token, RFC 8705 §3) and
 * carrying `nonce` in `DPoP-Nonce` when given.
 *
 * @example
 * ```ts
 * dpopRejection('nonce', { realm: '"api"', algs: '"ES256"' }, nonces.current());
 * ```
 */
export function dpopRejection(kind: DpopRejectionKind, challenge: DpopChallenge, nonce?: string): Rejection {
  const { code, message, error } = TABLE[kind];
  const name = 'TokenUnauthorizedError';
  const body: RejectionBody = { name, message, code };
  const parts = [`realm=${challenge.realm}`];
  if (kind !== 'certificate') parts.push(`algs=${challenge.algs}`);
  if (error !== undefined) parts.push(`error="${error}"`);
  const headers: Record<string, string> = { 'WWW-Authenticate': `${kind === 'certificate' ? 'Bearer' : 'DPoP'} ${parts.join(', ')}` };
  if (nonce !== undefined) headers['DPoP-Nonce'] = nonce;
  return Object.freeze({
    status: 401,
    code,
    message,
    bearerError: kind === 'certificate' ? 'invalid_token' : undefined,
    name,
    body: JSON.stringify(body),
    headers: Object.freeze(headers),
  });
}

/**
 * `rejection`, an answer to a request made with the DPoP scheme, challenging with `DPoP` instead of `Bearer` (RFC 9449
 * §7.1): a 401 with `error="invalid_token"`, a 403 for scope or claims with `error="insufficient_scope"` and the scope
 * the route needs; the body and code stay the same. A 403 that is no challenge (a missing CSRF value) and a 503 are
 * returned as they are.
 *
 * @example
 * ```ts
 * withDpopChallenge(REJECTIONS.expired, { realm: '"api"', algs: '"ES256"' });
 * ```
 */
export function withDpopChallenge(rejection: Rejection, challenge: DpopChallenge, nonce?: string): Rejection {
  if (rejection.status === 503 || (rejection.status === 403 && rejection.bearerError === undefined)) return rejection;
  const error = rejection.bearerError === undefined ? '' : `, error="${rejection.bearerError}"`;
  const scope = rejection.scope === undefined ? '' : `, scope="${rejection.scope}"`;
  const headers: Record<string, string> = { 'WWW-Authenticate': `DPoP realm=${challenge.realm}, algs=${challenge.algs}${error}${scope}` };
  if (nonce !== undefined) headers['DPoP-Nonce'] = nonce;
  return Object.freeze({ ...rejection, headers: Object.freeze(headers) });
}
