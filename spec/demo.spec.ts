/**
 * The demo (demo/, `npm run demo`) as a newcomer meets it: the real process, started with node on a free port, driven
 * over HTTP through the whole flow; its start-up refusals; and the README's "The demo" section, which must be the walkthrough
 * the demo prints and must work when pasted into a shell.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { demoEnv, runDemo, startDemo, stopDemo, type RunningDemo } from './support/demo-process';
import { makeProof, proofKey } from './support/dpop';
import { hs256Token } from './support/require-token';
import { bearer, send, type Reply } from './support/server';

const README = resolve(__dirname, '..', '..', 'README.md');

const secret = (): string => randomBytes(64).toString('base64url');

/** A JSON object body. */
function body(reply: Reply): Record<string, unknown> {
  expect(reply.json, reply.text).to.be.an('object');
  return reply.json as Record<string, unknown>;
}

/** A token's payload, decoded without verifying. */
function claimsOf(token: unknown): Record<string, unknown> {
  expect(token).to.be.a('string');
  return JSON.parse(Buffer.from(String(token).split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** A cookie set by `reply`: its value and its attributes, in lower case. */
function setCookie(reply: Reply, name: string): { value: string; attributes: string[] } {
  const line = (reply.headers['set-cookie'] ?? []).find((cookie) => cookie.startsWith(`${name}=`));
  expect(line, `Set-Cookie ${name}`).to.be.a('string');
  const [pair, ...attributes] = String(line).split(';').map((part) => part.trim());
  return { value: pair.slice(name.length + 1), attributes: attributes.map((attribute) => attribute.toLowerCase()) };
}

/** The commands of the walkthrough the demo prints (indented by seven spaces). */
function printedCommands(stdout: string): string[] {
  return stdout.split('\n').filter((line) => line.startsWith('       ')).map((line) => line.trim());
}

describe('demo: the real process over HTTP', () => {
  const ISSUER = 'demo-spec';
  let demo: RunningDemo | undefined;
  let dir: string;
  let url: string;
  const demoSecret = secret();

  const login = (username: string, password = `${username}-password`): Promise<Reply> =>
    send(`${url}/auth/login`, { method: 'POST', body: { username, password } });
  const authTokenOf = async (username: string): Promise<string> => String(body(await login(username)).authToken);
  const refreshWith = (refreshToken: string): Promise<Reply> => send(`${url}/auth/refresh`, { method: 'POST', headers: bearer(refreshToken) });
  const startSession = (username: string): Promise<Reply> =>
    send(`${url}/auth/session`, { method: 'POST', body: { username, password: `${username}-password` } });
  /** The cookie routes, with the refresh_token cookie and, when given, the X-CSRF-Token header. */
  const withCookie = (method: string, path: string) => (refresh: string, csrf?: string): Promise<Reply> =>
    send(`${url}${path}`, {
      method,
      headers: { cookie: `refresh_token=${refresh}`, ...(csrf === undefined ? {} : { 'x-csrf-token': csrf }) },
    });
  const cookieRefresh = withCookie('POST', '/auth/session/refresh');
  const endSession = withCookie('DELETE', '/auth/session');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'demo-spec-'));
    // The environment wins over the .env file: JWT_ISSUER comes from the environment, JWT_AUTHMAXAGE from the file.
    const envFile = join(dir, 'demo.env');
    writeFileSync(envFile, 'JWT_ISSUER=from-the-env-file\nJWT_AUTHMAXAGE=120\n');
    // JWT_REFRESHGRACE 0: a replay is reuse at once, as after the grace window (the walkthrough's `sleep 10` is skipped;
    // the grace window itself is tested in spec/demo-browser.spec.ts and spec/sessions/refresh-grace.spec.ts).
    demo = await startDemo(demoEnv({ PORT: '0', NODE_ENV: 'test', JWT_ISSUER: ISSUER, JWT_SECRET: demoSecret, JWT_REFRESHGRACE: '0', DEMO_ENV_FILE: envFile }));
    url = demo.url;
  });

  after(async () => {
    await stopDemo(demo);
    rmSync(dir, { recursive: true, force: true });
  });

  describe('start-up', () => {
    it('listens on 127.0.0.1 only and prints the base URL and a curl walkthrough', () => {
      expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      const commands = printedCommands(demo!.stdout());
      expect(commands[0]).to.equal(`BASE=${url}`);
      expect(commands.some((command) => command.startsWith('curl'))).to.equal(true);
    });

    it('takes values from the environment first, then from the .env file', async () => {
      const claims = claimsOf(await authTokenOf('alice'));
      expect(claims.iss).to.equal(ISSUER);
      expect(Number(claims.exp) - Number(claims.iat)).to.equal(120);
    });

    it('does not warn about the secret when one is configured', () => {
      expect(demo!.stderr()).not.to.match(/JWT_SECRET/);
    });
  });

  describe('POST /auth/login', () => {
    it('answers an auth and a refresh token for a good password', async () => {
      const reply = await login('alice');
      expect(reply.status).to.equal(200);
      expect(reply.headers['cache-control']).to.equal('no-store');
      const { authToken, refreshToken } = body(reply);
      expect(claimsOf(authToken)).to.include({ sub: 'alice', type: 'auth', scope: 'profile' });
      expect(claimsOf(authToken)).not.to.have.property('admin');
      expect(claimsOf(refreshToken)).to.include({ sub: 'alice', type: 'refresh' });
      expect(claimsOf(refreshToken)).to.have.property('rid');
      expect(claimsOf(refreshToken)).to.have.property('fam');
      expect(claimsOf(refreshToken)).not.to.have.property('csrf');
      expect(claimsOf(refreshToken)).not.to.have.property('scope');
    });

    it('gives an admin the admin scope word and the admin claim', async () => {
      expect(claimsOf(await authTokenOf('admin'))).to.include({ sub: 'admin', scope: 'profile admin', admin: true });
    });

    it('refuses a wrong password with a 401 JSON body', async () => {
      const reply = await login('alice', 'not-her-password');
      expect(reply.status).to.equal(401);
      expect(body(reply)).to.deep.equal({ name: 'UnauthorizedError', message: 'Wrong username or password' });
    });

    it('answers an unknown user exactly as a wrong password', async () => {
      const unknown = await login('mallory', 'whatever');
      expect(unknown.status).to.equal(401);
      expect(unknown.text).to.equal((await login('alice', 'wrong')).text);
    });

    it('answers a bad body with 400 and the field errors, never echoing the values', async () => {
      const long = 'p'.repeat(300);
      const reply = await send(`${url}/auth/login`, { method: 'POST', body: { username: '', password: long } });
      expect(reply.status).to.equal(400);
      const errors = body(reply).errors as Array<{ property: string; constraints: Record<string, string> }>;
      expect(errors.map((error) => error.property)).to.have.members(['username', 'password']);
      expect(errors.find((error) => error.property === 'username')?.constraints).to.have.property('isNotEmpty');
      expect(errors.find((error) => error.property === 'password')?.constraints).to.have.property('maxLength');
      expect(reply.text).not.to.include(long);
    });

    it('answers a missing field and a malformed JSON body with a 400 JSON body', async () => {
      const missing = await send(`${url}/auth/login`, { method: 'POST', body: { username: 'alice' } });
      expect(missing.status).to.equal(400);
      expect((body(missing).errors as Array<{ property: string }>).map((error) => error.property)).to.deep.equal(['password']);
      const malformed = await send(`${url}/auth/login`, { method: 'POST', body: '{"username":' });
      expect(malformed.status).to.equal(400);
      expect(body(malformed).name).to.equal('BadRequestError');
      expect(malformed.text).not.to.match(/\bat \S+:\d+/); // no stack trace
    });

    it('with a DPoP proof binds both tokens to its key (tokenType DPoP); a bad proof is a 401 DPoP challenge, never unbound tokens', async () => {
      const key = proofKey();
      const proof = makeProof(key, { htm: 'POST', htu: `${url}/auth/login` });
      const bound = body(await send(`${url}/auth/login`, { method: 'POST', headers: { dpop: proof }, body: { username: 'alice', password: 'alice-password' } }));
      expect(bound.tokenType).to.equal('DPoP');
      expect(claimsOf(bound.authToken).cnf).to.deep.equal({ jkt: key.jkt });
      expect(claimsOf(bound.refreshToken).cnf).to.deep.equal({ jkt: key.jkt });
      const replayed = await send(`${url}/auth/login`, { method: 'POST', headers: { dpop: proof }, body: { username: 'alice', password: 'alice-password' } });
      expect(replayed.status, replayed.text).to.equal(401);
      expect(body(replayed).code).to.equal('ERR_DPOP_PROOF');
      expect(replayed.headers['www-authenticate']).to.match(/^DPoP realm="demo-spec", algs="[^"]+", error="invalid_dpop_proof"$/);
      expect(replayed.text).not.to.contain('authToken');
    });
  });

  describe('GET /users/:userId', () => {
    it('answers a user their own profile, and records who read it from currentToken', async () => {
      const reply = await send(`${url}/users/alice`, { headers: bearer(await authTokenOf('alice')) });
      expect(reply.status).to.equal(200);
      expect(body(reply)).to.include({ userId: 'alice', displayName: 'Alice Liddell', role: 'user' });
      const audit = await send(`${url}/admin/audit`, { headers: bearer(await authTokenOf('admin')) });
      expect((body(audit).lines as string[]).some((line) => line.endsWith(' alice read profile alice'))).to.equal(true);
    });

    it("refuses someone else's profile with 403 insufficient_scope", async () => {
      const reply = await send(`${url}/users/bob`, { headers: bearer(await authTokenOf('alice')) });
      expect(reply.status).to.equal(403);
      expect(reply.headers['www-authenticate']).to.equal(`Bearer realm="${ISSUER}", error="insufficient_scope"`);
      expect(body(reply).code).to.equal('ERR_TOKEN_FORBIDDEN_CLAIMS');
    });

    it("answers an admin anyone's profile through the override, and the audit names the admin", async () => {
      const admin = await authTokenOf('admin');
      const reply = await send(`${url}/users/bob`, { headers: bearer(admin) });
      expect(reply.status).to.equal(200);
      expect(body(reply)).to.include({ userId: 'bob' });
      const lines = body(await send(`${url}/admin/audit`, { headers: bearer(admin) })).lines as string[];
      expect(lines.some((line) => line.endsWith(' admin read profile bob'))).to.equal(true);
    });

    it('answers an admin 404 for an unknown user, and a user 403 for it', async () => {
      const asAdmin = await send(`${url}/users/nobody`, { headers: bearer(await authTokenOf('admin')) });
      expect(asAdmin.status).to.equal(404);
      expect(body(asAdmin).name).to.equal('NotFoundError');
      const asUser = await send(`${url}/users/nobody`, { headers: bearer(await authTokenOf('alice')) });
      expect(asUser.status).to.equal(403);
    });

    it('answers a missing token with 401 and WWW-Authenticate', async () => {
      const reply = await send(`${url}/users/alice`);
      expect(reply.status).to.equal(401);
      expect(reply.headers['www-authenticate']).to.equal(`Bearer realm="${ISSUER}"`);
      expect(body(reply)).to.include({ name: 'TokenUnauthorizedError', code: 'ERR_TOKEN_MISSING' });
    });

    it('refuses a refresh token where an auth token is required', async () => {
      const { refreshToken } = body(await login('alice'));
      const reply = await send(`${url}/users/alice`, { headers: bearer(String(refreshToken)) });
      expect(reply.status).to.equal(401);
      expect(reply.headers['www-authenticate']).to.equal(`Bearer realm="${ISSUER}", error="invalid_token"`);
      expect(body(reply).code).to.equal('ERR_TOKEN_TYPE');
    });

    it('refuses a token signed with another secret', async () => {
      const [header, payload] = (await authTokenOf('alice')).split('.');
      const reply = await send(`${url}/users/alice`, { headers: bearer(`${header}.${payload}.${randomBytes(32).toString('base64url')}`) });
      expect(reply.status).to.equal(401);
      expect(body(reply).code).to.equal('ERR_TOKEN_SIGNATURE');
    });
  });

  describe('GET /users/:userId/security (step-up: a login at most 5 minutes old)', () => {
    it('answers a fresh login 200, also after a refresh, which keeps the login\'s auth_time', async () => {
      const { authToken, refreshToken } = body(await login('alice'));
      const authTime = claimsOf(authToken).auth_time;
      expect(authTime).to.be.a('number');
      const reply = await send(`${url}/users/alice/security`, { headers: bearer(String(authToken)) });
      expect(reply.status, reply.text).to.equal(200);
      expect(body(reply)).to.deep.equal({ userId: 'alice', loggedInAt: new Date(Number(authTime) * 1000).toISOString() });
      const rotated = body(await refreshWith(String(refreshToken)));
      expect(claimsOf(rotated.authToken).auth_time).to.equal(authTime);
      expect(claimsOf(rotated.refreshToken).auth_time).to.equal(authTime);
    });

    it('security: a login older than 5 minutes is 401 insufficient_user_authentication with max_age="300"', async () => {
      const now = Math.floor(Date.now() / 1000);
      const old = hs256Token(demoSecret, { sub: 'alice', type: 'auth', iss: ISSUER, iat: now, exp: now + 60, auth_time: now - 301 });
      expect((await send(`${url}/users/alice`, { headers: bearer(old) })).status, 'the same token on a route without maxAge').to.equal(200);
      const reply = await send(`${url}/users/alice/security`, { headers: bearer(old) });
      expect(reply.status, reply.text).to.equal(401);
      expect(reply.headers['www-authenticate']).to.match(/^Bearer realm="demo-spec", error="insufficient_user_authentication", error_description="[^"]+", max_age="300"$/);
      expect(body(reply).code).to.equal('ERR_TOKEN_STEP_UP');
    });
  });

  describe('GET /admin/audit', () => {
    it('refuses a user (no admin scope word) with 403', async () => {
      const reply = await send(`${url}/admin/audit`, { headers: bearer(await authTokenOf('bob')) });
      expect(reply.status).to.equal(403);
      expect(body(reply).code).to.equal('ERR_TOKEN_FORBIDDEN_SCOPE');
    });
  });

  describe('refresh: rotation and reuse detection (Authorization header)', () => {
    it('answers a new auth token AND a new refresh token of the same family for the refresh token', async () => {
      const { refreshToken } = body(await login('admin'));
      const reply = await refreshWith(String(refreshToken));
      expect(reply.status).to.equal(200);
      expect(reply.headers['cache-control']).to.equal('no-store');
      const rotated = body(reply);
      expect(rotated).to.have.keys(['authToken', 'refreshToken']);
      expect(claimsOf(rotated.authToken)).to.include({ sub: 'admin', type: 'auth', scope: 'profile admin', admin: true });
      expect(claimsOf(rotated.refreshToken)).to.include({ sub: 'admin', type: 'refresh', fam: claimsOf(refreshToken).fam });
      expect(claimsOf(rotated.refreshToken).rid).to.be.a('string').and.not.equal(claimsOf(refreshToken).rid);
      expect(claimsOf(rotated.refreshToken)).not.to.have.property('scope');
      expect((await send(`${url}/users/bob`, { headers: bearer(String(rotated.authToken)) })).status).to.equal(200);
    });

    it('rotates along a chain: each refresh token works once, the family stays, and the audit names the user', async () => {
      let refresh = String(body(await login('alice')).refreshToken);
      const family = claimsOf(refresh).fam;
      const rids = new Set([claimsOf(refresh).rid]);
      for (let step = 0; step < 3; step += 1) {
        const reply = await refreshWith(refresh);
        expect(reply.status, `rotation ${step + 1}`).to.equal(200);
        refresh = String(body(reply).refreshToken);
        expect(claimsOf(refresh).fam).to.equal(family);
        rids.add(claimsOf(refresh).rid);
        expect(claimsOf(body(reply).authToken)).to.include({ sub: 'alice', scope: 'profile' });
      }
      expect(rids.size).to.equal(4);
      const lines = body(await send(`${url}/admin/audit`, { headers: bearer(await authTokenOf('admin')) })).lines as string[];
      expect(lines.filter((line) => line.endsWith(' alice refreshed their tokens')).length).to.be.at.least(3);
    });

    it('refuses a retired refresh token (401 ERR_TOKEN_REVOKED) and revokes its whole family, not other logins', async () => {
      const first = String(body(await login('alice')).refreshToken);
      const other = String(body(await login('alice')).refreshToken);
      const second = String(body(await refreshWith(first)).refreshToken);
      const replay = await refreshWith(first);
      expect(replay.status).to.equal(401);
      expect(replay.headers['www-authenticate']).to.equal(`Bearer realm="${ISSUER}", error="invalid_token"`);
      expect(body(replay)).to.include({ name: 'TokenUnauthorizedError', code: 'ERR_TOKEN_REVOKED' });
      // The copy and the legitimate descendant are indistinguishable: the whole family goes.
      const descendant = await refreshWith(second);
      expect(descendant.status).to.equal(401);
      expect(body(descendant).code).to.equal('ERR_TOKEN_REVOKED');
      expect((await refreshWith(other)).status, 'another login of the same user').to.equal(200);
    });

    it('lets exactly one of two concurrent exchanges of one refresh token win, and then revokes the family', async () => {
      const refresh = String(body(await login('bob')).refreshToken);
      const replies = await Promise.all([refreshWith(refresh), refreshWith(refresh)]);
      expect(replies.map((reply) => reply.status).sort()).to.deep.equal([200, 401]);
      const winner = replies.find((reply) => reply.status === 200)!;
      expect((await refreshWith(String(body(winner).refreshToken))).status).to.equal(401);
    });

    it('refuses an auth token in place of a refresh token (401)', async () => {
      const reply = await refreshWith(await authTokenOf('alice'));
      expect(reply.status).to.equal(401);
      expect(body(reply).code).to.equal('ERR_TOKEN_TYPE');
    });
  });

  describe('POST /auth/logout', () => {
    it('revokes the refresh token family (204): the token and its rotated descendants are refused afterwards', async () => {
      const first = String(body(await login('alice')).refreshToken);
      const current = String(body(await refreshWith(first)).refreshToken);
      const reply = await send(`${url}/auth/logout`, { method: 'POST', headers: bearer(current) });
      expect(reply.status).to.equal(204);
      expect(reply.text).to.equal('');
      for (const token of [current, first]) {
        const refused = await refreshWith(token);
        expect(refused.status).to.equal(401);
        expect(body(refused).code).to.equal('ERR_TOKEN_REVOKED');
      }
      const again = await send(`${url}/auth/logout`, { method: 'POST', headers: bearer(current) });
      expect(again.status).to.equal(401);
      const lines = body(await send(`${url}/admin/audit`, { headers: bearer(await authTokenOf('admin')) })).lines as string[];
      expect(lines.some((line) => line.endsWith(' alice logged out'))).to.equal(true);
    });

    it('ends one login only: another login of the same user still refreshes', async () => {
      const kept = String(body(await login('bob')).refreshToken);
      const ended = String(body(await login('bob')).refreshToken);
      expect((await send(`${url}/auth/logout`, { method: 'POST', headers: bearer(ended) })).status).to.equal(204);
      expect((await refreshWith(kept)).status).to.equal(200);
    });

    it('refuses no token or an auth token (401)', async () => {
      const none = await send(`${url}/auth/logout`, { method: 'POST' });
      expect(none.status).to.equal(401);
      expect(body(none).code).to.equal('ERR_TOKEN_MISSING');
      const auth = await send(`${url}/auth/logout`, { method: 'POST', headers: bearer(await authTokenOf('alice')) });
      expect(auth.status).to.equal(401);
      expect(body(auth).code).to.equal('ERR_TOKEN_TYPE');
    });
  });

  describe('cookie session: rotation, logout and CSRF', () => {
    it('sets HttpOnly, SameSite=Strict token cookies and a readable csrf_token cookie on a cookie login, not Secure over http', async () => {
      const reply = await startSession('bob');
      expect(reply.status).to.equal(200);
      expect(reply.headers['cache-control']).to.equal('no-store');
      const csrf = setCookie(reply, 'csrf_token');
      expect(body(reply)).to.deep.equal({ sub: 'bob', expiresIn: 120, csrf: csrf.value });
      expect(csrf.value).to.match(/^[\w-]{16,}$/);
      for (const name of ['auth_token', 'refresh_token']) {
        const { attributes } = setCookie(reply, name);
        expect(attributes).to.include.members(['httponly', 'samesite=strict']);
        expect(attributes).not.to.include('secure');
      }
      expect(setCookie(reply, 'auth_token').attributes).to.include.members(['path=/', 'max-age=120']);
      // The refresh token travels only to the routes that use it.
      expect(setCookie(reply, 'refresh_token').attributes).to.include('path=/auth/session');
      expect(csrf.attributes).to.include.members(['samesite=strict', 'path=/']);
      expect(csrf.attributes).not.to.include('httponly');
      expect(claimsOf(setCookie(reply, 'auth_token').value)).to.include({ sub: 'bob', type: 'auth', csrf: csrf.value });
      expect(claimsOf(setCookie(reply, 'refresh_token').value)).to.include({ sub: 'bob', type: 'refresh', csrf: csrf.value });
      expect(claimsOf(setCookie(reply, 'refresh_token').value)).to.have.property('fam');
    });

    it('rotates on a cookie refresh with the X-CSRF-Token header: every cookie set again, the tokens kept out of the body', async () => {
      const session = await startSession('bob');
      const refresh = setCookie(session, 'refresh_token').value;
      const csrf = setCookie(session, 'csrf_token').value;
      const reply = await cookieRefresh(refresh, csrf);
      expect(reply.status).to.equal(200);
      expect(reply.headers['cache-control']).to.equal('no-store');
      expect(body(reply)).to.deep.equal({ sub: 'bob', expiresIn: 120, csrf });
      const cookie = setCookie(reply, 'auth_token');
      expect(claimsOf(cookie.value)).to.include({ sub: 'bob', type: 'auth' });
      expect(reply.text).not.to.include(cookie.value);
      expect(cookie.attributes).to.include.members(['httponly', 'samesite=strict']);
      const newRefresh = setCookie(reply, 'refresh_token');
      expect(newRefresh.value).not.to.equal(refresh);
      expect(reply.text).not.to.include(newRefresh.value);
      expect(newRefresh.attributes).to.include.members(['httponly', 'samesite=strict', 'path=/auth/session']);
      expect(claimsOf(newRefresh.value)).to.include({ type: 'refresh', fam: claimsOf(refresh).fam, csrf });
      expect(setCookie(reply, 'csrf_token').value).to.equal(csrf);
      expect((await send(`${url}/users/bob`, { headers: bearer(cookie.value) })).status).to.equal(200);
      expect((await cookieRefresh(newRefresh.value, csrf)).status, 'the new refresh cookie').to.equal(200);
    });

    it('refuses a replayed refresh_token cookie (401) and revokes the family', async () => {
      const session = await startSession('alice');
      const csrf = setCookie(session, 'csrf_token').value;
      const first = setCookie(session, 'refresh_token').value;
      const second = setCookie(await cookieRefresh(first, csrf), 'refresh_token').value;
      const replay = await cookieRefresh(first, csrf);
      expect(replay.status).to.equal(401);
      expect(body(replay).code).to.equal('ERR_TOKEN_REVOKED');
      expect((await cookieRefresh(second, csrf)).status).to.equal(401);
    });

    it('refuses a cookie refresh without the X-CSRF-Token header or with a wrong value (403 ERR_CSRF), and leaves the token usable', async () => {
      const session = await startSession('bob');
      const refresh = setCookie(session, 'refresh_token').value;
      const csrf = setCookie(session, 'csrf_token').value;
      const missing = await cookieRefresh(refresh);
      expect(missing.status).to.equal(403);
      expect(body(missing)).to.include({ name: 'TokenForbiddenError', code: 'ERR_CSRF' });
      expect(missing.headers['set-cookie']).to.equal(undefined);
      const wrong = await cookieRefresh(refresh, `${csrf.slice(0, -1)}${csrf.endsWith('A') ? 'B' : 'A'}`);
      expect(wrong.status).to.equal(403);
      expect(body(wrong).code).to.equal('ERR_CSRF');
      // Another session's value does not fit either.
      const other = setCookie(await startSession('bob'), 'csrf_token').value;
      expect((await cookieRefresh(refresh, other)).status).to.equal(403);
      expect((await cookieRefresh(refresh, csrf)).status, 'refused requests did not use the token up').to.equal(200);
    });

    it('refuses a header login refresh token put into the cookie: it carries no CSRF value (403)', async () => {
      const { refreshToken } = body(await login('bob'));
      expect((await cookieRefresh(String(refreshToken), 'anything')).status).to.equal(403);
    });

    it('refuses a cookie refresh without the cookie, or with an auth token in it (401)', async () => {
      const none = await send(`${url}/auth/session/refresh`, { method: 'POST' });
      expect(none.status).to.equal(401);
      expect(none.headers['www-authenticate']).to.equal(`Bearer realm="${ISSUER}"`);
      const wrongType = await send(`${url}/auth/session/refresh`, {
        method: 'POST',
        headers: { cookie: `refresh_token=${await authTokenOf('bob')}` },
      });
      expect(wrongType.status).to.equal(401);
      expect(body(wrongType).code).to.equal('ERR_TOKEN_TYPE');
    });

    it('DELETE /auth/session with the CSRF header revokes the family and clears every cookie (204)', async () => {
      const session = await startSession('bob');
      const refresh = setCookie(session, 'refresh_token').value;
      const csrf = setCookie(session, 'csrf_token').value;
      const reply = await endSession(refresh, csrf);
      expect(reply.status).to.equal(204);
      for (const name of ['auth_token', 'refresh_token', 'csrf_token']) {
        const cleared = setCookie(reply, name);
        expect(cleared.value, name).to.equal('');
        expect(cleared.attributes, name).to.include('max-age=0');
      }
      // Cleared on the path it was set on, or the browser would keep it.
      expect(setCookie(reply, 'refresh_token').attributes).to.include('path=/auth/session');
      const after = await cookieRefresh(refresh, csrf);
      expect(after.status).to.equal(401);
      expect(body(after).code).to.equal('ERR_TOKEN_REVOKED');
      expect((await endSession(refresh, csrf)).status, 'a second logout').to.equal(401);
    });

    it('DELETE /auth/session without the CSRF header: 403 and nothing revoked; without the cookie: 401', async () => {
      const session = await startSession('bob');
      const refresh = setCookie(session, 'refresh_token').value;
      const csrf = setCookie(session, 'csrf_token').value;
      const forged = await endSession(refresh);
      expect(forged.status).to.equal(403);
      expect(body(forged).code).to.equal('ERR_CSRF');
      expect(forged.headers['set-cookie']).to.equal(undefined);
      expect((await cookieRefresh(refresh, csrf)).status).to.equal(200);
      const none = await send(`${url}/auth/session`, { method: 'DELETE' });
      expect(none.status).to.equal(401);
      expect(body(none).code).to.equal('ERR_TOKEN_MISSING');
    });
  });

  describe('GET /me (plain Express, requireToken())', () => {
    it("answers the caller's profile and token", async () => {
      const reply = await send(`${url}/me`, { headers: bearer(await authTokenOf('bob')) });
      expect(reply.status).to.equal(200);
      const { profile, token } = body(reply);
      expect(profile).to.include({ userId: 'bob' });
      expect(token).to.include({ sub: 'bob', scope: 'profile' });
    });

    it('answers a missing token with 401 and WWW-Authenticate', async () => {
      const reply = await send(`${url}/me`);
      expect(reply.status).to.equal(401);
      expect(reply.headers['www-authenticate']).to.equal(`Bearer realm="${ISSUER}"`);
    });
  });

  describe('the README demo section', () => {
    it('shows the walkthrough the demo prints', () => {
      const readme = readFileSync(README, 'utf8');
      const section = /^## The demo\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1];
      expect(section, 'a "## The demo" section').to.be.a('string');
      const commands = [...String(section).matchAll(/```sh\n([\s\S]*?)```/g)]
        .flatMap((block) => block[1].split('\n'))
        .filter((line) => line !== '');
      expect(commands.slice(0, 2)).to.deep.equal(['npm install', 'npm run demo']);
      const printed = printedCommands(demo!.stdout()).map((line) => line.replace(url, 'http://127.0.0.1:3000'));
      expect(commands.slice(2)).to.deep.equal(printed);
    });

    // bash, and sh (dash on Debian): the lines are POSIX shell.
    for (const shell of ['bash', 'sh']) {
      it(`works when its lines are pasted into ${shell} one by one`, function () {
        const hasTools = [shell, 'curl', 'awk'].every((tool) => spawnSync('command', ['-v', tool], { shell: '/bin/sh', stdio: 'ignore' }).status === 0);
        if (!hasTools) this.skip();
        const script = `${printedCommands(demo!.stdout()).map((line) => (line === 'sleep 10' ? 'sleep 0' : line)).join('\n')}\n`;
        // TMPDIR: the walkthrough's cookie jar (mktemp) goes into this spec's directory, removed afterwards.
        const env = demoEnv({ TMPDIR: dir });
        const run = spawnSync(shell, [], { input: script, cwd: dir, encoding: 'utf8', env, timeout: 15_000 });
        expect(run.status, run.stderr).to.equal(0);
        expect(run.stderr).to.equal('');
        const statuses = [...run.stdout.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((match) => Number(match[1]));
        expect(statuses).to.deep.equal([
          200, 403, 200, // own profile, bob's, bob's as admin
          401, 401, 400, // no token, wrong password, bad body
          403, // the audit log as alice
          401, 401, // the retired refresh token replayed, then its descendant
          204, 401, // logout, then refresh with the logged-out token
          200, 200, 200, // cookie login, then GET /me and GET /session/users/bob with the cookie
          200, 403, // cookie refresh with the CSRF header, without it
          204, 401, // DELETE /auth/session, then the revoked refresh cookie
        ]);
        expect(run.stdout).to.match(/"authToken": "ey/);
        expect(run.stdout).to.match(/"refreshToken": "ey/);
        expect(run.stdout).to.match(/ admin read profile bob"/);
        expect(run.stdout).to.match(/Set-Cookie: refresh_token=ey[^;]*;.*HttpOnly; SameSite=Strict/);
        expect(run.stdout).to.match(/Set-Cookie: csrf_token=[\w-]+;/);
        expect(run.stdout).to.match(/"code": "ERR_TOKEN_REVOKED"/);
        expect(run.stdout).to.match(/"code": "ERR_CSRF"/);
        expect(readdirSync(dir).filter((name) => name.startsWith('tmp')), 'the cookie jar is removed').to.deep.equal([]);
      });
    }
  });
});

describe('demo: start-up configuration', () => {
  let dir: string;
  let emptyEnvFile: string;
  let demo: RunningDemo | undefined;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'demo-spec-config-'));
    // An empty .env file, so that a developer's demo/.env does not change what these tests see.
    emptyEnvFile = join(dir, 'empty.env');
    writeFileSync(emptyEnvFile, '');
  });

  afterEach(async () => {
    await stopDemo(demo);
    demo = undefined;
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses to start in production without JWT_SECRET: exit code 1 and one line on stderr that says what to set', async () => {
    const { code, stdout, stderr } = await runDemo(demoEnv({ NODE_ENV: 'production', PORT: '0', DEMO_ENV_FILE: emptyEnvFile }));
    expect(code).to.equal(1);
    expect(stdout).not.to.include('listening');
    const lines = stderr.trim().split('\n');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include('JWT_SECRET is not set and NODE_ENV=production');
    expect(lines[0]).to.include('randomBytes(64)');
  });

  it('refuses a weak JWT_SECRET with the library message, in any NODE_ENV', async () => {
    const { code, stderr } = await runDemo(demoEnv({ NODE_ENV: 'development', PORT: '0', JWT_SECRET: 'too-short', DEMO_ENV_FILE: emptyEnvFile }));
    expect(code).to.equal(1);
    expect(stderr).to.include('Invalid config "JWT_SECRET"');
    expect(stderr).not.to.include('too-short');
  });

  it('generates a secret in development without JWT_SECRET, and warns that tokens will not survive a restart', async () => {
    demo = await startDemo(demoEnv({ NODE_ENV: 'development', PORT: '0', DEMO_ENV_FILE: emptyEnvFile }));
    expect(demo.stderr()).to.match(/JWT_SECRET is not set.*generated.*will not survive a restart/);
    const reply = await send(`${demo.url}/auth/login`, { method: 'POST', body: { username: 'alice', password: 'alice-password' } });
    expect(reply.status).to.equal(200);
    const { authToken } = body(reply);
    expect(claimsOf(authToken).iss).to.equal('routing-controllers-jwt-demo');
    expect((await send(`${demo.url}/users/alice`, { headers: bearer(String(authToken)) })).status).to.equal(200);
  });
});
