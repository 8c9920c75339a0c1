/**
 * Sender-constrained tokens at the guard: a token bound to a DPoP key (`cnf.jkt`, RFC 9449) is accepted only with a
 * valid, fresh proof of that key, and one bound to a client certificate (`cnf["x5t#S256"]`, RFC 8705 §3) only over a
 * TLS connection that presented that certificate. Nothing downgrades a bound token to a bearer token.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { DpopMode } from '../authorize/dpop-option';
import { dpopRejection, type DpopRejectionKind } from '../authorize/dpop-rejections';
import { REJECTIONS, type Rejection } from '../authorize/rejections';
import type { Runtime } from '../config/runtime';
import { checkDpopProof } from '../token/dpop-proof';
import type { JWT } from '../token/jwt';
import { dpopProofOf, type TokenScheme } from './extract-authorization';
import type { RequestLike } from './extract-token';
import { requestUrl } from './request-url';

/** The confirmation methods of a token's `cnf` claim (RFC 7800 §3.1) this library checks. */
interface Confirmation {
  readonly jkt: string | undefined;
  readonly x5t: string | undefined;
}

/** A token's confirmation; `null` for one with a `cnf` this library cannot check (fail closed). */
function confirmationOf(token: JWT): Confirmation | undefined | null {
  if (!Object.hasOwn(token.claims, 'cnf')) return undefined;
  const cnf = token.claims.cnf;
  if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) return null;
  const jkt = Object.hasOwn(cnf, 'jkt') ? cnf.jkt : undefined;
  const x5t = Object.hasOwn(cnf, 'x5t#S256') ? cnf['x5t#S256'] : undefined;
  if ((jkt !== undefined && typeof jkt !== 'string') || (x5t !== undefined && typeof x5t !== 'string')) return null;
  if (jkt === undefined && x5t === undefined) return null;
  return { jkt, x5t };
}

/**
 * RFC 8705 §3.1: base64url(SHA-256(DER of the client certificate)) of the TLS connection a request came over;
 * `undefined` without a certificate (plain HTTP, or a TLS client that sent none).
 *
 * @example
 * ```ts
 * const certificateThumbprint = clientCertificateThumbprint(req);
 * manager.authToken(client.id, 'read', {}, { certificateThumbprint });
 * ```
 */
export function clientCertificateThumbprint(request: IncomingMessage | RequestLike): string | undefined {
  const socket = (request as { socket?: { getPeerCertificate?: () => { raw?: Buffer } } }).socket;
  if (typeof socket?.getPeerCertificate !== 'function') return undefined;
  const raw = socket.getPeerCertificate()?.raw;
  return Buffer.isBuffer(raw) ? createHash('sha256').update(raw).digest('base64url') : undefined;
}

/** Where a response header goes once the request is admitted (a rotated nonce, RFC 9449 §8.2). */
type HeaderTarget = { setHeader?: (name: string, value: string) => unknown; headersSent?: boolean };

/**
 * Checks the sender constraint of a verified `token` presented with `scheme`: `null` when the request may go on, a
 * rejection otherwise; a promise when the proof's `jti` must be marked seen in the revocation store.
 *
 * @param mode - The route's DPoP mode (its own, else the configuration's).
 * @param signed - The access token exactly as sent (its hash is the proof's `ath`).
 */
export function checkSenderConstraint(
  mode: DpopMode,
  scheme: TokenScheme,
  signed: string,
  token: JWT,
  request: RequestLike,
  response: unknown,
  runtime: Runtime,
): Rejection | null | Promise<Rejection | null> {
  const { dpop } = runtime;
  const challenge = { realm: runtime.realm, algs: dpop.challengeAlgs };
  const refuse = (kind: DpopRejectionKind): Rejection => dpopRejection(kind, challenge, dpop.nonces?.current());
  const confirmation = confirmationOf(token);
  if (confirmation === null) return refuse('bound');
  if (confirmation?.x5t !== undefined && clientCertificateThumbprint(request) !== confirmation.x5t) return refuse('certificate');
  const jkt = confirmation?.jkt;
  if (scheme !== 'dpop') {
    if (jkt !== undefined) return refuse('bound');
    return mode === 'required' ? refuse('required') : null;
  }
  if (mode === 'off') return REJECTIONS.badHeader;
  // RFC 9449 §7.1: the DPoP scheme carries DPoP-bound tokens only.
  if (jkt === undefined) return refuse('required');
  const proof = dpopProofOf(request);
  const method = (request as { method?: unknown }).method;
  if (proof === undefined || typeof method !== 'string') return refuse('proof');
  const { nonces } = dpop;
  const result = checkDpopProof(
    { proof, method, url: requestUrl(request), accessToken: signed, jkt, acceptNonce: nonces === null ? undefined : (nonce) => nonces.accepts(nonce) },
    dpop.policy,
  );
  if (!result.valid) return refuse(result.error === 'use_dpop_nonce' ? 'nonce' : 'proof');
  return runtime.sessions.useProof(result.jkt, result.jti, result.iat + dpop.policy.window).then((outcome) => {
    if (outcome === 'unavailable') return REJECTIONS.revocationUnavailable;
    if (outcome === 'replayed') return refuse('proof');
    const current = nonces?.current();
    const target = response as HeaderTarget | undefined;
    if (current !== undefined && result.nonce !== current && typeof target?.setHeader === 'function' && !target.headersSent) {
      target.setHeader('DPoP-Nonce', current);
    }
    return null;
  });
}
