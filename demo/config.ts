/**
 * The demo's configuration: values from the environment, then from demo/.env (the environment wins), turned into
 * the library's typedi tokens. The library checks them when the AuthManager is built, here, at start-up, so a wrong
 * value stops the demo before it listens.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { Container } from 'typedi';
import {
  AuthManager,
  AuthType,
  JWT_AUTHMAXAGE,
  JWT_AUTHTYPE,
  JWT_ISSUER,
  JWT_PUBLICKEY,
  JWT_REFRESHMAXAGE,
  JWT_SECRET,
  JwtAuthError,
} from 'routing-controllers-jwt';

/** The .env file read when DEMO_ENV_FILE is not set: demo/.env next to the sources (this file runs from build/demo). */
export const DEFAULT_ENV_FILE = resolve(__dirname, '..', '..', 'demo', '.env');

/** How to make a secret, quoted in messages. */
const MAKE_A_SECRET = `node -e "console.log(require('crypto').randomBytes(64).toString('base64url'))"`;

/** The demo refuses to start; `message` is one line that says what to set. */
export class StartupRefusal extends Error {
  override readonly name = 'StartupRefusal';
}

/** What the rest of the demo needs to know once the tokens are set. */
export interface DemoConfig {
  port: number;
  nodeEnv: string;
  issuer: string;
  algorithm: string;
  /** The .env file that was read, if any. */
  envFile: string | undefined;
  /** Where the signing key came from. */
  secretFrom: 'environment' | 'generated';
  /** Seconds; for cookie lifetimes. */
  authMaxAge: number;
  refreshMaxAge: number;
}

type Values = Record<string, string | undefined>;

/** The .env file's values; an explicit DEMO_ENV_FILE must exist, the default one may be absent. */
function readEnvFile(env: Values): { file: string | undefined; values: Values } {
  const explicit = env.DEMO_ENV_FILE;
  const file = explicit ? resolve(explicit) : DEFAULT_ENV_FILE;
  if (!existsSync(file)) {
    if (explicit) throw new StartupRefusal(`DEMO_ENV_FILE=${explicit}: no such file`);
    return { file: undefined, values: {} };
  }
  return { file, values: parseEnv(readFileSync(file, 'utf8')) };
}

/** A signing key made at start-up, for development only: tokens do not survive a restart. */
function generatedKey(authType: AuthType): { secret: string | KeyObject; publicKey?: KeyObject } {
  if (authType.family === 'hmac') return { secret: randomBytes(64).toString('base64url') };
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { secret: privateKey, publicKey };
}

function parsePort(value: string | undefined): number {
  if (value === undefined) return 3000;
  const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new StartupRefusal(`PORT=${value} is not a port number; use e.g. PORT=3000`);
  return port;
}

/**
 * Reads the configuration, sets the library's typedi tokens and builds the AuthManager once, so that a missing or
 * wrong value is reported now rather than on the first request.
 *
 * @param warn - Where warnings go (the generated-secret warning).
 * @throws StartupRefusal with a one-line message when the demo must not start.
 */
export function configure(env: Values = process.env, warn: (line: string) => void = console.warn): DemoConfig {
  const { file, values: fromFile } = readEnvFile(env);
  // An empty value counts as unset, as in the library.
  const value = (name: string): string | undefined => env[name] || fromFile[name] || undefined;

  const nodeEnv = value('NODE_ENV') ?? 'development';
  const port = parsePort(value('PORT'));
  const issuer = value('JWT_ISSUER') ?? 'routing-controllers-jwt-demo';
  const algorithm = value('JWT_AUTHTYPE') ?? 'HS256';
  let secret: string | KeyObject | undefined = value('JWT_SECRET');
  let publicKey: string | KeyObject | undefined = value('JWT_PUBLICKEY');
  let secretFrom: DemoConfig['secretFrom'] = 'environment';

  try {
    if (secret === undefined) {
      if (nodeEnv === 'production') {
        throw new StartupRefusal(
          `refusing to start: JWT_SECRET is not set and NODE_ENV=production. Set JWT_SECRET in the environment or in demo/.env; make one with: ${MAKE_A_SECRET}`,
        );
      }
      const authType = AuthType.from(algorithm);
      if (authType.family === 'rsa' && publicKey !== undefined) {
        throw new StartupRefusal(`JWT_PUBLICKEY is set but JWT_SECRET is not: set the private key that goes with it as JWT_SECRET`);
      }
      ({ secret, publicKey } = generatedKey(authType));
      secretFrom = 'generated';
      warn(
        `warning: JWT_SECRET is not set, so a random ${authType.family === 'hmac' ? '64-byte secret' : 'RSA key pair'} was generated ` +
          `for this run: tokens will not survive a restart. Set JWT_SECRET in demo/.env (see demo/.env.example) to keep them.`,
      );
    }

    Container.set(JWT_ISSUER, issuer);
    Container.set(JWT_AUTHTYPE, algorithm);
    Container.set(JWT_SECRET, secret);
    if (publicKey !== undefined) Container.set(JWT_PUBLICKEY, publicKey);
    const authMaxAge = value('JWT_AUTHMAXAGE');
    if (authMaxAge !== undefined) Container.set(JWT_AUTHMAXAGE, authMaxAge);
    const refreshMaxAge = value('JWT_REFRESHMAXAGE');
    if (refreshMaxAge !== undefined) Container.set(JWT_REFRESHMAXAGE, refreshMaxAge);

    // Building the manager checks every value (key strength, max ages, the algorithm) once.
    const signer = Container.get(AuthManager).signer;
    if (signer === null) throw new StartupRefusal('the AuthManager was built without a signer');
    return {
      port,
      nodeEnv,
      issuer,
      algorithm,
      envFile: file,
      secretFrom,
      authMaxAge: signer.authMaxAge,
      refreshMaxAge: signer.refreshMaxAge,
    };
  } catch (error) {
    // The library's configuration errors already name the value and say how to fix it.
    if (error instanceof JwtAuthError) throw new StartupRefusal(error.message);
    throw error;
  }
}
