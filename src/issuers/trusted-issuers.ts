/**
 * The trusted issuers of one configuration, as the verifier uses them: each issuer's keys verify only that issuer's
 * tokens, and an issuer that is not trusted is never fetched.
 */
import type { RemoteJwksTiming } from '../keys/remote-jwks';
import type { TrustedIssuers, TrustedIssuerSource } from '../token/verifier';
import { verifySignature } from '../token/verify';
import { checkAccessToken } from './access-token';
import { IssuerKeys } from './issuer-keys';
import type { TrustedIssuer, TrustedIssuersConfig } from './trusted-issuer';

/** The most issuers a resolver's answers are kept for; past it the oldest is forgotten (and refetched if seen). */
const MAX_RESOLVED_ISSUERS = 1000;

function sourceOf(entry: TrustedIssuer, timing: RemoteJwksTiming, onKeysChanged: () => void): TrustedIssuerSource {
  const keys = new IssuerKeys(entry, timing, onKeysChanged);
  const lookup = keys.lookup.bind(keys);
  return Object.freeze({
    check(signed: string, now: number) {
      const verified = verifySignature(signed, lookup);
      if (!verified.valid) return verified;
      return checkAccessToken(signed, verified.header, verified.claims, verified.verifier, entry, now);
    },
    refresh: () => keys.refresh(),
    get unavailable() {
      return keys.unavailable;
    },
    leeway: entry.leeway,
    touch: () => keys.touch(),
    dpop: entry.dpop,
  });
}

/**
 * Builds what the verifier needs from a checked `JWT_ISSUERS`: called by the verifier with the function to call when
 * an issuer's keys changed (its cache is then cleared).
 */
export function trustedIssuers(config: TrustedIssuersConfig, timing: RemoteJwksTiming): (onKeysChanged: () => void) => TrustedIssuers {
  return (onKeysChanged) => {
    const sources = new Map<string, TrustedIssuerSource>();
    if ('list' in config) {
      for (const [issuer, entry] of config.list) sources.set(issuer, sourceOf(entry, timing, onKeysChanged));
      return Object.freeze({ find: (iss: string) => sources.get(iss) });
    }
    return Object.freeze({
      find(iss: string): TrustedIssuerSource | undefined {
        const known = sources.get(iss);
        if (known !== undefined) return known;
        const entry = config.resolve(iss);
        if (entry === undefined) return undefined;
        if (sources.size >= MAX_RESOLVED_ISSUERS) sources.delete(sources.keys().next().value as string);
        const source = sourceOf(entry, timing, onKeysChanged);
        sources.set(iss, source);
        return source;
      },
    });
  };
}
