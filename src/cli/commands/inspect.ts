/** `trust inspect IMAGE[:TAG]...`: docker trust inspect, as JSON or readable tables. */

import { type InspectResult, inspect } from '../../client/inspect.js';
import { LocalError } from '../../errors.js';
import { bool, parseArgs } from '../args.js';
import { SERVER_FLAGS, trustOptionsFrom } from '../options.js';
import { printJson, printText, reportError } from '../output.js';
import { formatInspectPretty } from '../pretty.js';

const USAGE = 'trust inspect IMAGE[:TAG]... [OPTIONS]';

const HELP = `Usage: trust inspect IMAGE[:TAG]... [OPTIONS]

Shows the signed tags of each repository with their digests and signers, the
delegated signers and their keys, and the administrative (root and repository) keys.

Options:
  --json             docker trust inspect's JSON (an array, one entry per IMAGE)
  --offline          answer from the local cache only
  --server URL  --trust-dir DIR  --tlscacert FILE  --config FILE  --deadline SEC
`;

export async function run(argv: string[]): Promise<number> {
  try {
    const args = parseArgs(argv, {
      ...SERVER_FLAGS,
      offline: { type: 'boolean' },
      json: { type: 'boolean' },
      pretty: { type: 'boolean' },
    });
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
    else printText(results.map(formatInspectPretty).join(''));
    return 0;
  } catch (e) {
    return reportError(e, USAGE);
  }
}
