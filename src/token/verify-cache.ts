/**
 * A bounded cache of verified tokens, keyed by the exact token string (the verifier hands it the canonical, low-S
 * spelling of an ECDSA token: see canonical-signature.ts). It only ever holds tokens whose signature and
 * registered claims were verified, so garbage cannot evict good entries, and each entry is dropped once its `exp`
 * has passed. Everything that is not about the signature (type, claims, scope) is still checked per request.
 */
import type { JWT } from './jwt';

interface Entry {
  readonly token: JWT;
  readonly exp: number;
}

/** The default number of entries. */
export const DEFAULT_CACHE_SIZE = 1000;

/** Least-recently-used cache of verified tokens. A Map keeps insertion order, which serves as recency order. */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, Entry>();

  constructor(readonly maxEntries: number) {}

  /** The verified token for `signed`, if it is cached and not expired at `nowSeconds`. */
  get(signed: string, nowSeconds: number): JWT | undefined {
    const entry = this.#entries.get(signed);
    if (entry === undefined) return undefined;
    this.#entries.delete(signed);
    if (nowSeconds >= entry.exp) return undefined;
    this.#entries.set(signed, entry);
    return entry.token;
  }

  /** Remembers a token that was just verified. */
  set(signed: string, token: JWT, exp: number): void {
    if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(signed, { token, exp });
  }

  /** Forgets every entry (keys changed). */
  clear(): void {
    this.#entries.clear();
  }

  /** How many tokens are cached. */
  get size(): number {
    return this.#entries.size;
  }
}
