/**
 * The demo page's DPoP login in a real browser (headless Chromium, driven by playwright-core, against the real demo
 * process): the page's WebCrypto key is non-extractable, every call carries a fresh proof of it (with the server's
 * nonce, JWT_DPOPNONCE), the tokens are bound to it, and a token copied out of the page is refused without the key.
 */
import { expect } from 'chai';
import { randomBytes, type JsonWebKey } from 'node:crypto';
import type { Page } from 'playwright-core';
import { launchChromium, requireChromium, type RunningBrowser } from './support/browser';
import { demoEnv, startDemo, stopDemo, type RunningDemo } from './support/demo-process';
import { dpopHeaders, makeProof, proofKey, thumbprintOf } from './support/dpop';
import { bearer, listen, send, type Reply, type RunningServer } from './support/server';

/** The part of the page's `document` and WebCrypto the specs use, inside `page.evaluate` (no DOM lib here). */
interface PageGlobals {
  document: { getElementById(id: string): { textContent: string | null } | null };
  crypto: { subtle: { exportKey(format: string, key: PageCryptoKey): Promise<unknown> } };
}
/** page.js's DPoP session (a top-level `let` of the page's script, read inside `page.evaluate` only). */
declare const dpop: { authToken: string; refreshToken: string; key: { jwk: JsonWebKey; keys: { privateKey: PageCryptoKey } } } | null;
interface PageCryptoKey {
  extractable: boolean;
  algorithm: { name: string; namedCurve?: string };
  usages: string[];
}

const claimsOf = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
const codeOf = (reply: Reply): unknown => (reply.json as { code?: unknown } | undefined)?.code;

