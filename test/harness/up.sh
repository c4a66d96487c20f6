#!/usr/bin/env bash
# Starts a throw-away Docker Content Trust lab on loopback:
#   docker-registry (distribution v2, filesystem storage, plain HTTP)
#   notary-signer   (memory key store, gRPC over mutual TLS)   [LAB_TRUST_SERVICE=remote]
#   notary-server   (memory metadata store, HTTPS)
#   token server    (node, optional)                           [LAB_AUTH=token]
# All state (TLS material, logs, PIDs, client config) lives in $LAB_DIR.
# Writes $LAB_DIR/env (bash) and $LAB_DIR/env.json for test suites.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
source "$here/common.sh"

t0=$(date +%s%N)

case "$LAB_TRUST_SERVICE" in remote|local) ;; *) lab_die "LAB_TRUST_SERVICE must be remote or local" ;; esac
case "$LAB_KEY_ALGORITHM" in ecdsa|ed25519) ;; *) lab_die "LAB_KEY_ALGORITHM must be ecdsa or ed25519" ;; esac
case "$LAB_AUTH" in none|token) ;; *) lab_die "LAB_AUTH must be none or token" ;; esac
for p in LAB_REGISTRY_PORT LAB_NOTARY_PORT LAB_SIGNER_PORT LAB_TOKEN_PORT; do
  [[ "${!p}" =~ ^[0-9]+$ ]] || lab_die "$p must be a port number"
done

for c in notary notary-server docker-registry openssl curl; do
  command -v "$c" >/dev/null 2>&1 || lab_die "$c not found; run $here/install.sh first"
done
[[ "$LAB_TRUST_SERVICE" == local ]] || command -v notary-signer >/dev/null || lab_die "notary-signer not found"
[[ "$LAB_AUTH" == none ]] || command -v node >/dev/null || lab_die "LAB_AUTH=token needs node"

