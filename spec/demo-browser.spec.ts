/**
 * The demo page in a real browser: Debian's headless Chromium, driven by playwright-core, against the real demo
 * process. The page's flows, the cookies as the browser stores them, and what another site can and cannot do with
 * them. The second origin is a server on another port reached as `localhost`: another site than `127.0.0.1` for
 * SameSite (a site is scheme and host, never the port).
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Cookie, Page } from 'playwright-core';
import { launchChromium, requireChromium, type RunningBrowser } from './support/browser';
import { demoEnv, startDemo, stopDemo, type RunningDemo } from './support/demo-process';
import { listen, send, type RunningServer } from './support/server';

/** The part of the page's `document` the specs read, inside `page.evaluate` (the specs compile without the DOM lib). */
interface PageDocument {
  cookie: string;
  getElementById(id: string): { textContent: string | null } | null;
}

const AUTH_MAX_AGE = 120;
const REFRESH_MAX_AGE = 600;

/** A page of the other site: `body` inside a minimal document. */
function otherSitePage(body: string): (request: IncomingMessage, response: ServerResponse) => void {
  return (_request, response) => {
    response.setHeader('Content-Type', 'text/html; charset=utf-8');
    response.end(`<!doctype html><html><body>${body}</body></html>`);
  };
}

describe('demo: the page in a real browser (headless Chromium)', function () {
  this.timeout(30_000);
  let demo: RunningDemo | undefined;
  let browser: RunningBrowser | undefined;
  let otherSite: RunningServer | undefined;
  /** A front end on another origin that the demo allows (DEMO_CORS_ORIGINS). */
  let frontEnd: RunningServer | undefined;
  let frontEndOrigin: string;
  let url: string;
  /** The other site's origin: the same loopback address, by another name and port. */
  let otherOrigin: string;
  let otherPage: string;

  before(async function () {
    requireChromium(this);
    frontEnd = await listen(otherSitePage('<p>the front end</p>'));
    frontEndOrigin = frontEnd.url.replace('127.0.0.1', 'localhost');
    demo = await startDemo(demoEnv({
      PORT: '0',
      NODE_ENV: 'test',
      JWT_ISSUER: 'demo-browser-spec',
      JWT_SECRET: randomBytes(64).toString('base64url'),
      JWT_AUTHMAXAGE: String(AUTH_MAX_AGE),
      JWT_REFRESHMAXAGE: String(REFRESH_MAX_AGE),
      DEMO_CORS_ORIGINS: frontEndOrigin,
    }));
    url = demo.url;
    // The attacker's pages, each reached by its path; the HTML is what a hostile site could serve.
    const pages = new Map<string, string>();
    otherSite = await listen((request, response) => {
      const body = pages.get(request.url ?? '');
      if (body === undefined) {
        response.statusCode = 404;
        response.end();
        return;
      }
      otherSitePage(body)(request, response);
    });
    otherOrigin = otherSite.url.replace('127.0.0.1', 'localhost');
    pages.set('/form-wave', `<form id="f" method="POST" action="${url}/session/waves"></form><script>document.getElementById('f').submit()</script>`);
    pages.set('/form-refresh', `<form id="f" method="POST" action="${url}/auth/session/refresh"></form><script>document.getElementById('f').submit()</script>`);
    pages.set('/blank', '<p>another site</p>');
    otherPage = `${otherOrigin}/blank`;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await otherSite?.close();
    await frontEnd?.close();
    await stopDemo(demo);
  });

  /** A new tab, closed after the test. */
  const tabs: Page[] = [];
  async function newTab(): Promise<Page> {
    const page = await browser!.context.newPage();
    tabs.push(page);
    return page;
  }
  afterEach(async () => {
    await Promise.all(tabs.splice(0).map((page) => page.close()));
    await browser?.context.clearCookies();
  });

  const statusOf = (page: Page): Promise<string> => page.locator('#status').innerText();
  async function waitForStatus(page: Page, expected: string): Promise<void> {
    await page.waitForFunction((text) => (globalThis as unknown as { document: PageDocument }).document.getElementById('status')?.textContent === text, expected, { timeout: 10_000 });
  }

  /** Opens the page and logs in through its form. */
  async function logIn(username = 'alice'): Promise<Page> {
    const page = await newTab();
    await page.goto(url);
    await page.fill('#username', username);
    await page.fill('#password', `${username}-password`);
    await page.click('#login-button');
    await waitForStatus(page, 'signed in');
    return page;
  }

  const cookiesByName = async (): Promise<Map<string, Cookie>> =>
    new Map((await browser!.context.cookies()).map((cookie) => [cookie.name, cookie]));

  /** A same-origin call from the page, with the page's own cookies (and nothing else). */
  const callFrom = (page: Page, method: string, path: string): Promise<{ status: number; body: Record<string, unknown> | null }> =>
    page.evaluate(async ([m, p]) => {
      const response = await fetch(p, { method: m });
      const text = await response.text();
      return { status: response.status, body: text === '' ? null : (JSON.parse(text) as Record<string, unknown>) };
    }, [method, path] as const);

  const wavesOf = async (page: Page): Promise<unknown> => (await callFrom(page, 'GET', '/session/waves')).body?.waves;

  it('logs in, shows the profile, calls a protected action, refreshes and logs out', async () => {
    const page = await logIn('alice');
    expect(await page.locator('#who').innerText()).to.equal('alice');

    await page.click('#profile-button');
    await waitForStatus(page, 'profile loaded');
    expect(JSON.parse(await page.locator('#profile').innerText())).to.include({ userId: 'alice', role: 'user' });

    await page.click('#wave-button');
    await waitForStatus(page, 'waved');
    expect(await page.locator('#waves').innerText()).to.equal('1');

    const before = (await cookiesByName()).get('auth_token')?.value;
    await page.click('#refresh-button');
    await waitForStatus(page, 'refreshed');
    const after = (await cookiesByName()).get('auth_token')?.value;
    expect(after, 'a new auth token after the refresh').to.be.a('string').and.not.equal(before);

    // The rotated session still works, CSRF included (the csrf_token cookie was set again with the new value).
    await page.click('#wave-button');
    await waitForStatus(page, 'waved');
    expect(await page.locator('#waves').innerText()).to.equal('2');

    await page.click('#logout-button');
    await waitForStatus(page, 'signed out');
    expect(await page.locator('#signed-out').isVisible()).to.equal(true);
  });

  it('a reloaded page (or a second tab) picks up the live session from its cookies', async () => {
    const page = await logIn('bob');
    const second = await newTab();
    await second.goto(url);
    await waitForStatus(second, 'signed in');
    expect(await second.locator('#who').innerText()).to.equal('bob');
    expect((await callFrom(page, 'GET', '/session/users/bob')).status).to.equal(200);
    expect((await callFrom(page, 'GET', '/session/users/alice')).status, "bob reading alice's profile").to.equal(403);
  });

  it('the browser stores the session cookies HttpOnly (but csrf_token), SameSite=Strict, with their paths and lifetimes', async () => {
    const loggedInAt = Date.now() / 1000;
    await logIn('alice');
    const cookies = await cookiesByName();
    expect([...cookies.keys()].sort()).to.deep.equal(['auth_token', 'csrf_token', 'refresh_token']);
    const auth = cookies.get('auth_token')!;
    const refresh = cookies.get('refresh_token')!;
    const csrf = cookies.get('csrf_token')!;
    expect(auth).to.include({ httpOnly: true, sameSite: 'Strict', path: '/', secure: false, domain: '127.0.0.1' });
    expect(refresh).to.include({ httpOnly: true, sameSite: 'Strict', path: '/auth/session', secure: false });
    expect(csrf).to.include({ httpOnly: false, sameSite: 'Strict', path: '/' });
    // Host-only cookies (no Domain attribute): a sibling host never receives them.
    expect(auth.domain.startsWith('.')).to.equal(false);
    // Max-Age ends with the token: the auth cookie with the auth token, the refresh cookie with the refresh token.
    expect(auth.expires - loggedInAt).to.be.within(AUTH_MAX_AGE - 5, AUTH_MAX_AGE + 1);
    expect(refresh.expires - loggedInAt).to.be.within(REFRESH_MAX_AGE - 5, REFRESH_MAX_AGE + 1);
  });

  it('security: page scripts see the csrf_token cookie and never the HttpOnly tokens', async () => {
    const page = await logIn('alice');
    const cookies = await cookiesByName();
    const visible = await page.evaluate(() => (globalThis as unknown as { document: PageDocument }).document.cookie);
    expect(visible).to.include(`csrf_token=${cookies.get('csrf_token')!.value}`);
    expect(visible).to.not.include('auth_token');
    expect(visible).to.not.include('refresh_token');
    expect(visible).to.not.include(cookies.get('auth_token')!.value);
    expect(visible).to.not.include(cookies.get('refresh_token')!.value);
  });

  for (const [form, path] of [['/form-wave', '/session/waves'], ['/form-refresh', '/auth/session/refresh']] as const) {
    it(`security: a form on another site posting to ${path} arrives without the session cookies and changes nothing`, async () => {
      const page = await logIn('alice');
      const wavesBefore = await wavesOf(page);
      const cookiesBefore = await cookiesByName();
      const attacker = await newTab();
      const answer = attacker.waitForResponse((response) => response.url().startsWith(`${url}${path}`));
      await attacker.goto(`${otherOrigin}${form}`);
      const response = await answer;
      expect(response.status(), 'refused').to.equal(401);
      expect(await response.json()).to.include({ code: 'ERR_TOKEN_MISSING' });
      // Nothing happened: no wave, no rotation, the session unchanged and still working.
      expect(await wavesOf(page)).to.equal(wavesBefore);
      expect((await cookiesByName()).get('refresh_token')?.value).to.equal(cookiesBefore.get('refresh_token')?.value);
      expect((await callFrom(page, 'POST', '/auth/session/refresh')).status, 'a refresh without the CSRF header').to.equal(403);
    });
  }

  it('security: fetches from another site get no cookies sent and no answer to read; preflights are refused', async () => {
    const page = await logIn('alice');
    const wavesBefore = await wavesOf(page);
    const attacker = await newTab();
    await attacker.goto(otherPage);
    const seen: { path: string; cookie: string | undefined }[] = [];
    attacker.on('request', (request) => {
      if (request.url().startsWith(url)) void request.allHeaders().then((headers) => seen.push({ path: new URL(request.url()).pathname, cookie: headers.cookie }));
    });
    const outcomes = await attacker.evaluate(async (target) => {
      const attempt = async (input: string, init: RequestInit): Promise<string> => {
        try {
          const response = await fetch(input, init);
          return `read ${response.status}`;
        } catch {
          return 'refused';
        }
      };
      return {
        // A simple request: sent, but its answer is unreadable without Access-Control-Allow-Origin.
        read: await attempt(`${target}/me`, { credentials: 'include' }),
        // A simple POST in no-cors mode: sent, opaque.
        noCors: await attempt(`${target}/session/waves`, { method: 'POST', mode: 'no-cors', credentials: 'include' }),
        // Custom headers need a preflight, which names no allowed origin: the POST itself is never sent.
        preflighted: await attempt(`${target}/session/waves`, { method: 'POST', credentials: 'include', headers: { 'X-CSRF-Token': 'guess' } }),
      };
    }, url);
    expect(outcomes.read).to.equal('refused');
    expect(outcomes.noCors).to.equal('read 0');
    expect(outcomes.preflighted).to.equal('refused');
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const { path, cookie } of seen) expect(cookie ?? '', `cookies sent cross-site to ${path}`).to.not.match(/auth_token|refresh_token|csrf_token/);
    expect(await wavesOf(page)).to.equal(wavesBefore);
  });

  it('answers preflights 204, with the CORS headers for the allowed origin only', async () => {
    const preflight = (origin: string) =>
      send(`${url}/me`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
    const allowed = await preflight(frontEndOrigin);
    expect(allowed.status).to.equal(204);
    expect(allowed.headers).to.include({ 'access-control-allow-origin': frontEndOrigin, 'access-control-allow-credentials': 'true' });
    expect(String(allowed.headers['access-control-allow-headers'])).to.include('Authorization').and.include('X-CSRF-Token');
    const other = await preflight(otherOrigin);
    expect(other.status).to.equal(204);
    expect(other.headers).to.not.have.property('access-control-allow-origin');
  });

  it('an allowed cross-site front end reads answers and WWW-Authenticate, but SameSite=Strict keeps the cookies off: it uses bearer tokens', async () => {
    await logIn('alice');
    const page = await newTab();
    await page.goto(`${frontEndOrigin}/`);
    const seen = await page.evaluate(async (target) => {
      const anonymous = await fetch(`${target}/me`, { credentials: 'include' });
      const login = await fetch(`${target}/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: 'bob', password: 'bob-password' }),
      });
      const { authToken } = (await login.json()) as { authToken: string };
      const me = await fetch(`${target}/me`, { headers: { Authorization: `Bearer ${authToken}` } });
      return {
        anonymous: anonymous.status,
        challenge: anonymous.headers.get('WWW-Authenticate'),
        login: login.status,
        me: me.status,
        sub: ((await me.json()) as { token: { sub: string } }).token.sub,
      };
    }, url);
    // alice's session cookies stayed home: the cross-site call was anonymous.
    expect(seen).to.deep.include({ anonymous: 401, login: 200, me: 200, sub: 'bob' });
    expect(seen.challenge).to.match(/^Bearer realm=/);
  });

  it('security: logging out clears every cookie, and the page and its calls are signed out', async () => {
    const page = await logIn('alice');
    const { refresh_token: refresh, csrf_token: csrf } = Object.fromEntries([...(await cookiesByName())].map(([name, cookie]) => [name, cookie.value]));
    await page.click('#logout-button');
    await waitForStatus(page, 'signed out');
    expect([...(await cookiesByName()).keys()]).to.deep.equal([]);
    expect(await page.evaluate(() => (globalThis as unknown as { document: PageDocument }).document.cookie)).to.equal('');
    expect((await callFrom(page, 'GET', '/me')).status).to.equal(401);
    await page.reload();
    await page.waitForLoadState('networkidle');
    expect(await statusOf(page)).to.equal('signed out');
    // The refresh token the cookie held is revoked too, not only forgotten by the browser.
    await browser!.context.addCookies([{ name: 'refresh_token', value: refresh, url: `${url}/auth/session` }]);
    const replay = await page.evaluate(async (value) => {
      const response = await fetch('/auth/session/refresh', { method: 'POST', headers: { 'X-CSRF-Token': value } });
      return { status: response.status, body: (await response.json()) as { code?: string } };
    }, csrf);
    expect(replay).to.deep.include({ status: 401 });
    expect(replay.body.code).to.equal('ERR_TOKEN_REVOKED');
  });

  it('security: a profile read with the session is not served from the browser cache after logout (no-store)', async () => {
    const page = await logIn('alice');
    // force-cache takes any cached answer, however old: only no-store keeps the profile out of the cache.
    const read = (): Promise<number> => page.evaluate(async () => (await fetch('/session/users/alice', { cache: 'force-cache' } as RequestInit)).status);
    expect(await read()).to.equal(200);
    await page.click('#logout-button');
    await waitForStatus(page, 'signed out');
    expect(await read()).to.equal(401);
  });

  // JWT_REFRESHGRACE (10 s by default): the second refresh with the same cookie is answered the same new refresh token.
  it('two tabs refreshing at once both keep a working session', async () => {
    const first = await logIn('alice');
    const second = await newTab();
    await second.goto(url);
    await waitForStatus(second, 'signed in');
    // Both tabs hold the same refresh cookie and refresh at the same moment.
    await Promise.all([first.click('#refresh-button'), second.click('#refresh-button')]);
    await Promise.all([waitForStatus(first, 'refreshed'), waitForStatus(second, 'refreshed')]);
    // The clicks above may go out one after the other (the tabs share one cookie jar); the crossing the grace window is
    // for, made certain: the second tab's request leaves with the refresh cookie the first tab's refresh retires.
    const retired = (await cookiesByName()).get('refresh_token') as Cookie;
    const refreshFrom = async (tab: Page): Promise<void> => {
      await tab.evaluate(() => {
        const shown = (globalThis as unknown as { document: PageDocument }).document.getElementById('status');
        if (shown !== null) shown.textContent = '';
      });
      await tab.click('#refresh-button');
      await waitForStatus(tab, 'refreshed');
    };
    await refreshFrom(first);
    const current = (await cookiesByName()).get('refresh_token')?.value;
    expect(current).not.to.equal(retired.value);
    await browser!.context.addCookies([retired]);
    await refreshFrom(second);
    expect((await cookiesByName()).get('refresh_token')?.value, 'the same single live refresh token').to.equal(current);
    for (const tab of [first, second]) {
      await tab.click('#wave-button');
      await waitForStatus(tab, 'waved');
    }
    // And the session goes on: one more refresh from either tab works.
    await first.click('#refresh-button');
    await waitForStatus(first, 'refreshed');
  });
});
