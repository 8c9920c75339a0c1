/**
 * routing-controllers is loaded only by its integrations: a plain-Express app that requires the package root never
 * loads it, and a routing-controllers app still gets the rejection errors as its HttpErrors, even when it loaded this
 * package first. Each app runs in its own Node process (this test process has routing-controllers loaded already),
 * over real HTTP, on the Express major of the run.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { LazyAppReport } from '../support/lazy-apps/report';

const APPS = join(__dirname, '..', 'support', 'lazy-apps');
const SELECT_EXPRESS = join(__dirname, '..', 'support', 'select-express.js');

/** Runs the app `name` in a child process (on this run's Express major) and reads its report. */
async function runApp(name: string): Promise<LazyAppReport> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--require', SELECT_EXPRESS, join(APPS, `${name}.js`)], {
    env: { ...process.env },
    timeout: 15_000,
  });
  return JSON.parse(stdout) as LazyAppReport;
}

describe('routing-controllers is loaded only by its integrations', () => {
  it('a plain-Express app (package root, requireToken(), AuthManager, currentToken) never loads routing-controllers', async () => {
    const report = await runApp('plain-express');
    expect(report.replies[0].status).to.equal(401);
    expect(report.replies[0].body).to.deep.include({ code: 'ERR_TOKEN_MISSING' });
    expect(report.replies[1]).to.deep.equal({ status: 200, body: { sub: 'alice' } });
    expect(report.routingControllersModules).to.deep.equal([]);
  });

  it('a routing-controllers app that loaded this package first gets its rejections as routing-controllers HttpErrors', async () => {
    const report = await runApp('routing-controllers-app');
    expect(report.routingControllersModules).to.not.deep.equal([]);
    // requireToken() hands the error to the app's Express error handler: a routing-controllers UnauthorizedError.
    expect(report.replies[0]).to.deep.equal({
      status: 401,
      body: { isUnauthorizedError: true, isHttpError: true, code: 'ERR_TOKEN_MISSING' },
    });
    // @RequireToken answers its own 401 JSON body.
    expect(report.replies[1].status).to.equal(401);
    expect(report.replies[1].body).to.deep.include({ code: 'ERR_TOKEN_MISSING' });
  });
});
