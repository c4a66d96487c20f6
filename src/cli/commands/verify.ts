/** `trust verify IMAGE[:TAG]`: one line `NAME@sha256:HEX` on stdout, or an error and a non-zero exit. */

import { verify } from '../../client/verify.js';
import { LocalError } from '../../errors.js';
import { isDelegationName } from '../../metadata/roles.js';
import { bool, list, parseArgs, str } from '../args.js';
import { SERVER_FLAGS, trustOptionsFrom } from '../options.js';
import { printJson, printText, reportError } from '../output.js';

const USAGE = 'trust verify IMAGE[:TAG] [OPTIONS]';

const HELP = `Usage: trust verify IMAGE[:TAG] [OPTIONS]

Prints the trusted reference IMAGE@sha256:HEX for a signed tag (targets/releases
first, then targets) and exits 0; exits 1 if the tag is not signed or the trust
data fails verification, 2 on usage errors, 3 if the trust server is unreachable.

  docker pull "$(trust verify registry.example.com/team/app:1.2)"

Options:
  --server URL       trust server (default: DOCKER_CONTENT_TRUST_SERVER or https://<registry>);
                     registry: the image's own repository, tag tuf-metadata (TUF 1.0 in the
                     registry); oci://HOST[:PORT]/REPO[:TAG]: any other location
  --bundle FILE      verify from an offline bundle (trust export), no network; the root must be
                     pinned (trust_pinning.certs) or already trusted in the trust dir
  --trust-dir DIR    docker trust dir (default: $DOCKER_CONFIG/trust or ~/.docker/trust)
  --tlscacert FILE   extra CA certificate for the trust server
  --offline          answer from the trust dir's cache only, no network (must be unexpired;
                     registry-hosted trust: the copy the last online verify kept)
  --role ROLE        also consult a delegation, e.g. targets/alice (repeatable)
  --json             print the result object as JSON
  --config FILE      notary-style client config (trust_pinning, remote_server, trust_dir)
  --deadline SEC     overall deadline of the whole verification (default 30)
`;

export async function run(argv: string[]): Promise<number> {
  try {
    const args = parseArgs(argv, {
      ...SERVER_FLAGS,
      offline: { type: 'boolean' },
      json: { type: 'boolean' },
      role: { type: 'string', multiple: true },
      bundle: { type: 'string' },
    });
    if (bool(args, 'help')) {
      process.stdout.write(HELP);
      return 0;
    }
    if (args.positionals.length !== 1) throw new LocalError('USAGE', 'verify takes exactly one IMAGE[:TAG]');
    const roles = list(args, 'role');
    for (const r of roles) {
      if (!isDelegationName(r)) {
        throw new LocalError('USAGE', `--role ${JSON.stringify(r)}: a delegation is named targets/<name>`);
      }
    }
    const bundle = str(args, 'bundle');
    const opts = {
      ...trustOptionsFrom(args),
      offline: bool(args, 'offline'),
      roles,
      ...(bundle ? { bundle } : {}),
    };
    const result = await verify(args.positionals[0]!, opts);
    if (bool(args, 'json')) printJson(result);
    else printText(`${result.reference}\n`);
    return 0;
  } catch (e) {
    return reportError(e, USAGE);
  }
}
