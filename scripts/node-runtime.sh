#!/usr/bin/env bash
# Prints the path of a Node.js binary of the given major version (e.g. `scripts/node-runtime.sh 24`),
# fetched once from the npm registry's `node-linux-<arch>` package and cached in .cache/node-<major>
# (outside git). The only download is that package, through npm; a cached copy needs no network.
# Use it to run the tests on another runtime, as .ci/run does:
#   PATH="$(dirname "$(scripts/node-runtime.sh 24)"):$PATH" node node_modules/vitest/vitest.mjs run
set -euo pipefail

major="${1:?usage: scripts/node-runtime.sh <major version, e.g. 24>}"
case "$major" in
  '' | *[!0-9]*)
    echo "node-runtime: expected a major version such as 24, got '$major'" >&2
    exit 2
    ;;
esac
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *)
    echo "node-runtime: no node-linux package for $(uname -m)" >&2
    exit 1
    ;;
esac

root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/.cache/node-$major"
node="$dir/bin/node"
if [ -x "$node" ]; then
  echo "$node"
  exit 0
fi

package="node-linux-$arch"
# npm prints `name@version 'version'` lines for a range; the last is the newest of that major.
version="$(npm view "$package@$major" version --json | tr -d '[]" \n' | tr ',' '\n' | sort -V | tail -n 1)"
if [ -z "$version" ]; then
  echo "node-runtime: the registry has no $package@$major" >&2
  exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
npm pack "$package@$version" --pack-destination "$tmp" --silent >/dev/null
mkdir -p "$tmp/unpacked"
tar -xzf "$tmp"/*.tgz -C "$tmp/unpacked" --strip-components=1
if ! "$tmp/unpacked/bin/node" --version >/dev/null; then
  echo "node-runtime: $package@$version has no working bin/node" >&2
  exit 1
fi
mkdir -p "$root/.cache"
rm -rf "$dir"
mv "$tmp/unpacked" "$dir"
echo "$node"
