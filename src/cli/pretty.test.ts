import { describe, expect, it } from 'vitest';
import type { InspectResult } from '../client/inspect.js';
import { formatInspectPretty, naturalCompare, table } from './pretty.js';

const hex = (c: string) => c.repeat(64);

describe('formatInspectPretty (docker trust inspect --pretty)', () => {
  it('prints signatures, signers with truncated sorted keys, and administrative keys', () => {
    const r: InspectResult = {
      Name: 'example.com/app',
      SignedTags: [
        { SignedTag: 'v1', Digest: hex('a'), Signers: ['bob', 'alice'] },
        { SignedTag: 'latest-release', Digest: hex('b'), Signers: ['Repo Admin'] },
        { SignedTag: 'x', Digest: hex('c'), Signers: [] },
      ],
      Signers: [
        { Name: 'user10', Keys: [{ ID: hex('9') }] },
        { Name: 'user2', Keys: [{ ID: hex('f') }, { ID: hex('1') }] },
      ],
      AdministrativeKeys: [
        { Name: 'Root', Keys: [{ ID: hex('e') }] },
        { Name: 'Repository', Keys: [{ ID: hex('d') }, { ID: hex('0') }] },
      ],
    };
    expect(formatInspectPretty(r)).toBe(
      [
        '',
        'Signatures for example.com/app',
        '',
        `SIGNED TAG       DIGEST${' '.repeat(61)}SIGNERS`,
        `v1               ${hex('a')}   alice, bob`,
        `latest-release   ${hex('b')}   Repo Admin`,
        `x                ${hex('c')}   (Repo Admin)`,
        '',
        'List of signers and their keys for example.com/app',
        '',
        'SIGNER    KEYS',
        'user2     111111111111, ffffffffffff',
        'user10    999999999999',
        '',
        'Administrative keys for example.com/app',
        '',
        `  Repository Key:\t${hex('0')}, ${hex('d')}`,
        `  Root Key:\t${hex('e')}`,
        '',
      ].join('\n'),
    );
  });

  it('says so when nothing is signed and omits the signer table without delegations', () => {
    const r: InspectResult = {
      Name: 'app:1',
      SignedTags: [],
      Signers: [],
      AdministrativeKeys: [{ Name: 'Root', Keys: [{ ID: hex('e') }] }],
    };
    expect(formatInspectPretty(r)).toBe(
      `\nNo signatures for app:1\n\n\nAdministrative keys for app:1\n\n  Root Key:\t${hex('e')}\n`,
    );
  });
});

describe('hostile names from signed metadata (issue 8 item 11)', () => {
  it('escapes control characters in tags, signers, key ids and the name: no forged line', () => {
    const r: InspectResult = {
      Name: 'example.com/app\u001b]0;title\u0007',
      SignedTags: [{ SignedTag: 'v1\r\u001b[2KTRUSTED OK', Digest: hex('a'), Signers: ['eve\nTRUSTED OK'] }],
      Signers: [{ Name: 'eve\nTRUSTED OK', Keys: [{ ID: `${hex('9')}\u009b` }] }],
      AdministrativeKeys: [{ Name: 'Root', Keys: [{ ID: `${hex('e')}\u202e` }] }],
    };
    const out = formatInspectPretty(r);
    expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(out.split('\n')).not.toContain('TRUSTED OK');
    expect(out).toContain('v1\\r\\x1b[2KTRUSTED OK');
    expect(out).toContain('eve\\nTRUSTED OK');
  });
});

describe('table (Go tabwriter, minwidth 10, padding 3)', () => {
  it('pads every column but the last to max(10, widest + 3)', () => {
    expect(
      table([
        ['A', 'B', 'C'],
        ['abcdefghij', 'b', 'trailing  '],
      ]),
    ).toBe('A            B         C\nabcdefghij   b         trailing  \n');
  });
});

describe('naturalCompare (sortorder.NaturalLess)', () => {
  it('orders digit runs by value', () => {
    expect(['a10', 'a2', 'b', 'a', 'a02'].sort(naturalCompare)).toEqual(['a', 'a2', 'a02', 'a10', 'b']);
  });
});
