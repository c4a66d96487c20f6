#!/usr/bin/env node
// Regenerates the crypto test vectors in this folder. Every expected verdict
// comes from Notary 0.7's own Go code (oracle/main.go, Go 1.19 as the notary
// binaries), never from our TypeScript. Needs: go, openssl, the Debian Notary
// sources in /usr/share/gocode, and (optionally) metadata published by a real
// notary 0.7 client/server in $NOTARY_SAMPLES (see notary-samples.sh).
//
//   node vectors/crypto-oracle/generate.mjs
//
// The TypeScript tests only read the JSON files written here.
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';

ed.hashes.sha512 = sha512;
const here = path.dirname(new URL(import.meta.url).pathname);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-vectors-'));
const NOTARY_SRC = '/usr/share/gocode/src/github.com/theupdateframework/notary';

// ---------------------------------------------------------------- oracle
const oracleBin = path.join(tmp, 'oracle');
execFileSync('go', ['build', '-o', oracleBin, '.'], {
  cwd: path.join(here, 'oracle'),
  env: { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOFLAGS: '' },
  stdio: 'inherit',
});
function oracle(requests) {
  const input = requests.map((r) => JSON.stringify(r)).join('\n') + '\n';
  const res = spawnSync(oracleBin, [], { input, maxBuffer: 1 << 28 });
  if (res.status !== 0) throw new Error(`oracle failed: ${res.stderr}`);
  const lines = res.stdout.toString().trim().split('\n');
  if (lines.length !== requests.length) throw new Error('oracle answer count mismatch');
  return lines.map((l) => JSON.parse(l));
}

const b64 = (b) => Buffer.from(b).toString('base64');
const hex = (b) => Buffer.from(b).toString('hex');
const utf8 = (s) => Buffer.from(s, 'utf8');
const rnd = (n) => crypto.randomBytes(n);
const write = (name, obj) => {
  const file = path.join(here, name);
  fs.writeFileSync(file, JSON.stringify(obj, null, 2) + '\n');
  // keep the repository's formatter happy
  execFileSync('npx', ['biome', 'format', '--write', file], {
    cwd: path.join(here, '../..'),
    stdio: 'ignore',
  });
  console.log(`wrote ${name}`);
};
const pkcs8 = (k) => k.export({ type: 'pkcs8', format: 'der' });
const spki = (k) => crypto.createPublicKey(k).export({ type: 'spki', format: 'der' });

