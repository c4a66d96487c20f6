import { describe, expect, it } from 'vitest';
import { GoStruct, goFoldKey } from './go-fold.js';

describe('GoStruct.fieldFor', () => {
  it('matches exact names, then Go-folded spellings (the fold table is made at the first such key)', () => {
    const s = new GoStruct('Signature', ['keyid', 'method', 'sig']);
    expect(s.fieldFor('keyid')).toBe('keyid');
    expect(s.fieldFor('other')).toBeUndefined();
    expect(s.fieldFor('KeyID')).toBe('keyid');
    expect(s.fieldFor('\u017fig')).toBe('sig'); // LATIN SMALL LETTER LONG S folds to s
    expect(s.fieldFor('\u212aeyid')).toBe('keyid'); // KELVIN SIGN folds to k
    expect(s.fieldFor('sig\u00e9')).toBeUndefined();
    expect(s.fieldFor('method')).toBe('method');
    expect(goFoldKey('\u212aEY\u017f')).toBe('keys');
  });
});
