/**
 * Bulk-sign every tag of a release in one publish, from CI, with progress.
 * Passphrases come from the environment (never argv):
 *   DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE        (only when the repository must be created)
 *   DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE  (the tagging or signer key)
 *
 *   node release-signing.js registry.example.com/team/app 1.2.0 1.2 1 latest [--server URL] [--tlscacert FILE]
 *
 * Each tag's manifest digest and size are read from the registry.
 */

import { readFileSync } from 'node:fs';
import { signTags, type TrustError } from 'content-trust';

export async function main(argv: string[]): Promise<number> {
  const positional = argv.filter((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--'));
  const flag = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const [repository, ...tags] = positional;
  if (!repository || tags.length === 0) {
    console.error(
      'usage: release-signing REPOSITORY TAG... [--server URL] [--tlscacert FILE] [--trust-dir DIR]',
    );
    return 2;
  }
  const caFile = flag('--tlscacert');
  try {
    const signed = await signTags(
      tags.map((tag) => ({ reference: `${repository}:${tag}` })),
      {
        server: flag('--server'),
        trustDir: flag('--trust-dir'),
        tlsCaCert: caFile ? readFileSync(caFile, 'utf8') : undefined,
        initIfMissing: true,
        onProgress: (done, total) => process.stderr.write(`resolved ${done}/${total} digests\n`),
      },
    );
    for (const s of signed) console.log(`${s.reference} ${s.digest} ${s.roles.join(',')}`);
    return 0;
  } catch (e) {
    const err = e as TrustError;
    console.error(`release signing failed: ${err.code ?? 'ERROR'}: ${err.message}`);
    return err.code === 'NETWORK' ? 3 : 1;
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
