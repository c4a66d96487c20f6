/** What the benchmark drives, bundled from the sources by bench/run.mjs. */
export { verify } from '../src/client/verify.js';
export { canonicalJson } from '../src/encoding/canonical.js';
export { staticPassphraseProvider } from '../src/keys/passphrase.js';
export { initRepository, signTags } from '../src/publish/workflows.js';
