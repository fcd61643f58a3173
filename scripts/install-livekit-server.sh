#!/usr/bin/env bash
# Installs the real LiveKit server that the end-to-end tests start (test/support/livekit-server.ts).
# Idempotent: does nothing when `livekit-server` is on PATH or a previous run left the binary in
# Go's bin directory. The absolute path of the binary is the last line of stdout.
set -euo pipefail

LIVEKIT_SERVER_VERSION="${LIVEKIT_SERVER_VERSION:-v1.13.5}"

go_bin_dir() {
  local dir
  dir="$(go env GOBIN)"
  [ -n "$dir" ] || dir="$(go env GOPATH)/bin"
  echo "$dir"
}

find_binary() {
  if command -v livekit-server >/dev/null 2>&1; then
    command -v livekit-server
    return 0
  fi
  command -v go >/dev/null 2>&1 || return 1
  # `go install .../cmd/server` names the binary after its package directory: `server`.
  local candidate
  for candidate in "$(go_bin_dir)/livekit-server" "$(go_bin_dir)/server"; do
    if [ -x "$candidate" ] && "$candidate" --version 2>/dev/null | grep -q '^livekit-server'; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if existing="$(find_binary)"; then
  echo "livekit-server is already installed" >&2
  echo "$existing"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "error: Go is needed to build livekit-server (https://go.dev/dl/)" >&2
  exit 1
fi

echo "building livekit-server ${LIVEKIT_SERVER_VERSION} with go install (a few minutes)" >&2
go install "github.com/livekit/livekit-server/cmd/server@${LIVEKIT_SERVER_VERSION}"

installed="$(find_binary)" || {
  echo "error: go install finished but no livekit-server binary was found in $(go_bin_dir)" >&2
  exit 1
}
echo "$installed"
