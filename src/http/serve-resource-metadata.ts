/**
 * Serving this resource server's OAuth 2.0 Protected Resource Metadata (RFC 9728): which authorization servers issue
 * tokens for it, which scopes it knows and how it takes a token, so that a client can find where to get one. Set
 * `JWT_RESOURCEMETADATA` to the document's URL and every challenge names it (`resource_metadata="..."`, §5.1).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction } from './respond';
import type { RequestHandler } from './require-token';

/** Options of `serveResourceMetadata`: the document's members (RFC 9728 §2). */
export interface ResourceMetadataOptions {
  /** This resource's identifier (`resource`): an https URL, the audience its tokens carry. Required. */
  resource: string;
  /** The issuers of the authorization servers whose tokens it accepts (`authorization_servers`), e.g. those of JWT_ISSUERS. Required. */
  authorizationServers: readonly string[];
  /** The scopes routes require (`scopes_supported`). @default none listed */
  scopesSupported?: readonly string[];
  /** A human-readable name (`resource_name`). @default none */
  resourceName?: string;
  /** Where developers read about it (`resource_documentation`). @default none */
  resourceDocumentation?: string;
  /** Seconds clients and caches may keep the document (`Cache-Control: max-age`). @default 3600 */
  maxAge?: number;
}

function absoluteUrl(value: unknown, what: string): string {
  if (typeof value !== 'string' || !URL.canParse(value)) throw new TypeError(`${what} must be an absolute URL`);
  return value;
}

/**
 * An Express handler answering the protected-resource metadata document, built and serialised once.
 *
 * @example
 * ```ts
 * app.get('/.well-known/oauth-protected-resource', serveResourceMetadata({
 *   resource: 'https://api.example.com',
 *   authorizationServers: ['https://acme.eu.auth0.com/'],
 *   scopesSupported: ['orders:read', 'orders:write'],
 * }));
 * ```
 * @throws TypeError for a missing resource or authorization server, or a value of the wrong kind.
 */
export function serveResourceMetadata(options: ResourceMetadataOptions): RequestHandler {
  const { resource, authorizationServers, scopesSupported, resourceName, resourceDocumentation } = options;
  const maxAge = options.maxAge ?? 3600;
  if (!Number.isSafeInteger(maxAge) || maxAge < 0) throw new TypeError('maxAge must be a whole, non-negative number of seconds');
  if (typeof resource !== 'string' || resource === '') throw new TypeError('resource is required: this API\'s identifier, e.g. https://api.example.com');
  absoluteUrl(resource, 'resource');
  if (!Array.isArray(authorizationServers) || authorizationServers.length === 0 || !authorizationServers.every((iss) => typeof iss === 'string' && iss !== '')) {
    throw new TypeError('authorizationServers must list the issuer of at least one authorization server');
  }
  if (scopesSupported !== undefined && !(Array.isArray(scopesSupported) && scopesSupported.every((scope) => typeof scope === 'string' && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope)))) {
    throw new TypeError('scopesSupported must be an array of scope tokens (no spaces, quotes or backslashes)');
  }
  const document: Record<string, unknown> = {
    resource,
    authorization_servers: [...authorizationServers],
    // Only the Authorization header is read (RFC 6750 §2.1); cookies are this library's own, not OAuth's.
    bearer_methods_supported: ['header'],
  };
  if (scopesSupported !== undefined) document.scopes_supported = [...scopesSupported];
  if (resourceName !== undefined) document.resource_name = String(resourceName);
  if (resourceDocumentation !== undefined) document.resource_documentation = absoluteUrl(resourceDocumentation, 'resourceDocumentation');
  const body = JSON.stringify(document);
  return (_incoming: IncomingMessage, response: ServerResponse, _next: NextFunction): void => {
    response.statusCode = 200;
    response.setHeader('Content-Type', 'application/json; charset=utf-8');
    response.setHeader('Cache-Control', `public, max-age=${maxAge}`);
    response.setHeader('Content-Length', Buffer.byteLength(body));
    response.end(body);
  };
}
