#!/usr/bin/env bash
# Refreshes the vendored OpenSeadragon build (served by the platform itself, never from a CDN)
# from the npm registry: bash scripts/vendor-openseadragon.sh [version]
set -euo pipefail
version="${1:-6.1.1}"
dest="$(cd "$(dirname "$0")/.." && pwd)/src/pop/iiif/static/iiif/openseadragon"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack -q "openseadragon@$version" >/dev/null && tar xzf "openseadragon-$version.tgz")
rm -rf "$dest"
mkdir -p "$dest/images"
cp "$tmp/package/build/openseadragon/openseadragon.min.js" "$dest/"
cp "$tmp/package/build/openseadragon/images/"*.png "$dest/images/"
cp "$tmp/package/LICENSE.txt" "$dest/LICENSE.txt"
echo "openseadragon $version (npm registry: npm pack openseadragon@$version; files from package/build/openseadragon). Refresh: scripts/vendor-openseadragon.sh" > "$dest/VERSION.txt"
echo "OpenSeadragon $version copied to $dest"