describe('demo: DPoP login in a real browser (headless Chromium, non-extractable WebCrypto key)', function () {
  this.timeout(30_000);
  let demo: RunningDemo | undefined;
  let browser: RunningBrowser | undefined;
  let url: string;
  /** A front end on another origin that the demo allows (DEMO_CORS_ORIGINS). */
  let frontEnd: RunningServer | undefined;
  let frontEndOrigin: string;

  before(async function () {
    requireChromium(this);
    frontEnd = await listen((_request, response) => {
      response.setHeader('Content-Type', 'text/html; charset=utf-8');
      response.end('<!doctype html><html><body><p>the front end</p></body></html>');
    });
    frontEndOrigin = frontEnd.url.replace('127.0.0.1', 'localhost');
    demo = await startDemo(demoEnv({
      PORT: '0',
      NODE_ENV: 'test',
      JWT_ISSUER: 'demo-dpop-browser-spec',
      JWT_SECRET: randomBytes(64).toString('base64url'),
      // The page must follow the server's nonces too (RFC 9449 §8).
      JWT_DPOPNONCE: 'true',
      DEMO_CORS_ORIGINS: frontEndOrigin,
    }));
    url = demo.url;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await frontEnd?.close();
    await stopDemo(demo);
  });

  const tabs: Page[] = [];
  afterEach(async () => {
    await Promise.all(tabs.splice(0).map((page) => page.close()));
    await browser?.context.clearCookies();
  });

  async function waitForStatus(page: Page, expected: string): Promise<void> {
    await page.waitForFunction((text) => (globalThis as unknown as PageGlobals).document.getElementById('status')?.textContent === text, expected, { timeout: 10_000 })
      .catch(async (error: Error) => {
        throw new Error(`${error.message} (status: ${await page.locator('#status').innerText()})`);
      });
  }

  /** Opens the page and logs in with DPoP; the proofs the page sends are collected in `proofs`. */
  async function logInWithDpop(username = 'alice'): Promise<{ page: Page; proofs: string[] }> {
    const page = await browser!.context.newPage();
    tabs.push(page);
    const proofs: string[] = [];
    page.on('request', (request) => {
      const proof = request.headers().dpop;
      if (proof !== undefined) proofs.push(proof);
    });
    await page.goto(url);
    await page.fill('#username', username);
    await page.fill('#password', `${username}-password`);
    await page.click('#dpop-login-button');
    await waitForStatus(page, 'signed in with DPoP');
    return { page, proofs };
  }

  const pageSession = (page: Page) => page.evaluate(async () => {
    const { crypto } = globalThis as unknown as PageGlobals;
    if (dpop === null) return null;
    const key = dpop.key.keys.privateKey;
    const exported = await crypto.subtle.exportKey('jwk', key).then(() => 'exported', (error: Error) => error.name);
    return { authToken: dpop.authToken, refreshToken: dpop.refreshToken, jwk: dpop.key.jwk, extractable: key.extractable, algorithm: key.algorithm, exported };
  });

  it('logs in with a non-extractable ES256 key; the tokens are bound to it, and profile, refresh and logout each send a fresh proof', async () => {
    const { page, proofs } = await logInWithDpop('alice');
    expect(await page.locator('#who').innerText()).to.equal('alice');
    const session = (await pageSession(page))!;
    expect(session).to.deep.include({ extractable: false, algorithm: { name: 'ECDSA', namedCurve: 'P-256' }, exported: 'InvalidAccessError' });
    const jkt = thumbprintOf(session.jwk);
    expect(claimsOf(session.authToken).cnf).to.deep.equal({ jkt });
    expect(claimsOf(session.refreshToken).cnf).to.deep.equal({ jkt });
    // No cookie session: the DPoP tokens live in the page's memory only.
    expect(await browser!.context.cookies()).to.deep.equal([]);

    await page.click('#profile-button');
    await waitForStatus(page, 'profile loaded');
    expect(JSON.parse(await page.locator('#profile').innerText())).to.include({ userId: 'alice' });

    await page.click('#refresh-button');
    await waitForStatus(page, 'refreshed');
    const rotated = (await pageSession(page))!;
    expect(rotated.authToken).to.not.equal(session.authToken);
    expect(claimsOf(rotated.authToken).cnf, 'rotation keeps the binding').to.deep.equal({ jkt });
    await page.click('#profile-button');
    await waitForStatus(page, 'profile loaded');

    await page.click('#logout-button');
    await waitForStatus(page, 'signed out');
    expect(await pageSession(page)).to.equal(null);

    // Every proof is fresh (its own jti) and carries the server's nonce once the server gave one.
    const claims = proofs.map(claimsOf);
    expect(claims.length).to.be.at.least(6);
    expect(new Set(claims.map((claim) => claim.jti)).size).to.equal(claims.length);
    expect(claims.at(-1)).to.have.property('nonce');
    // The refresh token is revoked, not only forgotten by the page.
    const replay = await send(`${url}/auth/refresh`, { method: 'POST', headers: dpopHeaders(rotated.refreshToken, makeProof(proofKey(), { htm: 'POST', htu: `${url}/auth/refresh`, accessToken: rotated.refreshToken })) });
    expect(replay.status).to.equal(401);
  });

  it('security: a token copied out of the page is refused without the key: as Bearer, or with a proof of another key', async () => {
    const { page } = await logInWithDpop('bob');
    const copied = await page.locator('#dpop-token').innerText();
    const { refreshToken } = (await pageSession(page))!;
    expect(claimsOf(copied).sub).to.equal('bob');

    const asBearer = await send(`${url}/me`, { headers: bearer(copied) });
    expect(asBearer.status, asBearer.text).to.equal(401);
    expect(codeOf(asBearer)).to.equal('ERR_TOKEN_BINDING');
    expect(asBearer.text).to.not.contain(copied);

    // The thief's own key, with a proof as good as the page's (the server's nonce included).
    const thief = proofKey();
    const first = await send(`${url}/me`, { headers: dpopHeaders(copied, makeProof(thief, { htm: 'GET', htu: `${url}/me`, accessToken: copied })) });
    const nonce = first.headers['dpop-nonce'];
    expect(nonce).to.be.a('string');
    const withNonce = await send(`${url}/me`, { headers: dpopHeaders(copied, makeProof(thief, { htm: 'GET', htu: `${url}/me`, accessToken: copied, nonce: String(nonce) })) });
    expect(withNonce.status, withNonce.text).to.equal(401);
    expect(codeOf(withNonce)).to.equal('ERR_DPOP_PROOF');
    expect(withNonce.headers['www-authenticate']).to.match(/^DPoP /);

    const refreshAsBearer = await send(`${url}/auth/refresh`, { method: 'POST', headers: bearer(refreshToken) });
    expect(refreshAsBearer.status).to.equal(401);
    expect(codeOf(refreshAsBearer)).to.equal('ERR_TOKEN_BINDING');

    // The page, holding the key, still gets in.
    await page.click('#profile-button');
    await waitForStatus(page, 'profile loaded');
  });

  it('an allowed front end on another origin logs in with DPoP and follows the nonce: CORS allows the DPoP header and exposes DPoP-Nonce', async () => {
    const page = await browser!.context.newPage();
    tabs.push(page);
    await page.goto(`${frontEndOrigin}/`);
    const seen = await page.evaluate(async (target) => {
      const { crypto, TextEncoder: Encoder, btoa: toBase64 } = globalThis as unknown as PageGlobals & {
        TextEncoder: new () => { encode(text: string): Uint8Array };
        btoa(binary: string): string;
      };
      const subtle = crypto.subtle as unknown as {
        generateKey(algorithm: object, extractable: boolean, usages: string[]): Promise<{ publicKey: object; privateKey: object }>;
        exportKey(format: 'jwk', key: object): Promise<Record<string, string>>;
        sign(algorithm: object, key: object, data: Uint8Array): Promise<ArrayBuffer>;
        digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer>;
      };
      const b64 = (bytes: ArrayBuffer | Uint8Array): string =>
        toBase64(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
      const text = (value: string): Uint8Array => new Encoder().encode(value);
      const keys = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
      const { kty, crv, x, y } = await subtle.exportKey('jwk', keys.publicKey);
      const proof = async (method: string, htu: string, nonce: string | null, token?: string): Promise<string> => {
        const claims: Record<string, unknown> = { jti: String(Math.random()).slice(2), htm: method, htu, iat: Math.floor(Date.now() / 1000) };
        if (nonce !== null) claims.nonce = nonce;
        if (token !== undefined) claims.ath = b64(await subtle.digest('SHA-256', text(token)));
        const input = `${b64(text(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } })))}.${b64(text(JSON.stringify(claims)))}`;
        return `${input}.${b64(await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, keys.privateKey, text(input)))}`;
      };
      const login = (nonce: string | null) => proof('POST', `${target}/auth/login`, nonce).then((dpop) => fetch(`${target}/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', DPoP: dpop },
        body: JSON.stringify({ username: 'bob', password: 'bob-password' }),
      }));
      const first = await login(null);
      const nonce = first.headers.get('DPoP-Nonce');
      const second = await login(nonce);
      const { authToken } = (await second.json()) as { authToken: string };
      const me = await fetch(`${target}/me`, { headers: { Authorization: `DPoP ${authToken}`, DPoP: await proof('GET', `${target}/me`, nonce, authToken) } });
      return { first: first.status, challenge: first.headers.get('WWW-Authenticate'), nonce, second: second.status, me: me.status, sub: ((await me.json()) as { token: { sub: string } }).token.sub };
    }, url);
    expect(seen).to.deep.include({ first: 401, second: 200, me: 200, sub: 'bob' });
    expect(seen.nonce, 'the DPoP-Nonce header is readable cross-origin').to.be.a('string');
    expect(seen.challenge).to.match(/^DPoP .*error="use_dpop_nonce"/);
  });
});
