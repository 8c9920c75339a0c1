/**
 * Isolation of global state for the specs: the JWT_* variables of process.env and the typedi containers.
 * `isolateConfig()` registers mocha hooks in the calling `describe`.
 */
import 'reflect-metadata';
import { Container } from 'typedi';
import {
  JWT_AUTHMAXAGE,
  JWT_AUTHTYPE,
  JWT_CACHESIZE,
  JWT_ISSUER,
  JWT_PUBLICKEY,
  JWT_REFRESHMAXAGE,
  JWT_SECRET,
} from 'routing-controllers-jwt';

/** Every configuration name, as the environment spells it. */
export const CONFIG_NAMES = [
  'JWT_ISSUER',
  'JWT_AUTHTYPE',
  'JWT_SECRET',
  'JWT_AUTHMAXAGE',
  'JWT_REFRESHMAXAGE',
  'JWT_PUBLICKEY',
  'JWT_CACHESIZE',
] as const;

/** The typedi tokens of every configuration value. */
export const CONFIG_TOKENS = [JWT_ISSUER, JWT_AUTHTYPE, JWT_SECRET, JWT_AUTHMAXAGE, JWT_REFRESHMAXAGE, JWT_PUBLICKEY, JWT_CACHESIZE];

/** Scoped container ids the specs use; each is dropped after every test. */
export const SCOPED_CONTAINER_IDS = ['tenant-a', 'tenant-b'];

/**
 * Before each test: removes the JWT_* variables from process.env (they are restored afterwards), so that a developer's
 * shell cannot leak into a spec. After each test: restores them, removes the global typedi tokens, drops cached service
 * values (the AuthManager registration itself is kept) and drops the scoped containers.
 */
export function isolateConfig(): void {
  let saved: Record<string, string | undefined> = {};

  beforeEach(() => {
    saved = {};
    for (const name of CONFIG_NAMES) {
      saved[name] = process.env[name];
      delete process.env[name];
    }
  });

  afterEach(() => {
    for (const name of CONFIG_NAMES) {
      const value = saved[name];
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    Container.remove(CONFIG_TOKENS);
    for (const id of SCOPED_CONTAINER_IDS) Container.reset(id);
    // 'resetValue' (the default for the global container) forgets built instances but keeps @Service registrations.
    Container.reset();
  });
}

/** Configuration names of the key, session and audience features, as the environment spells them. */
export const FEATURE_CONFIG_NAMES = ['JWT_LEEWAY', 'JWT_AUDIENCE', 'JWT_KEYS', 'JWT_JWKSURL', 'JWT_AUTHJTI'] as const;

/** Removes `names` from process.env before each test of the calling `describe` and restores them afterwards. */
export function isolateEnv(names: readonly string[] = FEATURE_CONFIG_NAMES): void {
  const saved = new Map<string, string | undefined>();
  beforeEach(() => {
    for (const name of names) {
      saved.set(name, process.env[name]);
      delete process.env[name];
    }
  });
  afterEach(() => {
    for (const name of names) {
      const value = saved.get(name);
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
}
