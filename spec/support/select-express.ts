/**
 * Mocha `--require` hook (see .mocharc.json): picks the ONE express that the whole test process runs on.
 *
 * `npm test` runs the suite twice: on express 5 (EXPRESS_MAJOR unset or 5, the top-level `express` package) and on
 * express 4 (EXPRESS_MAJOR=4, the `express4` devDependency, an alias of express@4). Without this hook, a run cannot be
 * pinned to one major: the specs would get the top-level express 5 whatever the variable says, and routing-controllers
 * resolves `express` from its own folder, where npm installs a nested express 4 (its optional dependency), so
 * createExpressServer() would silently build an express 4 app in the middle of the express 5 run.
 *
 * So we wrap Module._resolveFilename, the one function every CommonJS `require()` and `require.resolve()` goes through,
 * and send every request for `express` or `express/<path>`, whoever makes it (the specs, the library, routing-
 * controllers, any other package), to the selected copy, ignoring the caller's folder and `paths` option. A package's
 * own dependencies (express 4's body-parser, router, ...) still resolve from its own folder as usual. ES module
 * `import`s do not go through this function; everything here (specs, dist, routing-controllers) is CommonJS.
 */
import Module from 'node:module';
import { dirname, join } from 'node:path';

type ResolveFilename = (request: string, parent: Module | null | undefined, isMain: boolean, options?: object) => string;

const SUPPORTED = ['4', '5'];
const major = process.env.EXPRESS_MAJOR || '5';
if (!SUPPORTED.includes(major)) {
  throw new Error(`EXPRESS_MAJOR must be one of ${SUPPORTED.join(', ')} (or unset for 5), not ${JSON.stringify(major)}`);
}

// Resolved before the wrapper is installed, from this file's folder: the project's top-level node_modules.
const root = dirname(require.resolve(major === '4' ? 'express4/package.json' : 'express/package.json'));

const moduleInternals = Module as unknown as { _resolveFilename: ResolveFilename };
const resolveFilename = moduleInternals._resolveFilename;

moduleInternals._resolveFilename = function selectExpress(this: unknown, request, parent, isMain, options) {
  if (request === 'express') return resolveFilename.call(this, root, parent, isMain);
  if (request.startsWith('express/')) return resolveFilename.call(this, join(root, request.slice('express/'.length)), parent, isMain);
  return resolveFilename.call(this, request, parent, isMain, options);
};
