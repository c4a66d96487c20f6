import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp.js';
import { pathOccupied } from './exists.js';

let dir = '';
beforeAll(() => {
  dir = tempDir('ct-exists-');
});

describe('pathOccupied', () => {
  it('is true for a file, a directory and a dangling symlink; false for nothing', async () => {
    await writeFile(join(dir, 'f'), 'x');
    await mkdir(join(dir, 'd'));
    await symlink(join(dir, 'missing'), join(dir, 'dangling'));
    expect(await pathOccupied(join(dir, 'f'))).toBe(true);
    expect(await pathOccupied(join(dir, 'd'))).toBe(true);
    expect(await pathOccupied(join(dir, 'dangling'))).toBe(true);
    expect(await pathOccupied(join(dir, 'missing'))).toBe(false);
    expect(await pathOccupied(join(dir, 'f', 'under-a-file'))).toBe(false);
  });
});
