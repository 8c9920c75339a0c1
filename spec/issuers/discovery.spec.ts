/**
 * Discovery of a trusted issuer's JWK Set: OpenID Connect Discovery first, then RFC 8414 (the well-known segment
 * inserted before the issuer's path); the metadata must name the same issuer. A metadata server on 127.0.0.1 whose
 * answers each test sets, and whose requested paths it records.
 */
import { expect } from 'chai';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { AuthManager, type TokenCheck } from 'routing-controllers-jwt';
import { listen, type RunningServer } from '../support/server';

const AUDIENCE = 'https://api.discovery.example';
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const JWKS = { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256', use: 'sig' }] };

let server: RunningServer;
let documents = new Map<string, unknown>();
const paths: string[] = [];

function accessToken(issuer: string): string {
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: issuer, aud: AUDIENCE, sub: 's', client_id: 'c', jti: randomBytes(8).toString('hex'), iat: now, exp: now + 60 };
  const input = `${Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

const reasonOf = (result: TokenCheck): string => (result.valid ? 'valid' : result.reason);

async function verifyFor(issuer: string): Promise<string> {
  const manager = new AuthManager({ JWT_ISSUER: 'discovery-api', JWT_ISSUERS: [{ issuer, audience: AUDIENCE }] });
  return reasonOf(await manager.verify(accessToken(issuer)));
}

describe('Discovery of a trusted issuer\'s keys', () => {
  before(async () => {
    server = await listen((request, response) => {
      paths.push(request.url ?? '');
      const body = documents.get(request.url ?? '');
      response.statusCode = body === undefined ? 404 : 200;
      response.setHeader('content-type', 'application/json');
      response.end(body === undefined ? '{}' : JSON.stringify(body));
    });
  });

  after(() => server.close());

  beforeEach(() => {
    documents = new Map();
    paths.length = 0;
  });

  it('reads jwks_uri from the OpenID Connect configuration appended to the issuer (path kept)', async () => {
    const issuer = `${server.url}/oidc-tenant`;
    documents.set('/oidc-tenant/.well-known/openid-configuration', { issuer, jwks_uri: `${server.url}/keys/oidc` });
    documents.set('/keys/oidc', JWKS);
    expect(await verifyFor(issuer)).to.equal('valid');
    expect(paths).to.deep.equal(['/oidc-tenant/.well-known/openid-configuration', '/keys/oidc']);
  });

  it('falls back to RFC 8414 metadata, the well-known segment inserted before the issuer\'s path', async () => {
    const issuer = `${server.url}/oauth-tenant`;
    documents.set('/.well-known/oauth-authorization-server/oauth-tenant', { issuer, jwks_uri: `${server.url}/keys/oauth` });
    documents.set('/keys/oauth', JWKS);
    expect(await verifyFor(issuer)).to.equal('valid');
    expect(paths).to.deep.equal(['/oauth-tenant/.well-known/openid-configuration', '/.well-known/oauth-authorization-server/oauth-tenant', '/keys/oauth']);
  });

  it('security: metadata naming another issuer is not used (OIDC Discovery §4.3, RFC 8414 §3.3): 401 key unavailable', async () => {
    const issuer = `${server.url}/spoofed`;
    documents.set('/spoofed/.well-known/openid-configuration', { issuer: `${server.url}/other`, jwks_uri: `${server.url}/keys/spoofed` });
    documents.set('/keys/spoofed', JWKS);
    expect(await verifyFor(issuer)).to.equal('key_unavailable');
    expect(paths).not.to.include('/keys/spoofed');
  });

  it('security: a jwks_uri that is not https (nor loopback http) is not followed', async () => {
    const issuer = `${server.url}/plain`;
    documents.set('/plain/.well-known/openid-configuration', { issuer, jwks_uri: 'http://keys.example/jwks' });
    expect(await verifyFor(issuer)).to.equal('key_unavailable');
  });
});