// ---------------------------------------------------------------- ed25519 edge cases
const P = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const le = (n, len = 32) => {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    b[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return b;
};
const fromLe = (b) => b.reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n);
const cat = (...a) => Buffer.concat(a.map((x) => Buffer.from(x)));
const H = (...a) => fromLe(sha512(cat(...a))) % L;
const enc = (y, sign = 0) => {
  const b = le(y);
  b[31] |= sign << 7;
  return b;
};
const { Point } = ed;
const ID = enc(1n);
const T8 = Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', true);
const edCases = [];
const edAdd = (name, pub, msg, sig, extra = {}) =>
  edCases.push({ name, pub: hex(pub), msg: hex(msg), sig: hex(sig), ...extra });
{
  const msg = utf8('hello');
  const sk = new Uint8Array(32).fill(7);
  const pk = ed.getPublicKey(sk);
  const sig = ed.sign(msg, sk);
  const S = fromLe(sig.slice(32));
  edAdd('valid', pk, msg, sig);
  edAdd('non-canonical S (S+L)', pk, msg, cat(sig.slice(0, 32), le(S + L)));
  edAdd('S = L', pk, msg, cat(sig.slice(0, 32), le(L)));
  const hi = Uint8Array.from(sig);
  hi[63] |= 0x80;
  edAdd('S high bit set', pk, msg, hi);
  edAdd('R all zero', pk, msg, cat(new Uint8Array(32), sig.slice(32)));
  edAdd('truncated sig', pk, msg, sig.slice(0, 63));
  edAdd('long sig', pk, msg, cat(sig, [0]));
  edAdd('empty sig', pk, msg, new Uint8Array(0));
  edAdd('A=identity R=identity S=0 (small-order key)', ID, msg, cat(ID, le(0n)));
  edAdd('A=identity non-canonical y=p+1', enc(P + 1n), msg, cat(ID, le(0n)));
  edAdd('A=identity with sign bit (negative zero)', enc(1n, 1), msg, cat(ID, le(0n)));
  edAdd('R=identity non-canonical y=p+1', ID, msg, cat(enc(P + 1n), le(0n)));
  edAdd('R=identity with sign bit', ID, msg, cat(enc(1n, 1), le(0n)));
  edAdd('A=(0,-1) order 2', enc(P - 1n), msg, cat(ID, le(0n)));
  edAdd('A=(0,-1) with sign bit', enc(P - 1n, 1), msg, cat(ID, le(0n)));
  const T8b = T8.toBytes();
  for (const want of [true, false]) {
    for (let i = 0; ; i++) {
      const m = utf8('m' + i);
      if ((H(ID, T8b, m) % 8n === 0n) === want) {
        edAdd(`A=order-8 point, R=identity, S=0, k%8${want ? '==' : '!='}0`, T8b, m, cat(ID, le(0n)));
        break;
      }
    }
  }
  const a = 123456789n;
  const Apb = Point.BASE.multiply(a).add(T8).toBytes();
  for (const want of [true, false]) {
    for (let i = 0; ; i++) {
      const m = utf8('x' + i);
      const r = 987654321n + BigInt(i);
      const R = Point.BASE.multiply(r).toBytes();
      const k = H(R, Apb, m);
      if ((k % 8n === 0n) === want) {
        edAdd(`mixed-order A, honest sig, k%8${want ? '==' : '!='}0`, Apb, m, cat(R, le((r + k * a) % L)));
        break;
      }
    }
  }
  {
    const a2 = 5555n;
    const A = Point.BASE.multiply(a2).toBytes();
    const r = 4242n;
    const Rp = Point.BASE.multiply(r).add(T8).toBytes();
    const k = H(Rp, A, msg);
    edAdd('R + torsion (cofactored-only valid)', A, msg, cat(Rp, le((r + k * a2) % L)));
  }
  for (const [label, pub] of [
    ['y=0 canonical', enc(0n)],
    ['y=p non-canonical', enc(P)],
  ]) {
    for (let i = 0; ; i++) {
      const m = utf8('q' + i);
      if (H(ID, pub, m) % 4n === 0n) {
        edAdd(`A=order-4 point ${label}, k%4==0`, pub, m, cat(ID, le(0n)));
        break;
      }
    }
  }
  for (let y = 2n; ; y++) {
    try {
      Point.fromBytes(enc(y));
    } catch {
      edAdd('A not on curve', enc(y), msg, sig);
      break;
    }
  }
  // random single-bit flips of a valid signature / key / message
  for (let i = 0; i < 24; i++) {
    const s2 = Uint8Array.from(sig);
    const bit = crypto.randomInt(512);
    s2[bit >> 3] ^= 1 << (bit & 7);
    edAdd(`sig bit ${bit} flipped`, pk, msg, s2);
  }
  for (let i = 0; i < 8; i++) {
    const p2 = Uint8Array.from(pk);
    const bit = crypto.randomInt(256);
    p2[bit >> 3] ^= 1 << (bit & 7);
    edAdd(`key bit ${bit} flipped`, p2, msg, sig);
  }
}
// Go's own vectors (SUPERCOP sign.input; the first lines are RFC 8032 7.1)
{
  const lines = zlib
    .gunzipSync(fs.readFileSync('/usr/lib/go-1.19/src/crypto/ed25519/testdata/sign.input.gz'))
    .toString()
    .trim()
    .split('\n');
  for (const [i, line] of lines.slice(0, 48).entries()) {
    const [sk, pub, msg, sigmsg] = line.split(':');
    edAdd(
      `sign.input #${i}`,
      Buffer.from(pub, 'hex'),
      Buffer.from(msg, 'hex'),
      Buffer.from(sigmsg.slice(0, 128), 'hex'),
      {
        seed: sk.slice(0, 64),
      },
    );
  }
}
{
  const verdicts = oracle(
    edCases.map((c) => ({
      op: 'verify',
      keytype: 'ed25519',
      pub: b64(Buffer.from(c.pub, 'hex')),
      method: 'eddsa',
      msg: b64(Buffer.from(c.msg, 'hex')),
      sig: b64(Buffer.from(c.sig, 'hex')),
    })),
  );
  edCases.forEach((c, i) => {
    c.go = verdicts[i].ok;
  });
  write('ed25519-edge.json', { source: 'Go 1.19 crypto/ed25519 via notary Ed25519Verifier', cases: edCases });
}

