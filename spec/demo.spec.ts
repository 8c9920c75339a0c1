/**
 * The demo (demo/, `npm run demo`) as a newcomer meets it: the real process, started with node on a free port, driven
 * over HTTP through the whole flow; its start-up refusals; and the README's quick start, which must be the walkthrough
 * the demo prints and must work when pasted into a shell.
 */
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bearer, send, type Reply } from './support/server';

const DEMO_MAIN = resolve(__dirname, '..', 'demo', 'main.js');
const README = resolve(__dirname, '..', '..', 'README.md');
const READY_TIMEOUT_MS = 15_000;

/** A started demo process. */
interface RunningDemo {
  child: ChildProcess;
  url: string;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

/** The environment of this test run without anything the demo reads, plus `values`. */
function demoEnv(values: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(JWT_|PORT$|NODE_ENV$|DEMO_ENV_FILE$)/.test(name)) env[name] = value;
  }
  return { ...env, ...values };
}

function spawnDemo(env: NodeJS.ProcessEnv): { child: ChildProcess; stdout(): string; stderr(): string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [DEMO_MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((resolveExit) => child.on('close', (code) => resolveExit(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Starts the demo and waits for its "listening on <url>" line. */
async function startDemo(env: NodeJS.ProcessEnv): Promise<RunningDemo> {
  const demo = spawnDemo(env);
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo did not listen within ${READY_TIMEOUT_MS} ms:\n${demo.stderr()}`)), READY_TIMEOUT_MS);
    const onData = (): void => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(demo.stdout());
      if (match) {
        clearTimeout(timer);
        demo.child.stdout?.off('data', onData);
        resolveUrl(match[1]);
      }
    };
    demo.child.stdout?.on('data', onData);
    void demo.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited with ${code} before listening:\n${demo.stderr()}`));
    });
  });
  return { ...demo, url };
}

async function stopDemo(demo: RunningDemo | undefined): Promise<void> {
  if (!demo) return;
  if (demo.child.exitCode === null && demo.child.signalCode === null) demo.child.kill('SIGTERM');
  await demo.exited;
}

