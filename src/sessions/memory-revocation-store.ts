/** The default revocation store: one process's memory. */
import type { RetireRequest, RevocationStore, StoreRetireOutcome } from './revocation-store';

/** The successor named by a retirement done less than `graceMs` ago (`d:<ms>:<successor>:<attempt>`). */
function graceSuccessor(value: string | undefined, graceMs: number): string | undefined {
  const match = graceMs > 0 && value !== undefined ? /^d:(\d+):([^:]+):/.exec(value) : null;
  return match !== null && Date.now() - Number(match[1]) < graceMs ? match[2] : undefined;
}

/** The default store: one process's memory, bounded by dropping expired entries as it goes. */
export class MemoryRevocationStore implements RevocationStore {
  readonly #entries = new Map<string, { expiresAt: number; value: string }>();
  #nextSweep = 0;

  /** How many entries are kept now (expired ones included until the next sweep). */
  get size(): number {
    return this.#entries.size;
  }

  #live(key: string): { expiresAt: number; value: string } | undefined {
    const entry = this.#entries.get(key);
    return entry !== undefined && entry.expiresAt > Date.now() / 1000 ? entry : undefined;
  }

  async revoke(key: string, expiresAt: number): Promise<void> {
    this.#sweep();
    this.#entries.set(key, { expiresAt: Math.max(expiresAt, this.#entries.get(key)?.expiresAt ?? 0), value: '1' });
  }

  async isRevoked(keys: readonly string[]): Promise<boolean> {
    return this.isRevokedNow(keys);
  }

  isRevokedNow(keys: readonly string[]): boolean {
    return keys.some((key) => this.#live(key) !== undefined);
  }

  async use(key: string, expiresAt: number, attempt = '1'): Promise<boolean> {
    // Check and set with no await between them: of concurrent uses, exactly one wins.
    if (this.#live(key) !== undefined) return false;
    this.#sweep();
    this.#entries.set(key, { expiresAt, value: attempt });
    return true;
  }

  async release(key: string, attempt?: string): Promise<void> {
    const value = this.#entries.get(key)?.value;
    if (attempt === undefined || value === attempt || value?.endsWith(`:${attempt}`) === true) this.#entries.delete(key);
  }

  // No await between the check and the write: the decision is atomic, and the retirement done at once (this store
  // never answers late, so nothing is ever pending here).
  async retire(request: RetireRequest): Promise<StoreRetireOutcome> {
    if (this.isRevokedNow([request.familyKey])) return 'revoked';
    const retired = this.#live(request.retiredKey) !== undefined;
    if (!retired && request.mode === 'check') return 'unused';
    if (!retired) {
      this.#sweep();
      const value = request.successor === undefined ? `d:${request.attempt}` : `d:${Date.now()}:${request.successor}:${request.attempt}`;
      this.#entries.set(request.retiredKey, { expiresAt: request.retiredUntil, value });
      return 'rotated';
    }
    const successor = graceSuccessor(this.#entries.get(request.retiredKey)?.value, request.graceMs ?? 0);
    if (successor !== undefined) return request.mode === 'check' ? 'unused' : `grace:${successor}`;
    this.#sweep();
    this.#entries.set(request.familyKey, { expiresAt: request.familyUntil, value: request.attempt });
    return 'reused';
  }

  async revokeBefore(key: string, before: number, expiresAt: number): Promise<void> {
    this.#sweep();
    const earlier = Number(this.#live(key)?.value ?? 0);
    this.#entries.set(key, { expiresAt: Math.max(expiresAt, this.#entries.get(key)?.expiresAt ?? 0), value: String(Math.max(before, earlier)) });
  }

  async revokedBefore(key: string): Promise<number | null> {
    return this.revokedBeforeNow(key);
  }

  revokedBeforeNow(key: string): number | null {
    const value = this.#live(key)?.value;
    return value === undefined ? null : Number(value);
  }

  async confirm(): Promise<boolean> {
    // Retirements are done when written.
    return true;
  }

  // Drops expired entries at most once a minute, so that memory follows the live tokens only.
  #sweep(): void {
    const now = Date.now() / 1000;
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + 60;
    for (const [key, { expiresAt }] of this.#entries) if (expiresAt <= now) this.#entries.delete(key);
  }
}
