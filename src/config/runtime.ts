/**
 * What a manager runs with, built once per distinct configuration and shared by every manager built from it: the
 * signer, the key ring, the verifier (cache and remote keys), the sessions module (revocation store) and the realm.
 * Per-request typedi containers, sub-apps and several `initApp` calls with the same values therefore see the same
 * revocations and the same cache; a manager never holds state of its own.
 */
import { quotedRealm } from '../authorize/rejections';
import type { AuthData } from '../keys/auth-data';
import { KeyRing } from '../keys/key-ring';
import { MemoryRevocationStore } from '../sessions/memory-revocation-store';
import { createSessions, type Sessions } from '../sessions/sessions';
import { createVerifier, type Verifier } from '../token/verifier';
import type { VerifyPolicy } from '../token/verify';
import { trustedIssuers } from '../issuers/trusted-issuers';
import { fingerprintOf } from './fingerprint';
import { resolveDpop, type DpopSettings } from './resolve-dpop';
import { resolveConfig, type MaxAgeDefaults } from './resolve-config';
import { readConfig, type ConfigLayers } from './sources';

/** Everything one configuration runs with. */
export interface Runtime {
  /** The key that signs, or `null` for a verify-only configuration. */
  readonly signer: AuthData | null;
  readonly ring: KeyRing;
  readonly policy: VerifyPolicy;
  readonly verifier: Verifier;
  readonly sessions: Sessions;
  /** Whether auth tokens get a jti (and are checked for revocation). */
  readonly authJti: boolean;
  /**
   * The issuer as a quoted `realm` value for `WWW-Authenticate`, quoted once; with `JWT_RESOURCEMETADATA`, followed by
   * the `resource_metadata` parameter (RFC 9728 §5.1), so that every challenge names it.
   */
  readonly realm: string;
  /** How DPoP proofs are verified (RFC 9449). */
  readonly dpop: DpopSettings;
}

/** The defaults a configuration is resolved with. */
export type RuntimeDefaults = MaxAgeDefaults & { readonly cacheSize: number };

// One runtime per distinct configuration for the life of the process: dropping one would forget the revocations of
// its memory store while tokens it concerns still verify. A service has one configuration, or a few.
const runtimes = new Map<string, Runtime>();
const MANY_CONFIGURATIONS = 1000;

function buildRuntime(layers: ConfigLayers, defaults: RuntimeDefaults): { key: string; build: () => Runtime } {
  const raw = readConfig(layers);
  return {
    key: fingerprintOf(raw, defaults),
    build: () => {
      const config = resolveConfig(raw, defaults);
      const ring = new KeyRing(config.keys);
      const dpop = resolveDpop(raw);
      return Object.freeze({
        signer: config.signer,
        ring,
        policy: config.policy,
        verifier: createVerifier({
          ring,
          remote: config.remote,
          policy: config.policy,
          cacheSize: config.cacheSize,
          trustedIssuers: config.trustedIssuers === null ? null : trustedIssuers(config.trustedIssuers, config.remoteTiming),
        }),
        sessions: createSessions({
          store: config.revocationStore ?? new MemoryRevocationStore(),
          timeoutMs: config.revocationTimeoutMs,
          graceMs: config.refreshGraceMs,
          leeway: config.policy.leeway,
          refreshMaxAge: config.refreshMaxAge,
          issuer: config.policy.issuer,
        }),
        authJti: config.authJti,
        // A URL's href never holds a quote or a backslash: safe in the quoted-string as it is.
        realm: quotedRealm(config.policy.issuer) + (config.resourceMetadata === null ? '' : `, resource_metadata="${config.resourceMetadata.href}"`),
        dpop,
      });
    },
  };
}

/**
 * The runtime of the configuration the layers describe: the shared one when the same values were configured
 * before, else a new one (checked in full).
 *
 * @throws MissingConfigError / InvalidConfigError when the configuration is incomplete or wrong.
 */
export function runtimeFor(layers: ConfigLayers, defaults: RuntimeDefaults): Runtime {
  const { key, build } = buildRuntime(layers, defaults);
  let runtime = runtimes.get(key);
  if (runtime === undefined) {
    runtime = build();
    runtimes.set(key, runtime);
    if (runtimes.size === MANY_CONFIGURATIONS) {
      process.emitWarning(`routing-controllers-jwt: ${MANY_CONFIGURATIONS} distinct configurations were built in this process; ` +
        'is a new revocation store (or key object) made per request? Configure it once and reuse it.');
    }
  }
  return runtime;
}
