/**
 * Legacy decorators compiled without decorator metadata (as esbuild, tsx and swc by default compile) are detected at
 * decoration, and said once, with what to change. The snippets are compiled by TypeScript itself with and without
 * `emitDecoratorMetadata` and run in a child process, as an app would be.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';

const ROOT = resolve(__dirname, '..', '..', '..');
const run = promisify(execFile);

const SNIPPET = `
import 'reflect-metadata';
import { RequireToken } from 'routing-controllers-jwt';

class NoteController {
  @RequireToken()
  list(): string { return 'notes'; }

  @RequireToken({ scope: 'notes' })
  remove(id: string): string { return id; }
}
console.log(typeof NoteController);
`;

/** Compiles the snippet with `emitDecoratorMetadata` as given, runs it, and returns its stderr. */
async function stderrOf(emitDecoratorMetadata: boolean): Promise<string> {
  const { outputText } = ts.transpileModule(SNIPPET, {
    compilerOptions: { experimentalDecorators: true, emitDecoratorMetadata, module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  });
  // Inside the package, so that 'routing-controllers-jwt' resolves to the built package by its own name.
  const dir = mkdtempSync(join(ROOT, 'build', 'metadata-'));
  try {
    writeFileSync(join(dir, 'app.js'), outputText);
    const { stdout, stderr } = await run(process.execPath, [join(dir, 'app.js')], { cwd: ROOT });
    expect(stdout.trim()).to.equal('function');
    return stderr;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('decorator metadata detection', () => {
  it('warns once, naming the method and what to change, when legacy decorators come without metadata', async () => {
    const stderr = await stderrOf(false);
    const warnings = stderr.split('\n').filter((line) => line.includes('JWT_DECORATOR_METADATA_MISSING'));
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.include('NoteController.list was compiled without decorator metadata');
    expect(warnings[0]).to.match(/emitDecoratorMetadata/).and.match(/esbuild, tsx/).and.match(/decoratorMetadata: true/);
  });

  it('says nothing when TypeScript emits the metadata', async () => {
    expect(await stderrOf(true)).not.to.include('JWT_DECORATOR_METADATA_MISSING');
  });
});
