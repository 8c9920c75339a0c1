/**
 * Where configuration values come from, first hit wins: (1) an Express app's settings or a plain object, (2) the
 * typedi container, (3) `process.env`, then an optional `.env` file (read with Node's own parser).
 */
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { Container, type ContainerInstance } from 'typedi';
import { InvalidConfigError } from '../errors';
import { TOKENS, type ConfigName } from './tokens';

/** An Express application (or anything with Express-style `settings`). */
export interface SettingsSource {
  settings: Record<string, unknown>;
}

/** Where configuration can come from first: an Express application, or a plain object keyed by config name. */
export type ConfigSource = SettingsSource | { [name: string]: unknown };

/** Everything a configuration is resolved from. */
export interface ConfigLayers {
  source?: ConfigSource;
  container?: ContainerInstance;
  dotenv?: Record<string, string>;
}

function isSettingsSource(source: ConfigSource): source is SettingsSource {
  return typeof source === 'function' && typeof (source as SettingsSource).settings === 'object';
}

/** Reads and parses a `.env` file with Node's own parser, without touching `process.env`. */
export function readDotenv(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new InvalidConfigError('dotenvPath', `cannot read the .env file (${code}); check the dotenvPath given to AuthManager`);
  }
  return parseEnv(text) as Record<string, string>;
}

const isMissing = (value: unknown): boolean => value === undefined || value === null || value === '';

function readFromContainer(container: ContainerInstance | undefined, name: ConfigName): unknown {
  const token = TOKENS[name];
  if (container && container.has(token)) return container.get(token);
  return Container.has(token) ? Container.get(token) : undefined;
}

/** Resolves one value: the source first, then the container's token, then the environment and the `.env` file. */
function readValue(layers: ConfigLayers, name: ConfigName): unknown {
  const { source } = layers;
  if (source !== undefined && source !== null) {
    // Express settings are read as app.get() reads them: a mounted sub-app inherits its parent's through the
    // prototype. A plain object counts only with its own properties.
    const value = isSettingsSource(source) ? source.settings[name] : Object.hasOwn(source, name) ? source[name] : undefined;
    if (!isMissing(value)) return value;
  }
  const fromContainer = readFromContainer(layers.container, name);
  if (!isMissing(fromContainer)) return fromContainer;
  const fromEnv = process.env[name];
  if (!isMissing(fromEnv)) return fromEnv;
  return layers.dotenv?.[name];
}

/** Every configuration value that is set, by name, read once from the layers. */
export type RawConfig = Readonly<Partial<Record<ConfigName, unknown>>>;

/** Reads every value once; values that are missing (unset, null or empty) are left out. */
export function readConfig(layers: ConfigLayers): RawConfig {
  const raw: Partial<Record<ConfigName, unknown>> = {};
  for (const name of Object.keys(TOKENS) as ConfigName[]) {
    const value = readValue(layers, name);
    if (!isMissing(value)) raw[name] = value;
  }
  return Object.freeze(raw);
}
