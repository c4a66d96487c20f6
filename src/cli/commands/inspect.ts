/** `trust inspect IMAGE[:TAG]...`: docker trust inspect, as JSON or readable tables. */

import { type InspectResult, inspect } from '../../client/inspect.js';
import { LocalError } from '../../errors.js';
import { bool, parseArgs } from '../args.js';
import { SERVER_FLAGS, trustOptionsFrom } from '../options.js';
import { printJson, reportError, table } from '../output.js';

const HELP = `Usage: trust inspect IMAGE[:TAG]... [OPTIONS]

Shows the signed tags of each repository with their digests and signers, the
delegated signers and their keys, and the administrative (root and repository) keys.

Options:
  --json             docker trust inspect's JSON (an array, one entry per IMAGE)
  --offline          answer from the local cache only
  --server URL  --trust-dir DIR  --tlscacert FILE  --config FILE  --deadline SEC
`;

function pretty(r: InspectResult): string {
  const out: string[] = [];
  if (r.SignedTags.length === 0) out.push(`No signatures for ${r.Name}`);
  else {
    out.push(`Signatures for ${r.Name}`, '');
    out.push(
      table(
        ['SIGNED TAG', 'DIGEST', 'SIGNERS'],
        r.SignedTags.map((t) => [t.SignedTag, t.Digest, t.Signers.join(', ')]),
      ),
    );
  }
  out.push('');
  if (r.Signers.length > 0) {
    out.push(`List of signers and their keys for ${r.Name}`, '');
    out.push(
      table(
        ['SIGNER', 'KEYS'],
        r.Signers.map((s) => [s.Name, s.Keys.map((k) => k.ID.slice(0, 12)).join(', ')]),
      ),
    );
    out.push('');
  } else {
    out.push(`No signers for ${r.Name}`, '');
  }
  out.push(`Administrative keys for ${r.Name}`, '');
  for (const a of r.AdministrativeKeys) {
    const label = a.Name === 'Root' ? 'Root Key' : 'Repository Key';
    out.push(`  ${label}:\t${a.Keys.map((k) => k.ID).join(', ')}`);
  }
  return `${out.join('\n')}\n`;
}

export async function run(argv: string[]): Promise<number> {
  try {
    const args = parseArgs(argv, { ...SERVER_FLAGS, offline: {}, json: {}, pretty: {} });
    if (bool(args, 'help')) {
      process.stdout.write(HELP);
      return 0;
    }
    if (args.positionals.length === 0)
      throw new LocalError('USAGE', 'inspect needs at least one IMAGE[:TAG]');
    const opts = { ...trustOptionsFrom(args), offline: bool(args, 'offline') };
    const results: InspectResult[] = [];
    for (const ref of args.positionals) results.push(await inspect(ref, opts));
    if (bool(args, 'json')) printJson(results);
    else process.stdout.write(results.map(pretty).join('\n'));
    return 0;
  } catch (e) {
    return reportError(e);
  }
}
