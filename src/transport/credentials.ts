/**
 * Where registry / trust server credentials come from, looked up lazily (only when a server asks):
 * `NOTARY_AUTH` (base64 `user:pass`, what the notary CLI reads), then docker's config.json (`auths`,
 * `credHelpers`, `credsStore` via `docker-credential-<name> get`). Credentials never appear in errors.
 * The token client that uses them is src/transport/auth.ts.
 */

import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { LocalError } from '../errors.js';

/** A username and password (or identity token) for a registry or trust server. */
export interface Credentials {
  username?: string;
  password?: string;
  /** OAuth2 refresh token (`identitytoken` in config.json, or a helper's `<token>` user). */
  identityToken?: string;
}

/** Looked up lazily, at most once per `RegistryAuth`, and only when a server demands authentication. */
export type CredentialProvider = () => Promise<Credentials | null>;

/** `user:pass` in base64 (NOTARY_AUTH, config.json `auth`) → credentials; null when malformed. */
export function decodeBasicAuth(b64: string): Credentials | null {
  const plain = Buffer.from(b64.trim(), 'base64').toString('utf8');
  const i = plain.indexOf(':');
  if (i <= 0) return null;
  // notary trims the password (cmd/notary/tuf.go), which also drops a trailing newline from `base64`.
  return { username: plain.slice(0, i), password: plain.slice(i + 1).trim() };
}

/** Credentials from `NOTARY_AUTH` (base64 `user:pass`), as the notary CLI reads them. */
export function notaryAuthCredentials(env: NodeJS.ProcessEnv = process.env): CredentialProvider {
  return async () => {
    const v = env.NOTARY_AUTH;
    if (!v) return null;
    const c = decodeBasicAuth(v);
    if (!c) throw new LocalError('CONFIG', 'NOTARY_AUTH must be base64 of <username>:<password>');
    return c;
  };
}

/** The first provider that has credentials wins. */
export function firstCredentials(...providers: CredentialProvider[]): CredentialProvider {
  return async () => {
    for (const p of providers) {
      const c = await p();
      if (c) return c;
    }
    return null;
  };
}

/** Fixed credentials (tests, library users). */
export function staticCredentials(c: Credentials | null): CredentialProvider {
  return async () => c;
}

/** The key docker stores a registry's credentials under: `https://index.docker.io/v1/` for Docker Hub. */
export function dockerAuthKey(registryHost: string): string {
  const h = registryHost.toLowerCase();
  if (h === 'docker.io' || h === 'index.docker.io' || h === 'registry-1.docker.io') {
    return 'https://index.docker.io/v1/';
  }
  return registryHost;
}

/** `https://host:port/v1/` → `host:port` (docker's ConvertToHostname). */
function toHostname(key: string): string {
  let s = key;
  if (s.startsWith('http://')) s = s.slice(7);
  else if (s.startsWith('https://')) s = s.slice(8);
  const slash = s.indexOf('/');
  return slash >= 0 ? s.slice(0, slash) : s;
}

interface DockerAuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

interface DockerConfigFile {
  auths?: Record<string, DockerAuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

export interface DockerConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Directory holding config.json (default `$DOCKER_CONFIG` or `~/.docker`). */
  configDir?: string;
  /** Timeout for a `docker-credential-<helper> get` (default 10 s). */
  helperTimeoutMs?: number;
}

/** `$DOCKER_CONFIG` or `~/.docker`. */
export function dockerConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DOCKER_CONFIG) return env.DOCKER_CONFIG;
  return join(env.HOME || homedir(), '.docker');
}

