/**
 * What the benchmark drives that the package does not (yet) export from dist/index.js.
 * bench/run.mjs bundles this file with esbuild; anything dist/index.js exports is taken from there.
 */
export { verify } from '../src/client/verify.js';
export { generateSigner } from '../src/crypto/signers.js';
export { canonicalJson } from '../src/encoding/canonical.js';
export { readKeyFile, writeKeyFile } from '../src/keys/keyfile.js';
export { staticPassphraseProvider } from '../src/keys/passphrase.js';
export { parseMetadata } from '../src/metadata/parse.js';
export { initRepository, signTags } from '../src/publish/workflows.js';
