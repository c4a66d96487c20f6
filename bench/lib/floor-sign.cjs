// The floor of a 1-tag sign (issue 12): a bare Node script doing only the work no correct Notary
// client can skip, against the same notary-server as `trust sign`, so the bench can say
// "ours = floor + X ms". CommonJS, no dependencies, nothing it does not need loaded.
//
//   node bench/lib/floor-sign.cjs '{"server":URL,"gun":GUN,"caCert":FILE,"trustDir":DIR,"tag":T,"sha256":HEX,"size":N}'
//   passphrase: DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE (as the CLI)
//
// What it does, on ONE keep-alive TLS connection trusting only the lab CA:
//   1. GET timestamp.json; check its ECDSA signature with the timestamp key of the cached root;
//   2. if the snapshot it lists is not the cached one: GET snapshot.<sha256>, check its signature and
//      length, and (only if the targets it lists is not the cached one) GET targets.<sha256>;
//   3. unlock the targets key (PBES2: PBKDF2 at the file's rounds + AES-256-CBC, the same
//      2,048-round file `trust sign` uses), add the tag to targets, version + 1, one signature;
//   4. one multipart POST (as notary's client and ours do); 2xx or exit 1.
// What it skips and ours does not: verifying the cached root (its certificate and self-signature:
// the floor trusts the stored bytes), expiry/version/rollback rules, the read-back after the POST
// (ours confirms the server serves what it sent, and caches that), atomic + fsynced cache writes
// (the floor keeps its own copy with plain writes, so that its next run starts from the same state
// a warm client would), key-file checks (id, public key match), the lock file, code loading.
'use strict';
const https = require('node:https');
const { createHash, createPrivateKey, createPublicKey, pbkdf2Sync, createDecipheriv, sign, verify } =
  require('node:crypto');
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const spec = JSON.parse(process.argv[2]);
const passphrase = process.env.DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE ?? '';
const metaDir = join(spec.trustDir, 'tuf', ...spec.gun.split('/'), 'metadata');
const base = `${spec.server}/v2/${spec.gun}/_trust/tuf/`;
const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: readFileSync(spec.caCert) });

