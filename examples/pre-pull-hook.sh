#!/usr/bin/env bash
# A CI pipeline step that refuses to pull an unsigned or tampered image.
#
#   pre-pull-hook.sh registry.example.com/team/app:1.2
#
# `trust verify` prints the trusted IMAGE@sha256:... on stdout and nothing else, so the pull is by
# digest: the exact manifest that was signed. Its exit code tells the pipeline what happened:
#   0  trusted: pull it
#   1  not signed, or the trust data failed verification (rollback, expiry, tampering): stop, alert
#   2  usage or configuration error (bad reference, unreadable --tlscacert): fix the pipeline
#   3  trust server unreachable: retry later (or run with --offline from a warm trust dir)
# Configure with DOCKER_CONTENT_TRUST_SERVER, TRUST_FLAGS (e.g. "--tlscacert ca.pem"), and PULL
# (the pull command, default "docker pull").
set -uo pipefail

image="${1:?usage: pre-pull-hook.sh IMAGE[:TAG]}"
trust_cmd="${TRUST:-trust}"
pull="${PULL:-docker pull}"

# shellcheck disable=SC2086  # TRUST_FLAGS is a list of flags
ref="$($trust_cmd verify "$image" ${TRUST_FLAGS:-})"
rc=$?
case "$rc" in
  0) ;;
  1) echo "pre-pull: REFUSED $image: not signed or trust data failed verification" >&2; exit 1 ;;
  3) echo "pre-pull: trust server unreachable; not pulling $image" >&2; exit 3 ;;
  *) echo "pre-pull: configuration error ($rc) while verifying $image" >&2; exit 2 ;;
esac

echo "pre-pull: $image is signed: pulling $ref" >&2
# shellcheck disable=SC2086
exec $pull "$ref"
