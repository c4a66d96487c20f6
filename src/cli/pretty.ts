/**
 * `trust inspect` for people: the layout of `docker trust inspect --pretty`
 * (docker/cli cli/command/trust/inspect_pretty.go and formatter.go): a blank
 * line before each heading, tabwriter tables (min width 10, padding 3), signer
 * keys truncated to 12 characters, administrative keys in full.
 */

import type { InspectResult } from '../client/inspect.js';
import { escapeControl } from '../escape.js';

/** Go's text/tabwriter as docker configures it: minwidth 10, padding 3, last cell unpadded. */
export function table(cells: readonly (readonly string[])[]): string {
  // Cells come from signed metadata (tags, signer names): escaped one by one, so widths fit what is shown.
  const rows = cells.map((r) => r.map((c) => escapeControl(c)));
  const cols = Math.max(0, ...rows.map((r) => r.length));
  const widths: number[] = [];
  for (let i = 0; i < cols - 1; i++) {
    widths.push(Math.max(10, ...rows.map((r) => (r[i] ?? '').length + 3)));
  }
  return rows
    .map((r) => r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i] ?? 0) : c)).join(''))
    .map((line) => `${line}\n`)
    .join('');
}

/** sortorder.NaturalLess: digit runs compare as numbers, everything else bytewise. */
export function naturalCompare(a: string, b: string): number {
  const chunks = (s: string) => s.match(/\d+|\D+/g) ?? [];
  const ca = chunks(a);
  const cb = chunks(b);
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const x = ca[i]!;
    const y = cb[i]!;
    if (x === y) continue;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const nx = BigInt(x);
      const ny = BigInt(y);
      if (nx !== ny) return nx < ny ? -1 : 1;
      if (x.length !== y.length) return x.length < y.length ? -1 : 1;
      continue;
    }
    return x < y ? -1 : 1;
  }
  return ca.length - cb.length;
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The text `docker trust inspect --pretty` prints for one repository. */
export function formatInspectPretty(r: InspectResult): string {
  const name = escapeControl(r.Name);
  let out = '';
  if (r.SignedTags.length > 0) {
    out += `\nSignatures for ${name}\n\n`;
    out += table([
      ['SIGNED TAG', 'DIGEST', 'SIGNERS'],
      ...r.SignedTags.map((t) => [
        t.SignedTag,
        t.Digest,
        t.Signers.length > 0 ? [...t.Signers].sort(byString).join(', ') : '(Repo Admin)',
      ]),
    ]);
  } else {
    out += `\nNo signatures for ${name}\n\n`;
  }
  if (r.Signers.length > 0) {
    out += `\nList of signers and their keys for ${name}\n\n`;
    const signers = [...r.Signers].sort((a, b) => naturalCompare(a.Name, b.Name));
    out += table([
      ['SIGNER', 'KEYS'],
      ...signers.map((s) => [
        s.Name,
        s.Keys.map((k) => k.ID)
          .sort(byString)
          .map((id) => id.slice(0, 12))
          .join(', '),
      ]),
    ]);
  }
  out += `\nAdministrative keys for ${name}\n\n`;
  // docker sorts the roles by name, descending: targets ("Repository Key") before root.
  for (const [name, label] of [
    ['Repository', 'Repository Key'],
    ['Root', 'Root Key'],
  ] as const) {
    const keys = r.AdministrativeKeys.find((a) => a.Name === name)?.Keys;
    if (!keys) continue;
    out += `  ${label}:\t${keys
      .map((k) => k.ID)
      .sort(byString)
      .map((id) => escapeControl(id))
      .join(', ')}\n`;
  }
  return out;
}
