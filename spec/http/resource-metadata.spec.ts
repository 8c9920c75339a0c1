/**
 * RFC 9728 protected-resource metadata: served by `serveResourceMetadata` at /.well-known/oauth-protected-resource,
 * and named in every challenge (`resource_metadata="..."`, §5.1) once `JWT_RESOURCEMETADATA` is set.
 */
import { expect } from 'chai';
import express from 'express';
import { randomBytes } from 'node:crypto';
import { AuthManager, InvalidConfigError, requireToken, serveResourceMetadata } from 'routing-controllers-jwt';
import { bearer, listen, send, type RunningServer } from '../support/server';

const ISSUER = 'orders-api';
const METADATA = 'https://api.orders.example/.well-known/oauth-protected-resource';

describe('RFC 9728 protected-resource metadata', () => {
  let server: RunningServer;
  let manager: AuthManager;

  before(async () => {
    const app = express();
    for (const [name, value] of Object.entries({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'HS256', JWT_SECRET: randomBytes(32).toString('base64url'), JWT_RESOURCEMETADATA: METADATA })) app.set(name, value);
    manager = new AuthManager(app);
    app.get('/.well-known/oauth-protected-resource', serveResourceMetadata({
      resource: 'https://api.orders.example',
      authorizationServers: ['https://as.orders.example'],
      scopesSupported: ['orders:read', 'orders:admin'],
    }));
    app.get('/orders', requireToken({ scope: 'orders:admin' }), (_req, res) => {
      res.json({ ok: true });
    });
    server = await listen(app);
  });

  after(() => server.close());

  it('serves the document: resource, authorization_servers, scopes_supported, bearer_methods_supported', async () => {
    const reply = await send(`${server.url}/.well-known/oauth-protected-resource`);
    expect(reply.status).to.equal(200);
    expect(reply.headers['content-type']).to.match(/^application\/json/);
    expect(reply.headers['cache-control']).to.equal('public, max-age=3600');
    expect(reply.json).to.deep.equal({
      resource: 'https://api.orders.example',
      authorization_servers: ['https://as.orders.example'],
      bearer_methods_supported: ['header'],
      scopes_supported: ['orders:read', 'orders:admin'],
    });
  });

  it('every challenge names the metadata: no token, a bad token, and a 403 for a scope', async () => {
    const none = await send(`${server.url}/orders`);
    expect(none.headers['www-authenticate']).to.equal(`Bearer realm="${ISSUER}", resource_metadata="${METADATA}"`);
    const bad = await send(`${server.url}/orders`, { headers: bearer('not-a-token') });
    expect(bad.headers['www-authenticate']).to.equal(`Bearer realm="${ISSUER}", resource_metadata="${METADATA}", error="invalid_token"`);
    const scoped = await send(`${server.url}/orders`, { headers: bearer(manager.authToken('u', 'orders:read').signed) });
    expect(scoped.status).to.equal(403);
    expect(scoped.headers['www-authenticate']).to.equal(`Bearer realm="${ISSUER}", resource_metadata="${METADATA}", error="insufficient_scope", scope="orders:admin"`);
  });

  it('JWT_RESOURCEMETADATA must be https (http on loopback) without credentials, checked at start-up', () => {
    for (const value of ['http://api.example/.well-known/oauth-protected-resource', 'https://u:p@api.example/x', 'not a url']) {
      expect(() => new AuthManager({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'HS256', JWT_SECRET: randomBytes(32).toString('base64url'), JWT_RESOURCEMETADATA: value }))
        .to.throw(InvalidConfigError, 'JWT_RESOURCEMETADATA');
    }
  });

  it('serveResourceMetadata refuses a document without a resource or an authorization server', () => {
    expect(() => serveResourceMetadata({ resource: '', authorizationServers: ['https://as.example'] })).to.throw(TypeError, 'resource is required');
    expect(() => serveResourceMetadata({ resource: 'https://api.example', authorizationServers: [] })).to.throw(TypeError, 'authorizationServers');
    expect(() => serveResourceMetadata({ resource: 'https://api.example', authorizationServers: ['https://as.example'], scopesSupported: ['a b'] })).to.throw(TypeError, 'scope tokens');
  });
});
