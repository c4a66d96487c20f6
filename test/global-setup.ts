// Vitest global setup: starts three real Notary labs (registry + notary-server [+ notary-signer]
// [+ token server]) on free loopback ports, provides their env.json as inject('labs'), and stops
// them afterwards. CT_NO_LAB=1 starts nothing (unit tests only; interop tests then fail loudly).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import type { LabInfo, LabName, Labs } from './harness/lab.js';

const HARNESS = join(dirname(fileURLToPath(import.meta.url)), 'harness');
const BINARIES = ['notary', 'notary-server', 'notary-signer', 'docker-registry', 'openssl', 'curl'];
const DEBIAN_PACKAGES =
  'notary docker-registry openssl curl jq ca-certificates golang-github-docker-notary-dev';

interface LabSpec {
  name: LabName;
  env: Record<string, string>;
}

const SPECS: LabSpec[] = [
  { name: 'remote', env: { LAB_TRUST_SERVICE: 'remote', LAB_KEY_ALGORITHM: 'ecdsa', LAB_AUTH: 'none' } },
  { name: 'local', env: { LAB_TRUST_SERVICE: 'local', LAB_AUTH: 'none' } },
  { name: 'auth', env: { LAB_TRUST_SERVICE: 'remote', LAB_KEY_ALGORITHM: 'ecdsa', LAB_AUTH: 'token' } },
];

function onPath(cmd: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      // keep looking
    }
  }
  return false;
}

function ensureBinaries(): void {
  let missing = BINARIES.filter((b) => !onPath(b));
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && onPath('apt-get')) {
    const r = spawnSync('bash', [join(HARNESS, 'install.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
    missing = BINARIES.filter((b) => !onPath(b));
    if (r.status === 0 && missing.length === 0) return;
  }
  throw new Error(
    `interop tests need the real Notary stack; missing: ${missing.join(', ')}.\n` +
      `Install it with:  sudo bash test/harness/install.sh\n` +
      `(Debian/Ubuntu packages: ${DEBIAN_PACKAGES})\n` +
      'or run only the unit tests with CT_NO_LAB=1.',
  );
}

/** Reserves `n` distinct free TCP ports on 127.0.0.1 by binding port 0 (all held until all are known). */
async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolve());
      });
      const addr = s.address();
      if (addr === null || typeof addr === 'string') throw new Error('could not read bound port');
      ports.push(addr.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

function runScript(
  script: string,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(HARNESS, script)], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

async function startLab(spec: LabSpec, labDir: string, ports: number[]): Promise<LabInfo> {
  const [registry, notary, signer, token] = ports;
  const env = {
    ...spec.env,
    LAB_DIR: labDir,
    LAB_HOST: '127.0.0.1',
    LAB_REGISTRY_PORT: String(registry),
    LAB_NOTARY_PORT: String(notary),
    LAB_SIGNER_PORT: String(signer),
    LAB_TOKEN_PORT: String(token),
  };
  const r = await runScript('up.sh', env);
  if (r.code !== 0) {
    throw new Error(
      `lab '${spec.name}' failed to start (up.sh exit ${r.code}, LAB_DIR=${labDir}):\n${r.output}`,
    );
  }
  const info = JSON.parse(readFileSync(join(labDir, 'env.json'), 'utf8')) as Omit<LabInfo, 'name'>;
  return { ...info, name: spec.name };
}

/**
 * A port picked free may be taken by someone else before a service binds it (seen as "address
 * already in use", or as a service that exits at once with an empty log): retry with new ports.
 */
async function startLabWithRetry(spec: LabSpec, labDir: string, ports: number[]): Promise<LabInfo> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startLab(spec, labDir, ports);
    } catch (e) {
      if (attempt >= 3) throw e;
      const why = e instanceof Error ? e.message.split('\n').find((l) => /ERROR|exited|in use/.test(l)) : '';
      process.stderr.write(
        `[global-setup] ${spec.name} lab failed to start (${why ?? 'unknown'}); retrying on new ports\n`,
      );
      ports = await freePorts(4);
    }
  }
}

async function stopLab(labDir: string): Promise<void> {
  const r = await runScript('down.sh', { LAB_DIR: labDir });
  if (r.code !== 0) process.stderr.write(`[global-setup] down.sh failed for ${labDir}:\n${r.output}\n`);
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (process.env.CT_NO_LAB === '1') return undefined;
  ensureBinaries();

  const t0 = Date.now();
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const ports = await freePorts(SPECS.length * 4);
  const dirs = SPECS.map((s) => join(tmpdir(), `ct-lab-${s.name}-${suffix}`));
  const results = await Promise.allSettled(
    SPECS.map((spec, i) => startLabWithRetry(spec, dirs[i]!, ports.slice(i * 4, i * 4 + 4))),
  );
  const teardown = async () => {
    await Promise.all(dirs.map((d) => stopLab(d)));
  };
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length > 0) {
    await teardown();
    throw new Error(
      failures.map((f) => (f.reason instanceof Error ? f.reason.message : String(f.reason))).join('\n\n'),
    );
  }
  const labs = {} as Labs;
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') labs[SPECS[i]!.name] = r.value;
  });
  project.provide('labs', labs);
  if (process.env.CT_LAB_VERBOSE === '1') {
    process.stderr.write(`[global-setup] 3 labs up in ${Date.now() - t0} ms\n`);
  }
  return teardown;
}
