/**
 * A throwaway authorization server for resource-server tests: a fresh ES256 key, an AuthManager that signs with it,
 * and its JWK Set served over real HTTP on 127.0.0.1, so that the app under test fetches keys as in production.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthManager } from '../auth-manager';
import { serveJwks } from '../http/serve-jwks';
import { testTokens, type TestTokens } from './test-tokens';

/** Options of `startTestIssuer`. */
export interface TestIssuerOptions {
  /** The issuer (`iss`). @default a unique `https://issuer.test/<uuid>` */
  issuer?: string;
}

/** A running test issuer. */
export interface TestIssuer {
  /** Its `iss`. */
  readonly issuer: string;
  /** Where its JWK Set is served: `http://127.0.0.1:<port>/.well-known/jwks.json`. */
  readonly jwksUrl: string;
  /** The manager that signs its tokens. */
  readonly manager: AuthManager;
  /** Tokens of every kind signed by it. */
  readonly tokens: TestTokens;
  /** The configuration of an app that trusts it: `new AuthManager(issuer.verifierConfig)`, or `app.set(...)` each. */
  readonly verifierConfig: { readonly JWT_ISSUER: string; readonly JWT_JWKSURL: string };
  /** Stops serving its JWK Set. */
  close(): Promise<void>;
}

/**
 * Starts a test issuer.
 *
 * @example
 * ```ts
 * const idp = await startTestIssuer();
 * const app = express();
 * for (const [name, value] of Object.entries(idp.verifierConfig)) app.set(name, value);
 * app.get('/orders', requireToken(), (req, res) => res.json([]));
 * await request(app).get('/orders').auth(idp.tokens.valid('alice'), { type: 'bearer' }).expect(200);
 * await idp.close();
 * ```
 */
export async function startTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const issuer = options.issuer ?? `https://issuer.test/${randomUUID()}`;
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const manager = new AuthManager({ JWT_ISSUER: issuer, JWT_KEYS: [{ kid: `test-${randomUUID()}`, alg: 'ES256', privateKey: pem, current: true }] });
  const handler = serveJwks({ manager, maxAge: 0 });
  const server = createServer((request, response) => {
    if (request.url === '/.well-known/jwks.json') handler(request, response, () => undefined);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const jwksUrl = `http://127.0.0.1:${port}/.well-known/jwks.json`;
  return Object.freeze({
    issuer,
    jwksUrl,
    manager,
    tokens: testTokens(manager),
    verifierConfig: Object.freeze({ JWT_ISSUER: issuer, JWT_JWKSURL: jwksUrl }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
