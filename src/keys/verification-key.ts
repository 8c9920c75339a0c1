/** The shape of a key that verifies, and of the function that finds one for a token's header. */
import type { KeyObject } from 'node:crypto';
import type { AuthType } from './algorithms';

/** A key that verifies, bound to exactly one algorithm (RFC 8725 §3.1). */
export interface VerificationKey {
  /** The key id tokens name in their `kid` header; `null` for the single key of a one-key configuration. */
  readonly kid: string | null;
  readonly authType: AuthType;
  /** The secret (HMAC) or public key. */
  readonly key: KeyObject;
  /**
   * The other name of the same scheme a token header may give: `Ed25519` for a remote OKP key published without
   * `alg` and bound to `EdDSA` (RFC 9864 §2.2). Never another scheme.
   */
  readonly alsoNamed?: string;
}

/** Finds the key a token's header names; `undefined` when it names none that is known. */
export type KeyLookup = (header: Readonly<Record<string, unknown>>) => VerificationKey | undefined;
