#!/usr/bin/env bash
# Refreshes the vendored Leaflet build (served by the platform itself, never from a CDN)
# from the npm registry: bash scripts/vendor-leaflet.sh [version]
set -euo pipefail
version="${1:-1.9.4}"
dest="$(cd "$(dirname "$0")/.." && pwd)/src/pop/public/static/public/vendor/leaflet"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack -q "leaflet@$version" >/dev/null && tar xzf "leaflet-$version.tgz")
mkdir -p "$dest/images"
cp "$tmp/package/dist/leaflet.js" "$tmp/package/dist/leaflet.css" "$dest/"
cp "$tmp/package/dist/images/"* "$dest/images/"
cp "$tmp/package/LICENSE" "$dest/LICENSE.txt"
echo "leaflet $version (npm registry: npm pack leaflet@$version; files from package/dist). Refresh: scripts/vendor-leaflet.sh" > "$dest/VERSION.txt"
echo "Leaflet $version copied to $dest"
