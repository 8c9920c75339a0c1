/**
 * The shape of src/: folders by concept, and data flowing one way. A folder imports only the folders above it in
 * LAYERS (files in the same folder import each other freely), and the pure parts never import HTTP parts,
 * routing-controllers or express. Read from the TypeScript sources, so a new import that breaks the rule fails here.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(__dirname, '..', '..', 'src');
const DIST = resolve(__dirname, '..', '..', 'dist');

/** Top to bottom: a module may import modules of its own layer and of the layers above it. */
const LAYERS: readonly (readonly string[])[] = [
  ['errors.ts', 'claims.ts'],
  ['keys/'],
  ['token/'],
  ['issuers/'],
  ['authorize/'],
  ['sessions/'],
  ['config/'],
  ['auth-manager.ts'],
  ['context.ts'],
  ['http/'],
  ['index.ts', 'testing/'],
];

/** Pure modules: no requests, no routing-controllers, no express, no node:http. */
const PURE = ['claims.ts', 'keys/', 'token/', 'issuers/', 'authorize/', 'sessions/', 'config/', 'context.ts'];
const HTTP_PACKAGES = /^(routing-controllers|express|node:http|http|cookie)(\/|$)/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** The layer index and group of a module path relative to src/ (e.g. 'keys/jwk.ts'). */
function layerOf(module: string): { index: number; group: string } {
  for (let index = 0; index < LAYERS.length; index++) {
    for (const group of LAYERS[index]) {
      if (group.endsWith('/') ? module.startsWith(group) : module === group) return { index, group };
    }
  }
  throw new Error(`${module} is in no layer: add its folder to LAYERS in spec/architecture.spec.ts`);
}

/** Every module specifier imported or re-exported by a TypeScript source, type-only imports included. */
function importsOf(text: string): string[] {
  const specifiers: string[] = [];
  // `import ... from 'x'`, `export ... from 'x'` (over several lines, never past a semicolon) and `import 'x'`.
  const pattern = /^(?:import|export)\b(?:[^;'"]*?\bfrom\s*)?\s*['"]([^'"]+)['"]/gm;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) specifiers.push(match[1]);
  return specifiers;
}

const modules = sourceFiles(SRC).map((path) => ({
  module: relative(SRC, path).split('\\').join('/'),
  imports: importsOf(readFileSync(path, 'utf8')),
}));

describe('architecture of src/', () => {
  it('puts every source file in a layer, and src/ has no loose files outside the layers', () => {
    expect(modules.length).to.be.greaterThan(20);
    for (const { module } of modules) expect(() => layerOf(module), module).not.to.throw();
  });

  it('lets a folder import only folders above it (and files of its own folder)', () => {
    const violations: string[] = [];
    for (const { module, imports } of modules) {
      const from = layerOf(module);
      for (const specifier of imports.filter((s) => s.startsWith('.'))) {
        const target = relative(SRC, resolve(SRC, dirname(module), specifier)).split('\\').join('/') + '.ts';
        const to = layerOf(target);
        if (to.index > from.index || (to.index === from.index && to.group !== from.group && to.group.endsWith('/'))) {
          violations.push(`${module} imports ${target}`);
        }
      }
    }
    expect(violations).to.deep.equal([]);
  });

  it('keeps the pure parts free of HTTP: no routing-controllers, express, node:http or cookie imports', () => {
    const violations = modules
      .filter(({ module }) => PURE.some((group) => (group.endsWith('/') ? module.startsWith(group) : module === group)))
      .flatMap(({ module, imports }) => imports.filter((s) => HTTP_PACKAGES.test(s)).map((s) => `${module} imports ${s}`));
    expect(violations).to.deep.equal([]);
  });

  it('loads no routing-controllers or express at run time from any part above http/ (errors.ts included)', () => {
    const pure = modules.map(({ module }) => module).filter((module) => layerOf(module).index < layerOf('http/guard.ts').index);
    const script = `for (const m of ${JSON.stringify(pure.map((m) => join(DIST, m.replace(/\.ts$/, '.js'))))}) require(m);
      process.stdout.write(JSON.stringify(Object.keys(require.cache).filter((f) => /node_modules[\\/](routing-controllers|express)[\\/]/.test(f))));`;
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(run.status, run.stderr).to.equal(0);
    expect(JSON.parse(run.stdout)).to.deep.equal([]);
    expect(pure).to.include.members(['errors.ts', 'auth-manager.ts', 'authorize/requirement.ts']);
  });

  it('finds a violation when there is one (the checker itself is not blind)', () => {
    const text = "import 'reflect-metadata';\nimport type { X } from '../http/guard';\nexport {\n  y,\n} from './z';\nexport const A = 'a';";
    expect(importsOf(text)).to.deep.equal(['reflect-metadata', '../http/guard', './z']);
    expect(layerOf('http/guard.ts').index).to.be.greaterThan(layerOf('keys/jwk.ts').index);
  });
});