/** Runs the demo to its end (for start-up refusals). */
async function runDemo(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const demo = spawnDemo(env);
  const timer = setTimeout(() => demo.child.kill('SIGKILL'), READY_TIMEOUT_MS);
  const code = await demo.exited;
  clearTimeout(timer);
  return { code, stdout: demo.stdout(), stderr: demo.stderr() };
}

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

  const login = (username: string, password = `${username}-password`): Promise<Reply> =>
    send(`${url}/auth/login`, { method: 'POST', body: { username, password } });
  const authTokenOf = async (username: string): Promise<string> => String(body(await login(username)).authToken);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'demo-spec-'));
    // The environment wins over the .env file: JWT_ISSUER comes from the environment, JWT_AUTHMAXAGE from the file.
    const envFile = join(dir, 'demo.env');
    writeFileSync(envFile, 'JWT_ISSUER=from-the-env-file\nJWT_AUTHMAXAGE=120\n');
    demo = await startDemo(demoEnv({ PORT: '0', NODE_ENV: 'test', JWT_ISSUER: ISSUER, JWT_SECRET: secret(), DEMO_ENV_FILE: envFile }));
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

  describe('GET /admin/audit', () => {
    it('refuses a user (no admin scope word) with 403', async () => {
      const reply = await send(`${url}/admin/audit`, { headers: bearer(await authTokenOf('bob')) });
      expect(reply.status).to.equal(403);
      expect(body(reply).code).to.equal('ERR_TOKEN_FORBIDDEN_SCOPE');
    });
  });

  describe('refresh', () => {
    it('answers a new auth token for the refresh token in the Authorization header', async () => {
      const { refreshToken } = body(await login('admin'));
      const reply = await send(`${url}/auth/refresh`, { method: 'POST', headers: bearer(String(refreshToken)) });
      expect(reply.status).to.equal(200);
      const { authToken } = body(reply);
      expect(claimsOf(authToken)).to.include({ sub: 'admin', type: 'auth', scope: 'profile admin', admin: true });
      expect((await send(`${url}/users/bob`, { headers: bearer(String(authToken)) })).status).to.equal(200);
    });

    it('refuses an auth token in place of a refresh token (401)', async () => {
      const reply = await send(`${url}/auth/refresh`, { method: 'POST', headers: bearer(await authTokenOf('alice')) });
      expect(reply.status).to.equal(401);
      expect(body(reply).code).to.equal('ERR_TOKEN_TYPE');
    });

    it('sets HttpOnly, SameSite=Strict cookies on a cookie login, not Secure over http', async () => {
      const reply = await send(`${url}/auth/session`, { method: 'POST', body: { username: 'bob', password: 'bob-password' } });
      expect(reply.status).to.equal(200);
      expect(body(reply)).to.deep.equal({ sub: 'bob', expiresIn: 120 });
      for (const name of ['auth_token', 'refresh_token']) {
        const { attributes } = setCookie(reply, name);
        expect(attributes).to.include.members(['httponly', 'samesite=strict', 'path=/']);
        expect(attributes).not.to.include('secure');
      }
      expect(claimsOf(setCookie(reply, 'auth_token').value)).to.include({ sub: 'bob', type: 'auth' });
      expect(claimsOf(setCookie(reply, 'refresh_token').value)).to.include({ sub: 'bob', type: 'refresh' });
    });

    it('sets a new auth_token cookie for the refresh_token cookie, and keeps the token out of the body', async () => {
      const session = await send(`${url}/auth/session`, { method: 'POST', body: { username: 'bob', password: 'bob-password' } });
      const refresh = setCookie(session, 'refresh_token').value;
      const reply = await send(`${url}/auth/session/refresh`, { method: 'POST', headers: { cookie: `refresh_token=${refresh}` } });
      expect(reply.status).to.equal(200);
      expect(body(reply)).to.have.keys(['sub', 'expiresIn']);
      const cookie = setCookie(reply, 'auth_token');
      expect(claimsOf(cookie.value)).to.include({ sub: 'bob', type: 'auth' });
      expect(reply.text).not.to.include(cookie.value);
      expect(cookie.attributes).to.include.members(['httponly', 'samesite=strict']);
      expect((await send(`${url}/users/bob`, { headers: bearer(cookie.value) })).status).to.equal(200);
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

    it('clears both cookies on DELETE /auth/session', async () => {
      const reply = await send(`${url}/auth/session`, { method: 'DELETE' });
      expect(reply.status).to.equal(204);
      expect(setCookie(reply, 'auth_token').value).to.equal('');
      expect(setCookie(reply, 'refresh_token').value).to.equal('');
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

  describe('the README quick start', () => {
    it('shows the walkthrough the demo prints', () => {
      const readme = readFileSync(README, 'utf8');
      const section = /^## Quick start\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1];
      expect(section, 'a "## Quick start" section').to.be.a('string');
      const commands = [...String(section).matchAll(/```sh\n([\s\S]*?)```/g)]
        .flatMap((block) => block[1].split('\n'))
        .filter((line) => line !== '');
      expect(commands.slice(0, 2)).to.deep.equal(['npm install', 'npm run demo']);
      const printed = printedCommands(demo!.stdout()).map((line) => line.replace(url, 'http://127.0.0.1:3000'));
      expect(commands.slice(2)).to.deep.equal(printed);
    });

    it('works when its lines are pasted into a shell one by one', function () {
      const hasTools = ['bash', 'curl'].every((tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0);
      if (!hasTools) this.skip();
      const script = `${printedCommands(demo!.stdout()).join('\n')}\n`;
      // TMPDIR: the walkthrough's cookie jar (mktemp) goes into this spec's directory, removed afterwards.
      const env = demoEnv({ TMPDIR: dir });
      const run = spawnSync('bash', [], { input: script, cwd: dir, encoding: 'utf8', env, timeout: READY_TIMEOUT_MS });
      expect(run.status, run.stderr).to.equal(0);
      const statuses = [...run.stdout.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((match) => Number(match[1]));
      // own profile, bob's, bob's as admin, no token, wrong password, bad body, audit as alice, cookie login
      expect(statuses).to.deep.equal([200, 403, 200, 401, 401, 400, 403, 200]);
      expect(run.stdout).to.match(/"authToken": "ey/);
      expect(run.stdout).to.match(/ admin read profile bob"/);
      expect(run.stdout).to.match(/Set-Cookie: refresh_token=ey[^;]*;.*HttpOnly; SameSite=Strict/);
    });
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