// ---------------------------------------------------------------- keys
function genEc(curve) {
  return crypto.generateKeyPairSync('ec', { namedCurve: curve }).privateKey;
}
function genRsa(bits, pred = () => true) {
  for (;;) {
    const k = crypto.generateKeyPairSync('rsa', { modulusLength: bits }).privateKey;
    if (pred(k)) return k;
  }
}
const rsaN = (k) => BigInt(`0x${Buffer.from(k.export({ format: 'jwk' }).n, 'base64url').toString('hex')}`);
const keys = {
  ed25519: crypto.generateKeyPairSync('ed25519').privateKey,
  'ecdsa-p256': genEc('prime256v1'),
  'ecdsa-p384': genEc('secp384r1'),
  'ecdsa-p521': genEc('secp521r1'),
  'ecdsa-p224': genEc('secp224r1'),
  // modulus < 2^2047 + 2^2046 so that some s + N still fit in 256 bytes (Go 1.19 malleability case)
  rsa2048: genRsa(2048, (k) => rsaN(k) < 2n ** 2047n + 2n ** 2046n),
  rsa3072: genRsa(3072),
  rsa1024: genRsa(1024),
};
const NOW = Math.floor(Date.now() / 1000);
const YEAR = 365 * 24 * 3600;

// certificates made by Notary's own code (fixed serial/time) for the x509 key types
const certReqs = ['ecdsa-p256', 'rsa2048', 'ecdsa-p384'].map((name) => ({
  op: 'gencert',
  pkcs8: b64(pkcs8(keys[name])),
  gun: 'docker.io/library/vectors',
  notBefore: NOW - 3600,
  notAfter: NOW - 3600 + 10 * YEAR,
  serial: '123456789012345678901234567890',
}));
const certs = oracle(certReqs);
const certPem = {
  'ecdsa-p256': certs[0].pem,
  rsa2048: certs[1].pem,
  'ecdsa-p384': certs[2].pem,
};

const keyDefs = [
  { name: 'ed25519', keytype: 'ed25519', pub: Buffer.from(spki(keys.ed25519)).subarray(12), priv: 'ed25519' },
  { name: 'ecdsa-p256', keytype: 'ecdsa', pub: spki(keys['ecdsa-p256']), priv: 'ecdsa-p256' },
  { name: 'ecdsa-p384', keytype: 'ecdsa', pub: spki(keys['ecdsa-p384']), priv: 'ecdsa-p384' },
  { name: 'ecdsa-p521', keytype: 'ecdsa', pub: spki(keys['ecdsa-p521']), priv: 'ecdsa-p521' },
  { name: 'ecdsa-p224', keytype: 'ecdsa', pub: spki(keys['ecdsa-p224']), priv: 'ecdsa-p224' },
  { name: 'rsa2048', keytype: 'rsa', pub: spki(keys.rsa2048), priv: 'rsa2048' },
  { name: 'rsa3072', keytype: 'rsa', pub: spki(keys.rsa3072), priv: 'rsa3072' },
  { name: 'rsa1024', keytype: 'rsa', pub: spki(keys.rsa1024), priv: 'rsa1024' },
  { name: 'ecdsa-x509-p256', keytype: 'ecdsa-x509', pub: utf8(certPem['ecdsa-p256']), priv: 'ecdsa-p256' },
  { name: 'ecdsa-x509-p384', keytype: 'ecdsa-x509', pub: utf8(certPem['ecdsa-p384']), priv: 'ecdsa-p384' },
  { name: 'rsa-x509-2048', keytype: 'rsa-x509', pub: utf8(certPem.rsa2048), priv: 'rsa2048' },
];
// a compressed-point P-256 SPKI (Go's ParsePKIXPublicKey rejects it, OpenSSL accepts it)
{
  const jwk = keys['ecdsa-p256'].export({ format: 'jwk' });
  const x = Buffer.from(jwk.x, 'base64url');
  const y = Buffer.from(jwk.y, 'base64url');
  const prefix = Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex');
  keyDefs.push({
    name: 'ecdsa-p256-compressed',
    keytype: 'ecdsa',
    pub: cat(prefix, [2 + (y[31] & 1)], x),
    priv: 'ecdsa-p256',
  });
}

