/**
 * Serving the public JWK Set, for services that verify this issuer's tokens with `JWT_JWKSURL`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthManager } from '../auth-manager';
import { JwtAuthError } from '../errors';
import { answerConfigError, type NextFunction } from './respond';
import type { RequestLike } from './extract-token';
import type { RequestHandler } from './require-token';
import { resolveManager } from './resolve-manager';

/** Options of `serveJwks`. */
export interface ServeJwksOptions {
  /** The manager whose keys are published. Default: the one a guard on this request would use. */
  manager?: AuthManager;
  /** Seconds clients and caches may keep the set (`Cache-Control: max-age`). @default 300 */
  maxAge?: number;
}

/**
 * An Express handler answering the manager's public JWK Set with cache headers. Mount it where verifiers look:
 *
 * @example
 * ```ts
 * app.get('/.well-known/jwks.json', serveJwks());
 * ```
 */
export function serveJwks(options: ServeJwksOptions = {}): RequestHandler {
  const maxAge = options.maxAge ?? 300;
  if (!Number.isSafeInteger(maxAge) || maxAge < 0) throw new TypeError('maxAge must be a whole, non-negative number of seconds');
  return (incoming: IncomingMessage, response: ServerResponse, _next: NextFunction): void => {
    let body: string;
    try {
      const manager = options.manager ?? resolveManager(incoming as unknown as RequestLike, response);
      body = JSON.stringify(manager.jwks());
    } catch (error) {
      if (error instanceof JwtAuthError) return answerConfigError(response, error);
      throw error;
    }
    response.statusCode = 200;
    response.setHeader('Content-Type', 'application/jwk-set+json; charset=utf-8');
    response.setHeader('Cache-Control', `public, max-age=${maxAge}`);
    response.setHeader('Content-Length', Buffer.byteLength(body));
    response.end(body);
  };
}
