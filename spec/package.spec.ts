/**
 * What the published package holds: a license, source maps that work without src/ (their sources inlined), no
 * declaration maps pointing at files not shipped, and peers the compiled code really loads.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const DIST = join(ROOT, 'dist');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  license: string;
  files: string[];
  peerDependencies: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
};

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('the published package', () => {
  const dist = filesUnder(DIST);

  it('ships an MIT LICENSE that package.json names', () => {
    expect(pkg.license).to.equal('MIT');
    expect(pkg.files).to.include('LICENSE');
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).to.match(/^MIT License/);
  });

  it('source maps carry their sources, so that they work without src/ (which is not shipped)', () => {
    expect(pkg.files).not.to.include('src');
    const maps = dist.filter((path) => path.endsWith('.js.map'));
    expect(maps.length).to.be.greaterThan(10);
    for (const path of maps) {
      const map = JSON.parse(readFileSync(path, 'utf8')) as { sources: string[]; sourcesContent?: Array<string | null> };
      expect(map.sourcesContent, path).to.be.an('array').with.length(map.sources.length);
      for (const content of map.sourcesContent ?? []) expect(content, path).to.be.a('string').and.not.equal('');
    }
  });

  it('ships no declaration maps (they would point at src/ files that are not shipped)', () => {
    expect(dist.filter((path) => path.endsWith('.d.ts.map'))).to.deep.equal([]);
  });

  it('requires as peers only packages the compiled code loads (express, never loaded, and routing-controllers, loaded only by its integrations, are optional peers)', () => {
    const code = dist.filter((path) => path.endsWith('.js')).map((path) => readFileSync(path, 'utf8')).join('\n');
    const required = Object.keys(pkg.peerDependencies).filter((peer) => pkg.peerDependenciesMeta?.[peer]?.optional !== true);
    expect(required).to.have.members(['typedi', 'reflect-metadata']);
    expect(pkg.peerDependenciesMeta?.express?.optional).to.equal(true);
    expect(pkg.peerDependenciesMeta?.['routing-controllers']?.optional).to.equal(true);
    for (const peer of required) {
      expect(code.includes(`require("${peer}")`), `${peer} is a peer but never loaded`).to.equal(true);
    }
    expect(pkg.peerDependencies).not.to.have.property('class-validator');
  });
});