// ---------------------------------------------------------------- signatures
const message = utf8('{"signed":"canonical bytes <>& \u00e9","n":1}');
const other = utf8('{"signed":"canonical bytes <>& \u00e9","n":2}');
const privOf = (def) => keys[def.priv];
// Notary signs (data.PrivateKey.Sign) for each private key
const notarySigs = oracle(
  Object.keys(keys).map((name) => ({ op: 'sign', pkcs8: b64(pkcs8(keys[name])), msg: b64(message) })),
);
const sigBy = Object.fromEntries(
  Object.keys(keys).map((name, i) => [name, Buffer.from(notarySigs[i].sig, 'base64')]),
);
const methodBy = Object.fromEntries(Object.keys(keys).map((name, i) => [name, notarySigs[i].method]));

const sigCases = [];
const sigAdd = (name, def, method, msg, sig, extra = {}) =>
  sigCases.push({
    name,
    key: def.name,
    keytype: def.keytype,
    pub: b64(def.pub),
    method,
    msg: b64(msg),
    sig: b64(sig),
    ...extra,
  });
const METHODS = ['eddsa', 'ecdsa', 'rsapss', 'rsapkcs1v15', 'pycrypto-pkcs#1 pss', 'bogus'];
for (const def of keyDefs) {
  const sig = sigBy[def.priv];
  for (const method of METHODS) sigAdd(`notary sig, method ${method}`, def, method, message, sig);
  const m = methodBy[def.priv];
  sigAdd('other message', def, m, other, sig);
  sigAdd('empty message', def, m, new Uint8Array(0), sig);
  const flipped = Buffer.from(sig);
  flipped[crypto.randomInt(sig.length)] ^= 1 << crypto.randomInt(8);
  sigAdd('one bit flipped', def, m, message, flipped);
  sigAdd('truncated', def, m, message, sig.subarray(0, sig.length - 1));
  sigAdd('extended', def, m, message, cat(sig, [0]));
  sigAdd('leading zero prepended', def, m, message, cat([0], sig));
  sigAdd('empty sig', def, m, message, new Uint8Array(0));
  sigAdd('random sig', def, m, message, rnd(sig.length));
  const node = privOf(def);
  if (def.priv.startsWith('ecdsa')) {
    const der = crypto.sign('sha256', message, node);
    sigAdd('DER-encoded ECDSA', def, 'ecdsa', message, der);
    const raw = crypto.sign('sha256', message, { key: node, dsaEncoding: 'ieee-p1363' });
    sigAdd('ieee-p1363 via node', def, 'ecdsa', message, raw);
    const half = raw.length / 2;
    const order = {
      'ecdsa-p256': 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
      'ecdsa-p384':
        0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
      'ecdsa-p521':
        0x01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
      'ecdsa-p224': 0xffffffffffffffffffffffffffff16a2e0b8f03e13dd29455c5c2a3dn,
    }[def.priv];
    const be = (n) => Buffer.from(n.toString(16).padStart(half * 2, '0'), 'hex');
    const s = BigInt(`0x${raw.subarray(half).toString('hex')}`);
    sigAdd('high-S (N - s)', def, 'ecdsa', message, cat(raw.subarray(0, half), be(order - s)));
    sigAdd('r = 0', def, 'ecdsa', message, cat(Buffer.alloc(half), raw.subarray(half)));
    sigAdd('s = 0', def, 'ecdsa', message, cat(raw.subarray(0, half), Buffer.alloc(half)));
    sigAdd('r = N', def, 'ecdsa', message, cat(be(order), raw.subarray(half)));
    const sha384sig = crypto.sign('sha384', message, { key: node, dsaEncoding: 'ieee-p1363' });
    sigAdd('ECDSA over SHA-384', def, 'ecdsa', message, sha384sig);
  }
  if (def.priv.startsWith('rsa')) {
    const pss = (saltLength, hash = 'sha256') =>
      crypto.sign(hash, message, { key: node, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength });
    sigAdd('PSS salt 32 via node', def, 'rsapss', message, pss(32));
    sigAdd('PSS salt 0', def, 'rsapss', message, pss(0));
    sigAdd('PSS salt 64', def, 'rsapss', message, pss(64));
    if (def.name !== 'rsa1024') sigAdd('PSS SHA-512 salt 64', def, 'rsapss', message, pss(64, 'sha512'));
    const v15 = crypto.sign('sha256', message, { key: node, padding: crypto.constants.RSA_PKCS1_PADDING });
    for (const method of ['rsapkcs1v15', 'rsapss'])
      sigAdd(`PKCS#1 v1.5 sig, method ${method}`, def, method, message, v15);
    sigAdd('PKCS#1 v1.5 over SHA-512', def, 'rsapkcs1v15', message, crypto.sign('sha512', message, node));
    if (def.name === 'rsa2048') {
      // s + N when it still fits in k bytes: Go 1.19 VerifyPSS does not check s < N, OpenSSL does.
      const n = rsaN(node);
      for (let i = 0; i < 64; i++) {
        const sig2 = pss(32);
        const s2 = BigInt(`0x${sig2.toString('hex')}`) + n;
        if (s2 < 2n ** 2048n) {
          sigAdd(
            'PSS s + N (fits in 256 bytes)',
            def,
            'rsapss',
            message,
            Buffer.from(s2.toString(16).padStart(512, '0'), 'hex'),
            {
              divergence: 'Go 1.19 rsa.VerifyPSS accepts s >= N (no range check); OpenSSL (and we) reject it',
            },
          );
          break;
        }
      }
    }
  }
  if (def.priv === 'ed25519') {
    sigAdd('ed25519 sig via node', def, 'eddsa', message, crypto.sign(null, message, node));
  }
}
// ed25519 public bytes presented as other key types, and vice versa
sigAdd('ed25519 key typed ecdsa', { ...keyDefs[0], keytype: 'ecdsa' }, 'ecdsa', message, sigBy.ed25519);
sigAdd('P-256 SPKI typed rsa', { ...keyDefs[1], keytype: 'rsa' }, 'rsapss', message, sigBy['ecdsa-p256']);
sigAdd('RSA SPKI typed ecdsa', { ...keyDefs[5], keytype: 'ecdsa' }, 'ecdsa', message, sigBy.rsa2048);
sigAdd(
  'RSA cert typed ecdsa-x509',
  { ...keyDefs[10], keytype: 'ecdsa-x509' },
  'ecdsa',
  message,
  sigBy.rsa2048,
);
sigAdd(
  'EC cert typed rsa-x509',
  { ...keyDefs[8], keytype: 'rsa-x509' },
  'rsapss',
  message,
  sigBy['ecdsa-p256'],
);
sigAdd(
  'EC cert typed ecdsa (bare)',
  { ...keyDefs[8], keytype: 'ecdsa' },
  'ecdsa',
  message,
  sigBy['ecdsa-p256'],
);
{
  const verdicts = oracle(
    sigCases.map((c) => ({
      op: 'verify',
      keytype: c.keytype,
      pub: c.pub,
      method: c.method,
      msg: c.msg,
      sig: c.sig,
    })),
  );
  sigCases.forEach((c, i) => {
    c.go = verdicts[i].ok;
  });
}

