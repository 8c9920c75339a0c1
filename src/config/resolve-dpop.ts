/**
 * The DPoP settings of a configuration (JWT_DPOP, JWT_DPOPNONCE, JWT_DPOPALGS), checked once with messages that say
 * what to fix.
 */
import { createHash } from 'node:crypto';
import { InvalidConfigError } from '../errors';
import { createDpopNonces, type DpopNonces } from '../token/dpop-nonce';
import { DEFAULT_DPOP_ALGORITHMS, DPOP_ALGORITHMS, type DpopProofPolicy } from '../token/dpop-proof';
import type { DpopMode } from '../authorize/dpop-option';
import type { RawConfig } from './sources';

/** What a configuration verifies DPoP proofs with. */
export interface DpopSettings {
  /** The default of guards that do not say. */
  readonly mode: DpopMode;
  readonly policy: DpopProofPolicy;
  /** The accepted algorithms as the `algs` value of a `DPoP` challenge (RFC 9449 §7.1), quoted once. */
  readonly challengeAlgs: string;
  /** Server nonces, or `null` when proofs need none. */
  readonly nonces: DpopNonces | null;
}

/** Seconds a proof's `iat` may be off: RFC 9449 §11.1 asks for a short window; this also bounds the replay store. */
export const DPOP_WINDOW = 60;
/** Seconds a server nonce is current (the previous one is still accepted). */
export const DPOP_NONCE_ROTATION = 300;
const MIN_NONCE_KEY_LENGTH = 32;
const MODES: readonly DpopMode[] = ['off', 'allowed', 'required'];

function mode(raw: RawConfig): DpopMode {
  const value = raw.JWT_DPOP;
  if (value === undefined) return 'allowed';
  if (typeof value === 'string' && (MODES as readonly string[]).includes(value)) return value as DpopMode;
  throw new InvalidConfigError('JWT_DPOP', 'must be "off", "allowed" or "required"');
}

function algorithms(raw: RawConfig): readonly string[] {
  const value = raw.JWT_DPOPALGS;
  if (value === undefined) return DEFAULT_DPOP_ALGORITHMS;
  const names = typeof value === 'string' ? value.split(/[\s,]+/).filter(Boolean) : value;
  if (!Array.isArray(names) || names.length === 0 || !names.every((name) => typeof name === 'string' && Object.hasOwn(DPOP_ALGORITHMS, name))) {
    throw new InvalidConfigError('JWT_DPOPALGS', `must name one or more asymmetric algorithms among ${Object.keys(DPOP_ALGORITHMS).join(' ')}`);
  }
  return names as string[];
}

function nonces(raw: RawConfig): DpopNonces | null {
  const value = raw.JWT_DPOPNONCE;
  if (value === undefined || value === false || value === 'false' || value === '0') return null;
  if (value === true || value === 'true' || value === '1') return createDpopNonces(null, DPOP_NONCE_ROTATION);
  if (typeof value === 'string' && value.length >= MIN_NONCE_KEY_LENGTH) {
    return createDpopNonces(createHash('sha256').update(value).digest(), DPOP_NONCE_ROTATION);
  }
  throw new InvalidConfigError('JWT_DPOPNONCE', `must be true, false, or a shared key of at least ${MIN_NONCE_KEY_LENGTH} characters`);
}

/**
 * The DPoP settings of `raw`.
 *
 * @throws InvalidConfigError naming the value that is unusable.
 */
export function resolveDpop(raw: RawConfig): DpopSettings {
  const algs = algorithms(raw);
  return Object.freeze({
    mode: mode(raw),
    policy: Object.freeze({ algorithms: new Set(algs), window: DPOP_WINDOW }),
    challengeAlgs: `"${algs.join(' ')}"`,
    nonces: nonces(raw),
  });
}
