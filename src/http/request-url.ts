/**
 * The URL a client addressed, as DPoP's `htu` names it (RFC 9449 §4.3 step 9): scheme, host and path, no query.
 * Behind a proxy the scheme and host come from `X-Forwarded-Proto` and `X-Forwarded-Host` only when Express's
 * `trust proxy` setting trusts the peer, exactly as Express itself decides.
 */
import type { RequestLike } from './extract-token';

/** The Express request members read here; a plain Node request has only `url`, `headers` and `socket`. */
type UrlRequest = RequestLike & {
  protocol?: unknown;
  originalUrl?: unknown;
  url?: unknown;
  socket?: { remoteAddress?: string; encrypted?: boolean };
};

type TrustFunction = (address: string | undefined, hop: number) => boolean;

function trustsPeer(request: UrlRequest): boolean {
  const app = request.app as { get?: (name: string) => unknown } | undefined;
  const trust = typeof app?.get === 'function' ? app.get('trust proxy fn') : undefined;
  return typeof trust === 'function' && (trust as TrustFunction)(request.socket?.remoteAddress, 0);
}

function firstValue(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value?.split(',')[0].trim() || undefined;
}

/**
 * The request's absolute URL without query and fragment, e.g. `https://api.example/items/1`.
 *
 * @example
 * ```ts
 * app.set('trust proxy', 'loopback');
 * requestUrl(req); // 'https://api.example/items' behind a TLS-terminating proxy on 127.0.0.1
 * ```
 */
export function requestUrl(request: RequestLike): string {
  const req = request as UrlRequest;
  // Express's req.protocol already weighs X-Forwarded-Proto against `trust proxy`.
  const protocol = typeof req.protocol === 'string' ? req.protocol : req.socket?.encrypted ? 'https' : 'http';
  const forwardedHost = trustsPeer(req) ? firstValue(req.headers['x-forwarded-host']) : undefined;
  const host = forwardedHost ?? firstValue(req.headers.host) ?? '';
  const target = typeof req.originalUrl === 'string' ? req.originalUrl : typeof req.url === 'string' ? req.url : '/';
  const end = target.search(/[?#]/);
  return `${protocol}://${host}${end === -1 ? target : target.slice(0, end)}`;
}
