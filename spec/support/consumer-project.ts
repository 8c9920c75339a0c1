/**
 * Fresh consumer projects for the compatibility matrix: the packed tarball and its peers installed from the npm
 * registry into temporary directories outside the repository, compiled with the project's own TypeScript and run with a
 * chosen Node binary. npm's cache makes repeated installs fast (`--prefer-offline`).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];

/** The repository root (build/spec/support/ -> ../../..). */
export const REPO_ROOT = resolve(__dirname, '..', '..', '..');

/** Whether the npm registry answers (a cached metadata lookup counts: the installs use the cache too). */
export async function registryReachable(): Promise<boolean> {
  try {
    await run('npm', ['view', 'typescript@6.0', 'version', '--prefer-offline'], { timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/** Packs the built package (dist/ must be built) into `into`; returns the tarball's path. */
export async function packTarball(into: string): Promise<string> {
  await run('npm', ['pack', '--pack-destination', into, '--loglevel=error'], { cwd: REPO_ROOT, timeout: 120_000 });
  const tarball = (await readdir(into)).find((name) => name.endsWith('.tgz'));
  if (tarball === undefined) throw new Error('npm pack wrote no tarball');
  return join(into, tarball);
}

/** A new empty directory under the system's temporary directory. */
export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Writes `files` (relative path -> text) into `dir`, creating folders. */
export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
  }
}

/** Creates a CommonJS project in a new temporary directory and installs `dependencies` (name -> spec) into it. */
export async function installProject(prefix: string, dependencies: Record<string, string>): Promise<string> {
  const dir = await tempDir(prefix);
  await writeFiles(dir, {
    'package.json': JSON.stringify({ name: 'compat-consumer', private: true, type: 'commonjs', dependencies }, null, 2),
  });
  await run('npm', ['install', ...NPM_FLAGS], { cwd: dir, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
  return dir;
}

/** The `tsc` script of the TypeScript package installed in `dir` as `name` (`typescript` or an npm alias). */
export function tscOf(dir: string, name: string): string {
  return join(dir, 'node_modules', name, 'bin', 'tsc');
}

/** Compiles the project's tsconfig.json in `dir` into `outDir` with the `tsc` script at `tsc`. */
export async function compile(dir: string, tsc: string, outDir: string): Promise<void> {
  try {
    await run(process.execPath, [tsc, '-p', 'tsconfig.json', '--outDir', outDir], { cwd: dir, timeout: 180_000 });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${tsc} failed in ${dir}:\n${stdout}${stderr}`, { cause: error });
  }
}

/** The version of the package installed in `dir` as `name` (an npm alias included). */
export async function installedVersion(dir: string, name: string): Promise<string> {
  const manifest = JSON.parse(await readFile(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

/** Removes a temporary directory. */
export function removeDir(dir: string): Promise<void> {
  // Retries: a child process may still be writing (npm's cache, a server's log) when the directory goes.
  return rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
}

/** A started fixture app. */
export interface RunningApp {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `node <script>` in `dir` with `nodeBinary` and waits for its "listening on <url>" line. */
export async function startApp(nodeBinary: string, dir: string, script: string): Promise<RunningApp> {
  const child: ChildProcess = spawn(nodeBinary, [script], { cwd: dir, env: { ...process.env, NODE_ENV: 'production' } });
  let output = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start in 30 s:\n${output}`)), 30_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${String(code)}:\n${output}`));
    });
  });
  return {
    url,
    output: () => output,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill();
      }),
  };
}
