/** `trust migrate IMAGE --server NOTARY_URL --to registry|oci://...`: move signed tags off a Notary server. */

import { LocalError } from '../../errors.js';
import { escapeControl } from '../../escape.js';
import { describeAge, migrateRepository } from '../../publish/migrate.js';
import { bool, parseArgs, str } from '../args.js';
import { SERVER_FLAGS } from '../options.js';
import { printJson, printText, printWarning, reportError } from '../output.js';
import { publishOptionsFrom } from '../publish-options.js';

const USAGE = 'trust migrate IMAGE --to registry|oci://HOST[:PORT]/REPO[:TAG] [OPTIONS]';

const HELP = `Usage: ${USAGE}

Verifies IMAGE's repository on its Notary server (--server, or docker's default
for the registry) and publishes the same signed tags as registry-hosted trust
data (TUF 1.0, Docker's layout) at --to: "registry" (the image's repository,
tag tuf-metadata) or oci://HOST[:PORT]/REPO[:TAG]. The root and tagging keys
come from the trust dir; new snapshot and timestamp keys are created there
(you hold them now: schedule "trust refresh IMAGE"). Delegations such as
targets/releases are carried with their keys, threshold and paths when the
trust dir holds their keys. Afterwards the trust dir looks IMAGE up at --to.
Prints the new root key id: pin it (trust_pinning.certs) on every client.

Options:
  --from-cache      migrate from the verified Notary metadata in the trust dir
                    (the server is gone); says how old that state is
  --allow-expired   with --from-cache: accept expired cached metadata (it is
                    re-verified as of when it was cached)
  --force           publish even if tags are dropped (delegated roles whose
                    keys the trust dir lacks); they are listed
  --json  --server NOTARY_URL  --trust-dir DIR  --tlscacert FILE  --deadline SEC
Exit: 0 migrated; 1 the Notary data does not verify (or expired);
2 usage, missing keys or tags that would be dropped; 3 unreachable.
Passphrase: DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE and
DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE, or a prompt on a terminal.
`;

/** Names come from (verified) metadata: never put control characters on a terminal. */
const safe = (s: string) => escapeControl(s);

export async function run(argv: string[]): Promise<number> {
  try {
    const args = parseArgs(argv, {
      ...SERVER_FLAGS,
      to: { type: 'string' },
      'from-cache': { type: 'boolean' },
      'allow-expired': { type: 'boolean' },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (bool(args, 'help')) {
      printText(HELP);
      return 0;
    }
    if (args.positionals.length !== 1) throw new LocalError('USAGE', 'migrate takes exactly one IMAGE');
    const to = str(args, 'to');
    if (to === undefined) throw new LocalError('USAGE', 'migrate needs --to registry or --to oci://...');
    const fromCache = bool(args, 'from-cache');
    const allowExpired = bool(args, 'allow-expired');
    if (allowExpired && !fromCache) throw new LocalError('USAGE', '--allow-expired needs --from-cache');
    const opts = publishOptionsFrom(args);
    const r = await migrateRepository(args.positionals[0]!, {
      ...opts,
      to,
      fromCache,
      allowExpired,
      force: bool(args, 'force'),
    });
    if (bool(args, 'json')) {
      printJson(r);
      return 0;
    }
    const out = { write: printText };
    if (r.source === 'cache') {
      out.write(
        `Source: the trust dir's verified Notary metadata, ${describeAge(r.sourceAgeMs)} old${r.sourceExpired ? ' (expired; accepted with --allow-expired)' : ''}\n`,
      );
    }
    out.write(`Migrated ${r.repository} to ${safe(r.location)} (${r.digest})\n`);
    for (const t of r.carried) out.write(`  carried  ${safe(t.tag)}  ${t.digest}  ${safe(t.role)}\n`);
    const warn = printWarning;
    for (const d of r.dropped) warn(`warning: dropped ${safe(d.tag)} (${safe(d.reason)})\n`);
    for (const s of r.skippedDelegations)
      warn(`warning: delegation ${safe(s.role)} not carried: ${safe(s.reason)}\n`);
    out.write(`Root key id (pin this in trust_pinning.certs for ${r.repository}): ${r.rootKeyId}\n`);
    out.write(
      `Keep the timestamp fresh: run "trust refresh ${args.positionals[0]}" well within 7 days (cron/CI).\n`,
    );
    return 0;
  } catch (e) {
    return reportError(e, USAGE);
  }
}