function request(method, url, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
async function get(name) {
  const r = await request('GET', `${base}${name}.json`);
  if (r.status !== 200) throw new Error(`GET ${name}: HTTP ${r.status}`);
  return r.body;
}

/** Canonical JSON (sorted keys, no spaces): what Notary signs. */
function canon(v) {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  return `{${Object.keys(v)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canon(v[k])}`)
    .join(',')}}`;
}
const sha256b64 = (b) => createHash('sha256').update(b).digest('base64');

/** Checks the one signature of a server-signed role (ECDSA P-256, raw r||s) with `key`. */
function checkSigned(doc, key, what) {
  const sig = doc.signatures.find((s) => s.keyid === key.id);
  const ok =
    sig &&
    verify(
      'sha256',
      Buffer.from(canon(doc.signed)),
      { key: key.object, dsaEncoding: 'ieee-p1363' },
      Buffer.from(sig.sig, 'base64'),
    );
  if (!ok) throw new Error(`${what}: bad signature`);
}

// minimal DER reader: [tag, contents, rest]
function der(b) {
  let len = b[1];
  let off = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[2 + i];
    off = 2 + n;
  }
  return [b[0], b.subarray(off, off + len), b.subarray(off + len)];
}
function seqItems(b) {
  const out = [];
  for (let rest = b; rest.length > 0; ) {
    const [tag, body, next] = der(rest);
    out.push([tag, body]);
    rest = next;
  }
  return out;
}

/** Decrypts a PBES2 (PBKDF2 + AES-256-CBC) encrypted PKCS#8 PEM; returns a private KeyObject. */
function unlock(pem, keytype) {
  const b64 = pem
    .split(/\r?\n\r?\n/)[1]
    .split('-----END')[0]
    .replace(/\s+/g, '');
  const [, top] = der(Buffer.from(b64, 'base64'));
  const [[, algId], [, encrypted]] = seqItems(top);
  const [, pbes2Params] = seqItems(algId);
  const [[, kdf], [, enc]] = seqItems(pbes2Params[1]);
  const params = seqItems(seqItems(kdf)[1][1]);
  const [[, salt], [, rounds]] = params;
  // the PRF when given (an AlgorithmIdentifier), else PKCS#5's default HMAC-SHA1 (Notary's files)
  const prf = params.find(([tag]) => tag === 0x30);
  const digest = prf && der(prf[1])[1].toString('hex').endsWith('0209') ? 'sha256' : 'sha1';
  const iv = seqItems(enc)[1][1];
  const key = pbkdf2Sync(passphrase, salt, rounds.readUIntBE(0, rounds.length), 32, digest);
  const d = createDecipheriv('aes-256-cbc', key, iv);
  const inner = Buffer.concat([d.update(encrypted), d.final()]);
  if (keytype !== 'ed25519') return createPrivateKey({ key: inner, format: 'der', type: 'pkcs8' });
  // Notary's ed25519 PKCS#8: an octet string of public(32) | seed(32) | public(32)
  const raw = seqItems(der(inner)[1])[2][1];
  const seed = raw.length === 96 ? raw.subarray(32, 64) : der(raw)[1];
  return createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
    format: 'der',
    type: 'pkcs8',
  });
}

async function main() {
  const root = JSON.parse(readFileSync(join(metaDir, 'root.json'), 'utf8')).signed;
  const keyOf = (role) => {
    const id = root.roles[role].keyids[0];
    const k = root.keys[id];
    const object =
      k.keytype === 'ecdsa'
        ? createPublicKey({ key: Buffer.from(k.keyval.public, 'base64'), format: 'der', type: 'spki' })
        : undefined;
    return { id, keytype: k.keytype, object };
  };
  const ts = JSON.parse(await get('timestamp'));
  checkSigned(ts, keyOf('timestamp'), 'timestamp');
  let snBytes = readFileSync(join(metaDir, 'snapshot.json'));
  const listed = ts.signed.meta.snapshot;
  if (sha256b64(snBytes) !== listed.hashes.sha256) {
    snBytes = await get(`snapshot.${Buffer.from(listed.hashes.sha256, 'base64').toString('hex')}`);
    if (snBytes.length !== listed.length || sha256b64(snBytes) !== listed.hashes.sha256)
      throw new Error('snapshot: hash mismatch');
    writeFileSync(join(metaDir, 'snapshot.json'), snBytes);
  }
  const sn = JSON.parse(snBytes);
  checkSigned(sn, keyOf('snapshot'), 'snapshot');
  let tgBytes = readFileSync(join(metaDir, 'targets.json'));
  const tgListed = sn.signed.meta.targets;
  if (sha256b64(tgBytes) !== tgListed.hashes.sha256) {
    tgBytes = await get(`targets.${Buffer.from(tgListed.hashes.sha256, 'base64').toString('hex')}`);
    if (sha256b64(tgBytes) !== tgListed.hashes.sha256) throw new Error('targets: hash mismatch');
  }
  const targets = JSON.parse(tgBytes).signed;
  targets.targets[spec.tag] = {
    hashes: { sha256: Buffer.from(spec.sha256, 'hex').toString('base64') },
    length: spec.size,
  };
  targets.version += 1;

  const tk = keyOf('targets');
  const privateKey = unlock(readFileSync(join(spec.trustDir, 'private', `${tk.id}.key`), 'utf8'), tk.keytype);
  const message = Buffer.from(canon(targets));
  const sig =
    tk.keytype === 'ed25519'
      ? sign(null, message, privateKey)
      : sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  // Notary's envelope: signed first, then signatures; ed25519 signatures are method "eddsa"
  const method = tk.keytype === 'ed25519' ? 'eddsa' : 'ecdsa';
  const wire = Buffer.from(
    `{"signed":${canon(targets)},"signatures":${canon([{ keyid: tk.id, method, sig: sig.toString('base64') }])}}`,
  );
  const boundary = 'floorboundary0123456789';
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="targets"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    ),
    wire,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const r = await request('POST', base, body, {
    'content-type': `multipart/form-data; boundary=${boundary}`,
    'content-length': String(body.length),
  });
  if (r.status < 200 || r.status >= 300)
    throw new Error(`POST: HTTP ${r.status} ${r.body.toString().slice(0, 200)}`);
  writeFileSync(join(metaDir, 'targets.json'), wire); // the floor's own copy for its next run
  agent.destroy();
}

main().catch((e) => {
  process.stderr.write(`floor-sign: ${e.message}\n`);
  process.exit(1);
});
