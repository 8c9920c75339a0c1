/**
 * Finding an issuer's JWK Set from its metadata: OpenID Connect Discovery 1.0 (`/.well-known/openid-configuration`
 * appended to the issuer), then RFC 8414 (`/.well-known/oauth-authorization-server` inserted before the issuer's
 * path). The metadata must name the same issuer (OIDC Discovery §4.3, RFC 8414 §3.3), so that one server's metadata
 * cannot send us to another's keys.
 */
import { fetchJsonObject } from '../keys/fetch-json';
import { remoteUrl } from '../keys/remote-jwks';

/** The metadata URLs of an issuer, in the order they are tried. */
export function metadataUrls(issuer: URL): URL[] {
  const path = issuer.pathname.replace(/\/$/, '');
  return [
    new URL(`${issuer.origin}${path}/.well-known/openid-configuration`),
    new URL(`${issuer.origin}/.well-known/oauth-authorization-server${path}`),
  ];
}

/**
 * The `jwks_uri` the issuer's metadata names, checked like a configured one; `null` when no metadata document can
 * be had, names another issuer, or names no usable `jwks_uri`. Never throws.
 */
export async function discoverJwksUrl(issuer: string, from: URL, timeoutMs: number): Promise<URL | null> {
  for (const url of metadataUrls(from)) {
    const metadata = await fetchJsonObject(url, { timeoutMs, accept: 'application/json' });
    if (metadata === null) continue;
    if (metadata.issuer !== issuer) return null;
    try {
      return remoteUrl(metadata.jwks_uri, 'JWT_ISSUERS', 'jwks_uri');
    } catch {
      return null;
    }
  }
  return null;
}
