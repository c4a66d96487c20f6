// `trust verify --bundle FILE`: bundles come from outside (air-gapped transfer). A file over the
// bundle cap, or one that is not a regular file (a device that never ends), is refused before it is
// read into memory.
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyRegistry } from '../../src/client/registry-verify.js';
import { exitCodeFor } from '../../src/errors.js';
import { tempDir } from '../harness/lab.js';
import { rejection } from '../support/rejection.js';

describe('verify --bundle: the file is capped before it is read', () => {
  it('a 3 GiB (sparse) bundle is TOO_LARGE (exit 1), not an I/O error after reading it', async () => {
    const dir = tempDir();
    const big = join(dir, 'big.tar');
    writeFileSync(big, '');
    truncateSync(big, 3 * 2 ** 30);
    const err = await rejection(
      verifyRegistry('localhost:5000/library/app:v1', { trustDir: join(dir, 'trust'), bundle: big }),
    );
    expect([err.code, exitCodeFor(err)]).toEqual(['TOO_LARGE', 1]);
  });

  it('a character device (/dev/zero) is refused, not read forever', async () => {
    const dir = tempDir();
    const err = await rejection(
      verifyRegistry('localhost:5000/library/app:v1', { trustDir: join(dir, 'trust'), bundle: '/dev/zero' }),
    );
    expect([err.code, exitCodeFor(err)]).toEqual(['IO', 2]);
    expect(err.message).toMatch(/not a regular file/);
  });
});
