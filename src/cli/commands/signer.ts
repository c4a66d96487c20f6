/** `trust signer add|remove`: manage who may sign (targets/releases and targets/NAME). */

import { readFile } from 'node:fs/promises';
import { LocalError } from '../../errors.js';
import { addSigner, removeSigner } from '../../publish/workflows.js';
import { bool, parseArgs, str } from '../args.js';
import { SERVER_FLAGS } from '../options.js';
import { printJson, printText, reportError } from '../output.js';
import { publishOptionsFrom } from '../publish-options.js';

const USAGE = 'trust signer add --key PUB NAME IMAGE... | remove NAME IMAGE... [OPTIONS]';

const HELP = `Usage:
  trust signer add --key PUB NAME IMAGE...   add signer NAME (its PEM public key) to each repository
  trust signer remove NAME IMAGE...          remove signer NAME from each repository
Options: --json  --server URL  --trust-dir DIR  --tlscacert FILE  --config FILE  --deadline SEC
`;

export async function run(argv: string[]): Promise<number> {
  try {
    const [sub, ...rest] = argv;
    const args = parseArgs(rest, { ...SERVER_FLAGS, json: { type: 'boolean' }, key: { type: 'string' } });
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
        const r = await addSigner(name, pem, image, { ...opts, initIfMissing: true });
        out.push({ image, ...r });
        if (!bool(args, 'json')) printText(`Added signer ${name} (key ${r.keyId}) to ${image}\n`);
      }
    } else if (sub === 'remove') {
      for (const image of images) {
        const r = await removeSigner(name, image, opts);
        out.push({ image, ...r });
        if (!bool(args, 'json')) printText(`Removed signer ${name} from ${image}\n`);
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
