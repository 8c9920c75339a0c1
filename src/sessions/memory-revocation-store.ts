/** The default revocation store: one process's memory. */
import type { RevocationStore } from './revocation-store';

/** The default store: one process's memory, bounded by dropping expired entries as it goes. */
export class MemoryRevocationStore implements RevocationStore {
  readonly #entries = new Map<string, number>();
  #nextSweep = 0;

  /** How many entries are kept now (expired ones included until the next sweep). */
  get size(): number {
    return this.#entries.size;
  }

  async revoke(key: string, expiresAt: number): Promise<void> {
    this.#sweep();
    this.#entries.set(key, Math.max(expiresAt, this.#entries.get(key) ?? 0));
  }

  async isRevoked(keys: readonly string[]): Promise<boolean> {
    return this.isRevokedNow(keys);
  }

  isRevokedNow(keys: readonly string[]): boolean {
    const now = Date.now() / 1000;
    return keys.some((key) => (this.#entries.get(key) ?? 0) > now);
  }

  async use(key: string, expiresAt: number): Promise<boolean> {
    // Check and set with no await between them: of concurrent uses, exactly one wins.
    if ((this.#entries.get(key) ?? 0) > Date.now() / 1000) return false;
    this.#sweep();
    this.#entries.set(key, expiresAt);
    return true;
  }

  async release(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  // Drops expired entries at most once a minute, so that memory follows the live tokens only.
  #sweep(): void {
    const now = Date.now() / 1000;
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + 60;
    for (const [key, expiresAt] of this.#entries) if (expiresAt <= now) this.#entries.delete(key);
  }
}
