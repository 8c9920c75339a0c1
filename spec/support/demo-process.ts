/** The demo (demo/, `npm run demo`) as a real child process, for the specs that drive it over HTTP. */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

/** The compiled demo entry point. */
export const DEMO_MAIN = resolve(__dirname, '..', '..', 'demo', 'main.js');
/** Preloaded into the demo, so that it runs on this run's express too (it inherits EXPRESS_MAJOR). */
const SELECT_EXPRESS = resolve(__dirname, 'select-express.js');
const READY_TIMEOUT_MS = 15_000;

/** A spawned demo process. */
export interface DemoProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

/** A started demo process and its base URL. */
export interface RunningDemo extends DemoProcess {
  url: string;
}

/** The environment of this test run without anything the demo reads, plus `values`. */
export function demoEnv(values: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(JWT_|PORT$|NODE_ENV$|DEMO_)/.test(name)) env[name] = value;
  }
  return { ...env, ...values };
}

export function spawnDemo(env: NodeJS.ProcessEnv): DemoProcess {
  const child = spawn(process.execPath, ['--require', SELECT_EXPRESS, DEMO_MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((resolveExit) => child.on('close', (code) => resolveExit(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Starts the demo and waits for its "listening on <url>" line. */
export async function startDemo(env: NodeJS.ProcessEnv): Promise<RunningDemo> {
  const demo = spawnDemo(env);
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo did not listen within ${READY_TIMEOUT_MS} ms:\n${demo.stderr()}`)), READY_TIMEOUT_MS);
    const onData = (): void => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(demo.stdout());
      if (match) {
        clearTimeout(timer);
        demo.child.stdout?.off('data', onData);
        resolveUrl(match[1]);
      }
    };
    demo.child.stdout?.on('data', onData);
    void demo.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited with ${code} before listening:\n${demo.stderr()}`));
    });
  });
  return { ...demo, url };
}

export async function stopDemo(demo: DemoProcess | undefined): Promise<void> {
  if (!demo) return;
  if (demo.child.exitCode === null && demo.child.signalCode === null) demo.child.kill('SIGTERM');
  await demo.exited;
}

/** Runs the demo to its end (for start-up refusals). */
export async function runDemo(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const demo = spawnDemo(env);
  const timer = setTimeout(() => demo.child.kill('SIGKILL'), READY_TIMEOUT_MS);
  const code = await demo.exited;
  clearTimeout(timer);
  return { code, stdout: demo.stdout(), stderr: demo.stderr() };
}
