/**
 * Options every server-facing command shares (`--server`, `--trust-dir`,
 * `--tlscacert`, `--config`, `--deadline`) and their resolution with the
 * environment and a notary-style client config file.
 *
 * Precedence: flags, then the environment (DOCKER_CONTENT_TRUST_SERVER,
 * DOCKER_CONFIG, read by the library), then the config file (`--config FILE`
 * or CONTENT_TRUST_CONFIG). Paths in the config follow notary's client:
 * `remote_server.root_ca` is relative to the config file, `trust_dir` (with
 * `~/` expanded) and `trust_pinning.ca` files are relative to the working
 * directory.
 */

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { TrustOptions, TrustPinning } from '../context/repository.js';
import { readPemFile } from '../context/repository.js';
import { LocalError } from '../errors.js';
import { isRegistryServer, parseOciLocation, REGISTRY_SERVER } from '../transport/oci/location.js';
import { parseServerUrl } from '../transport/server-url.js';
import { type FlagSpec, type ParsedArgs, str } from './args.js';

export const SERVER_FLAGS: Record<string, FlagSpec> = {
  server: { type: 'string' },
  'trust-dir': { type: 'string' },
  tlscacert: { type: 'string' },
  config: { type: 'string' },
  deadline: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

/** The parts of notary's client config (`notary -c config.json`) that apply here. */
export interface ClientConfig {
  trust_dir?: string;
  remote_server?: { url?: string; root_ca?: string };
  trust_pinning?: { certs?: Record<string, string[]>; ca?: Record<string, string>; disable_tofu?: boolean };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The keys of notary's client config (cmd/notary: trust_dir, remote_server.*,
 * trust_pinning.*). Those marked false are notary's but not implemented here.
 */
const CONFIG_KEYS: Readonly<Record<string, Readonly<Record<string, boolean>> | true>> = {
  trust_dir: true,
  remote_server: {
    url: true,
    root_ca: true,
    tls_client_cert: false,
    tls_client_key: false,
    skipTLSVerify: false,
  },
  trust_pinning: { certs: true, ca: true, disable_tofu: true },
};

/** Refuses keys notary's client would not read (typos such as `trust_pinning.typo`), naming them. */
function checkConfigKeys(c: Record<string, unknown>, bad: (what: string) => never): void {
  for (const [key, value] of Object.entries(c)) {
    const known = Object.hasOwn(CONFIG_KEYS, key) ? CONFIG_KEYS[key] : undefined;
    if (known === undefined)
      bad(`unknown key ${JSON.stringify(key)} (known: ${Object.keys(CONFIG_KEYS).join(', ')})`);
    if (known === true || !isObject(value)) continue;
    for (const [sub, v] of Object.entries(value)) {
      const name = `${key}.${sub}`;
      const supported = Object.hasOwn(known, sub) ? known[sub] : undefined;
      if (supported === undefined) {
        bad(
          `unknown key ${JSON.stringify(name)} (known: ${Object.keys(known)
            .map((k) => `${key}.${k}`)
            .join(', ')})`,
        );
      }
      // TLS is always verified here: skipTLSVerify false says nothing new; anything else is refused.
      if (supported === false && !(sub === 'skipTLSVerify' && v === false)) {
        bad(`${name} is a notary setting content-trust does not support; remove it`);
      }
    }
  }
}

/** Checks the keys (unknown ones are refused, naming the key) and the types of the values. */
export function parseClientConfig(text: string, path: string): ClientConfig {
  let c: unknown;
  try {
    c = JSON.parse(text);
  } catch (e) {
    throw new LocalError('CONFIG', `config ${path} is not valid JSON: ${(e as Error).message}`);
  }
  const bad = (what: string): never => {
    throw new LocalError('CONFIG', `config ${path}: ${what}`);
  };
  if (!isObject(c)) return bad('not a JSON object');
  checkConfigKeys(c, bad);
  const out: ClientConfig = {};
  if (c.trust_dir !== undefined) {
    if (typeof c.trust_dir !== 'string') bad('trust_dir must be a string');
    out.trust_dir = c.trust_dir as string;
  }
  if (c.remote_server !== undefined) {
    const rs = c.remote_server;
    if (!isObject(rs)) return bad('remote_server must be an object');
    out.remote_server = {};
    for (const k of ['url', 'root_ca'] as const) {
      if (rs[k] === undefined) continue;
      if (typeof rs[k] !== 'string') bad(`remote_server.${k} must be a string`);
      out.remote_server[k] = rs[k] as string;
    }
  }
  if (c.trust_pinning !== undefined) {
    const tp = c.trust_pinning;
    if (!isObject(tp)) return bad('trust_pinning must be an object');
    out.trust_pinning = {};
    if (tp.certs !== undefined) {
      if (!isObject(tp.certs)) return bad('trust_pinning.certs must map a GUN to a list of key ids');
      for (const ids of Object.values(tp.certs)) {
        if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
          bad('trust_pinning.certs must map a GUN to a list of key ids');
        }
      }
      out.trust_pinning.certs = tp.certs as Record<string, string[]>;
    }
    if (tp.ca !== undefined) {
      if (!isObject(tp.ca) || !Object.values(tp.ca).every((f) => typeof f === 'string')) {
        bad('trust_pinning.ca must map a GUN prefix to a CA file');
      }
      out.trust_pinning.ca = tp.ca as Record<string, string>;
    }
    if (tp.disable_tofu !== undefined) {
      if (typeof tp.disable_tofu !== 'boolean') bad('trust_pinning.disable_tofu must be true or false');
      out.trust_pinning.disable_tofu = tp.disable_tofu as boolean;
    }
  }
  return out;
}

