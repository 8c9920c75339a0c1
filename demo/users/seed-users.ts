/**
 * The demo's users, loaded into the user store at start-up (the store keeps only password hashes). The passwords are
 * published in the README's quick start: this is a demo, not a user database.
 */
import type { Role } from './user';

/** A user to create at start-up. */
export interface SeedUser {
  username: string;
  displayName: string;
  role: Role;
  password: string;
}

export const SEED_USERS: readonly SeedUser[] = [
  { username: 'alice', displayName: 'Alice Liddell', role: 'user', password: 'alice-password' },
  { username: 'bob', displayName: 'Bob Cratchit', role: 'user', password: 'bob-password' },
  { username: 'admin', displayName: 'Ada Admin', role: 'admin', password: 'admin-password' },
];
