/**
 * CORS for a page served from another origin (a dev server on localhost:5173, say), allowed one exact origin at a
 * time (DEMO_CORS_ORIGINS). Every preflight (OPTIONS) is answered 204 instead of the 404 of an unknown route; only an
 * allowed origin gets the Access-Control-Allow-* headers, so the browser refuses the real request of any other.
 *
 * Apps on routing-controllers can pass the same settings to its `cors` option (see the README's "Browser apps").
 */
import type { NextFunction, Request, Response } from 'express';

/** Headers a cross-origin page may send: the bearer token, the CSRF value, JSON bodies, and a DPoP proof (RFC 9449). */
const ALLOWED_HEADERS = 'Authorization, X-CSRF-Token, Content-Type, DPoP';
/** Headers its scripts may read: the challenge of a 401/403 (RFC 6750 §3), and the server's DPoP nonce (RFC 9449 §8). */
const EXPOSED_HEADERS = 'WWW-Authenticate, DPoP-Nonce';
const METHODS = 'GET, POST, PUT, PATCH, DELETE';
/** Seconds a browser may keep a preflight's answer. */
const PREFLIGHT_MAX_AGE = '600';

/** Express middleware: CORS headers for `origins` (exact `scheme://host:port` strings), and 204 for preflights. */
export function cors(origins: readonly string[]): (request: Request, response: Response, next: NextFunction) => void {
  const allowed = new Set(origins);
  return (request, response, next) => {
    const origin = request.headers.origin;
    // The answer depends on Origin: caches must keep one copy per origin.
    response.vary('Origin');
    const preflight = request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
    if (typeof origin === 'string' && allowed.has(origin)) {
      response.set('Access-Control-Allow-Origin', origin);
      response.set('Access-Control-Allow-Credentials', 'true');
      if (preflight) {
        response.set('Access-Control-Allow-Methods', METHODS);
        response.set('Access-Control-Allow-Headers', ALLOWED_HEADERS);
        response.set('Access-Control-Max-Age', PREFLIGHT_MAX_AGE);
      } else {
        response.set('Access-Control-Expose-Headers', EXPOSED_HEADERS);
      }
    }
    if (preflight) {
      response.status(204).end();
      return;
    }
    next();
  };
}

/**
 * The origins of DEMO_CORS_ORIGINS (comma-separated); each must be an exact origin, as browsers send it in Origin.
 * Returns the message of the first wrong one instead.
 */
export function parseCorsOrigins(value: string | undefined): string[] | { error: string } {
  if (value === undefined) return [];
  const origins = value.split(',').map((origin) => origin.trim()).filter((origin) => origin !== '');
  for (const origin of origins) {
    let exact: string | undefined;
    try {
      exact = new URL(origin).origin;
    } catch {
      exact = undefined;
    }
    if (exact !== origin) return { error: `DEMO_CORS_ORIGINS holds "${origin}", which is not an exact origin; write it as scheme://host:port, e.g. http://localhost:5173` };
  }
  return origins;
}