function readConfig(path: string): ClientConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new LocalError('CONFIG', `cannot read config ${path}: ${(e as Error).message}`);
  }
  return parseClientConfig(text, path);
}

/** notary's homeExpand: a leading `~/` (or a lone `~`) is the home directory. */
function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : p;
}

/** A trust server URL, checked by the library's one validator (transport/server-url.ts). */
function checkServer(server: string, from: string): string {
  // Registry-hosted trust: `registry` or `oci://HOST[:PORT]/REPO[:TAG]` (validated by its parser).
  if (isRegistryServer(server)) {
    if (server !== REGISTRY_SERVER) parseOciLocation(server);
    return server;
  }
  parseServerUrl(server, from);
  return server;
}

/** TrustOptions from flags, environment and config (flags win, then env, then config). */
export function trustOptionsFrom(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): TrustOptions {
  const configPath = str(args, 'config') ?? (env.CONTENT_TRUST_CONFIG || undefined);
  const config = configPath ? readConfig(configPath) : {};
  const configDir = configPath ? dirname(resolve(configPath)) : process.cwd();
  const opts: TrustOptions = { env };

  const flagServer = str(args, 'server');
  if (flagServer !== undefined) opts.server = checkServer(flagServer, '--server');
  else if (env.DOCKER_CONTENT_TRUST_SERVER) {
    checkServer(env.DOCKER_CONTENT_TRUST_SERVER, 'DOCKER_CONTENT_TRUST_SERVER');
  } else if (config.remote_server?.url) {
    opts.server = checkServer(config.remote_server.url, `remote_server.url in ${configPath}`);
  }

  const trustDir = str(args, 'trust-dir') ?? (config.trust_dir ? expandHome(config.trust_dir) : undefined);
  if (trustDir) opts.trustDir = resolve(trustDir);

  const flagCa = str(args, 'tlscacert');
  const configCa = config.remote_server?.root_ca;
  if (flagCa !== undefined) opts.tlsCaCert = readPemFile(flagCa, 'TLS CA certificate');
  else if (configCa) {
    opts.tlsCaCert = readPemFile(isAbsolute(configCa) ? configCa : resolve(configDir, configCa), 'root_ca');
  }

  const deadline = str(args, 'deadline');
  if (deadline !== undefined) {
    const s = Number(deadline);
    if (deadline.trim() === '' || !Number.isFinite(s) || s <= 0) {
      throw new LocalError('USAGE', '--deadline must be a positive number of seconds');
    }
    opts.deadlineMs = Math.max(1, Math.round(s * 1000));
  }

  const tp = config.trust_pinning;
  if (tp) {
    const pinning: TrustPinning = {};
    if (tp.certs) pinning.certs = tp.certs;
    if (tp.ca) {
      pinning.ca = Object.fromEntries(
        Object.entries(tp.ca).map(([prefix, file]) => [
          prefix,
          readPemFile(expandHome(file), `trust_pinning.ca for ${prefix}`),
        ]),
      );
    }
    if (tp.disable_tofu) pinning.disableTofu = true;
    opts.pinning = pinning;
  }
  return opts;
}
