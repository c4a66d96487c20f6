/** `trust revoke IMAGE[:TAG]`: remove trust for a tag, or for every tag of the repository. */

import { LocalError } from '../../errors.js';
import { registryServerFor, revokeRegistryTag } from '../../publish/registry.js';
import { revokeTag } from '../../publish/workflows.js';
import { bool, parseArgs } from '../args.js';
import { SERVER_FLAGS } from '../options.js';
import { printJson, printText, reportError } from '../output.js';
import { publishOptionsFrom } from '../publish-options.js';

const USAGE = 'trust revoke IMAGE[:TAG] [OPTIONS]';

const HELP = `Usage: trust revoke IMAGE[:TAG] [OPTIONS]

Removes the signature of TAG (or of every tag when none is given) from the roles
your keys can sign, and publishes the change.

Options: --json  --server URL  --trust-dir DIR  --tlscacert FILE  --config FILE  --deadline SEC
`;

export async function run(argv: string[]): Promise<number> {
  try {
    const args = parseArgs(argv, { ...SERVER_FLAGS, json: { type: 'boolean' } });
    if (bool(args, 'help')) {
      printText(HELP);
      return 0;
    }
    if (args.positionals.length !== 1) throw new LocalError('USAGE', 'revoke takes exactly one IMAGE[:TAG]');
    const opts = publishOptionsFrom(args);
    const registry = await registryServerFor(args.positionals[0]!, opts);
    if (registry !== undefined) {
      const r = await revokeRegistryTag(args.positionals[0]!, { ...opts, server: registry });
      if (bool(args, 'json')) printJson({ removed: r.result, digest: r.digest });
      else printText(r.result.length > 0 ? `Revoked ${r.result.join(', ')}\n` : 'Nothing to revoke\n');
      return 0;
    }
    const res = await revokeTag(args.positionals[0]!, opts);
    if (bool(args, 'json')) printJson(res);
    else printText(`Revoked ${res.removed.join(', ')}\n`);
    return 0;
  } catch (e) {
    return reportError(e, USAGE);
  }
}
