/**
 * A deploy step that refuses to run anything it cannot trust: it verifies
 * `registry/app:tag` against the repository's trust data and deploys by
 * digest, never by tag. Error handling branches on stable error codes.
 *
 *   node deploy-tool.js registry.example.com/team/app:1.2 [--server URL] [--tlscacert FILE]
 *
 * Exit codes: 0 deployed; 1 refused (not signed / failed verification);
 * 3 trust server unreachable (retry later); 2 usage.
 */

import { readFileSync } from 'node:fs';
import { type TrustError, verify } from 'content-trust';

export async function main(argv: string[]): Promise<number> {
  const [image, ...rest] = argv;
  if (!image) {
    console.error('usage: deploy-tool IMAGE:TAG [--server URL] [--tlscacert FILE] [--trust-dir DIR]');
    return 2;
  }
  const flag = (name: string) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const caFile = flag('--tlscacert');
  try {
    const trusted = await verify(image, {
      server: flag('--server'),
      trustDir: flag('--trust-dir'),
      tlsCaCert: caFile ? readFileSync(caFile, 'utf8') : undefined,
    });
    // Deploy by digest: what runs is exactly what was signed, whatever the tag points at later.
    const deployment = { image: trusted.reference, signedBy: trusted.role, size: trusted.size };
    console.log(JSON.stringify({ action: 'deploy', ...deployment }));
    return 0;
  } catch (e) {
    const err = e as TrustError;
    switch (err.code) {
      case 'NOT_SIGNED':
      case 'NO_TRUST_DATA':
        console.error(`refusing ${image}: it is not signed (${err.message})`);
        return 1;
      case 'EXPIRED':
      case 'ROLLBACK':
      case 'HASH_MISMATCH':
      case 'LENGTH_MISMATCH':
      case 'BAD_SIGNATURE':
      case 'THRESHOLD':
        console.error(
          `SECURITY: trust data for ${image} failed verification (${err.code}, role ${err.role ?? '?'}): ${err.message}`,
        );
        return 1;
      case 'NETWORK':
      case 'TIMEOUT':
      case 'SERVER_ERROR':
        console.error(`trust server unreachable, not deploying now: ${err.message}`);
        return 3;
      default:
        console.error(`cannot deploy ${image}: ${err.code ?? 'ERROR'}: ${err.message}`);
        return err.code ? 2 : 1;
    }
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