/** Runs `docker-credential-<helper> get` with the server URL on stdin. */
export async function runCredentialHelper(
  helper: string,
  serverUrl: string,
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Credentials | null> {
  if (!/^[A-Za-z0-9._-]+$/.test(helper)) {
    throw new LocalError('CONFIG', `invalid credential helper name ${JSON.stringify(helper)}`);
  }
  const exe = `docker-credential-${helper}`;
  const timeoutMs = options.timeoutMs ?? 10_000;
  // loaded when a helper runs, not on every start (issue 12: node:child_process and node:dgram cost ~1 ms)
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(exe, ['get'], { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (err) {
      reject(new LocalError('CONFIG', `cannot run ${exe}`, { cause: err }));
      return;
    }
    const out: Buffer[] = [];
    let outLen = 0;
    let done = false;
    const finish = (err: Error | null, value?: Credentials | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value ?? null);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(new LocalError('CONFIG', `${exe} get did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      outLen += d.length;
      if (outLen > 1 << 20) {
        child.kill('SIGKILL');
        finish(new LocalError('CONFIG', `${exe} get wrote too much output`));
        return;
      }
      out.push(d);
    });
    child.stderr?.resume();
    child.on('error', (err: NodeJS.ErrnoException) => {
      // No such helper installed: like "no credentials" (the server will say if it needs some).
      if (err.code === 'ENOENT') finish(null, null);
      else finish(new LocalError('CONFIG', `cannot run ${exe}: ${err.code ?? err.message}`));
    });
    child.on('close', (code) => {
      const text = Buffer.concat(out).toString('utf8').trim();
      if (code !== 0) {
        if (/credentials not found/i.test(text)) finish(null, null);
        else finish(new LocalError('CONFIG', `${exe} get failed (exit ${code})`));
        return;
      }
      let parsed: { Username?: unknown; Secret?: unknown };
      try {
        parsed = JSON.parse(text) as { Username?: unknown; Secret?: unknown };
      } catch {
        finish(new LocalError('CONFIG', `${exe} get did not print JSON`));
        return;
      }
      const user = typeof parsed.Username === 'string' ? parsed.Username : '';
      const secret = typeof parsed.Secret === 'string' ? parsed.Secret : '';
      if (secret === '') finish(null, null);
      else if (user === '<token>') finish(null, { identityToken: secret });
      else finish(null, { username: user, password: secret });
    });
    child.stdin?.on('error', () => {
      /* helper exited before reading: reported by 'close' */
    });
    child.stdin?.end(serverUrl);
  });
}

function fromAuthEntry(entry: DockerAuthEntry): Credentials | null {
  const c: Credentials = {};
  if (entry.auth) {
    const decoded = decodeBasicAuth(entry.auth);
    if (decoded) Object.assign(c, decoded);
  }
  if (entry.username && c.username === undefined) c.username = entry.username;
  if (entry.password && c.password === undefined) c.password = entry.password;
  if (entry.identitytoken) c.identityToken = entry.identitytoken;
  return c.username !== undefined || c.identityToken !== undefined ? c : null;
}

/**
 * Docker's credentials for `registryHost` from config.json: `credHelpers[key]`, else `credsStore`,
 * else `auths[key]` (also matched by host name, like docker's legacy lookup).
 */
export function dockerConfigCredentials(
  registryHost: string,
  options: DockerConfigOptions = {},
): CredentialProvider {
  return async () => {
    const env = options.env ?? process.env;
    const file = join(options.configDir ?? dockerConfigDir(env), 'config.json');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new LocalError('CONFIG', `cannot read ${file}`, { cause: err });
    }
    let cfg: DockerConfigFile;
    try {
      cfg = JSON.parse(text) as DockerConfigFile;
    } catch {
      throw new LocalError('CONFIG', `${file} is not valid JSON`);
    }
    if (cfg === null || typeof cfg !== 'object') return null;
    const key = dockerAuthKey(registryHost);
    const helper = cfg.credHelpers?.[key] ?? cfg.credHelpers?.[toHostname(key)] ?? cfg.credsStore;
    if (typeof helper === 'string' && helper !== '') {
      return runCredentialHelper(helper, key, {
        env,
        ...(options.helperTimeoutMs !== undefined ? { timeoutMs: options.helperTimeoutMs } : {}),
      });
    }
    const auths = cfg.auths ?? {};
    const exact = auths[key];
    if (exact) return fromAuthEntry(exact);
    const host = toHostname(key);
    for (const [k, entry] of Object.entries(auths)) {
      if (toHostname(k) === host && entry) return fromAuthEntry(entry);
    }
    return null;
  };
}

/**
 * What docker and notary use for a trust server or registry: `NOTARY_AUTH`, else docker's stored
 * credentials for the image's registry (docker authenticates to the trust server with the registry's).
 */
export function defaultCredentials(
  registryHost: string,
  env: NodeJS.ProcessEnv = process.env,
): CredentialProvider {
  return firstCredentials(notaryAuthCredentials(env), dockerConfigCredentials(registryHost, { env }));
}