// real signatures from Notary metadata: fixtures of the Notary source tree and,
// when given, repositories published with the notary 0.7 client against notary-server
const fixtureReqs = [];
const addRepo = (dir, label) => {
  const roles = [];
  const walk = (d, prefix) => {
    for (const f of fs.readdirSync(d)) {
      const p = path.join(d, f);
      if (fs.statSync(p).isDirectory()) walk(p, `${prefix}${f}/`);
      else if (f.endsWith('.json')) roles.push(p);
    }
  };
  walk(dir, '');
  const keysFrom = [path.join(dir, 'root.json'), path.join(dir, 'targets.json')].filter((p) =>
    fs.existsSync(p),
  );
  for (const p of roles)
    fixtureReqs.push({
      req: { op: 'fixture', path: p, keysFrom },
      label: `${label}/${path.relative(dir, p)}`,
    });
};
addRepo(
  `${NOTARY_SRC}/fixtures/compatibility/notary0.3/tuf/docker.com/notary0.3/tst/metadata`,
  'notary0.3-fixture',
);
addRepo(
  `${NOTARY_SRC}/fixtures/compatibility/notary0.1/tuf/docker.com/notary0.1/samplerepo/metadata`,
  'notary0.1-fixture',
);
for (const dir of (process.env.NOTARY_SAMPLES ?? '').split(':').filter(Boolean))
  addRepo(dir, `notary0.7-${path.basename(dir)}`);