# Refuse to start twice on the same state dir.
if [[ -d "$LAB_DIR/pids" ]]; then
  for f in "$LAB_DIR"/pids/*.pid; do
    [[ -e "$f" ]] || continue
    n="$(basename "$f" .pid)"
    if [[ -n "$(lab_live_pid "$n")" ]]; then
      lab_die "lab already running in $LAB_DIR ($n). Run down.sh first."
    fi
  done
fi
if [[ -e "$LAB_DIR" ]]; then
  if [[ -f "$LAB_MARKER" ]]; then
    rm -rf "$LAB_DIR"            # stale state from an earlier run
  elif [[ -n "$(ls -A "$LAB_DIR" 2>/dev/null)" ]]; then
    lab_die "$LAB_DIR exists, is not empty and is not a lab dir; choose another LAB_DIR"
  fi
fi

ports=("$LAB_REGISTRY_PORT" "$LAB_NOTARY_PORT")
[[ "$LAB_TRUST_SERVICE" == remote ]] && ports+=("$LAB_SIGNER_PORT")
[[ "$LAB_AUTH" == token ]] && ports+=("$LAB_TOKEN_PORT")
for p in "${ports[@]}"; do
  if lab_port_open "$LAB_HOST" "$p"; then
    lab_die "port $LAB_HOST:$p is already in use (set LAB_*_PORT to move the lab)"
  fi
done

mkdir -p "$LAB_DIR"/{tls,pids,logs,registry/data,notary-server,notary-signer,client/trust}
chmod 700 "$LAB_DIR"
: > "$LAB_MARKER"

REGISTRY_ADDR="$LAB_HOST:$LAB_REGISTRY_PORT"
REGISTRY_URL="http://$REGISTRY_ADDR"
NOTARY_URL="https://$LAB_HOST:$LAB_NOTARY_PORT"
TOKEN_REALM="http://$LAB_HOST:$LAB_TOKEN_PORT/auth"
REGISTRY_SERVICE="dct-lab-registry"
NOTARY_SERVICE="dct-lab-notary"
TOKEN_ISSUER="dct-lab-token-issuer"
TLS="$LAB_DIR/tls"

# Any failure from here on: stop what was started, show logs, exit non-zero.
started=()
on_fail() {
  local rc=$?
  [[ $rc == 0 ]] && return 0
  lab_log "startup FAILED (rc=$rc); logs follow"
  for f in "$LAB_DIR"/logs/*.log; do
    [[ -e "$f" ]] || continue
    printf '\n===== %s (last 40 lines) =====\n' "$(basename "$f")" >&2
    tail -n 40 "$f" >&2 || true
  done
  local waitpids=()
  for n in "${started[@]}"; do
    pid="$(lab_live_pid "$n")"
    if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; waitpids+=("$pid"); fi
  done
  for _ in $(seq 50); do
    local alive=0
    for pid in "${waitpids[@]}"; do [[ -d "/proc/$pid" ]] && alive=1; done
    [[ $alive == 0 ]] && break
    sleep 0.1
  done
  exit "$rc"
}
trap on_fail EXIT

# ---------------------------------------------------------------- TLS (openssl)
cat > "$TLS/openssl.cnf" <<EOF
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = placeholder
[ ca_ext ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ server_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = DNS:localhost,DNS:notary-server,DNS:notary-signer,DNS:registry,IP:$LAB_HOST,IP:127.0.0.1
authorityKeyIdentifier = keyid
[ client_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
[ token_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
authorityKeyIdentifier = keyid
EOF

ossl() { openssl "$@" >>"$LAB_DIR/logs/openssl.log" 2>&1; }
ec_key() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; chmod 600 "$1"; }
issue_cert() { # name cn ext
  ec_key "$TLS/$1.key"
  ossl req -new -key "$TLS/$1.key" -subj "/CN=$2" -config "$TLS/openssl.cnf" -out "$TLS/$1.csr"
  ossl x509 -req -in "$TLS/$1.csr" -CA "$TLS/ca.crt" -CAkey "$TLS/ca.key" -CAcreateserial \
    -days 825 -sha256 -extfile "$TLS/openssl.cnf" -extensions "$3" -out "$TLS/$1.crt"
  rm -f "$TLS/$1.csr"
}

ec_key "$TLS/ca.key"
ossl req -x509 -new -key "$TLS/ca.key" -subj "/CN=DCT Lab Root CA" -days 3650 -sha256 \
  -config "$TLS/openssl.cnf" -extensions ca_ext -out "$TLS/ca.crt"
issue_cert notary-server "notary-server" server_ext
issue_cert notary-signer "notary-signer" server_ext
issue_cert server-to-signer "notary-server client" client_ext
[[ "$LAB_AUTH" == token ]] && issue_cert token "dct-lab token signer" token_ext
# full chain for servers (leaf + CA) so clients only need the CA
cat "$TLS/notary-server.crt" "$TLS/ca.crt" > "$TLS/notary-server.chain.crt"

# ---------------------------------------------------------------- launcher
launch() { # name cmd args...
  local name="$1"; shift
  local exe; exe="$(readlink -f "$(command -v "$1")")"
  setsid "$@" >>"$LAB_DIR/logs/$name.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid $exe" > "$LAB_DIR/pids/$name.pid"
  started+=("$name")
}

wait_until() { # description command...
  local what="$1"; shift
  local deadline=$(( $(date +%s) + LAB_START_TIMEOUT ))
  until "$@" >/dev/null 2>&1; do
    for n in "${started[@]}"; do
      [[ -n "$(lab_live_pid "$n")" ]] || lab_die "$n exited while waiting for $what"
    done
    (( $(date +%s) < deadline )) || lab_die "timed out after ${LAB_START_TIMEOUT}s waiting for $what"
    sleep 0.1
  done
}

# ---------------------------------------------------------------- token server
if [[ "$LAB_AUTH" == token ]]; then
  TOKEN_ADDR="$LAB_HOST" TOKEN_PORT="$LAB_TOKEN_PORT" TOKEN_KEY="$TLS/token.key" \
  TOKEN_CERT="$TLS/token.crt" TOKEN_ISSUER="$TOKEN_ISSUER" \
  TOKEN_USERS="${LAB_TOKEN_USERS:-lab:lab}" \
    launch tokenserver node "$here/tokenserver.mjs"
fi

# ---------------------------------------------------------------- registry
{
  cat <<EOF
version: 0.1
log:
  level: $( [[ "$LAB_LOG_LEVEL" == debug ]] && echo debug || echo info )
  formatter: text
storage:
  filesystem:
    rootdirectory: $LAB_DIR/registry/data
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: $REGISTRY_ADDR
  secret: $(openssl rand -hex 16)
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
EOF
  if [[ "$LAB_AUTH" == token ]]; then
    cat <<EOF
auth:
  token:
    realm: $TOKEN_REALM
    service: $REGISTRY_SERVICE
    issuer: $TOKEN_ISSUER
    rootcertbundle: $TLS/ca.crt
EOF
  fi
} > "$LAB_DIR/registry/config.yml"
launch registry docker-registry serve "$LAB_DIR/registry/config.yml"

# ---------------------------------------------------------------- notary-signer
if [[ "$LAB_TRUST_SERVICE" == remote ]]; then
  cat > "$LAB_DIR/notary-signer/config.json" <<EOF
{
  "server": {
    "grpc_addr": "$LAB_HOST:$LAB_SIGNER_PORT",
    "tls_cert_file": "$TLS/notary-signer.crt",
    "tls_key_file": "$TLS/notary-signer.key",
    "client_ca_file": "$TLS/ca.crt"
  },
  "logging": { "level": "$LAB_LOG_LEVEL" },
  "storage": { "backend": "memory" }
}
EOF
  launch notary-signer notary-signer -config "$LAB_DIR/notary-signer/config.json"
  wait_until "notary-signer on $LAB_HOST:$LAB_SIGNER_PORT" lab_port_open "$LAB_HOST" "$LAB_SIGNER_PORT"
  trust_json=$(cat <<EOF
  "trust_service": {
    "type": "remote",
    "hostname": "$LAB_HOST",
    "port": "$LAB_SIGNER_PORT",
    "tls_ca_file": "$TLS/ca.crt",
    "key_algorithm": "$LAB_KEY_ALGORITHM",
    "tls_client_cert": "$TLS/server-to-signer.crt",
    "tls_client_key": "$TLS/server-to-signer.key"
  },
EOF
)
else
  trust_json='  "trust_service": { "type": "local" },'
fi

# ---------------------------------------------------------------- notary-server
auth_json=''
if [[ "$LAB_AUTH" == token ]]; then
  auth_json=$(cat <<EOF
  "auth": {
    "type": "token",
    "options": {
      "realm": "$TOKEN_REALM",
      "service": "$NOTARY_SERVICE",
      "issuer": "$TOKEN_ISSUER",
      "rootcertbundle": "$TLS/ca.crt"
    }
  },
EOF
)
fi
cat > "$LAB_DIR/notary-server/config.json" <<EOF
{
  "server": {
    "http_addr": "$LAB_HOST:$LAB_NOTARY_PORT",
    "tls_cert_file": "$TLS/notary-server.chain.crt",
    "tls_key_file": "$TLS/notary-server.key"
  },
$trust_json
$auth_json
  "logging": { "level": "$LAB_LOG_LEVEL" },
  "storage": { "backend": "memory" }
}
EOF
launch notary-server notary-server -config "$LAB_DIR/notary-server/config.json"

# ---------------------------------------------------------------- readiness
token_for() { # service scope -> prints bearer token
  curl -fsS -u "${LAB_TOKEN_USERS:-lab:lab}" --get "$TOKEN_REALM" \
    --data-urlencode "service=$1" --data-urlencode "scope=$2" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p'
}
if [[ "$LAB_AUTH" == token ]]; then
  wait_until "token server" curl -fsS "http://$LAB_HOST:$LAB_TOKEN_PORT/health"
fi
registry_ready() {
  local code
  code="$(curl -sS -o /dev/null -w '%{http_code}' "$REGISTRY_URL/v2/")"
  [[ "$code" == 200 || ( "$LAB_AUTH" == token && "$code" == 401 ) ]]
}
wait_until "registry $REGISTRY_URL/v2/" registry_ready
wait_until "notary-server health" curl -fsS --cacert "$TLS/ca.crt" "$NOTARY_URL/_notary_server/health"

# End-to-end probe: asking for a server-managed key makes notary-server talk to
# its signer (remote) or in-process signer (local). Uses a reserved probe GUN.
probe_gun="dct-lab.invalid/readiness-probe"
probe() {
  local hdr=()
  if [[ "$LAB_AUTH" == token ]]; then
    hdr=(-H "Authorization: Bearer $(token_for "$NOTARY_SERVICE" "repository:$probe_gun:push,pull")")
  fi
  local out
  out="$(curl -fsS --cacert "$TLS/ca.crt" "${hdr[@]}" "$NOTARY_URL/v2/$probe_gun/_trust/tuf/timestamp.key")" || return 1
  [[ "$out" == *'"keytype"'* ]]
}
wait_until "notary-server -> signer key probe" probe

# ---------------------------------------------------------------- client config
cat > "$LAB_DIR/client/config.json" <<EOF
{
  "trust_dir": "$LAB_DIR/client/trust",
  "remote_server": {
    "url": "$NOTARY_URL",
    "root_ca": "$TLS/ca.crt"
  }
}
EOF
cat > "$LAB_DIR/notary" <<EOF
#!/bin/sh
# notary CLI bound to this lab's config
exec notary -c "$LAB_DIR/client/config.json" "\$@"
EOF
chmod +x "$LAB_DIR/notary"

pid_of() { lab_live_pid "$1"; }
cat > "$LAB_DIR/env" <<EOF
# Generated by up.sh — source me.
export LAB_DIR="$LAB_DIR"
export LAB_HOST="$LAB_HOST"
export LAB_AUTH="$LAB_AUTH"
export LAB_TRUST_SERVICE="$LAB_TRUST_SERVICE"
export REGISTRY_HOST="$REGISTRY_ADDR"
export REGISTRY_URL="$REGISTRY_URL"
export NOTARY_URL="$NOTARY_URL"
export NOTARY_CA="$TLS/ca.crt"
export NOTARY_CONFIG="$LAB_DIR/client/config.json"
export NOTARY_TRUST_DIR="$LAB_DIR/client/trust"
export NOTARY_BIN="$LAB_DIR/notary"
export NOTARY_ROOT_PASSPHRASE="\${NOTARY_ROOT_PASSPHRASE:-lab-root-passphrase}"
export NOTARY_TARGETS_PASSPHRASE="\${NOTARY_TARGETS_PASSPHRASE:-lab-targets-passphrase}"
export NOTARY_SNAPSHOT_PASSPHRASE="\${NOTARY_SNAPSHOT_PASSPHRASE:-lab-snapshot-passphrase}"
export NOTARY_DELEGATION_PASSPHRASE="\${NOTARY_DELEGATION_PASSPHRASE:-lab-delegation-passphrase}"
EOF
if [[ "$LAB_AUTH" == token ]]; then
  cat >> "$LAB_DIR/env" <<EOF
export TOKEN_REALM="$TOKEN_REALM"
export REGISTRY_SERVICE="$REGISTRY_SERVICE"
export NOTARY_SERVICE="$NOTARY_SERVICE"
export LAB_TOKEN_USERS="${LAB_TOKEN_USERS:-lab:lab}"
# notary CLI reads credentials for the token server from NOTARY_AUTH (base64 user:pass)
export NOTARY_AUTH="\${NOTARY_AUTH:-$(lab_first_user | base64 -w0)}"
EOF
fi

jstr() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }
{
  echo "{"
  echo "  \"labDir\": $(jstr "$LAB_DIR"),"
  echo "  \"auth\": $(jstr "$LAB_AUTH"),"
  echo "  \"trustService\": $(jstr "$LAB_TRUST_SERVICE"),"
  echo "  \"registryHost\": $(jstr "$REGISTRY_ADDR"),"
  echo "  \"registryUrl\": $(jstr "$REGISTRY_URL"),"
  echo "  \"notaryUrl\": $(jstr "$NOTARY_URL"),"
  echo "  \"caCert\": $(jstr "$TLS/ca.crt"),"
  echo "  \"notaryConfig\": $(jstr "$LAB_DIR/client/config.json"),"
  echo "  \"notaryTrustDir\": $(jstr "$LAB_DIR/client/trust"),"
  echo "  \"notaryBin\": $(jstr "$LAB_DIR/notary"),"
  if [[ "$LAB_AUTH" == token ]]; then
    echo "  \"tokenRealm\": $(jstr "$TOKEN_REALM"),"
    echo "  \"registryService\": $(jstr "$REGISTRY_SERVICE"),"
    echo "  \"notaryService\": $(jstr "$NOTARY_SERVICE"),"
  fi
  printf '  "notaryEnv": {"NOTARY_ROOT_PASSPHRASE": %s, "NOTARY_TARGETS_PASSPHRASE": %s, "NOTARY_SNAPSHOT_PASSPHRASE": %s, "NOTARY_DELEGATION_PASSPHRASE": %s' \
    "$(jstr "${NOTARY_ROOT_PASSPHRASE:-lab-root-passphrase}")" "$(jstr "${NOTARY_TARGETS_PASSPHRASE:-lab-targets-passphrase}")" \
    "$(jstr "${NOTARY_SNAPSHOT_PASSPHRASE:-lab-snapshot-passphrase}")" "$(jstr "${NOTARY_DELEGATION_PASSPHRASE:-lab-delegation-passphrase}")"
  if [[ "$LAB_AUTH" == token ]]; then
    printf ', "NOTARY_AUTH": %s' "$(jstr "${NOTARY_AUTH:-$(lab_first_user | base64 -w0)}")"
  fi
  echo "},"
  echo "  \"pids\": {$(for n in "${started[@]}"; do printf '%s' "${sep:-}\"$n\": $(pid_of "$n")"; sep=', '; done)}"
  echo "}"
} > "$LAB_DIR/env.json"

trap - EXIT
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
lab_log "up in ${ms} ms: registry $REGISTRY_URL, notary-server $NOTARY_URL (trust=$LAB_TRUST_SERVICE/$( [[ $LAB_TRUST_SERVICE == local ]] && echo ed25519 || echo "$LAB_KEY_ALGORITHM" ), auth=$LAB_AUTH)"
lab_log "source $LAB_DIR/env   # or read $LAB_DIR/env.json"
