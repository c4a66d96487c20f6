import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PassphraseRequest } from '../../keys/passphrase.js';
import { openTuf1Repository } from './fs.js';
import {
  generateTuf1Key,
  initTuf1Repository,
  refreshTuf1Repository,
  updateTuf1Repository,
} from './repository.js';

const DAY = 24 * 3600_000;
const T0 = Date.UTC(2026, 10, 29);
const sha = 'ab'.repeat(32);

let work: string;
let asked: PassphraseRequest[];
const base = () => ({
  dir: join(work, 'repo'),
  trustDir: join(work, 'trust'),
  iterations: 1000,
  passphrase: async (req: PassphraseRequest) => {
    asked.push(req);
    return 'correct horse';
  },
});

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'tuf1-repo-'));
  asked = [];
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('TUF 1.0 repository workflows (directory + trust dir key store)', () => {
  it('init writes v1 with four encrypted keys; updates unlock only the keys they need', async () => {
    const init = await initTuf1Repository({ ...base(), now: () => T0, gun: 'example.com/app' });
    expect((await readdir(join(work, 'trust/private'))).length).toBe(4);
    expect([...init.files.keys()].sort()).toEqual([
      '1.root.json',
      '1.snapshot.json',
      '1.targets.json',
      'timestamp.json',
    ]);
    await expect(initTuf1Repository(base())).rejects.toThrow(/already holds/);

    asked = [];
    await updateTuf1Repository({ ...base(), now: () => T0 }, (w) =>
      w.addTarget('v1', { length: 1, hashes: { sha256: sha } }),
    );
    expect(asked.map((a) => a.role).sort()).toEqual(['snapshot', 'targets', 'timestamp']); // never the root key

    asked = [];
    const r = await refreshTuf1Repository({ ...base(), now: () => T0 + DAY });
    expect(Object.fromEntries(r.signed)).toEqual({ timestamp: 3 });
    expect(asked.map((a) => a.role).sort()).toEqual(['snapshot', 'timestamp']);

    // rotating the timestamp key changes root: the root key is needed now
    asked = [];
    const newTs = await generateTuf1Key(base(), 'timestamp');
    const c = await updateTuf1Repository({ ...base(), now: () => T0 + DAY }, (w) =>
      w.setRoleKeys('timestamp', [newTs]),
    );
    expect(Object.fromEntries(c.signed)).toEqual({ root: 2, timestamp: 4 });
    expect(asked.map((a) => a.role).sort()).toEqual(['root', 'timestamp', 'timestamp']); // new key created + unlocked
    const w = await openTuf1Repository(join(work, 'repo'));
    expect(w.root.roles.timestamp.keyids).toEqual([newTs.keyid]);
    expect(w.targetsOf().targets.v1?.length).toBe(1);
  });

  it('a missing key writes nothing', async () => {
    await initTuf1Repository({ ...base(), now: () => T0 });
    const before = await readdir(join(work, 'repo/metadata'));
    await rm(join(work, 'trust/private'), { recursive: true });
    await expect(
      updateTuf1Repository(base(), (w) => w.addTarget('v1', { length: 1, hashes: { sha256: sha } })),
    ).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' });
    expect(await readdir(join(work, 'repo/metadata'))).toEqual(before);
  });
});
