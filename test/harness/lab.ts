// Test-side access to the real Notary/registry labs started by test/global-setup.ts.
// Every helper here talks to real peers (notary CLI, notary-server, docker-registry).
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { gzipSync } from 'node:zlib';
import { inject } from 'vitest';

export type LabName = 'remote' | 'local' | 'auth';

/** The shape of `$LAB_DIR/env.json` written by test/harness/up.sh, plus the lab's name. */
export interface LabInfo {
  name: LabName;
  labDir: string;
  /** 'none' or 'token' */
  auth: 'none' | 'token';
  /** 'remote' (notary-signer holds server keys) or 'local' (notary-server signs in-process, ed25519) */
  trustService: 'remote' | 'local';
  /** host:port of the registry, the prefix of every GUN */
  registryHost: string;
  registryUrl: string;
  notaryUrl: string;
  /** PEM file of the lab CA (the only CA notary-server's certificate chains to) */
  caCert: string;
  /** notary client config (trust_dir + remote_server) */
  notaryConfig: string;
  notaryTrustDir: string;
  /** wrapper script running `notary -c notaryConfig` */
  notaryBin: string;
  /** NOTARY_*_PASSPHRASE (+ NOTARY_AUTH on the token lab) to pass to a spawned notary */
  notaryEnv: Record<string, string>;
  tokenRealm?: string;
  registryService?: string;
  notaryService?: string;
  pids: Record<string, number>;
}

export type Labs = Record<LabName, LabInfo>;

declare module 'vitest' {
  export interface ProvidedContext {
    labs: Labs;
  }
}

/** The running lab `name`. Throws when the global setup did not start the labs (e.g. CT_NO_LAB=1). */
export function getLab(name: LabName): LabInfo {
  const labs = inject('labs') as Labs | undefined;
  if (!labs) {
    throw new Error(
      `lab '${name}' is not running: test/global-setup.ts did not start the Notary labs` +
        (process.env.CT_NO_LAB === '1' ? ' (CT_NO_LAB=1 is set; unset it to run interop tests)' : '') +
        '. Run the suite with `npx vitest run` from the project root.',
    );
  }
  const lab = labs[name];
  if (!lab) throw new Error(`unknown lab '${name}' (have: ${Object.keys(labs).join(', ')})`);
  return lab;
}

export interface NotaryResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface RunNotaryOptions {
  /** Use this (fresh) trust dir with `-d DIR -s URL --tlscacert CA` instead of the lab's client config. */
  trustDir?: string;
  /** Extra environment (e.g. other passphrases); merged over the lab's notaryEnv. */
  env?: Record<string, string>;
  /** Data for stdin; stdin is /dev/null when absent. */
  input?: string;
}

