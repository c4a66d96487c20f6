/** `trust revoke IMAGE[:TAG]`: remove trust for a tag, or for every tag of the repository. */

import { LocalError } from '../../errors.js';
import { registryServerFor, revokeRegistryTag } from '../../publish/registry.js';
import { revokeTag } from '../../publish/workflows.js';
import { bool, parseArgs } from '../args.js';
import { SERVER_FLAGS } from '../options.js';
import { printJson, printText, reportError } from '../output.js';
import { PUBLISH_FLAGS, publishOptionsFrom } from '../publish-options.js';

const USAGE = 'trust revoke IMAGE[:TAG] [OPTIONS]';

const HELP = `Usage: trust revoke IMAGE[:TAG] [OPTIONS]

Removes TAG (or every tag when none is given) from every role your keys can
sign (targets and the delegations you hold a key for), publishes the change,
and reports per role what it removed. If the tag still verifies afterwards
(signed in a role you cannot sign), says through which role and exits 1.

Options: --json  --root-key ID  --server URL  --trust-dir DIR  --tlscacert FILE  --config FILE  --deadline SEC
`;

export async function run(argv: string[]): Promise<number> {
  try {
    const args = parseArgs(argv, { ...SERVER_FLAGS, ...PUBLISH_FLAGS, json: { type: 'boolean' } });
    if (bool(args, 'help')) {
      printText(HELP);
      return 0;
    }
    if (args.positionals.length !== 1) throw new LocalError('USAGE', 'revoke takes exactly one IMAGE[:TAG]');
    const opts = publishOptionsFrom(args);
    const registry = await registryServerFor(args.positionals[0]!, opts);
    const res =
      registry !== undefined
        ? (await revokeRegistryTag(args.positionals[0]!, { ...opts, server: registry })).result
        : await revokeTag(args.positionals[0]!, opts);
    if (bool(args, 'json')) printJson(res);
    else {
      let text = '';
      for (const r of res.roles) {
        text +=
          r.removed.length > 0
            ? `Removed ${r.removed.join(', ')} from ${r.role}\n`
            : `Nothing to remove in ${r.role}\n`;
      }
      if (res.verifiedBy) {
        text += `${res.reference} STILL VERIFIES: ${res.verifiedBy.role} signs it (${res.verifiedBy.digest}), and this trust dir cannot sign ${res.verifiedBy.role}\n`;
      } else if (res.stillSigned && res.stillSigned.length > 0) {
        text += `STILL SIGNED in roles this trust dir cannot sign: ${res.stillSigned.join(', ')}\n`;
      } else {
        text += `Revoked ${res.removed.join(', ')}: no longer verifies\n`;
      }
      printText(text);
    }
    return res.stillVerifies ? 1 : 0;
  } catch (e) {
    return reportError(e, USAGE);
  }
}
