// Smoke test of the real-Notary labs: the reference client can init a repository, hand the snapshot
// key to the server, sign a pushed manifest and read it back from a fresh trust dir.
import { describe, expect, it } from 'vitest';
import { freshGun, getLab, type LabName, notaryGet, pushImage, runNotary, tempDir } from '../harness/lab.js';

interface TufKey {
  keytype: string;
  keyval: { public: string };
}
interface RootSigned {
  version: number;
  keys: Record<string, TufKey>;
  roles: Record<string, { keyids: string[] }>;
}

const LABS: LabName[] = ['remote', 'local', 'auth'];

function ok(r: { status: number | null; stdout: string; stderr: string }, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

describe.each(LABS)('lab %s', (name) => {
  it('runs the notary reference flow end to end', async () => {
    const lab = getLab(name);
    expect(lab.name).toBe(name);
    expect(lab.auth).toBe(name === 'auth' ? 'token' : 'none');
    expect(lab.trustService).toBe(name === 'local' ? 'local' : 'remote');
    if (name === 'auth') expect(lab.notaryEnv.NOTARY_AUTH).toBeTruthy();

    const gun = freshGun(lab, 'smoke');
    expect(gun.startsWith(`${lab.registryHost}/library/smoke-`)).toBe(true);
    const repository = gun.slice(lab.registryHost.length + 1);
    const img = await pushImage(lab, repository, 'v1');
    expect(img.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(img.size).toBeGreaterThan(100);

    const trust = tempDir();
    const n = (args: string[]) => runNotary(lab, args, { trustDir: trust });
    ok(n(['init', gun, '-p']), 'init');
    ok(n(['key', 'rotate', gun, 'snapshot', '-r']), 'key rotate snapshot -r');
    const hex = img.digest.slice('sha256:'.length);
    ok(n(['addhash', gun, 'v1', String(img.size), '--sha256', hex, '-p']), 'addhash');

    // A different, empty trust dir = first-time puller (TOFU); it must see the signed digest.
    const puller = tempDir();
    const out = ok(runNotary(lab, ['lookup', gun, 'v1'], { trustDir: puller }), 'lookup');
    expect(out.trim()).toBe(`v1 ${img.digest} ${img.size}`);

    // The snapshot is server-managed now: root.json names the key notary-server hands out.
    const tuf = `/v2/${gun}/_trust/tuf`;
    const root = await notaryGet(lab, `${tuf}/root.json`, gun);
    expect(root.status).toBe(200);
    const signedRoot = JSON.parse(root.body.toString('utf8')).signed as RootSigned;
    const snapKeyRes = await notaryGet(lab, `${tuf}/snapshot.key`, gun, 'push,pull');
    expect(snapKeyRes.status).toBe(200);
    const serverKey = JSON.parse(snapKeyRes.body.toString('utf8')) as TufKey;
    expect(serverKey.keytype).toBe(name === 'local' ? 'ed25519' : 'ecdsa');
    const snapIds = signedRoot.roles.snapshot?.keyids ?? [];
    expect(snapIds).toHaveLength(1);
    expect(signedRoot.keys[snapIds[0]!]?.keyval.public).toBe(serverKey.keyval.public);
    expect(signedRoot.version).toBe(2);

    // An unknown tag is an error, not an empty answer.
    const missing = runNotary(lab, ['lookup', gun, 'nope'], { trustDir: puller });
    expect(missing.status).not.toBe(0);
  });
});
