/**
 * The ```ts blocks of README.md and their compilation with the TypeScript compiler API, as a package user's project
 * compiles them: strict, legacy decorators with metadata, Node's module resolution, this package's own declarations
 * (dist/, through the package's `exports`).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(__dirname, '..', '..', '..');

/** One ```ts block: its first line in README.md, its code, and how it is marked. */
export interface ReadmeBlock {
  line: number;
  code: string;
  /** Marked `<!-- fragment -->`: compiled inside a prepared context. */
  fragment: boolean;
  /** Marked `<!-- not compiled -->`: pseudo-code or an excerpt that needs more context than a fragment gets. */
  notCompiled: boolean;
  /** The text of the heading the block is under. */
  heading: string;
}

/** The marker, on the line before a block, of a fragment: compiled inside FRAGMENT_CONTEXT. */
export const FRAGMENT_MARKER = '<!-- fragment -->';
/** The marker of a block the spec does not compile (listed as pending, so that the list stays visible). */
export const NOT_COMPILED_MARKER = '<!-- not compiled -->';

/** Every ```ts block of README.md, in order. */
export function readmeBlocks(): ReadmeBlock[] {
  const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n');
  const blocks: ReadmeBlock[] = [];
  let heading = '';
  for (let index = 0; index < lines.length; index++) {
    if (lines[index].startsWith('#')) heading = lines[index].replace(/^#+\s*/, '');
    if (lines[index].trim() !== '```ts') continue;
    const start = index;
    const code: string[] = [];
    for (index++; index < lines.length && lines[index].trim() !== '```'; index++) code.push(lines[index]);
    let previous = start - 1;
    while (previous >= 0 && lines[previous].trim() === '') previous--;
    const marker = previous >= 0 ? lines[previous].trim() : '';
    blocks.push({ line: start + 1, code: code.join('\n'), fragment: marker === FRAGMENT_MARKER, notCompiled: marker === NOT_COMPILED_MARKER, heading });
  }
  return blocks;
}

/**
 * What a fragment may use without declaring it: an Express app, a manager, a request and a response, and every name
 * of this package, routing-controllers, typedi, express, ioredis and redis that it uses without importing it.
 */
const FRAGMENT_GLOBALS = `
declare const app: import('express').Express;
declare const authManager: import('routing-controllers-jwt').AuthManager;
declare const manager: import('routing-controllers-jwt').AuthManager;
declare const req: import('express').Request;
declare const res: import('express').Response;
`;

const OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.Node20,
  moduleResolution: ts.ModuleResolutionKind.Node16,
  lib: ['lib.es2022.d.ts'],
  types: ['node'],
  strict: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  esModuleInterop: true,
  skipLibCheck: true,
  noEmit: true,
};

/** The names a module exports (values and types), from its declarations. */
function exportsOf(program: ts.Program, file: ts.SourceFile, specifier: string): string[] {
  const resolved = ts.resolveModuleName(specifier, file.fileName, OPTIONS, ts.sys, undefined, undefined, ts.ModuleKind.CommonJS).resolvedModule;
  const source = resolved && program.getSourceFile(resolved.resolvedFileName);
  const symbol = source && program.getTypeChecker().getSymbolAtLocation(source);
  return symbol ? program.getTypeChecker().getExportsOfModule(symbol).map((exported) => exported.name) : [];
}

/** The source a block is compiled as: a fragment gets imports of the names it uses and does not declare. */
function sourceOf(block: ReadmeBlock, names: ReadonlyMap<string, string>): string {
  if (!block.fragment) return block.code;
  const own = new Set<string>();
  for (const match of block.code.matchAll(/\b(?:import|const|let|class|function|interface|type)\s*\{?([^;=(]*)/g)) {
    for (const name of match[1].split(/[\s,{}]+/)) own.add(name.replace(/^type\s+/, ''));
  }
  const imports = new Map<string, string[]>();
  for (const [name, from] of names) {
    if (own.has(name) || !new RegExp(`(?<![.\\w$'"])${name.replace('$', '\\$')}\\b`).test(block.code)) continue;
    imports.set(from, [...(imports.get(from) ?? []), name]);
  }
  const prelude = [...imports].map(([from, list]) => `import { ${list.join(', ')} } from '${from}';`).join('\n');
  return `${prelude}\n${FRAGMENT_GLOBALS}\n${block.code}\nexport {};\n`;
}

/** The compiler's errors for each block (an empty list for a block that compiles), in order. */
export function compileBlocks(blocks: readonly ReadmeBlock[]): string[][] {
  // A first program over an empty module, to read what the packages export.
  const probeName = join(ROOT, 'readme-probe.ts');
  const host = ts.createCompilerHost(OPTIONS);
  const virtual = new Map<string, string>([[probeName, 'export {};\n']]);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, language, onError, shouldCreate) => {
    const text = virtual.get(fileName);
    return text !== undefined ? ts.createSourceFile(fileName, text, language, true) : getSourceFile(fileName, language, onError, shouldCreate);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => virtual.has(fileName) || fileExists(fileName);
  const readFile = host.readFile.bind(host);
  host.readFile = (fileName) => virtual.get(fileName) ?? readFile(fileName);
  const packages = ['express', 'typedi', 'routing-controllers', 'routing-controllers-jwt', 'ioredis', 'redis'];
  virtual.set(probeName, packages.map((name, index) => `import * as p${index} from '${name}';\nvoid p${index};`).join('\n'));
  const probe = ts.createProgram([probeName], OPTIONS, host);
  const names = new Map<string, string>();
  for (const name of packages) for (const exported of exportsOf(probe, probe.getSourceFile(probeName) as ts.SourceFile, name)) {
    if (exported !== 'default') names.set(exported, name);
  }
  const fileNames = blocks.map((block, index) => {
    const fileName = join(ROOT, `readme-block-${index}.ts`);
    virtual.set(fileName, sourceOf(block, names));
    return fileName;
  });
  const program = ts.createProgram(fileNames, OPTIONS, host);
  return fileNames.map((fileName) =>
    ts.getPreEmitDiagnostics(program, program.getSourceFile(fileName)).map((diagnostic) => {
      const where = diagnostic.file && diagnostic.start !== undefined ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line + 1 : 0;
      return `(block line ${where}) TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
    }),
  );
}
