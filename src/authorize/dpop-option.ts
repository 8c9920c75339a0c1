/** The `dpop` option of `@RequireToken` / `requireToken()`, checked once at decoration. */

/** Whether a guard accepts DPoP (RFC 9449): refused, accepted beside Bearer, or the only way. */
export type DpopMode = 'off' | 'allowed' | 'required';

/**
 * The guard's DPoP mode, or `undefined` to take the configuration's (`JWT_DPOP`). `false` is `'off'`.
 *
 * @throws TypeError for any other value.
 * @example
 * ```ts
 * normaliseDpopOption('required'); // 'required'
 * ```
 */
export function normaliseDpopOption(value: unknown): DpopMode | undefined {
  if (value === undefined) return undefined;
  if (value === false || value === 'off') return 'off';
  if (value === 'allowed' || value === 'required') return value;
  throw new TypeError("dpop must be 'required', 'allowed' or false");
}
