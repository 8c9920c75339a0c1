/**
 * A real OAuth 2.0 / OpenID Connect authorization server for the specs: oidc-provider on 127.0.0.1 (an ephemeral
 * port), issuing RFC 9068 JWT access tokens for a resource indicator with the client credentials grant. Its keys can
 * be rotated (a new provider behind the same address) and it can be taken down and brought back.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, type JsonWebKey } from 'node:crypto';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The API the specs protect: the resource indicator (RFC 8707) and so the `aud` of the tokens. */
export const RESOURCE = 'https://api.orders.example';
/** Every scope the resource server grants. */
export const RESOURCE_SCOPES = 'orders:read orders:write';

/** A private signing JWK with its kid and algorithm. */
export type SigningJwk = JsonWebKey & { kid: string; alg: string; use: 'sig' };

/** A fresh signing key for the provider. */
export function signingKey(alg: 'RS256' | 'ES256' | 'EdDSA' | 'Ed25519', kid = `${alg}-${randomBytes(4).toString('hex')}`): SigningJwk {
  const { privateKey } = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  return { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}

/** A running authorization server. */
export interface AuthorizationServer {
  readonly issuer: string;
  /** A client-credentials access token for `resource` with `scope` (space-delimited). */
  token(scope?: string, resource?: string): Promise<string>;
  /**
   * A client-credentials access token bound to the key of `proof` (RFC 9449 §5: `cnf.jkt`, `token_type` DPoP); the
   * proof is made for `POST <issuer>/token`.
   */
  dpopToken(proof: string, scope?: string): Promise<string>;
  /** Rotates to `keys` (the first signs): the keys left out are retired and leave the JWK Set. */
  rotate(keys: SigningJwk[]): Promise<void>;
  /** Seconds the next tokens live. */
  setTokenLifetime(seconds: number): void;
  /** Stops answering (connections refused) until `start()`. */
  stop(): Promise<void>;
  /** Listens again on the same address. */
  start(): Promise<void>;
  /** How many requests it has answered (discovery, JWK Set and token requests). */
  readonly requests: number;
}

const CLIENT = { client_id: 'orders-worker', client_secret: randomBytes(24).toString('base64url') };

async function providerFor(issuer: string, keys: SigningJwk[], lifetime: () => number): Promise<RequestListener> {
  // oidc-provider is an ES module; the specs are CommonJS.
  const { default: Provider } = await import('oidc-provider');
  const provider = new Provider(issuer, {
    clients: [{ ...CLIENT, grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_post', id_token_signed_response_alg: keys[0].alg }],
    jwks: { keys },
    // Explicit, so that no development default is used: no interactions, no cookies needed by these flows.
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    ttl: { ClientCredentials: () => lifetime() },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // RFC 9449: a token request with a DPoP proof gets an access token bound to its key (cnf.jkt).
      dPoP: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => ({
          scope: RESOURCE_SCOPES,
          audience: resource,
          accessTokenTTL: lifetime(),
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: keys[0].alg } },
        }),
      },
    },
  });
  // Errors of the requests the specs make on purpose are expected; nothing is printed.
  provider.on('server_error', () => undefined);
  return provider.callback();
}

/** Starts an authorization server signing with `keys` (the first signs). */
export async function startAuthorizationServer(keys: SigningJwk[] = [signingKey('RS256')]): Promise<AuthorizationServer> {
  let handler: RequestListener = (_req, res) => res.end();
  let requests = 0;
  const listener: RequestListener = (req, res) => {
    requests++;
    handler(req, res);
  };
  let server: Server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  let lifetime = 300;
  handler = await providerFor(issuer, keys, () => lifetime);

  return {
    issuer,
    async token(scope = RESOURCE_SCOPES, resource = RESOURCE) {
      const body = new URLSearchParams({ grant_type: 'client_credentials', scope, resource, ...CLIENT });
      const response = await fetch(`${issuer}/token`, { method: 'POST', body });
      const json = await response.json() as { access_token?: string; error?: string; error_description?: string };
      if (json.access_token === undefined) throw new Error(`no access token: ${json.error}: ${json.error_description}`);
      return json.access_token;
    },
    async dpopToken(proof, scope = RESOURCE_SCOPES) {
      const body = new URLSearchParams({ grant_type: 'client_credentials', scope, resource: RESOURCE, ...CLIENT });
      const response = await fetch(`${issuer}/token`, { method: 'POST', body, headers: { dpop: proof } });
      const json = await response.json() as { access_token?: string; token_type?: string; error?: string; error_description?: string };
      if (json.access_token === undefined || json.token_type !== 'DPoP') throw new Error(`no DPoP-bound access token: ${json.error}: ${json.error_description}`);
      return json.access_token;
    },
    async rotate(next) {
      handler = await providerFor(issuer, next, () => lifetime);
    },
    get requests() {
      return requests;
    },
    setTokenLifetime(seconds) {
      lifetime = seconds;
    },
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
    async start() {
      server = createServer(listener);
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
    },
  };
}

/** A compact JWS over exactly `header` and `payload`, signed with a private JWK (to forge what a provider would not). */
export function signWithJwk(header: Record<string, unknown>, payload: Record<string, unknown>, jwk: SigningJwk): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const key = createPrivateKey({ key: jwk, format: 'jwk' });
  const signature = jwk.kty === 'EC' ? sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }) : sign('sha256', Buffer.from(input), key);
  return `${input}.${signature.toString('base64url')}`;
}

/** The decoded payload of a compact JWS (not verified). */
export function payloadOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}
