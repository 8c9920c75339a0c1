/**
 * Telling a misspelt option from a required claim. Every key of `@RequireToken`'s options that is not an option name
 * is a claim the token must carry, so a typo of an option (`optinal: true`, `Scope: 'read'`) would otherwise become a
 * required claim and answer 403 to every token: a check silently changed. A key that reads like an option name is
 * refused instead; a claim with such a name is required explicitly, under `claims: { ... }`.
 */

/** Lower case, without `_` and `-`: `token_type`, `Token-Type` and `tokentype` all read as `tokentype`. */
function folded(name: string): string {
  return name.toLowerCase().replace(/[_-]/g, '');
}

/** True when `a` becomes `b` by one insertion, deletion, substitution or swap of two neighbours. */
function oneEditApart(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1 || a === b) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    // A substitution, or a swap of neighbours.
    return a.slice(i + 1) === b.slice(i + 1) || (a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2));
  }
  const [shorter, longer] = a.length < b.length ? [a, b] : [b, a];
  return shorter.slice(i) === longer.slice(i + 1);
}

// Short names have too many one-edit neighbours that are real claim names; only their case-folded forms are refused.
// A digit is deliberate naming (`claim1`, `scope2`), never a typo of an option name.
const LETTERS_ONLY = /^[A-Za-z_-]+$/;
const MIN_LENGTH_FOR_TYPOS = 5;

/**
 * The option `key` reads like, when it is not one itself: the same name in another case or with `_`/`-`
 * (`TokenType`, `token_type`), or, for option names of five letters or more, one typo away (`optinal`, `scopes`) in a
 * key of letters only (`claim1` is a claim).
 * `undefined` for a key that reads like no option: a required claim.
 *
 * @example
 * ```ts
 * lookalikeOption('optinal', ['optional', 'scope']); // 'optional'
 * lookalikeOption('tenant', ['optional', 'scope']); // undefined
 * ```
 */
export function lookalikeOption(key: string, optionNames: Iterable<string>): string | undefined {
  const foldedKey = folded(key);
  for (const name of optionNames) {
    if (name === key) return undefined;
  }
  for (const name of optionNames) {
    const foldedName = folded(name);
    if (foldedKey === foldedName) return name;
    if (name.length >= MIN_LENGTH_FOR_TYPOS && LETTERS_ONLY.test(key) && oneEditApart(foldedKey, foldedName)) return name;
  }
  return undefined;
}

/**
 * @throws TypeError naming the option meant, for the first key of `keys` that reads like an option name.
 */
export function refuseLookalikeOptions(keys: Iterable<string>, optionNames: Iterable<string>): void {
  for (const key of keys) {
    const meant = lookalikeOption(key, optionNames);
    if (meant !== undefined) {
      throw new TypeError(
        `Unknown option ${key}: did you mean ${meant}? A claim with this name is required under claims: { ${JSON.stringify(key)}: ... }`,
      );
    }
  }
}
