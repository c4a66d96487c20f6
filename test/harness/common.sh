# shellcheck shell=bash
# Shared defaults and helpers for the DCT lab scripts. Sourced, not executed.

LAB_HOST="${LAB_HOST:-127.0.0.1}"
LAB_DIR="${LAB_DIR:-${TMPDIR:-/tmp}/dct-lab}"
LAB_REGISTRY_PORT="${LAB_REGISTRY_PORT:-5000}"
LAB_NOTARY_PORT="${LAB_NOTARY_PORT:-4443}"
LAB_SIGNER_PORT="${LAB_SIGNER_PORT:-7899}"
LAB_TOKEN_PORT="${LAB_TOKEN_PORT:-5001}"
# remote = notary-signer holds the server-managed keys (the production layout);
# local  = notary-server signs in-process with throw-away ed25519 keys.
LAB_TRUST_SERVICE="${LAB_TRUST_SERVICE:-remote}"
# Algorithm of server-managed timestamp/snapshot keys (remote only): ecdsa | ed25519
LAB_KEY_ALGORITHM="${LAB_KEY_ALGORITHM:-ecdsa}"
# none | token (token needs node; see README)
LAB_AUTH="${LAB_AUTH:-none}"
LAB_LOG_LEVEL="${LAB_LOG_LEVEL:-info}"
LAB_START_TIMEOUT="${LAB_START_TIMEOUT:-30}"

# shellcheck disable=SC2034  # used by the scripts that source this file
LAB_MARKER="$LAB_DIR/.dct-lab"

lab_log() { printf '[dct-lab] %s\n' "$*" >&2; }
lab_die() { printf '[dct-lab] ERROR: %s\n' "$*" >&2; exit 1; }

# Succeeds if something accepts TCP connections on host:port.
lab_port_open() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# Prints the PID stored in $LAB_DIR/pids/<name>.pid if that process is still
# alive and is the program we started; nothing otherwise.
lab_live_pid() {
  local pidfile="$LAB_DIR/pids/$1.pid" pid exe want
  [[ -f "$pidfile" ]] || return 0
  read -r pid want < "$pidfile" || true
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  [[ -d "/proc/$pid" ]] || return 0
  exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
  # guard against PID reuse: the executable must match what we launched
  if [[ -n "$want" && "$exe" != "$want" && "$exe" != "$want (deleted)" ]]; then
    return 0
  fi
  printf '%s\n' "$pid"
}

# First user:pass of LAB_TOKEN_USERS, without a trailing newline (NOTARY_AUTH = base64 of this).
lab_first_user() {
  local users="${LAB_TOKEN_USERS:-lab:lab}"
  printf '%s' "${users%%,*}"
}