/** Runs the real notary CLI against `lab`. Never throws on a non-zero exit; check `status`. */
export function runNotary(lab: LabInfo, args: string[], opts: RunNotaryOptions = {}): NotaryResult {
  const base = opts.trustDir
    ? ['-d', opts.trustDir, '-s', lab.notaryUrl, '--tlscacert', lab.caCert]
    : ['-c', lab.notaryConfig];
  const r = spawnSync('notary', [...base, ...args], {
    env: { ...process.env, ...lab.notaryEnv, ...opts.env },
    input: opts.input,
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error) throw new Error(`could not run notary: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh GUN on `lab`: `${registryHost}/library/<prefix>-<random>`. */
export function freshGun(lab: LabInfo, prefix: string): string {
  return `${lab.registryHost}/library/${prefix}-${randomBytes(5).toString('hex')}`;
}

export { tempDir } from '../support/temp.js';

export interface PushedImage {
  /** `sha256:<hex>` of the manifest bytes, as the registry reports it */
  digest: string;
  /** manifest length in bytes */
  size: number;
  mediaType: string;
  repository: string;
  tag: string;
}

export interface PushImageOptions {
  /** Text of the single file in the layer; changes the digest. */
  content?: string;
  format?: 'docker' | 'oci';
}

const sha256hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A deterministic one-file ustar archive. */
function tarOneFile(name: string, data: Buffer): Buffer {
  const h = Buffer.alloc(512);
  const put = (s: string, off: number, len: number) => {
    h.write(s.slice(0, len), off, 'ascii');
  };
  const oct = (n: number, len: number) => n.toString(8).padStart(len - 1, '0');
  put(name, 0, 100);
  put(oct(0o644, 8), 100, 8);
  put(oct(0, 8), 108, 8);
  put(oct(0, 8), 116, 8);
  put(oct(data.length, 12), 124, 12);
  put(oct(0, 12), 136, 12);
  h.fill(0x20, 148, 156);
  put('0', 156, 1);
  put('ustar\u000000', 257, 8);
  let sum = 0;
  for (const b of h) sum += b;
  put(`${oct(sum, 7)}\u0000 `, 148, 8);
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([h, data, pad, Buffer.alloc(1024)]);
}

/**
 * A bearer token from the lab's token server (token lab only; undefined otherwise) for `service`
 * (default: the registry) and `scope`, e.g. `repository:library/x:pull,push`.
 */
export async function labToken(
  lab: LabInfo,
  scope: string,
  service: string | undefined = lab.registryService,
): Promise<string | undefined> {
  if (lab.auth !== 'token') return undefined;
  if (!lab.tokenRealm || !service) throw new Error(`lab ${lab.name}: token auth without realm/service`);
  const url = new URL(lab.tokenRealm);
  url.searchParams.set('service', service);
  url.searchParams.set('scope', scope);
  const basic = lab.notaryEnv.NOTARY_AUTH;
  if (!basic) throw new Error(`lab ${lab.name}: NOTARY_AUTH missing from notaryEnv`);
  const res = await fetch(url, { headers: { authorization: `Basic ${basic}` } });
  if (res.status !== 200) throw new Error(`token server answered ${res.status} for ${url.toString()}`);
  const body = (await res.json()) as { token?: string };
  if (!body.token) throw new Error('token server returned no token');
  return body.token;
}

/**
 * Pushes a tiny one-layer image to the lab registry (honours token auth) and returns what a signer needs:
 * the manifest digest and size.
 */
export async function pushImage(
  lab: LabInfo,
  repository: string,
  tag: string,
  opts: PushImageOptions = {},
): Promise<PushedImage> {
  const oci = opts.format === 'oci';
  const mt = oci
    ? {
        manifest: 'application/vnd.oci.image.manifest.v1+json',
        config: 'application/vnd.oci.image.config.v1+json',
        layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
      }
    : {
        manifest: 'application/vnd.docker.distribution.manifest.v2+json',
        config: 'application/vnd.docker.container.image.v1+json',
        layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
      };
  const content = opts.content ?? `hello from the content-trust lab (${repository}:${tag})`;
  const tar = tarOneFile('hello.txt', Buffer.from(`${content}\n`, 'utf8'));
  const layer = gzipSync(tar, { level: 9 });
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/hello.txt'] },
      rootfs: { type: 'layers', diff_ids: [`sha256:${sha256hex(tar)}`] },
      history: [{ created_by: 'content-trust test harness' }],
    }),
  );
  const token = await labToken(lab, `repository:${repository}:pull,push`);
  const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const base = `${lab.registryUrl}/v2/${repository}`;

  const putBlob = async (data: Buffer): Promise<string> => {
    const digest = `sha256:${sha256hex(data)}`;
    const post = await fetch(`${base}/blobs/uploads/`, { method: 'POST', headers: auth });
    if (post.status !== 202) throw new Error(`blob upload POST ${base}: ${post.status} ${await post.text()}`);
    const loc = post.headers.get('location');
    if (!loc) throw new Error(`blob upload POST ${base}: no Location`);
    const u = new URL(loc, lab.registryUrl);
    u.searchParams.set('digest', digest);
    const put = await fetch(u, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      body: data,
    });
    if (put.status !== 201) throw new Error(`blob upload PUT ${base}: ${put.status} ${await put.text()}`);
    return digest;
  };

  const configDigest = await putBlob(config);
  const layerDigest = await putBlob(layer);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: mt.manifest,
      config: { mediaType: mt.config, size: config.length, digest: configDigest },
      layers: [{ mediaType: mt.layer, size: layer.length, digest: layerDigest }],
    }),
  );
  const res = await fetch(`${base}/manifests/${tag}`, {
    method: 'PUT',
    headers: { ...auth, 'content-type': mt.manifest },
    body: manifest,
  });
  if (res.status !== 201) throw new Error(`manifest PUT ${base}:${tag}: ${res.status} ${await res.text()}`);
  const digest = `sha256:${sha256hex(manifest)}`;
  const reported = res.headers.get('docker-content-digest');
  if (reported !== digest) throw new Error(`registry digest ${reported} != local ${digest}`);
  return { digest, size: manifest.length, mediaType: mt.manifest, repository, tag };
}

export interface NotaryResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * GET `${notaryUrl}${path}` from notary-server over TLS trusting only the lab CA, e.g.
 * `/v2/<gun>/_trust/tuf/root.json`. On the token lab a token for `repository:<gun>:<actions>` is
 * attached (`GET .../<role>.key` needs 'push,pull', because it may create the key).
 */
export async function notaryGet(
  lab: LabInfo,
  path: string,
  gun?: string,
  actions = 'pull',
): Promise<NotaryResponse> {
  const headers: Record<string, string> = {};
  if (lab.auth === 'token') {
    if (!gun) throw new Error('notaryGet on the token lab needs the gun for the token scope');
    const token = await labToken(lab, `repository:${gun}:${actions}`, lab.notaryService);
    headers.authorization = `Bearer ${token}`;
  }
  const ca = readFileSync(lab.caCert);
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, lab.notaryUrl), { method: 'GET', ca, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
