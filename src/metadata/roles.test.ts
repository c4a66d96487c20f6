import { describe, expect, it } from 'vitest';
import { keyOwnerNames, RELEASES_ROLE } from './roles.js';

describe('keyOwnerNames', () => {
  const alice = 'a'.repeat(64);
  const bob = 'b'.repeat(64);
  const loose = 'c'.repeat(64);
  const roles = [
    { name: RELEASES_ROLE, keyids: [alice, bob, loose] },
    { name: 'targets/alice', keyids: [alice] },
    { name: 'targets/bob', keyids: [bob] },
    { name: 'targets/team/bob', keyids: [bob, loose] },
  ];

  it('names signers by their own targets/NAME role, never by the shared releases role', () => {
    // a gap in targets/bob: the old Notary-path message said "Have releases re-sign targets/bob"
    expect(keyOwnerNames(roles, [bob])).toEqual(['bob']);
    expect(keyOwnerNames(roles, [alice, bob])).toEqual(['alice', 'bob']);
  });

  it('falls back to the short key id when only releases or nested roles list the key', () => {
    expect(keyOwnerNames(roles, [loose])).toEqual([`key ${loose.slice(0, 7)}`]);
  });
});
