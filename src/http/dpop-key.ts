/**
 * Reading the DPoP key of a login or token request (RFC 9449 §5): the proof is checked like a resource request's,
 * without an access token (no `ath`), and its `jti` is marked seen; the answer is the key's thumbprint, which
 * `AuthManager.authToken` and `refreshToken` bind tokens to (`session.dpopJkt`).
 */
import type { IncomingMessage } from 'node:http';
import { dpopRejection } from '../authorize/dpop-rejections';
import { REJECTIONS, toHttpError } from '../authorize/rejections';
import { runtimeOf, type AuthManager } from '../auth-manager';
import { MissingSignerError, type TokenUnauthorizedError, type TokenUnavailableError, type TokenForbiddenError } from '../errors';
import { checkDpopProof } from '../token/dpop-proof';
import { countHeaders, dpopProofOf } from './extract-authorization';
import type { RequestLike } from './extract-token';
import { requestUrl } from './request-url';
import { resolveManager } from './resolve-manager';

/**
 * The thumbprint of the key of the request's `DPoP` proof, or `undefined` when the request sends none (a plain
 * bearer login). A proof that is there must hold: a bad, replayed or nonce-less one is a 401 with the `DPoP` challenge
 * (and the current `DPoP-Nonce`), thrown as the routing-controllers `HttpError` a route can let through.
 *
 * @param manager - The manager whose configuration checks the proof; by default the request's (as guards find it).
 * @throws TokenUnauthorizedError (401) for a proof that does not hold; TokenUnavailableError (503) when the
 *   revocation store does not answer in time.
 * @example
 * ```ts
 * app.post('/login', express.json(), async (req, res) => {
 *   const dpopJkt = await dpopKeyOf(req);
 *   res.json({ access_token: manager.authToken(user.id, 'read', {}, { dpopJkt }).signed, token_type: dpopJkt ? 'DPoP' : 'Bearer' });
 * });
 * ```
 */
export async function dpopKeyOf(incoming: IncomingMessage, manager?: AuthManager): Promise<string | undefined> {
  // Typed as Node's own request so that Express's (whatever its route parameters) and Node's both fit.
  const request = incoming as unknown as RequestLike;
  const runtime = runtimeOf(manager ?? resolveManager(request));
  if (runtime === undefined) throw new MissingSignerError();
  const { dpop, realm } = runtime;
  const challenge = { realm, algs: dpop.challengeAlgs };
  const refuse = (kind: 'proof' | 'nonce'): TokenUnauthorizedError | TokenForbiddenError | TokenUnavailableError =>
    toHttpError(dpopRejection(kind, challenge, dpop.nonces?.current()), realm);
  if (countHeaders(request, 'dpop') === 0) return undefined;
  const proof = dpopProofOf(request);
  const method = (request as { method?: unknown }).method;
  if (proof === undefined || typeof method !== 'string') throw refuse('proof');
  const { nonces } = dpop;
  const result = checkDpopProof(
    { proof, method, url: requestUrl(request), acceptNonce: nonces === null ? undefined : (nonce) => nonces.accepts(nonce) },
    dpop.policy,
  );
  if (!result.valid) throw refuse(result.error === 'use_dpop_nonce' ? 'nonce' : 'proof');
  const outcome = await runtime.sessions.useProof(result.jkt, result.jti, result.iat + dpop.policy.window);
  if (outcome === 'unavailable') throw toHttpError(REJECTIONS.revocationUnavailable, realm);
  if (outcome === 'replayed') throw refuse('proof');
  return result.jkt;
}
