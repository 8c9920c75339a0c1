/**
 * Which route parameters a route path declares, read from the path as Express 4 (path-to-regexp 0.1) or Express 5
 * (path-to-regexp 8) would: the guard needs them to tell a required string that names a parameter from a literal,
 * even when the parameter is absent from the request. Pure string work, no HTTP.
 *
 * The reading is deliberately generous: a path is read with both grammars and the names of both are kept. A name
 * declared by mistake only turns a literal into a binding that fails closed (403); a name missed would turn a
 * binding into a literal comparison, which is the hole this module exists to close.
 */

// path-to-regexp 8 names: JavaScript identifiers. path-to-regexp 0.1 names: \w+.
const ID_START = /^[$_\p{ID_Start}]$/u;
const ID_CONTINUE = /^[$\u200c\u200d\p{ID_Continue}]$/u;
const WORD = /^\w$/;

/** What scanning collects: the names, and how many unnamed groups (Express names them 0, 1, ...). */
interface Scan {
  readonly names: Set<string>;
  unnamed: number;
}

/** The run of characters from `start` that pass `test` (and whose first passes `first`). */
function runOf(path: string, start: number, test: RegExp, first: RegExp = test): string {
  if (start >= path.length || !first.test(path[start])) return '';
  let end = start + 1;
  while (end < path.length && test.test(path[end])) end++;
  return path.slice(start, end);
}

/** A quoted name (Express 5 `:"user id"`) starting at the quote at `start`: the name and the index after it. */
function quotedAt(path: string, start: number): { name: string; next: number } {
  let name = '';
  let i = start + 1;
  for (; i < path.length && path[i] !== '"'; i++) name += path[i] === '\\' ? path[++i] ?? '' : path[i];
  return { name, next: i + 1 };
}

/**
 * Reads the name after a `:` or `*` at `start - 1`; returns the index of the last character used. An Express 4
 * `:name(regex)` skips its regex, which is that parameter's pattern, not a group of its own.
 */
function readName(path: string, start: number, wildcard: boolean, scan: Scan): number {
  // Express 4 reads `*` as an unnamed group whatever follows; Express 5 reads `*name` as a named wildcard.
  if (wildcard) scan.unnamed++;
  if (path[start] === '"') {
    const { name, next } = quotedAt(path, start);
    scan.names.add(name);
    return next - 1;
  }
  const modern = runOf(path, start, ID_CONTINUE, ID_START);
  const legacy = runOf(path, start, WORD);
  for (const name of [modern, legacy]) if (name !== '') scan.names.add(name);
  let end = start + Math.max(modern.length, legacy.length);
  if (!wildcard && legacy !== '' && path[start + legacy.length] === '(') {
    const close = path.indexOf(')', start + legacy.length);
    if (close !== -1) end = close + 1;
  }
  return end - 1;
}

/** A group opening at `(`: a named group (`(?<name>`) adds its name, a capturing one counts as unnamed. */
function readGroup(source: string, at: number, scan: Scan): void {
  if (source[at + 1] !== '?') {
    scan.unnamed++;
    return;
  }
  const named = /^\(\?<([^>=!][^>]*)>/.exec(source.slice(at, at + 256));
  if (named) scan.names.add(named[1]);
}

function scanString(path: string, scan: Scan): void {
  for (let i = 0; i < path.length; i++) {
    const char = path[i];
    if (char === '\\') i++;
    else if (char === ':' || char === '*') i = readName(path, i + 1, char === '*', scan);
    else if (char === '(') readGroup(path, i, scan);
  }
}

function scanRegExp(pattern: RegExp, scan: Scan): void {
  const { source } = pattern;
  for (let i = 0; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (source[i] === '(') readGroup(source, i, scan);
  }
}

/** Scans one route path (a string, a RegExp or an array of them); false for anything else. */
function scanPath(path: unknown, scan: Scan): boolean {
  if (typeof path === 'string') scanString(path, scan);
  else if (path instanceof RegExp) scanRegExp(path, scan);
  else if (Array.isArray(path)) return path.every((item) => scanPath(item, scan));
  else return false;
  return true;
}

/**
 * The names of the parameters a route path declares: `:name`, `:name?`, `:name(regex)` and `*` (named 0, 1, ...) of
 * Express 4; `:name`, `*name`, `:"quoted name"` and parameters inside `{...}` optional segments of Express 5; named
 * groups (and unnamed ones, 0, 1, ...) of a RegExp; the union over an array of paths. `undefined` when `path` is none
 * of these: then the route is unknown.
 *
 * @example
 * ```ts
 * declaredParamNames('/users{/:userId}'); // Set { 'userId' }
 * declaredParamNames(/^\/re\/(?<id>\d+)$/); // Set { 'id' }
 * ```
 */
export function declaredParamNames(path: unknown): ReadonlySet<string> | undefined {
  const scan: Scan = { names: new Set(), unnamed: 0 };
  if (!scanPath(path, scan)) return undefined;
  for (let i = 0; i < scan.unnamed; i++) scan.names.add(String(i));
  return scan.names;
}
