#!/usr/bin/env bash
# Installs the Debian packages the content-trust test lab needs (notary client,
# notary-server, notary-signer, docker-registry, openssl, curl, jq) plus Notary's Go
# source (golang-github-docker-notary-dev, read as the reference implementation).
# Safe to run repeatedly: returns immediately when everything is already present,
# and only runs `apt-get update` when the package lists are missing or an install fails.
set -euo pipefail

need_cmds=(notary notary-server notary-signer docker-registry openssl curl jq)
need_files=(/usr/share/gocode/src/github.com/theupdateframework/notary/const.go)
pkgs=(notary docker-registry openssl curl jq ca-certificates golang-github-docker-notary-dev)

missing=0
for c in "${need_cmds[@]}"; do
  command -v "$c" >/dev/null 2>&1 || { missing=1; break; }
done
for f in "${need_files[@]}"; do
  [[ -e "$f" ]] || missing=1
done
if [[ "$missing" == 0 ]]; then
  exit 0
fi

command -v apt-get >/dev/null 2>&1 || {
  echo "[dct-lab] apt-get not found; install these Debian/Ubuntu packages by other means: ${pkgs[*]}" >&2
  exit 1
}
if [[ "$(id -u)" != 0 ]]; then
  echo "[dct-lab] install.sh must run as root (apt-get): sudo bash test/harness/install.sh" >&2
  echo "[dct-lab] or: sudo apt-get install ${pkgs[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive

# The docker-registry package ships an init script. Keep apt from starting a
# system-wide registry on :5000 while installing, unless a policy already exists.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [[ ! -e "$policy" ]]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod 755 "$policy"
  made_policy=1
fi
cleanup() { if [[ "$made_policy" == 1 ]]; then rm -f "$policy"; fi; }
trap cleanup EXIT

apt_install() {
  apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
}

# Refresh package lists only when they are missing or the install fails.
if ! compgen -G "/var/lib/apt/lists/*_Packages*" >/dev/null; then
  apt-get update -qq >/dev/null
fi
if ! apt_install; then
  apt-get update -qq >/dev/null
  apt_install
fi

for c in "${need_cmds[@]}"; do
  command -v "$c" >/dev/null 2>&1 || { echo "[dct-lab] $c still missing after install" >&2; exit 1; }
done
for f in "${need_files[@]}"; do
  [[ -e "$f" ]] || { echo "[dct-lab] $f still missing after install" >&2; exit 1; }
done
echo "[dct-lab] installed notary $(dpkg-query -W -f='${Version}' notary), docker-registry $(dpkg-query -W -f='${Version}' docker-registry)" >&2
