// One throw-away lab for the bench (test/harness/up.sh / down.sh, as vectors/generate.mjs does):
// docker-registry + notary-server + notary-signer (ECDSA server keys), no auth, free loopback ports.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { run } from './measure.mjs';

async function freePorts(n) {
  const servers = [];
  const ports = [];
  for (let i = 0; i < n; i++) {
    const s = createServer();
    servers.push(s);
    await new Promise((resolve, reject) => {
      s.once('error', reject);
      s.listen(0, '127.0.0.1', resolve);
    });
    ports.push(s.address().port);
  }
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/**
 * Starts the lab in `<work>/lab`. Returns the lab description (env.json), a `stop()` that is safe to call
 * more than once, and helpers that run the real `notary` client against it.
 */
export async function startLab(root, work) {
  // a free port can be taken by someone else before the service binds it: one retry on fresh ports
  try {
    return await startOnce(root, join(work, 'lab'));
  } catch (e) {
    process.stderr.write(`[bench] lab start failed (${e.message.split('\n')[0]}); retrying once\n`);
    return await startOnce(root, join(work, 'lab-retry'));
  }
}

async function startOnce(root, labDir) {
  const harness = join(root, 'test', 'harness');
  const [registry, notary, signer, token] = await freePorts(4);
  const labEnv = {
    ...process.env,
    LAB_DIR: labDir,
    LAB_TRUST_SERVICE: 'remote',
    LAB_KEY_ALGORITHM: 'ecdsa',
    LAB_AUTH: 'none',
    LAB_REGISTRY_PORT: String(registry),
    LAB_NOTARY_PORT: String(notary),
    LAB_SIGNER_PORT: String(signer),
    LAB_TOKEN_PORT: String(token),
  };
  execFileSync('bash', [join(harness, 'install.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      execFileSync('bash', [join(harness, 'down.sh')], { env: labEnv, stdio: 'ignore', timeout: 30_000 });
    } catch {}
  };
  try {
    execFileSync('bash', [join(harness, 'up.sh')], {
      env: labEnv,
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 60_000,
    });
  } catch (e) {
    stop();
    throw e;
  }
  const lab = JSON.parse(readFileSync(join(labEnv.LAB_DIR, 'env.json'), 'utf8'));
  // passphrases of the throw-away keys reach notary through its environment only
  const notaryEnv = { ...process.env, ...lab.notaryEnv };
  const notaryArgs = (dir, args) => ['-d', dir, '-s', lab.notaryUrl, '--tlscacert', lab.caCert, ...args];
  const notaryRun = (dir, args) => run('notary', notaryArgs(dir, args), { env: notaryEnv });
  return { lab, stop, notaryEnv, notaryArgs, notary: notaryRun };
}
