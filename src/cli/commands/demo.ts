/**
 * `trust demo`: the embedded default. A local trust repository in a temp dir
 * (no services), keys generated, an image digest signed and verified, then a
 * tampered copy of the trust data rejected. Printed step by step.
 */

import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { verify } from '../../client/verify.js';
import { TrustError } from '../../errors.js';
import { staticPassphraseProvider } from '../../keys/passphrase.js';
import { DEFAULT_PBKDF2_ITERATIONS } from '../../keys/pkcs8.js';
import { initRepository, signTags } from '../../publish/workflows.js';
import { bool, type ParsedArgs, parseArgs } from '../args.js';
import { printText, reportError } from '../output.js';

/** PBKDF2 rounds for the demo's throw-away keys (real keys use DEFAULT_PBKDF2_ITERATIONS). */
const DEMO_KDF_ITERATIONS = 10_000;

const USAGE = 'trust demo [--keep]';

const HELP = `Usage: trust demo [--keep]

Runs a local sign-and-verify walkthrough in a temporary directory: no trust
server, no registry. --keep leaves the directory in place to look at.
`;

export async function run(argv: string[]): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv, { keep: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  } catch (e) {
    return reportError(e, USAGE);
  }
  if (bool(args, 'help')) {
    process.stdout.write(HELP);
    return 0;
  }
  const say = (s = '') => printText(`${s}\n`);
  const work = await mkdtemp(join(tmpdir(), 'content-trust-demo-'));
  try {
    const image = 'registry.example.com/acme/app';
    const repoDir = join(work, 'trust-server');
    const server = pathToFileURL(repoDir).href;
    const opts = {
      server,
      trustDir: join(work, 'publisher-trust'),
      passphrase: staticPassphraseProvider(createHash('sha256').update(work).digest('hex')),
      keyIterations: DEMO_KDF_ITERATIONS,
    };
    say(`content-trust demo (in ${work})`);
    say();
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        layers: [],
      }),
    );
    const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
    say(`1. An image manifest (${manifest.length} bytes) has the digest ${digest}`);

    const init = await initRepository(image, opts);
    say(`2. Initialised trust data for ${image} in a local directory (${server})`);
    say(
      `   root key ${init.rootKeyId.slice(0, 16)}... (offline key, ECDSA P-256 certificate for the repository)`,
    );
    say(
      `   tagging key ${init.targetsKeyId.slice(0, 16)}... (ed25519); snapshot and timestamp keys held locally`,
    );
    say(
      `   key files: ${opts.trustDir}/private, encrypted with a generated passphrase; throw-away demo keys use ` +
        `${DEMO_KDF_ITERATIONS.toLocaleString('en')} PBKDF2 rounds for speed (real keys: ${DEFAULT_PBKDF2_ITERATIONS.toLocaleString('en')})`,
    );

    const [signed] = await signTags([{ reference: `${image}:1.0`, digest, size: manifest.length }], opts);
    say(`3. Signed ${image}:1.0 -> ${signed!.digest} in role ${signed!.roles.join(', ')}`);

    const consumer = { server, trustDir: join(work, 'consumer-trust') };
    const ok = await verify(`${image}:1.0`, consumer);
    say(`4. A consumer verifies before pulling: trust verify ${image}:1.0`);
    say(`   -> ${ok.reference}  (signed by ${ok.role})`);

    try {
      await verify(`${image}:2.0`, consumer);
    } catch (e) {
      if (!(e instanceof TrustError)) throw e;
      say(`5. An unsigned tag is refused: ${image}:2.0 -> error ${e.code}`);
    }

    const tampered = join(work, 'tampered-server');
    await cp(repoDir, tampered, { recursive: true });
    const evil = createHash('sha256').update('evil').digest('hex');
    const tufDir = join(tampered, ...image.split('/'), '_trust', 'tuf');
    let edited = 0;
    for (const f of await readdir(tufDir)) {
      if (!/^targets(\.[0-9a-f]{64})?\.json$/.test(f)) continue;
      const text = await readFile(join(tufDir, f), 'utf8');
      const b64 = Buffer.from(digest.slice(7), 'hex').toString('base64');
      await writeFile(join(tufDir, f), text.replace(b64, Buffer.from(evil, 'hex').toString('base64')));
      edited++;
    }
    say(`6. An attacker rewrites the signed digest in ${edited} copies of targets.json on the server...`);
    try {
      await verify(`${image}:1.0`, {
        server: pathToFileURL(tampered).href,
        trustDir: join(work, 'victim-trust'),
      });
      say('   !! the tampered copy was accepted: this is a bug');
      return 1;
    } catch (e) {
      if (!(e instanceof TrustError)) throw e;
      say(`   ...and verification refuses it: error ${e.code}: ${e.message}`);
    }
    say();
    say(
      'Done. Next: sign real images with --server registry (trust data kept in your registry) or a Notary server URL.',
    );
    return 0;
  } catch (e) {
    return reportError(e, USAGE);
  } finally {
    if (!bool(args, 'keep')) await rm(work, { recursive: true, force: true });
  }
}
