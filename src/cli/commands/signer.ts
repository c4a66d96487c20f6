/** `trust signer add|remove`: manage who may sign (targets/releases and targets/NAME). */

import { readFile } from 'node:fs/promises';
import { LocalError } from '../../errors.js';
import { registryServerFor } from '../../publish/registry.js';
import { addRegistrySigner, removeRegistrySigner } from '../../publish/registry-admin.js';
import { addSigner, removeSigner } from '../../publish/workflows.js';
import { bool, parseArgs, str } from '../args.js';
import { SERVER_FLAGS } from '../options.js';
import { printJson, printText, printWarning, reportError } from '../output.js';
import { describeInit, describeRegistryInit, PUBLISH_FLAGS, publishOptionsFrom } from '../publish-options.js';

const USAGE = 'trust signer add --key PUB NAME IMAGE... | remove NAME IMAGE... [OPTIONS]';

const HELP = `Usage:
  trust signer add --key PUB NAME IMAGE...   add signer NAME (its PEM public key) to each repository
  trust signer remove NAME IMAGE... [--force] remove signer NAME from each repository
      A delegation left without a valid signature is re-signed with a remaining key
      you hold; else the removal is refused before publishing, naming who must
      re-sign first. --force removes such a delegation instead (its tags are listed).
  With --server registry or oci://... (or a repository first published there) the
  TUF 1.0 repository in the registry is changed; a new delegated role must be signed
  by its own key when it is created, so add a signer where its private key is
  (trust key load).
Options: --json  --root-key ID  --server URL  --trust-dir DIR  --tlscacert FILE  --config FILE  --deadline SEC
`;

export async function run(argv: string[]): Promise<number> {
  try {
    const [sub, ...rest] = argv;
    const args = parseArgs(rest, {
      ...SERVER_FLAGS,
      ...PUBLISH_FLAGS,
      json: { type: 'boolean' },
      key: { type: 'string' },
      force: { type: 'boolean' },
    });
    if (sub === undefined || sub === '--help' || sub === '-h' || bool(args, 'help')) {
      (sub === undefined ? process.stderr : process.stdout).write(HELP);
      return sub === undefined ? 2 : 0;
    }
    const [name, ...images] = args.positionals;
    if (!name || images.length === 0)
      throw new LocalError('USAGE', `signer ${sub} needs NAME and at least one IMAGE`);
    const opts = publishOptionsFrom(args);
    const out: Record<string, unknown>[] = [];
    if (sub === 'add') {
      const keyFile = str(args, 'key');
      if (!keyFile) throw new LocalError('USAGE', 'signer add needs --key PUB');
      const pem = await readFile(keyFile, 'utf8').catch((e: Error) => {
        throw new LocalError('IO', `cannot read ${keyFile}: ${e.message}`);
      });
      for (const image of images) {
        const registry = await registryServerFor(image, opts);
        const r =
          registry !== undefined
            ? (
                await addRegistrySigner(name, pem, image, {
                  ...opts,
                  server: registry,
                  initIfMissing: true,
                  onInit: (res) =>
                    bool(args, 'json')
                      ? printWarning(describeRegistryInit(res))
                      : printText(describeRegistryInit(res)),
                })
              ).result
            : await addSigner(name, pem, image, {
                ...opts,
                initIfMissing: true,
                onInit: (res) =>
                  bool(args, 'json') ? printWarning(describeInit(res)) : printText(describeInit(res)),
              });
        out.push({ image, ...r });
        if (!bool(args, 'json')) printText(`Added signer ${name} (key ${r.keyId}) to ${image}\n`);
      }
    } else if (sub === 'remove') {
      for (const image of images) {
        const registry = await registryServerFor(image, opts);
        const force = bool(args, 'force');
        const r =
          registry !== undefined
            ? (await removeRegistrySigner(name, image, { ...opts, server: registry, force })).result
            : await removeSigner(name, image, { ...opts, force });
        out.push({ image, ...r });
        if (!bool(args, 'json')) {
          let text = `Removed signer ${name} from ${image}\n`;
          for (const role of r.resigned) text += `  re-signed ${role} with a remaining key (tags kept)\n`;
          for (const d of r.dropped) {
            text += `  removed ${d.role}${d.tags.length > 0 ? `; tags no longer signed there: ${d.tags.join(', ')}` : ''}\n`;
          }
          printText(text);
        }
      }
    } else {
      throw new LocalError('USAGE', `unknown signer command ${JSON.stringify(sub)} (add, remove)`);
    }
    if (bool(args, 'json')) printJson(out);
    return 0;
  } catch (e) {
    return reportError(e, USAGE);
  }
}
