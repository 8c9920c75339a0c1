/**
 * The embedded user store: seeded at start-up, in memory. Passwords are kept as scrypt hashes only.
 */
import { Service } from 'typedi';
import { hashPassword, verifyPassword, type PasswordHash } from './password-hash';
import type { SeedUser } from './seed-users';
import type { User } from './user';

interface StoredUser {
  user: User;
  password: PasswordHash;
}

@Service()
export class UserStore {
  readonly #users = new Map<string, StoredUser>();
  // Checked against when the username is unknown, so that a wrong username costs as much time as a wrong password.
  #decoy: PasswordHash | undefined;

  /** Adds `seeds`, hashing their passwords; the plain-text passwords are not kept. */
  async seed(seeds: readonly SeedUser[]): Promise<void> {
    const memberSince = new Date().toISOString();
    for (const { password, ...user } of seeds) {
      this.#users.set(user.username, { user: { ...user, memberSince }, password: await hashPassword(password) });
    }
    this.#decoy ??= await hashPassword('decoy');
  }

  /** The user named `username`, if any. */
  async find(username: string): Promise<User | undefined> {
    return this.#users.get(username)?.user;
  }

  /** The user, when `username` exists and `password` is theirs; `undefined` otherwise, whichever was wrong. */
  async authenticate(username: string, password: string): Promise<User | undefined> {
    const stored = this.#users.get(username);
    const hash = stored?.password ?? this.#decoy;
    if (hash === undefined) return undefined;
    const matches = await verifyPassword(password, hash);
    return matches && stored ? stored.user : undefined;
  }
}
