/** What the demo knows about a user. */

/** `admin` users get the `admin` claim and scope; everyone gets the `profile` scope. */
export type Role = 'user' | 'admin';

/** A user as the store keeps it, minus the password hash. */
export interface User {
  readonly username: string;
  readonly displayName: string;
  readonly role: Role;
  readonly memberSince: string;
}

/** What GET /users/:userId and GET /me answer. */
export interface Profile {
  userId: string;
  displayName: string;
  role: Role;
  memberSince: string;
}
