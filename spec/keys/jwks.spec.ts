/**
 * JWK Sets, out and in (issue 7).
 *
 * Out: `manager.jwks()` publishes the ring's asymmetric public keys (never a private part, never an HMAC secret) and
 * `serveJwks()` serves them with cache headers.
 *
 * In: a verify-only manager (JWT_ISSUER + JWT_JWKSURL, no secret) verifies tokens issued elsewhere with keys fetched
 * from a real HTTP endpoint on 127.0.0.1 whose behaviour each test controls (serve a set, 500, reset, hang past the
 * timeout, close, serve a rotated set) and whose requests it counts. Cached, one fetch per cooldown, reload on an
 * unknown kid, a timeout, fail closed (401, never 500), and never a fetch anywhere a token points to (RFC 8725 §3.10).
 */
import 'reflect-metadata';
import { expect } from 'chai';
import express, { type Express } from 'express';
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { Get, JsonController, useExpressServer } from 'routing-controllers';
import { Container } from 'typedi';
import {
  AuthManager,
  currentToken,
  InvalidConfigError,
  JWT_ISSUER,
  JWT_JWKSCOOLDOWN,
  JWT_JWKSMAXAGE,
  JWT_JWKSTIMEOUT,
  JWT_JWKSURL,
  MissingSignerError,
  RequireToken,
  requireToken,
  serveJwks,
  thumbprint,
  type JwkSet,
  type KeyEntry,
  type TokenCheck,
} from 'routing-controllers-jwt';
import { claimsFor, decodeSegment, jws, segment, thrownBy } from '../support/tokens';
import { isolateConfig, isolateEnv } from '../support/isolation';
import { ecPair, hmacSecret, rsaPair, type PemPair } from '../support/keys';
import { bearer, listen, send, type Reply, type RunningServer } from '../support/server';
import { expectRejection } from '../support/require-token';

const ISSUER = 'https://auth.jwks.example';

/** JWK members that carry private key material (RFC 7518 §6.2.2, §6.3.2, §6.4.1). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

// ---------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------


/** The public JWK of `pem` as an issuer publishes it, built with node:crypto (independently of the library). */
function publicJwk(pem: string, kid: string, alg: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...createPublicKey(pem).export({ format: 'jwk' }), kid, alg, use: 'sig', ...extra };
}

/** A fresh key pair (not the cached ones of support/keys), for keys that must differ from every other. */
function freshPair(type: 'ec' | 'rsa', option: string | number): PemPair {
  const { privateKey, publicKey } = type === 'ec'
    ? generateKeyPairSync('ec', { namedCurve: String(option) })
    : generateKeyPairSync('rsa', { modulusLength: Number(option) });
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function refusal(result: TokenCheck): string {
  expect(result.valid, 'the token was accepted').to.equal(false);
  return result.valid ? '' : result.reason;
}

/** Waits until `condition` holds, at most `ms` milliseconds (a bounded wait), else fails. */
async function until(condition: () => boolean, ms = 1500): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await delay(10);
  }
}

type Mode = 'serve' | 'error' | 'reset' | 'hang' | 'garbage';

/** A JWKS endpoint on 127.0.0.1 whose answers the test controls and whose requests it counts. */
class JwksEndpoint {
  mode: Mode = 'serve';
  requests = 0;
  paths: string[] = [];
  keys: unknown[];
  #server: RunningServer | null = null;

  static #generations = 0;
  #generation = ++JwksEndpoint.#generations;

  constructor(keys: unknown[]) {
    this.keys = keys;
  }

  static async start(keys: unknown[]): Promise<JwksEndpoint> {
    const endpoint = new JwksEndpoint(keys);
    endpoint.#server = await listen((request, response) => endpoint.#answer(request, response));
    return endpoint;
  }

  get origin(): string {
    return (this.#server as RunningServer).url;
  }

  /**
   * The set's URL. Managers of the same configuration share their remote keys for the life of the process, so each
   * endpoint (and each `renew()`) gets a URL of its own: a test never inherits keys fetched by another.
   */
  get url(): string {
    return `${this.origin}/.well-known/jwks.json?generation=${this.#generation}`;
  }

  /** A new URL for the same endpoint, as a new configuration sees it. */
  renew(): void {
    this.#generation = ++JwksEndpoint.#generations;
  }

  #answer(request: IncomingMessage, response: ServerResponse): void {
    this.requests++;
    this.paths.push(new URL(request.url ?? '/', 'http://endpoint').pathname);
    switch (this.mode) {
      case 'error':
        response.statusCode = 500;
        response.end('{"error":"down"}');
        return;
      case 'reset':
        request.socket.destroy();
        return;
      case 'hang':
        return; // never answers; close() ends the connection
      case 'garbage':
        response.setHeader('Content-Type', 'text/html');
        response.end('<html>maintenance</html>');
        return;
      case 'serve': {
        const body = JSON.stringify({ keys: this.keys });
        response.setHeader('Content-Type', 'application/jwk-set+json');
        response.end(body);
      }
    }
  }

