#!/usr/bin/env bash
# Fetches axe-core (the accessibility checker the browser tests inject into
# every page) from the npm registry into internal/web/testdata/axe/, once, and
# checks it is the version the tests were written against.
set -euo pipefail
cd "$(dirname "$0")/.."
version=4.14.1
sha256=29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c
dest=internal/web/testdata/axe
if [ -f "$dest/axe.min.js" ] && echo "$sha256  $dest/axe.min.js" | sha256sum -c --quiet 2>/dev/null; then
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "axe-core@$version" >/dev/null && tar xzf "axe-core-$version.tgz")
echo "$sha256  $tmp/package/axe.min.js" | sha256sum -c --quiet
mkdir -p "$dest"
cp "$tmp/package/axe.min.js" "$tmp/package/LICENSE" "$dest/"
echo "axe-core $version in $dest"
