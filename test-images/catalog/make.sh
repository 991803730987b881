#!/usr/bin/env bash
# Remakes ntfs-mbr-1.1.grtc: the catalog (format 1.1) that grt at commit 23170ce wrote for
# ../ntfs/ntfs-mbr.vmdk. Kept so readers of later formats are tested against a real 1.x catalog.
# Needs git, node 20 and the repository's node_modules (esbuild). Deterministic: the same bytes
# (sha256 in manifest.json) on every run.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
COMMIT=23170ce
WORK="${WORK:-$(mktemp -d /tmp/grt-make-catalog-XXXXXX)}"
git -C "$REPO" archive "$COMMIT" | tar -x -C "$WORK"
ln -s "$REPO/node_modules" "$WORK/node_modules"
(cd "$WORK" && npx esbuild src/cli/grt-catalog.ts --bundle --platform=node --format=esm --target=node20 \
  --outfile="$WORK/grt-catalog.mjs" --log-level=error \
  "--banner:js=import{createRequire as __cr}from'module';const require=__cr(import.meta.url);")
node "$WORK/grt-catalog.mjs" "$REPO/test-images/ntfs/ntfs-mbr.vmdk" -o "$HERE/ntfs-mbr-1.1.grtc"
sha256sum "$HERE/ntfs-mbr-1.1.grtc"
rm -rf "$WORK"
