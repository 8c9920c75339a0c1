/**
 * The keys of one trusted issuer: its configured JWK Set, or the one its metadata names (discovered once, then kept
 * like the keys), cached and reloaded like `JWT_JWKSURL` (cooldown, timeout, max age), failing closed.
 */
import { RemoteJwks, type RemoteJwksTiming } from '../keys/remote-jwks';
import type { VerificationKey } from '../keys/verification-key';
import { discoverJwksUrl } from './discovery';
import type { TrustedIssuer } from './trusted-issuer';

/** One issuer's key set, discovered when needed. */
export class IssuerKeys {
  #jwks: RemoteJwks | null = null;
  #lastDiscovery = -Infinity;
  #discovering: Promise<boolean> | null = null;

  constructor(
    private readonly entry: TrustedIssuer,
    private readonly timing: RemoteJwksTiming,
    private readonly onChange: () => void,
  ) {
    if ('jwksUrl' in entry.keys) this.#jwks = this.#remote(entry.keys.jwksUrl);
  }

  #remote(url: URL): RemoteJwks {
    return new RemoteJwks(url, this.timing, this.onChange, this.entry.algorithms);
  }

  /** The key a token's header names, from this issuer's set only. */
  lookup(header: Readonly<Record<string, unknown>>): VerificationKey | undefined {
    const { kid } = header;
    return typeof kid === 'string' ? this.#jwks?.lookup(kid) : undefined;
  }

  /** Discovers the set when not known yet (at most once per cooldown), then fetches it (at most once per cooldown). */
  async refresh(): Promise<boolean> {
    if (this.#jwks === null && !(await this.#discover())) return false;
    return (this.#jwks as RemoteJwks).refresh();
  }

  #discover(): Promise<boolean> {
    if (this.#discovering) return this.#discovering;
    if (Date.now() - this.#lastDiscovery < this.timing.cooldownMs || !('discoverFrom' in this.entry.keys)) return Promise.resolve(false);
    this.#lastDiscovery = Date.now();
    const from = this.entry.keys.discoverFrom;
    this.#discovering = discoverJwksUrl(this.entry.issuer, from, this.timing.timeoutMs)
      .then((url) => {
        if (url !== null && this.#jwks === null) this.#jwks = this.#remote(url);
        return url !== null;
      })
      .finally(() => {
        this.#discovering = null;
      });
    return this.#discovering;
  }

  /** True when the keys cannot be had: not discovered, never fetched, or the last fetch failed. */
  get unavailable(): boolean {
    return this.#jwks === null || this.#jwks.unavailable;
  }

  /** Starts a background reload once the keys are older than their max age. */
  touch(): void {
    this.#jwks?.touch();
  }
}
