/**
 * Options every server-facing command shares (`--server`, `--trust-dir`,
 * `--tlscacert`, `--config`, `--deadline`) and their resolution with the
 * environment and a notary-style client config file.
 */

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { TrustOptions, TrustPinning } from '../client/context.js';
import { readPemFile } from '../client/context.js';
import { LocalError } from '../errors.js';
import { type FlagSpec, type ParsedArgs, str } from './args.js';

export const SERVER_FLAGS: Record<string, FlagSpec> = {
  server: { value: true },
  'trust-dir': { value: true },
  tlscacert: { value: true },
  config: { value: true },
  deadline: { value: true },
  help: { short: 'h' },
};

interface ClientConfig {
  trust_dir?: string;
  remote_server?: { url?: string; root_ca?: string };
  trust_pinning?: { certs?: Record<string, string[]>; ca?: Record<string, string>; disable_tofu?: boolean };
}

function readConfig(path: string): ClientConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new LocalError('CONFIG', `cannot read config ${path}: ${(e as Error).message}`);
  }
  try {
    const c = JSON.parse(text) as unknown;
    if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new Error('not a JSON object');
    return c as ClientConfig;
  } catch (e) {
    throw new LocalError('CONFIG', `config ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/** TrustOptions from flags, environment and config (flags win, then env, then config). */
export function trustOptionsFrom(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): TrustOptions {
  const configPath = str(args, 'config') ?? env.CONTENT_TRUST_CONFIG;
  const config = configPath ? readConfig(configPath) : {};
  const base = configPath ? dirname(resolve(configPath)) : process.cwd();
  const rel = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const opts: TrustOptions = { env };

  const server =
    str(args, 'server') ?? (env.DOCKER_CONTENT_TRUST_SERVER ? undefined : config.remote_server?.url);
  if (server) opts.server = server;
  const trustDir = str(args, 'trust-dir') ?? (config.trust_dir ? rel(config.trust_dir) : undefined);
  if (trustDir) opts.trustDir = trustDir;
  const ca =
    str(args, 'tlscacert') ?? (config.remote_server?.root_ca ? rel(config.remote_server.root_ca) : undefined);
  if (ca) opts.tlsCaCert = readPemFile(ca, 'TLS CA certificate');

  const deadline = str(args, 'deadline');
  if (deadline !== undefined) {
    const s = Number(deadline);
    if (!Number.isFinite(s) || s <= 0)
      throw new LocalError('USAGE', `--deadline must be a positive number of seconds`);
    opts.deadlineMs = Math.round(s * 1000);
  }

  const tp = config.trust_pinning;
  if (tp) {
    const pinning: TrustPinning = {};
    if (tp.certs) pinning.certs = tp.certs;
    if (tp.ca) {
      pinning.ca = Object.fromEntries(
        Object.entries(tp.ca).map(([prefix, file]) => [
          prefix,
          readPemFile(rel(file), `pinned CA for ${prefix}`),
        ]),
      );
    }
    if (tp.disable_tofu) pinning.disableTofu = true;
    opts.pinning = pinning;
  }
  return opts;
}
