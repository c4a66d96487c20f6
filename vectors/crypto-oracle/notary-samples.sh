#!/bin/bash
# Publishes a throw-away repository with the real notary 0.7 client against a
# lab notary-server (test/harness), with signatures of every key type Notary
# uses (ecdsa/ed25519 server keys, ecdsa-x509 root, rsa, rsa-x509 and
# ecdsa-x509 delegations), and saves the metadata for generate.mjs:
#
#   ALG=ed25519 bash vectors/crypto-oracle/notary-samples.sh /tmp/samples-ed25519
#   ALG=ecdsa   bash vectors/crypto-oracle/notary-samples.sh /tmp/samples-ecdsa
#   NOTARY_SAMPLES=/tmp/samples-ed25519:/tmp/samples-ecdsa node vectors/crypto-oracle/generate.mjs
set -euo pipefail
OUT=${1:?usage: notary-samples.sh OUTDIR}
HARNESS="$(cd "$(dirname "$0")/../../../test/harness" && pwd)"
WORK=$(mktemp -d)
export LAB_DIR=$WORK/lab LAB_REGISTRY_PORT=${LAB_REGISTRY_PORT:-5190} LAB_NOTARY_PORT=${LAB_NOTARY_PORT:-4590}
export LAB_SIGNER_PORT=${LAB_SIGNER_PORT:-7990} LAB_TOKEN_PORT=${LAB_TOKEN_PORT:-5191}
export LAB_KEY_ALGORITHM=${ALG:-ecdsa}
bash "$HARNESS/up.sh" >"$WORK/up.log" 2>&1
trap 'bash "$HARNESS/down.sh" >/dev/null 2>&1; rm -rf "$WORK"' EXIT
source "$LAB_DIR/env"
GUN="$REGISTRY_HOST/samples/demo"
n() { "$NOTARY_BIN" "$@" </dev/null; }
hash() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
n init "$GUN" -p
n key rotate "$GUN" snapshot -r
n addhash "$GUN" v1 123 --sha256 "$(hash a)" -p
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/rsa.key" 2>/dev/null
openssl pkey -in "$WORK/rsa.key" -pubout -out "$WORK/rsa.pub"
n key import "$WORK/rsa.key" --role rsaone
n delegation add "$GUN" targets/rsaone "$WORK/rsa.pub" --all-paths -p
n addhash "$GUN" v2 124 --sha256 "$(hash b)" -r targets/rsaone -p
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$WORK/rsa2.key" 2>/dev/null
openssl req -x509 -new -key "$WORK/rsa2.key" -subj "/CN=rsatwo" -days 30 -out "$WORK/rsa2.crt" 2>/dev/null
n key import "$WORK/rsa2.key" --role rsatwo
n delegation add "$GUN" targets/rsatwo "$WORK/rsa2.crt" --all-paths -p
n addhash "$GUN" v3 125 --sha256 "$(hash c)" -r targets/rsatwo -p
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/ec.key" 2>/dev/null
openssl req -x509 -new -key "$WORK/ec.key" -subj "/CN=ectwo" -days 30 -out "$WORK/ec.crt" 2>/dev/null
n key import "$WORK/ec.key" --role ectwo
n delegation add "$GUN" targets/ectwo "$WORK/ec.crt" --all-paths -p
n addhash "$GUN" v4 126 --sha256 "$(hash d)" -r targets/ectwo -p
n key rotate "$GUN" targets
mkdir -p "$OUT/targets"
for r in root 1.root 2.root timestamp snapshot targets targets/rsaone targets/rsatwo targets/ectwo; do
  curl -fsS --cacert "$NOTARY_CA" "$NOTARY_URL/v2/$GUN/_trust/tuf/$r.json" -o "$OUT/$r.json"
done
echo "saved to $OUT"