  close(): Promise<void> {
    return (this.#server as RunningServer).close();
  }
}

/**
 * Sets the JWKS timing (seconds) of managers built afterwards, as typedi tokens (they apply below app settings and
 * plain objects that do not set them); `restoreTiming` removes them, leaving the defaults.
 */
function timing(cooldown: number, timeout = 0.5, maxAge = 600): void {
  Container.set(JWT_JWKSCOOLDOWN, cooldown);
  Container.set(JWT_JWKSTIMEOUT, timeout);
  Container.set(JWT_JWKSMAXAGE, maxAge);
}
function restoreTiming(): void {
  Container.remove([JWT_JWKSCOOLDOWN, JWT_JWKSTIMEOUT, JWT_JWKSMAXAGE]);
}

const verifierFor = (url: string): AuthManager => new AuthManager({ JWT_ISSUER: ISSUER, JWT_JWKSURL: url });
const signed = (manager: AuthManager, sub = 'user-1'): string => manager.authToken(sub).signed;

/** Keys of the issuing service. */
const es = ecPair('P-256');
const rsa = rsaPair(2048);
const ES_ENTRY: KeyEntry = { kid: 'es-1', alg: 'ES256', privateKey: es.privateKey, current: true };
const RS_ENTRY: KeyEntry = { kid: 'rs-1', alg: 'RS256', privateKey: rsa.privateKey };
const ISSUER_JWKS = [publicJwk(es.publicKey, 'es-1', 'ES256'), publicJwk(rsa.publicKey, 'rs-1', 'RS256')];

/** The issuing service's manager (ES256 current, RS256 verifying), and one that signs with the RS256 key. */
const issuerManager = (): AuthManager => new AuthManager({ JWT_ISSUER: ISSUER, JWT_KEYS: [ES_ENTRY, RS_ENTRY] });
const rsIssuerManager = (): AuthManager =>
  new AuthManager({ JWT_ISSUER: ISSUER, JWT_KEYS: [{ ...ES_ENTRY, current: false }, { ...RS_ENTRY, current: true }] });

/** Asserts that JWK Set JSON text holds no private member and none of `secrets`. */
function expectNoPrivateParts(text: string, secrets: readonly string[]): void {
  const parsed = JSON.parse(text) as JwkSet;
  for (const jwk of parsed.keys) {
    for (const member of PRIVATE_MEMBERS) expect(jwk, `${jwk.kid} has "${member}"`).not.to.have.property(member);
    expect(jwk.kty, jwk.kid).to.be.oneOf(['RSA', 'EC']);
  }
  for (const member of PRIVATE_MEMBERS) expect(text).not.to.include(`"${member}":`);
  for (const secret of secrets) expect(text.includes(secret), 'a secret appears in the JWK Set').to.equal(false);
}

// ---------------------------------------------------------------------------------------------------------------
// JWKS out
// ---------------------------------------------------------------------------------------------------------------

describe('JWKS out: manager.jwks() and serveJwks()', () => {
  isolateConfig();
  isolateEnv();

  const es384 = ecPair('P-384');
  const hs = hmacSecret(64);
  const ring: KeyEntry[] = [
    { kid: 'es256', alg: 'ES256', privateKey: es.privateKey },
    { kid: 'rs256', alg: 'RS256', privateKey: rsa.privateKey, current: true },
    { kid: 'es384', alg: 'ES384', publicKey: es384.publicKey },
    { kid: 'hs', alg: 'HS256', secret: hs },
  ];

  it('lists the ring\'s asymmetric public keys with kid, alg, use "sig", kty and n/e or crv/x/y', () => {
    const manager = new AuthManager({ JWT_ISSUER: ISSUER, JWT_KEYS: ring });
    const set = manager.jwks();
    expect(set.keys.map((jwk) => jwk.kid).sort()).to.deep.equal(['es256', 'es384', 'rs256']);
    const byKid = new Map(set.keys.map((jwk) => [jwk.kid, jwk]));
    const rsJwk = createPublicKey(rsa.publicKey).export({ format: 'jwk' });
    expect(byKid.get('rs256')).to.deep.equal({ kty: 'RSA', n: rsJwk.n, e: rsJwk.e, kid: 'rs256', alg: 'RS256', use: 'sig' });
    const esJwk = createPublicKey(es.publicKey).export({ format: 'jwk' });
    expect(byKid.get('es256')).to.deep.equal({ kty: 'EC', crv: 'P-256', x: esJwk.x, y: esJwk.y, kid: 'es256', alg: 'ES256', use: 'sig' });
    expect(byKid.get('es384')).to.include({ kty: 'EC', crv: 'P-384', alg: 'ES384', use: 'sig' });
    // Each published key is usable as is: it imports and is the configured public key.
    for (const jwk of set.keys) {
      const imported = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
      expect(imported.type).to.equal('public');
    }
  });

  it('security: never publishes a private part (d, p, q, dp, dq, qi, k) nor any HMAC key, in the objects or the JSON text', () => {
    const manager = new AuthManager({ JWT_ISSUER: ISSUER, JWT_KEYS: ring });
    const text = JSON.stringify(manager.jwks());
    expectNoPrivateParts(text, [hs, Buffer.from(hs).toString('base64url')]);
    expect(text).not.to.include('"hs"');
    expect(text).not.to.include('HS256');
    expect(text).not.to.include('"oct"');
  });

  it('an HMAC-only manager publishes an empty set: an HMAC secret is never published', () => {
    const single = new AuthManager({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'HS256', JWT_SECRET: hs });
    const hsRing = new AuthManager({ JWT_ISSUER: ISSUER, JWT_KEYS: [{ kid: 'h1', alg: 'HS512', secret: hs, current: true }] });
    for (const manager of [single, hsRing]) {
      const set = manager.jwks();
      expect(set).to.deep.equal({ keys: [] });
      expectNoPrivateParts(JSON.stringify(set), [hs, Buffer.from(hs).toString('base64url')]);
    }
  });

  it('jwks() of a manager that was never configured throws MissingSignerError', () => {
    expect(() => new AuthManager().jwks()).to.throw(MissingSignerError);
  });

  it('thumbprint() follows RFC 7638 (the §3.1 example key gives NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs)', () => {
    // RFC 7638 §3.1: the example RSA key and its SHA-256 thumbprint.
    const rfcKey = createPublicKey({
      key: {
        kty: 'RSA',
        n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
        e: 'AQAB',
      },
      format: 'jwk',
    });
    expect(thumbprint(rfcKey)).to.equal('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
    // EC: members crv, kty, x, y in that order.
    const ecJwk = createPublicKey(es.publicKey).export({ format: 'jwk' });
    const expected = createHash('sha256').update(`{"crv":"P-256","kty":"EC","x":"${ecJwk.x}","y":"${ecJwk.y}"}`).digest('base64url');
    expect(thumbprint(createPublicKey(es.publicKey))).to.equal(expected);
  });

  it('a single-key RS256 manager publishes its key under the RFC 7638 thumbprint kid, the kid its tokens carry', () => {
    const manager = new AuthManager({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'RS256', JWT_SECRET: rsa.privateKey, JWT_PUBLICKEY: rsa.publicKey });
    const kid = thumbprint(createPublicKey(rsa.publicKey));
    expect(manager.jwks().keys).to.have.length(1);
    expect(manager.jwks().keys[0]).to.include({ kid, alg: 'RS256', use: 'sig', kty: 'RSA' });
    expect(decodeSegment(signed(manager), 0).kid).to.equal(kid);
    expectNoPrivateParts(JSON.stringify(manager.jwks()), []);
  });

  describe('serveJwks() over HTTP', () => {
    let server: RunningServer;
    const hsManager = new AuthManager({ JWT_ISSUER: ISSUER, JWT_AUTHTYPE: 'HS256', JWT_SECRET: hs });

    before(async () => {
      const app = express();
      app.set('JWT_ISSUER', ISSUER).set('JWT_KEYS', ring);
      new AuthManager(app);
      app.get('/.well-known/jwks.json', serveJwks());
      app.get('/hs/jwks.json', serveJwks({ manager: hsManager }));
      app.get('/hs/short.json', serveJwks({ manager: hsManager, maxAge: 60 }));
      app.get('/unconfigured/jwks.json', serveJwks({ manager: new AuthManager() }));
      server = await listen(app);
    });

    after(async () => {
      await server.close();
    });

    it('answers 200, application/jwk-set+json, Cache-Control public, max-age=300, and the app manager\'s public keys', async () => {
      const reply = await send(`${server.url}/.well-known/jwks.json`);
      expect(reply.status, reply.text).to.equal(200);
      expect(reply.headers['content-type']).to.match(/^application\/jwk-set\+json/);
      expect(reply.headers['cache-control']).to.equal('public, max-age=300');
      const set = reply.json as JwkSet;
      expect(set.keys.map((jwk) => jwk.kid).sort()).to.deep.equal(['es256', 'es384', 'rs256']);
      expectNoPrivateParts(reply.text, [hs]);
    });

    it('answers 200 with the jwk-set content type and the default cache header (HMAC-only manager: an empty set)', async () => {
      const reply = await send(`${server.url}/hs/jwks.json`);
      expect(reply.status, reply.text).to.equal(200);
      expect(reply.headers['content-type']).to.match(/^application\/jwk-set\+json/);
      expect(reply.headers['cache-control']).to.equal('public, max-age=300');
      expect(reply.json).to.deep.equal({ keys: [] });
      expect(reply.text).not.to.include(hs);
    });

    it('a custom maxAge sets Cache-Control: public, max-age=<maxAge>', async () => {
      const reply = await send(`${server.url}/hs/short.json`);
      expect(reply.status).to.equal(200);
      expect(reply.headers['cache-control']).to.equal('public, max-age=60');
    });

    it('fails closed with a 500 JSON error (never an empty set) when the manager is not configured', async () => {
      const reply = await send(`${server.url}/unconfigured/jwks.json`);
      expect(reply.status).to.equal(500);
      expect(reply.headers['content-type']).to.match(/^application\/json/);
      expect((reply.json as { code?: string }).code).to.equal('ERR_JWT_MISSING_SIGNER');
    });

    it('refuses a maxAge that is not a whole non-negative number of seconds', () => {
      for (const maxAge of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => serveJwks({ maxAge }), String(maxAge)).to.throw(TypeError);
      }
      expect(serveJwks({ maxAge: 0 })).to.be.a('function');
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// JWKS in: the verifier's manager
// ---------------------------------------------------------------------------------------------------------------

describe('JWKS in: a verify-only manager with JWT_JWKSURL', () => {
  isolateConfig();
  isolateEnv();
  let endpoint: JwksEndpoint;

  beforeEach(async () => {
    endpoint = await JwksEndpoint.start([...ISSUER_JWKS]);
  });

  afterEach(async () => {
    await endpoint.close();
    restoreTiming();
  });

  after(restoreTiming);

  it('needs no secret: it cannot sign, publishes nothing, and fetches nothing until a token needs a key', () => {
    timing(0);
    const verifier = verifierFor(endpoint.url);
    expect(verifier.signer).to.equal(null);
    expect(verifier.verifiesRemotely).to.equal(true);
    expect(() => verifier.authToken('u')).to.throw(MissingSignerError);
    expect(verifier.jwks()).to.deep.equal({ keys: [] });
    expect(endpoint.requests).to.equal(0);
    // The local managers are not remote.
    expect(issuerManager().verifiesRemotely).to.equal(false);
  });

  it('accepts the issuer\'s ES256 and RS256 tokens, fetching the set once for many tokens', async () => {
    timing(0);
    const verifier = verifierFor(endpoint.url);
    const esIssuer = issuerManager();
    const rsIssuer = rsIssuerManager();
    const first = signed(esIssuer, 'first');
    // The synchronous check uses the keys at hand: none yet.
    expect(refusal(verifier.checkToken(first))).to.equal('unknown_key');
    expect(endpoint.requests).to.equal(0);
    expect(await verifier.verify(first)).to.include({ valid: true });
    expect(endpoint.requests).to.equal(1);
    expect(endpoint.paths).to.deep.equal(['/.well-known/jwks.json']);
    for (let i = 0; i < 10; i++) {
      const token = signed(i % 2 ? esIssuer : rsIssuer, `user-${i}`);
      expect(decodeSegment(token, 0).kid).to.equal(i % 2 ? 'es-1' : 'rs-1');
      const result = await verifier.verify(token);
      expect(result.valid, `token ${i}`).to.equal(true);
      if (result.valid) expect(result.token.sub).to.equal(`user-${i}`);
    }
    // Now the synchronous path knows the keys too.
    expect(verifier.verifyToken(signed(esIssuer, 'sync'))).to.equal(true);
    expect(endpoint.requests).to.equal(1);
  });

  it('concurrent first requests share a single fetch', async () => {
    timing(0);
    const verifier = verifierFor(endpoint.url);
    const esIssuer = issuerManager();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => verifier.verify(signed(esIssuer, `c${i}`))));
    expect(results.every((result) => result.valid)).to.equal(true);
    expect(endpoint.requests).to.equal(1);
  });

  it('security: refuses forged tokens: another key under the issuer\'s kid, a tampered payload, another issuer', async () => {
    timing(0);
    const verifier = verifierFor(endpoint.url);
    const good = signed(issuerManager());
    expect((await verifier.verify(good)).valid).to.equal(true);
    const attacker = freshPair('ec', 'P-256');
    expect(refusal(await verifier.verify(jws({ alg: 'ES256', kid: 'es-1' }, claimsFor(ISSUER), 'ES256', attacker.privateKey)))).to.equal('signature');
    const [h, , s] = good.split('.');
    expect(refusal(await verifier.verify(`${h}.${segment(claimsFor(ISSUER, { sub: 'admin' }))}.${s}`))).to.equal('signature');
    expect(refusal(await verifier.verify(jws({ alg: 'ES256', kid: 'es-1' }, claimsFor('https://other.example'), 'ES256', es.privateKey))))
      .to.equal('issuer');
    // alg "none" and an HS256 token keyed with the published public key under a published kid.
    expect(refusal(await verifier.verify(`${segment({ alg: 'none', kid: 'es-1' })}.${segment(claimsFor(ISSUER))}.`))).to.equal('malformed');
    expect(refusal(await verifier.verify(jws({ alg: 'HS256', kid: 'rs-1' }, claimsFor(ISSUER), 'HS256', rsa.publicKey)))).to.equal('algorithm');
  });

  describe('fail closed: the endpoint down, broken or slow', () => {
    for (const mode of ['error', 'reset', 'garbage'] as const) {
      it(`endpoint ${mode === 'error' ? 'answering 500' : mode === 'reset' ? 'resetting the connection' : 'answering HTML'}: key_unavailable, no throw`, async () => {
        timing(0);
        endpoint.mode = mode;
        const verifier = verifierFor(endpoint.url);
        const token = signed(issuerManager());
        expect(refusal(await verifier.verify(token))).to.equal('key_unavailable');
        expect(endpoint.requests).to.equal(1);
        expect(verifier.verifyToken(token)).to.equal(false);
      });
    }

    it('endpoint closed (connection refused): key_unavailable', async () => {
      timing(0);
      const verifier = verifierFor(endpoint.url);
      await endpoint.close();
      expect(refusal(await verifier.verify(signed(issuerManager())))).to.equal('key_unavailable');
    });

    it('down from the start: refused without a new fetch during the cooldown, then recovers once it is up', async () => {
      timing(0.5);
      endpoint.mode = 'error';
      const verifier = verifierFor(endpoint.url);
      const esIssuer = issuerManager();
      expect(refusal(await verifier.verify(signed(esIssuer, 'a')))).to.equal('key_unavailable');
      expect(refusal(await verifier.verify(signed(esIssuer, 'b')))).to.equal('key_unavailable');
      expect(endpoint.requests).to.equal(1);
      endpoint.mode = 'serve';
      // Still within the cooldown: no fetch yet.
      expect(refusal(await verifier.verify(signed(esIssuer, 'c')))).to.equal('key_unavailable');
      expect(endpoint.requests).to.equal(1);
      await delay(550);
      expect(await verifier.verify(signed(esIssuer, 'd'))).to.include({ valid: true });
      expect(endpoint.requests).to.equal(2);
    });

    it('slow beyond jwksTimeout: key_unavailable within bounded time, concurrent checks sharing the one attempt', async () => {
      timing(5, 0.2);
      endpoint.mode = 'hang';
      const verifier = verifierFor(endpoint.url);
      const esIssuer = issuerManager();
      const started = Date.now();
      const results = await Promise.all([1, 2, 3].map((i) => verifier.verify(signed(esIssuer, `slow-${i}`))));
      const elapsed = Date.now() - started;
      for (const result of results) expect(refusal(result)).to.equal('key_unavailable');
      expect(elapsed, 'gave up after the timeout').to.be.within(150, 1500);
      expect(endpoint.requests).to.equal(1);
    });

    it('once loaded, an outage keeps the known keys: known kids verify, unknown kids are refused (no 500, no throw)', async () => {
      timing(0);
      const verifier = verifierFor(endpoint.url);
      const esIssuer = issuerManager();
      expect((await verifier.verify(signed(esIssuer, 'before'))).valid).to.equal(true);
      endpoint.mode = 'error';
      expect((await verifier.verify(signed(esIssuer, 'during'))).valid).to.equal(true);
      const stranger = freshPair('ec', 'P-256');
      expect(refusal(await verifier.verify(jws({ alg: 'ES256', kid: 'new-kid' }, claimsFor(ISSUER), 'ES256', stranger.privateKey))))
        .to.equal('unknown_key');
      expect(endpoint.requests).to.equal(2);
    });
  });

  describe('reloads: rotation, cooldown and max age', () => {
    it('rotation: a token naming the new current key triggers exactly one reload and is accepted', async () => {
      timing(0);
      const verifier = verifierFor(endpoint.url);
      const oldIssuer = issuerManager();
      expect((await verifier.verify(signed(oldIssuer, 'old'))).valid).to.equal(true);
      expect(endpoint.requests).to.equal(1);
      // The issuer adds a new key and makes it current, and publishes it.
      const next = freshPair('ec', 'P-256');
      const newIssuer = new AuthManager({
        JWT_ISSUER: ISSUER,
        JWT_KEYS: [{ ...ES_ENTRY, current: false }, RS_ENTRY, { kid: 'es-2', alg: 'ES256', privateKey: next.privateKey, current: true }],
      });
      endpoint.keys = [...ISSUER_JWKS, publicJwk(next.publicKey, 'es-2', 'ES256')];
      const rotated = signed(newIssuer, 'new');
      expect(decodeSegment(rotated, 0).kid).to.equal('es-2');
      expect(await verifier.verify(rotated)).to.include({ valid: true });
      expect(endpoint.requests).to.equal(2);
      for (let i = 0; i < 5; i++) {
        expect((await verifier.verify(signed(newIssuer, `n${i}`))).valid).to.equal(true);
        expect((await verifier.verify(signed(oldIssuer, `o${i}`))).valid).to.equal(true);
      }
      expect(endpoint.requests).to.equal(2);
    });

    it('security: reloads for unknown kids are limited to one per cooldown, however many such tokens arrive', async () => {
      timing(1);
      const verifier = verifierFor(endpoint.url);
      const attacker = freshPair('ec', 'P-256');
      const randomKidToken = (): string =>
        jws({ alg: 'ES256', kid: randomBytes(12).toString('base64url') }, claimsFor(ISSUER), 'ES256', attacker.privateKey);
      expect((await verifier.verify(signed(issuerManager()))).valid).to.equal(true);
      expect(endpoint.requests).to.equal(1);
      const burst = await Promise.all(Array.from({ length: 25 }, () => verifier.verify(randomKidToken())));
      for (const result of burst) expect(refusal(result)).to.equal('unknown_key');
      expect(endpoint.requests, 'within the cooldown of the first fetch').to.equal(1);
      await delay(1050);
      const second = await Promise.all(Array.from({ length: 25 }, () => verifier.verify(randomKidToken())));
      for (const result of second) expect(refusal(result)).to.equal('unknown_key');
      for (let i = 0; i < 10; i++) expect(refusal(await verifier.verify(randomKidToken()))).to.equal('unknown_key');
      expect(endpoint.requests, 'one fetch for the whole second cooldown').to.equal(2);
    });

    it('keys older than jwksMaxAge are reloaded in the background, without holding up the request', async () => {
      timing(0, 0.5, 0.3);
      const verifier = verifierFor(endpoint.url);
      const esIssuer = issuerManager();
      expect((await verifier.verify(signed(esIssuer, 'one'))).valid).to.equal(true);
      expect(endpoint.requests).to.equal(1);
      await delay(350);
      // Answered from the keys at hand, synchronously.
      expect(verifier.checkToken(signed(esIssuer, 'two')).valid).to.equal(true);
      await until(() => endpoint.requests === 2);
    });

    it('a key dropped from the remote set stops verifying new tokens after the reload', async () => {
      timing(0, 0.5, 0.3);
      const verifier = verifierFor(endpoint.url);
      const esIssuer = issuerManager();
      const rsIssuer = rsIssuerManager();
      expect((await verifier.verify(signed(rsIssuer, 'rs-before'))).valid).to.equal(true);
      endpoint.keys = [publicJwk(es.publicKey, 'es-1', 'ES256')];
      await delay(350);
      expect((await verifier.verify(signed(esIssuer, 'trigger'))).valid).to.equal(true);
      await until(() => endpoint.requests === 2);
      await delay(50);
      expect(refusal(await verifier.verify(signed(rsIssuer, 'rs-after')))).to.equal('unknown_key');
    });

    it('security: a key dropped from the remote set also stops verifying tokens verified (and cached) before', async () => {
      timing(0, 0.5, 0.3);
      const verifier = verifierFor(endpoint.url);
      const esIssuer = issuerManager();
      const cachedRs = signed(rsIssuerManager(), 'rs-cached');
      expect((await verifier.verify(cachedRs)).valid).to.equal(true);
      expect(verifier.cachedTokenCount).to.equal(1);
      endpoint.keys = [publicJwk(es.publicKey, 'es-1', 'ES256')];
      await delay(350);
      expect((await verifier.verify(signed(esIssuer, 'trigger'))).valid).to.equal(true);
      await until(() => endpoint.requests === 2);
      await delay(50);
      expect(refusal(await verifier.verify(cachedRs))).to.equal('unknown_key');
    });
  });

  describe('what the remote set may hold', () => {
    it('security: HMAC (oct) keys, keys for encryption, weak RSA keys and keys off their curve or family are ignored', async () => {
      timing(5);
      const hmac = hmacSecret(64);
      const weak = rsaPair(1024);
      const enc = freshPair('ec', 'P-256');
      const offCurve = ecPair('P-384');
      const noAlg = freshPair('ec', 'P-256');
      endpoint.keys = [
        publicJwk(es.publicKey, 'good', 'ES256'),
        { kty: 'oct', k: Buffer.from(hmac).toString('base64url'), kid: 'oct', alg: 'HS256', use: 'sig' },
        publicJwk(enc.publicKey, 'enc', 'ES256', { use: 'enc' }),
        publicJwk(weak.publicKey, 'weak', 'RS256'),
        publicJwk(offCurve.publicKey, 'curve', 'ES256'),
        publicJwk(rsa.publicKey, 'confused', 'HS256'),
        publicJwk(es.publicKey, 'ps-on-ec', 'PS256'),
        { ...createPublicKey(noAlg.publicKey).export({ format: 'jwk' }), kid: 'no-alg', use: 'sig' },
      ];
      const verifier = verifierFor(endpoint.url);
      const claims = claimsFor(ISSUER);
      expect((await verifier.verify(jws({ alg: 'ES256', kid: 'good' }, claims, 'ES256', es.privateKey))).valid).to.equal(true);
      const attempts: Array<[string, string]> = [
        [jws({ alg: 'HS256', kid: 'oct' }, claims, 'HS256', hmac), 'oct'],
        [jws({ alg: 'ES256', kid: 'enc' }, claims, 'ES256', enc.privateKey), 'use enc'],
        [jws({ alg: 'RS256', kid: 'weak' }, claims, 'RS256', weak.privateKey), 'RSA 1024'],
        [jws({ alg: 'ES256', kid: 'curve' }, claims, 'ES256', offCurve.privateKey), 'P-384 as ES256'],
        [jws({ alg: 'HS256', kid: 'confused' }, claims, 'HS256', rsa.publicKey), 'RSA as HS256'],
        [jws({ alg: 'PS256', kid: 'ps-on-ec' }, claims, 'ES256', es.privateKey), 'EC as PS256'],
      ];
      for (const [token, what] of attempts) expect(refusal(await verifier.verify(token)), what).to.equal('unknown_key');
      // An EC key without alg has the one algorithm of its curve (RFC 7518 §3.4): usable, and only with it.
      expect((await verifier.verify(jws({ alg: 'ES256', kid: 'no-alg' }, claims, 'ES256', noAlg.privateKey))).valid, 'no alg, P-256').to.equal(true);
      expect(endpoint.requests).to.equal(1);
    });

    it('security: a token\'s jku, x5u, jwk or URL-like kid is never fetched (RFC 8725 §3.10)', async () => {
      timing(0);
      const elsewhere = await JwksEndpoint.start([]);
      try {
        const attacker = freshPair('ec', 'P-256');
        elsewhere.keys = [publicJwk(attacker.publicKey, 'evil', 'ES256')];
        const verifier = verifierFor(endpoint.url);
        const claims = claimsFor(ISSUER);
        const headers: Array<Record<string, unknown>> = [
          { alg: 'ES256', kid: 'evil', jku: elsewhere.url },
          { alg: 'ES256', kid: 'evil', x5u: `${elsewhere.origin}/cert.pem` },
          { alg: 'ES256', kid: 'evil', jwk: publicJwk(attacker.publicKey, 'evil', 'ES256') },
          { alg: 'ES256', kid: elsewhere.url },
          { alg: 'ES256', kid: 'es-1', jku: elsewhere.url, jwk: publicJwk(attacker.publicKey, 'es-1', 'ES256') },
        ];
        for (const header of headers) {
          expect((await verifier.verify(jws(header, claims, 'ES256', attacker.privateKey))).valid, JSON.stringify(header).slice(0, 60))
            .to.equal(false);
        }
        expect(elsewhere.requests, 'the server the tokens point to').to.equal(0);
        // Keys came from the configured endpoint only.
        expect(endpoint.requests).to.be.greaterThan(0);
        expect(new Set(endpoint.paths)).to.deep.equal(new Set(['/.well-known/jwks.json']));
      } finally {
        await elsewhere.close();
      }
    });
  });

  describe('JWT_JWKSURL configuration', () => {
    it('security: plain http to a non-loopback host is refused (InvalidConfigError naming JWT_JWKSURL)', () => {
      for (const url of [
        'http://auth.example.com/.well-known/jwks.json',
        'http://10.0.0.7/.well-known/jwks.json',
        'http://localhost.evil.example/jwks.json',
        'http://127.0.0.1.nip.io/jwks.json',
        'ftp://127.0.0.1/jwks.json',
        'file:///etc/jwks.json',
        'not a url',
        '/.well-known/jwks.json',
      ]) {
        const error = thrownBy(() => verifierFor(url));
        expect(error, url).to.be.instanceOf(InvalidConfigError);
        expect((error as InvalidConfigError).configValue).to.equal('JWT_JWKSURL');
      }
    });

    it('accepts https anywhere and http on 127.0.0.1, [::1] and localhost (without fetching at configuration)', () => {
      for (const url of ['https://auth.example.com/.well-known/jwks.json', 'http://127.0.0.1:9/jwks', 'http://[::1]:9/jwks', 'http://localhost:9/jwks']) {
        expect(verifierFor(url).verifiesRemotely, url).to.equal(true);
      }
      expect(endpoint.requests).to.equal(0);
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// JWKS in, over HTTP: an issuer service and a verifier service
// ---------------------------------------------------------------------------------------------------------------

@JsonController('/orders')
class OrdersController {
  @Get('/mine')
  @RequireToken()
  mine() {
    return { sub: currentToken.sub };
  }
}

function verifierApp(configure: (app: Express) => void): Express {
  const app = express();
  configure(app);
  app.get('/plain', requireToken(), (_req, res) => {
    res.json({ sub: currentToken.sub });
  });
  useExpressServer(app, { controllers: [OrdersController] });
  return app;
}

/** Asserts a 401 of the library, never a 500. */
function expect401(reply: Reply, code: string): void {
  expect(reply.status, reply.text).not.to.equal(500);
  expectRejection(reply, { status: 401, code, issuer: ISSUER, bearerError: 'invalid_token' });
}

describe('JWKS in, over HTTP: the verifier service answers 200 or 401, never 500', () => {
  isolateConfig();
  isolateEnv();
  let endpoint: JwksEndpoint;
  let verifier: RunningServer;

  // The verifier is configured through the typedi Container (see the skipped app-settings test for why).
  before(async () => {
    endpoint = await JwksEndpoint.start([...ISSUER_JWKS]);
    verifier = await listen(verifierApp(() => undefined));
  });

  beforeEach(() => {
    endpoint.mode = 'serve';
    endpoint.requests = 0;
    endpoint.keys = [...ISSUER_JWKS];
    Container.reset();
    Container.set(JWT_ISSUER, ISSUER);
    endpoint.renew();
    Container.set(JWT_JWKSURL, endpoint.url);
  });

  afterEach(() => {
    Container.remove([JWT_ISSUER, JWT_JWKSURL]);
    Container.reset();
    restoreTiming();
  });

  after(async () => {
    await verifier.close();
    await endpoint.close();
    restoreTiming();
  });

  it('@RequireToken and requireToken() routes accept the issuer\'s tokens and refuse forged ones; one fetch in all', async () => {
    timing(0);
    expect(Container.get(AuthManager).verifiesRemotely).to.equal(true);
    const esIssuer = issuerManager();
    const rsIssuer = rsIssuerManager();
    for (let i = 0; i < 6; i++) {
      const path = i % 2 ? '/orders/mine' : '/plain';
      const reply = await send(`${verifier.url}${path}`, { headers: bearer(signed(i % 3 ? esIssuer : rsIssuer, `u${i}`)) });
      expect(reply.status, `${path}: ${reply.text}`).to.equal(200);
      expect(reply.json).to.deep.equal({ sub: `u${i}` });
    }
    const attacker = freshPair('ec', 'P-256');
    const forged = jws({ alg: 'ES256', kid: 'es-1' }, claimsFor(ISSUER), 'ES256', attacker.privateKey);
    for (const path of ['/orders/mine', '/plain']) {
      expect401(await send(`${verifier.url}${path}`, { headers: bearer(forged) }), 'ERR_TOKEN_SIGNATURE');
    }
    expect(endpoint.requests).to.equal(1);
  });

  it('endpoint down from the start: 401 ERR_TOKEN_KEY_UNAVAILABLE (never 500), and recovery after the cooldown', async () => {
    timing(0.5);
    endpoint.mode = 'error';
    const token = signed(issuerManager());
    for (const path of ['/orders/mine', '/plain']) {
      expect401(await send(`${verifier.url}${path}`, { headers: bearer(token) }), 'ERR_TOKEN_KEY_UNAVAILABLE');
    }
    endpoint.mode = 'serve';
    await delay(550);
    const reply = await send(`${verifier.url}/orders/mine`, { headers: bearer(token) });
    expect(reply.status, reply.text).to.equal(200);
    expect(endpoint.requests).to.equal(2);
  });

  it('endpoint slower than jwksTimeout: 401 within bounded time', async () => {
    timing(5, 0.2);
    endpoint.mode = 'hang';
    const started = Date.now();
    const reply = await send(`${verifier.url}/plain`, { headers: bearer(signed(issuerManager())) });
    expect(Date.now() - started).to.be.below(1500);
    expect401(reply, 'ERR_TOKEN_KEY_UNAVAILABLE');
  });

  it('a token pointing elsewhere (jku, x5u) is refused and the other server is never contacted', async () => {
    timing(0);
    const elsewhere = await JwksEndpoint.start([]);
    try {
      const attacker = freshPair('ec', 'P-256');
      elsewhere.keys = [publicJwk(attacker.publicKey, 'evil', 'ES256')];
      const token = jws({ alg: 'ES256', kid: 'evil', jku: elsewhere.url, x5u: elsewhere.url }, claimsFor(ISSUER), 'ES256', attacker.privateKey);
      expect401(await send(`${verifier.url}/orders/mine`, { headers: bearer(token) }), 'ERR_TOKEN_KEY');
      expect(elsewhere.requests).to.equal(0);
      expect(endpoint.requests).to.equal(1);
    } finally {
      await elsewhere.close();
    }
  });

  it('a verifier configured through its app settings (JWT_ISSUER + JWT_JWKSURL) uses its own manager', async () => {
    timing(0);
    const ownEndpoint = await JwksEndpoint.start([...ISSUER_JWKS]);
    const server = await listen(verifierApp((app) => {
      app.set('JWT_ISSUER', ISSUER).set('JWT_JWKSURL', ownEndpoint.url);
      new AuthManager(app);
    }));
    try {
      Container.remove([JWT_ISSUER, JWT_JWKSURL]);
      const token = signed(issuerManager());
      for (const path of ['/orders/mine', '/plain']) {
        const reply = await send(`${server.url}${path}`, { headers: bearer(token) });
        expect(reply.status, reply.text).to.equal(200);
      }
      expect401(await send(`${server.url}/plain`, { headers: bearer(jws({ alg: 'ES256', kid: 'es-1' }, claimsFor(ISSUER), 'ES256', freshPair('ec', 'P-256').privateKey)) }), 'ERR_TOKEN_SIGNATURE');
      expect(ownEndpoint.requests).to.equal(1);
    } finally {
      await server.close();
      await ownEndpoint.close();
    }
  });

  it('two services: the issuer serves its ring with serveJwks(), the verifier accepts its tokens, rotation reloads once', async () => {
    timing(0);
    const issuerApp = express();
    let jwksRequests = 0;
    issuerApp.set('JWT_ISSUER', ISSUER).set('JWT_KEYS', [ES_ENTRY, RS_ENTRY]);
    const issuing = new AuthManager(issuerApp);
    issuerApp.get('/.well-known/jwks.json', (_req, _res, next) => {
      jwksRequests++;
      next();
    }, serveJwks());
    const issuerServer = await listen(issuerApp);
    const verifierServer = await listen(verifierApp((app) => {
      app.set('JWT_ISSUER', ISSUER).set('JWT_JWKSURL', `${issuerServer.url}/.well-known/jwks.json`);
      new AuthManager(app);
    }));
    try {
      Container.remove([JWT_ISSUER, JWT_JWKSURL]);
      for (let i = 0; i < 5; i++) {
        const reply = await send(`${verifierServer.url}/orders/mine`, { headers: bearer(signed(issuing, `u${i}`)) });
        expect(reply.status, reply.text).to.equal(200);
      }
      expect(jwksRequests).to.equal(1);
      // Rotation on the issuer: add a key and make it current (the same manager, re-initialised).
      const next = freshPair('ec', 'P-256');
      issuerApp.set('JWT_KEYS', [{ ...ES_ENTRY, current: false }, RS_ENTRY, { kid: 'es-2', alg: 'ES256', privateKey: next.privateKey, current: true }]);
      issuing.initApp(issuerApp);
      const rotated = signed(issuing, 'rotated');
      expect(decodeSegment(rotated, 0).kid).to.equal('es-2');
      const reply = await send(`${verifierServer.url}/plain`, { headers: bearer(rotated) });
      expect(reply.status, reply.text).to.equal(200);
      expect(jwksRequests).to.equal(2);
      const forged = jws({ alg: 'ES256', kid: 'es-2' }, claimsFor(ISSUER), 'ES256', freshPair('ec', 'P-256').privateKey);
      expect401(await send(`${verifierServer.url}/plain`, { headers: bearer(forged) }), 'ERR_TOKEN_SIGNATURE');
    } finally {
      await verifierServer.close();
      await issuerServer.close();
    }
  });
});
