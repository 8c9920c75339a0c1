/**
 * README.md's "A complete app", compiled from the README itself and run as a real process over HTTP: a package user
 * who pastes it gets a token from /login, and a 401 or a 200 from /hello.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { readmeBlocks } from '../support/readme-blocks';
import { bearer, send } from '../support/server';

const SELECT_EXPRESS = join(__dirname, '..', 'support', 'select-express.js');
// Inside the package, so that the app's `import 'routing-controllers-jwt'` resolves to dist/ as a user's would.
const APP = join(__dirname, 'readme-app.js');

describe('README.md: "A complete app" runs over real HTTP', function () {
  this.timeout(30_000);
  let child: ChildProcess;
  let url: string;

  before(async () => {
    const block = readmeBlocks().find((candidate) => candidate.heading === 'A complete app');
    if (block === undefined) throw new Error('README.md has no "A complete app" block');
    const compiled = ts.transpileModule(block.code, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, experimentalDecorators: true, emitDecoratorMetadata: true, esModuleInterop: true },
    });
    writeFileSync(APP, compiled.outputText);
    child = spawn(process.execPath, ['--require', SELECT_EXPRESS, APP], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
    url = await new Promise<string>((resolve, reject) => {
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (match) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`the app exited (${code}) before listening: ${output}`)));
    });
  });

  after(() => {
    child?.kill();
  });

  it('logs in, then answers /hello: 401 with a challenge without a token, 200 with it', async () => {
    const login = await send(`${url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'alice' }) });
    expect(login.status, login.text).to.equal(200);
    const { token } = login.json as { token: string };
    const refused = await send(`${url}/hello`);
    expect(refused.status).to.equal(401);
    expect(refused.headers['www-authenticate']).to.equal('Bearer realm="my-api"');
    expect(refused.json).to.deep.include({ code: 'ERR_TOKEN_MISSING' });
    const hello = await send(`${url}/hello`, { headers: bearer(token) });
    expect(hello.status, hello.text).to.equal(200);
    expect(hello.json).to.deep.equal({ hello: 'alice' });
  });

  it('security: a forged token is a 401 whose answer does not echo it', async () => {
    const forged = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.c2lnbmF0dXJl';
    const reply = await send(`${url}/hello`, { headers: bearer(forged) });
    expect(reply.status).to.equal(401);
    expect(reply.text).to.not.include(forged);
  });
});
