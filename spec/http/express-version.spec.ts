/**
 * Which express this run is on. `npm test` runs the whole suite twice, on express 5 and with EXPRESS_MAJOR=4 on
 * express 4; spec/support/select-express.ts sends every `require('express')` in the process to the selected copy.
 * The describe title prints the version, so each run's output says what it ran on.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import express from 'express';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createExpressServer } from 'routing-controllers';

const readPackage = (file: string): { name: string; version: string } =>
  JSON.parse(readFileSync(file, 'utf8')) as { name: string; version: string };

const expressPackage = require.resolve('express/package.json');
const { version } = readPackage(expressPackage);
const expectedMajor = Number(process.env.EXPRESS_MAJOR || '5');
/** express's default export: the createApplication function, with the prototype of its apps as `application`. */
type Handled = { application?: { handle?: unknown } };
const majorOf = (semver: string): number => Number(semver.split('.')[0]);

/** The package.json of the express copy whose `application` prototype `app` was made from, found in require's cache. */
function expressPackageOf(app: { handle: unknown }): string | undefined {
  for (const [file, loaded] of Object.entries(require.cache)) {
    const exported: unknown = loaded?.exports;
    if (typeof exported !== 'function' || (exported as Handled).application?.handle !== app.handle) continue;
    for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
      const manifest = join(dir, 'package.json');
      if (existsSync(manifest) && readPackage(manifest).name === 'express') return manifest;
    }
  }
  return undefined;
}

describe(`express ${version} (EXPRESS_MAJOR=${process.env.EXPRESS_MAJOR ?? 'unset, so 5'})`, () => {
  it('is the major that EXPRESS_MAJOR selects (default 5)', () => {
    expect(majorOf(version)).to.equal(expectedMajor);
  });

  it("is also what routing-controllers' own require('express') finds, not a copy nested under it", () => {
    const fromRoutingControllers = dirname(require.resolve('routing-controllers'));
    expect(require.resolve('express', { paths: [fromRoutingControllers] })).to.equal(require.resolve('express'));
    expect(require.resolve('express/package.json', { paths: [fromRoutingControllers] })).to.equal(expressPackage);
  });

  it("routing-controllers' createExpressServer() builds its app on this same express", () => {
    const app = createExpressServer({ controllers: [] }) as { handle: unknown };
    expect(app.handle, 'the app is made from the express the specs import').to.equal((express as unknown as Handled).application?.handle);
    const manifest = expressPackageOf(app);
    expect(manifest, 'the express package the app comes from').to.equal(expressPackage);
    expect(majorOf(readPackage(manifest!).version)).to.equal(expectedMajor);
  });
});
