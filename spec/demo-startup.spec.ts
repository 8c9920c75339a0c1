/**
 * The demo (demo/, `npm run demo`) started as a real process for each configuration under test and driven over HTTP:
 * the signing key it generates in development for every asymmetric JWT_AUTHTYPE, and its refusal of an unknown one.
 */
import { expect } from 'chai';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthType } from 'routing-controllers-jwt';
import { demoEnv, runDemo, startDemo, stopDemo, type DemoProcess, type RunningDemo } from './support/demo-process';
import { bearer, send, type Reply } from './support/server';

/** A JSON object body. */
function body(reply: Reply): Record<string, unknown> {
  expect(reply.json, reply.text).to.be.an('object');
  return reply.json as Record<string, unknown>;
}

/** One part (0: header, 1: payload) of a token, decoded without verifying. */
function tokenPart(token: unknown, part: 0 | 1): Record<string, unknown> {
  expect(token).to.be.a('string');
  return JSON.parse(Buffer.from(String(token).split('.')[part], 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** The key the demo must generate for `authType`: RSA for RS* and PS*, EC on the algorithm's curve for ES*. */
const keyKind = (authType: AuthType): string =>
  authType.family === 'ec' ? `EC ${authType.curve}` : authType.family === 'okp' ? 'Ed25519' : 'RSA 2048-bit';

describe('demo start-up: JWT_AUTHTYPE', () => {
  let dir: string;
  let emptyEnvFile: string;
  let demo: DemoProcess | undefined;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'demo-startup-spec-'));
    // An empty .env file, so that a developer's demo/.env does not change what these tests see.
    emptyEnvFile = join(dir, 'empty.env');
    writeFileSync(emptyEnvFile, '');
  });

  afterEach(async () => {
    await stopDemo(demo);
    demo = undefined;
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  const development = (values: Record<string, string>): NodeJS.ProcessEnv =>
    demoEnv({ NODE_ENV: 'development', PORT: '0', DEMO_ENV_FILE: emptyEnvFile, ...values });

  describe('the development key generated without JWT_SECRET fits the algorithm', () => {
    const asymmetric = AuthType.values().filter((authType) => authType.family !== 'hmac');

    it('covers every asymmetric algorithm of the library', () => {
      expect(asymmetric.map(String)).to.include.members(['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']);
    });

    for (const authType of asymmetric) {
      it(`${authType.name}: generates an ${keyKind(authType)} key pair, starts, and a login, a protected call and a refresh work`, async () => {
        const running = await startDemo(development({ JWT_AUTHTYPE: authType.name }));
        demo = running;
        expect(running.stderr()).to.match(/JWT_SECRET is not set.*generated.*will not survive a restart/);
        expect(running.stderr()).to.include(`a random ${keyKind(authType)} key pair was generated`);
        expect(running.stdout()).to.include(`, ${authType.name}, `);

        const login = await send(`${running.url}/auth/login`, { method: 'POST', body: { username: 'alice', password: 'alice-password' } });
        expect(login.status, login.text).to.equal(200);
        const { authToken, refreshToken } = body(login);
        expect(tokenPart(authToken, 0).alg).to.equal(authType.name);
        expect(tokenPart(authToken, 1)).to.include({ sub: 'alice', type: 'auth' });

        const profile = await send(`${running.url}/users/alice`, { headers: bearer(String(authToken)) });
        expect(profile.status, profile.text).to.equal(200);
        expect(body(profile)).to.include({ userId: 'alice' });
        const refreshed = await send(`${running.url}/auth/refresh`, { method: 'POST', headers: bearer(String(refreshToken)) });
        expect(refreshed.status, refreshed.text).to.equal(200);
        expect(tokenPart(body(refreshed).authToken, 0).alg).to.equal(authType.name);
      });
    }

    it('ES256 with JWT_PUBLICKEY set but no JWT_SECRET: exit code 1 and one line asking for the private key', async () => {
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const { code, stdout, stderr } = await runDemo(development({ JWT_AUTHTYPE: 'ES256', JWT_PUBLICKEY: pem }));
      expect(code).to.equal(1);
      expect(stdout).not.to.include('listening');
      const lines = stderr.trim().split('\n');
      expect(lines, stderr).to.have.length(1);
      expect(lines[0]).to.include('JWT_PUBLICKEY is set but JWT_SECRET is not');
    });
  });

  it('a DEMO_CORS_ORIGINS entry that is not an exact origin: exit code 1 and one line that says how to write it', async () => {
    const { code, stdout, stderr } = await runDemo(development({ DEMO_CORS_ORIGINS: 'http://localhost:5173, localhost:5173/app' }));
    expect(code).to.equal(1);
    expect(stdout).not.to.include('listening');
    const lines = stderr.trim().split('\n');
    expect(lines, stderr).to.have.length(1);
    expect(lines[0]).to.include('DEMO_CORS_ORIGINS').and.include('scheme://host:port');
  });

  describe('an unknown JWT_AUTHTYPE', () => {
    // What someone might paste into the wrong variable: the demo must not print it back.
    const pasted = 'sk-live-7Qf9xZ2pasted-by-mistake';

    for (const [what, values] of [
      ['without JWT_SECRET (development)', {}],
      ['with a JWT_SECRET', { JWT_SECRET: 'x'.repeat(64) }],
      ['with NODE_ENV=production and no JWT_SECRET', { NODE_ENV: 'production' }],
    ] as const) {
      it(`${what}: exit code 1 and one line that names JWT_AUTHTYPE without echoing its value`, async () => {
        const { code, stdout, stderr } = await runDemo(development({ ...values, JWT_AUTHTYPE: pasted }));
        expect(code).to.equal(1);
        expect(stdout).not.to.include('listening');
        expect(stdout + stderr).not.to.include(pasted);
        expect(stdout + stderr).not.to.include('pasted-by-mistake');
        const lines = stderr.trim().split('\n');
        expect(lines, stderr).to.have.length(1);
        expect(lines[0]).to.match(/^routing-controllers-jwt demo: /);
        expect(lines[0]).to.include('JWT_AUTHTYPE');
        expect(lines[0]).to.include('ES256');
      });
    }

    it('an algorithm name in the wrong case is unknown too, and not echoed', async () => {
      const { code, stderr } = await runDemo(development({ JWT_AUTHTYPE: 'es256' }));
      expect(code).to.equal(1);
      expect(stderr.trim().split('\n')).to.have.length(1);
      expect(stderr).to.include('JWT_AUTHTYPE');
      expect(stderr).not.to.include('es256');
    });
  });
});

describe('demo: request bodies that are not a JSON object', () => {
  const PASSWORD = 'alice-password';
  const GOOD = { username: 'alice', password: PASSWORD };
  // Nested deeper than anything the demo's bodies need; about 40 kB, under the 100 kB body limit.
  const DEEP = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
  let demo: RunningDemo | undefined;
  let dir: string;
  let url: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'demo-startup-spec-bodies-'));
    const emptyEnvFile = join(dir, 'empty.env');
    writeFileSync(emptyEnvFile, '');
    demo = await startDemo(demoEnv({ NODE_ENV: 'test', PORT: '0', JWT_SECRET: 'demo-startup-spec-'.repeat(4), DEMO_ENV_FILE: emptyEnvFile }));
    url = demo.url;
  });

  after(async () => {
    await stopDemo(demo);
    rmSync(dir, { recursive: true, force: true });
  });

  /** POSTs `text` as an application/json body. */
  const post = (path: string, text: string, headers: Record<string, string> = {}): Promise<Reply> =>
    send(`${url}${path}`, { method: 'POST', body: text, headers: { 'content-type': 'application/json', ...headers } });

  /** A 400 with the demo's JSON error body, quoting none of `secrets` and no stack trace. */
  function expectBadRequest(reply: Reply, what: string, secrets: string[] = [PASSWORD]): void {
    expect(reply.status, `${what}: ${reply.text}`).to.equal(400);
    expect(reply.headers['content-type'], what).to.match(/^application\/json/);
    expect(reply.headers['cache-control'], what).to.equal('no-store');
    const error = body(reply);
    expect(error.name, what).to.be.a('string');
    expect(error.message, what).to.be.a('string');
    for (const secret of secrets) expect(reply.text, what).not.to.include(secret);
    expect(reply.text, what).not.to.match(/\bat \S+:\d+/);
  }

  /** The demo still answers, and still logs alice in. */
  async function expectStillServing(): Promise<void> {
    const reply = await post('/auth/login', JSON.stringify(GOOD));
    expect(reply.status, reply.text).to.equal(200);
  }

  const NOT_OBJECTS: Array<[string, string]> = [
    ['an empty array', '[]'],
    ['an array holding a good login', JSON.stringify([GOOD])],
    ['an array of two logins', JSON.stringify([GOOD, GOOD])],
    ['a nested array', JSON.stringify([[GOOD]])],
    ['an empty nested array', '[[]]'],
    ['an array of strings', JSON.stringify(['alice', PASSWORD])],
    ['a string', JSON.stringify(PASSWORD)],
    ['an empty string', '""'],
    ['a number', '4242424242'],
    ['null', 'null'],
    ['true', 'true'],
  ];

  for (const path of ['/auth/login', '/auth/session']) {
    describe(`POST ${path}`, () => {
      for (const [what, text] of NOT_OBJECTS) {
        it(`answers ${what} with 400 (never 500) without echoing it, and keeps serving`, async () => {
          const reply = await post(path, text);
          expectBadRequest(reply, what, [PASSWORD, text]);
          expect(reply.headers['set-cookie'], what).to.equal(undefined);
          await expectStillServing();
        });
      }

      for (const [what, text] of [
        ['a deeply nested array', DEEP],
        ['a deeply nested field', `{"username":${DEEP},"password":"${PASSWORD}"}`],
        ['a deeply nested extra key', `{"username":"alice","password":"${PASSWORD}","extra":${DEEP}}`],
      ]) {
        it(`answers ${what} with 400, never 500, and keeps serving`, async () => {
          expectBadRequest(await post(path, text), what);
          await expectStillServing();
        });
      }

      for (const [what, text] of [
        ['a bare word in a field', `{"username":"alice","password":${PASSWORD}}`],
        ['a bare word', PASSWORD],
        ['a truncated body', `{"username":"alice","password":"${PASSWORD}`],
      ]) {
        it(`answers malformed JSON (${what}) with 400 without quoting the body`, async () => {
          // JSON.parse quotes up to some characters around the error: not even a part of the body may show.
          expectBadRequest(await post(path, text), what, ['alice', 'password']);
          await expectStillServing();
        });
      }

      it('takes an object with extra keys: they are dropped, and never reach the token', async () => {
        const extra = { ...GOOD, admin: true, scope: 'profile admin', role: 'admin', nested: { a: [1, 2] }, list: [] };
        const reply = await post(path, JSON.stringify(extra));
        expect(reply.status, reply.text).to.equal(200);
        if (path === '/auth/login') {
          const claims = tokenPart(body(reply).authToken, 1);
          expect(claims).to.include({ sub: 'alice', scope: 'profile' });
          expect(claims).not.to.have.property('admin');
        } else {
          expect(body(reply)).to.include({ sub: 'alice' });
        }
        const wrong = await post(path, JSON.stringify({ ...extra, password: 'not-her-password' }));
        expect(wrong.status).to.equal(401);
      });

      it('takes a "__proto__" key as a plain extra key', async () => {
        const reply = await post(path, `{"username":"alice","password":"${PASSWORD}","__proto__":{"admin":true,"username":"admin"}}`);
        expect(reply.status, reply.text).to.equal(200);
        if (path === '/auth/login') {
          expect(tokenPart(body(reply).authToken, 1)).to.include({ sub: 'alice', scope: 'profile' }).and.not.have.property('admin');
        }
      });

      it('still answers a field of the wrong type with the field errors, and keeps serving', async () => {
        const reply = await post(path, JSON.stringify({ username: ['alice'], password: { value: PASSWORD } }));
        expectBadRequest(reply, 'fields of the wrong type');
        const errors = body(reply).errors as Array<{ property: string; constraints: Record<string, string> }>;
        expect(errors.map((error) => error.property)).to.have.members(['username', 'password']);
        for (const error of errors) expect(error.constraints).to.have.property('isString');
        await expectStillServing();
      });
    });
  }

  describe('the routes that take no body ignore one: never 500', () => {
    const BODIES = [...NOT_OBJECTS.map(([, text]) => text), DEEP, `{"password":${PASSWORD}}`];

    it('POST /auth/refresh and POST /auth/logout answer as without a body', async () => {
      const { refreshToken } = body(await post('/auth/login', JSON.stringify(GOOD)));
      let refresh = String(refreshToken);
      for (const text of BODIES) {
        const reply = await post('/auth/refresh', text, bearer(refresh));
        expect(reply.status, `${text.slice(0, 40)}: ${reply.text}`).to.equal(200);
        refresh = String(body(reply).refreshToken);
        expect((await post('/auth/refresh', text)).status, 'no token').to.equal(401);
        expect((await post('/auth/logout', text)).status, 'no token').to.equal(401);
      }
      expect((await post('/auth/logout', '[]', bearer(refresh))).status).to.equal(204);
      expect((await post('/auth/refresh', '{}', bearer(refresh))).status, 'logged out').to.equal(401);
    });

    it('POST /auth/session/refresh and DELETE /auth/session answer as without a body', async () => {
      const session = await post('/auth/session', JSON.stringify(GOOD));
      const cookie = (name: string): string =>
        String((session.headers['set-cookie'] ?? []).find((line) => line.startsWith(`${name}=`))?.split(';')[0].slice(name.length + 1));
      let refresh = cookie('refresh_token');
      const csrf = cookie('csrf_token');
      for (const text of BODIES) {
        const reply = await post('/auth/session/refresh', text, { cookie: `refresh_token=${refresh}`, 'x-csrf-token': csrf });
        expect(reply.status, `${text.slice(0, 40)}: ${reply.text}`).to.equal(200);
        const line = (reply.headers['set-cookie'] ?? []).find((candidate) => candidate.startsWith('refresh_token='));
        refresh = String(line?.split(';')[0].slice('refresh_token='.length));
        expect((await post('/auth/session/refresh', text)).status, 'no cookie').to.equal(401);
      }
      const ended = await send(`${url}/auth/session`, {
        method: 'DELETE',
        body: '[]',
        // Node's client sends no Content-Length of its own for a DELETE.
        headers: { 'content-type': 'application/json', 'content-length': '2', cookie: `refresh_token=${refresh}`, 'x-csrf-token': csrf },
      });
      expect(ended.status, ended.text).to.equal(204);
      await expectStillServing();
    });
  });

  describe('afterwards', () => {
    it('the demo logged no error: none of these requests failed on the server', () => {
      expect(demo?.stderr()).to.equal('');
    });
  });
});
