#!/usr/bin/env bash
# Builds the plugin archive pulumi-resource-metal3-v<version>-linux-amd64.tar.gz (in dist-plugin/),
# installable with `pulumi plugin install resource metal3 <version> --file <archive>`. Layout:
#   pulumi-resource-metal3   the launcher (finds dist/ beside itself)
#   dist/sdk, dist/provider  the compiled server and the shared core
#   package.json, node_modules (production dependencies only)
# Needs node on the machine that runs the plugin. Run after `npm run build` (npm run plugin:pack does).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=$(node -p "require('$root/package.json').version")
out="$root/dist-plugin"
stage=$(mktemp -d "${TMPDIR:-/tmp}/pulumi-resource-metal3-XXXXXX")
trap 'rm -rf "$stage"' EXIT

cp "$root/bin/pulumi-resource-metal3" "$stage/"
mkdir -p "$stage/dist"
cp -r "$root/dist/sdk" "$root/dist/provider" "$stage/dist/"
find "$stage/dist" -name '*.map' -delete
cp "$root/package.json" "$root/package-lock.json" "$stage/"
(cd "$stage" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error >/dev/null)
rm "$stage/package-lock.json"

mkdir -p "$out"
archive="$out/pulumi-resource-metal3-v$version-linux-amd64.tar.gz"
tar -czf "$archive" -C "$stage" .
echo "$archive"