const fixtureSigs = [];
oracle(fixtureReqs.map((f) => f.req)).forEach((res, i) => {
  for (const s of res.sigs ?? []) {
    fixtureSigs.push({
      name: fixtureReqs[i].label,
      keytype: s.keytype,
      pub: s.pub,
      method: s.method,
      msg: s.msg,
      sig: s.sig,
      go: s.ok,
    });
  }
});
write('signatures.json', {
  source:
    'verdicts from notary tuf/signed Verifiers (Go 1.19); signatures made by notary data.PrivateKey.Sign',
  keys: Object.fromEntries(Object.entries(keys).map(([n, k]) => [n, b64(pkcs8(k))])),
  cases: sigCases,
  fixtures: fixtureSigs,
});

// ---------------------------------------------------------------- key ids
{
  const defs = [
    ...keyDefs,
    ...fixtureSigs.map((f, i) => ({
      name: `fixture ${i}`,
      keytype: f.keytype,
      pub: Buffer.from(f.pub, 'base64'),
    })),
  ];
  const seen = new Set();
  const uniq = defs.filter((d) => {
    const k = d.keytype + b64(d.pub);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  const ids = oracle(uniq.map((d) => ({ op: 'keyid', keytype: d.keytype, pub: b64(d.pub) })));
  write('keyids.json', {
    source: 'notary data.TUFKey.ID / utils.CanonicalKeyID',
    cases: uniq.map((d, i) => ({
      name: d.name,
      keytype: d.keytype,
      pub: b64(d.pub),
      id: ids[i].id,
      canonical: ids[i].canonical,
    })),
  });
}

// ---------------------------------------------------------------- root certificates
const certCases = [];
const GUN = 'docker.io/library/vectors';
const openssl = (args, input) => execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'] });
const keyFile = (k, name) => {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, k.export({ type: 'pkcs8', format: 'pem' }));
  return p;
};
const ecKeyFile = keyFile(keys['ecdsa-p256'], 'ec.pem');
const rsaKeyFile = keyFile(keys.rsa2048, 'rsa.pem');
const rsa1024File = keyFile(keys.rsa1024, 'rsa1024.pem');
const edKeyFile = keyFile(keys.ed25519, 'ed.pem');
const extFile = path.join(tmp, 'ext.cnf');
fs.writeFileSync(
  extFile,
  [
    '[req]',
    'distinguished_name=dn',
    '[dn]',
    '[leaf]',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=codeSigning',
    'basicConstraints=critical,CA:FALSE',
    '[ca]',
    'basicConstraints=critical,CA:TRUE',
    'keyUsage=critical,keyCertSign',
    '',
  ].join('\n'),
);
function osslCert({ key, cn, days = 3650, digest = 'sha256', ext = 'leaf' }) {
  const args = [
    'req',
    '-x509',
    '-new',
    '-key',
    key,
    '-subj',
    `/CN=${cn.replace(/\//g, '\\/')}`,
    '-days',
    String(days),
    '-config',
    extFile,
    '-extensions',
    ext,
  ];
  if (digest) args.push(`-${digest}`);
  return openssl(args).toString();
}
const gunCerts = (pemBytes) => b64(utf8(pemBytes));
const addCert = (name, keytype, pem, gun = GUN, extra = {}) =>
  certCases.push({ name, keytype, pub: gunCerts(pem), gun, ...extra });

// made by Notary's own code
const gen = (pk, gun, nb, na) =>
  oracle([{ op: 'gencert', pkcs8: b64(pkcs8(pk)), gun, notBefore: nb, notAfter: na }])[0].pem;
addCert('notary ecdsa cert', 'ecdsa-x509', certPem['ecdsa-p256']);
addCert('notary rsa cert', 'rsa-x509', certPem.rsa2048);
addCert('notary ecdsa P-384 cert', 'ecdsa-x509', certPem['ecdsa-p384']);
addCert('wrong gun', 'ecdsa-x509', certPem['ecdsa-p256'], 'docker.io/library/other');
addCert(
  'gun prefix only (no wildcard)',
  'ecdsa-x509',
  certPem['ecdsa-p256'],
  'docker.io/library/vectors/sub',
);
addCert(
  'wildcard CN matches',
  'ecdsa-x509',
  gen(keys['ecdsa-p256'], 'docker.io/library/*', NOW - 60, NOW + YEAR),
  GUN,
);
addCert(
  'wildcard CN other namespace',
  'ecdsa-x509',
  gen(keys['ecdsa-p256'], 'docker.io/other/*', NOW - 60, NOW + YEAR),
  GUN,
);
addCert(
  'double wildcard CN',
  'ecdsa-x509',
  gen(keys['ecdsa-p256'], 'docker.io/lib**', NOW - 60, NOW + YEAR),
  GUN,
);
addCert('bare * CN', 'ecdsa-x509', gen(keys['ecdsa-p256'], '*', NOW - 60, NOW + YEAR), GUN);
addCert('expired', 'ecdsa-x509', gen(keys['ecdsa-p256'], GUN, NOW - 2 * YEAR, NOW - 3600), GUN);
addCert(
  'not yet valid (2 days)',
  'ecdsa-x509',
  gen(keys['ecdsa-p256'], GUN, NOW + 2 * 86400, NOW + YEAR),
  GUN,
);
addCert(
  'not yet valid within 1-day leeway (12h)',
  'ecdsa-x509',
  gen(keys['ecdsa-p256'], GUN, NOW + 12 * 3600, NOW + YEAR),
  GUN,
);
addCert('notBefore after notAfter', 'ecdsa-x509', gen(keys['ecdsa-p256'], GUN, NOW + YEAR, NOW - 3600), GUN);
addCert(
  'GUN with characters outside PrintableString',
  'ecdsa-x509',
  gen(keys['ecdsa-p256'], 'docker.io/library/a_b', NOW - 60, NOW + YEAR),
  'docker.io/library/a_b',
);
addCert('ecdsa cert typed rsa-x509', 'rsa-x509', certPem['ecdsa-p256']);
// made by openssl
addCert('openssl ecdsa sha256 leaf', 'ecdsa-x509', osslCert({ key: ecKeyFile, cn: GUN }));
addCert('openssl ecdsa sha1', 'ecdsa-x509', osslCert({ key: ecKeyFile, cn: GUN, digest: 'sha1' }));
addCert('openssl rsa sha1', 'rsa-x509', osslCert({ key: rsaKeyFile, cn: GUN, digest: 'sha1' }));
addCert('openssl rsa 1024', 'rsa-x509', osslCert({ key: rsa1024File, cn: GUN }));
addCert('openssl ed25519 cert', 'ecdsa-x509', osslCert({ key: edKeyFile, cn: GUN, digest: null }));
addCert('openssl CA cert alone', 'ecdsa-x509', osslCert({ key: ecKeyFile, cn: GUN, ext: 'ca' }));
{
  const leaf = osslCert({ key: ecKeyFile, cn: GUN });
  const ca = osslCert({ key: rsaKeyFile, cn: 'some CA', ext: 'ca' });
  addCert('bundle leaf + CA', 'ecdsa-x509', leaf + ca);
  addCert('bundle CA + leaf (leaf not first)', 'ecdsa-x509', ca + leaf);
  addCert('bundle two leaves', 'ecdsa-x509', leaf + osslCert({ key: ecKeyFile, cn: GUN }));
}
{
  // Notary re-encodes leaf + valid intermediates and uses that key's id: these keep the
  // listed id only if the listed bytes are already in that form.
  const leaf = certPem['ecdsa-p256'];
  const expiredCa = oracle([
    {
      op: 'gencert',
      pkcs8: b64(pkcs8(keys.rsa2048)),
      gun: 'old CA',
      notBefore: NOW - 2 * YEAR,
      notAfter: NOW - YEAR,
      ca: true,
    },
  ])[0].pem;
  addCert('bundle leaf + expired CA', 'ecdsa-x509', leaf + expiredCa);
  addCert('leaf with CRLF line endings', 'ecdsa-x509', leaf.replace(/\n/g, '\r\n'));
}
addCert('not PEM', 'ecdsa-x509', 'hello');
addCert(
  'PEM of a public key',
  'ecdsa-x509',
  keys['ecdsa-p256']
    .export({ type: 'pkcs8', format: 'pem' })
    .toString()
    .replace(/PRIVATE/g, 'PUBLIC'),
);
addCert('bare ecdsa key', 'ecdsa', spki(keys['ecdsa-p256']).toString('latin1'));
{
  const verdicts = oracle(certCases.map((c) => ({ op: 'cert', keytype: c.keytype, pub: c.pub, gun: c.gun })));
  certCases.forEach((c, i) => {
    c.go = verdicts[i].ok;
    c.goReason = verdicts[i].why ?? '';
    if (verdicts[i].id) c.id = verdicts[i].id;
  });
}
write('root-certs.json', {
  source: 'notary trustpinning validRootLeafCerts logic (oracle/main.go checkRootCert)',
  now: NOW,
  cases: certCases,
});

// ---------------------------------------------------------------- certificate creation
{
  const reqs = [
    ['ecdsa-p256', 'docker.io/library/alpine'],
    ['rsa2048', 'docker.io/library/alpine'],
    ['ecdsa-p384', 'registry.example.com:5000/ns/img'],
    ['ecdsa-p256', 'docker.io/library/*'],
    ['ecdsa-p256', 'example.com/a_b&c'],
    ['ecdsa-p256', 'late.example.com/x'],
  ].map(([k, gun], i) => ({
    op: 'gencert',
    pkcs8: b64(pkcs8(keys[k])),
    gun,
    notBefore: i === 5 ? 2524608000 /* 2050-01-01: GeneralizedTime */ : 1700000000,
    notAfter: i === 5 ? 2840140800 : 1700000000 + 3650 * 86400,
    serial:
      i === 1 ? '340282366920938463463374607431768211455' /* 2^128-1: high bit set */ : String(1000 + i),
    key: k,
  }));
  const res = oracle(reqs.map(({ key, ...r }) => r));
  write('certgen.json', {
    source:
      'notary cryptoservice.generateCertificate (x509.CreateCertificate, Go 1.19) with pinned serial/times',
    cases: reqs.map((r, i) => ({
      key: r.key,
      pkcs8: r.pkcs8,
      gun: r.gun,
      notBefore: r.notBefore,
      notAfter: r.notAfter,
      serial: r.serial,
      der: res[i].der,
      pem: res[i].pem,
    })),
  });
}
fs.rmSync(tmp, { recursive: true, force: true });
