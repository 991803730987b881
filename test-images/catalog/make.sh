#!/usr/bin/env bash
# Remakes the catalogs older grt wrote: ntfs-mbr-1.1.grtc (format 1.1, grt at commit 23170ce) for
# ../ntfs/ntfs-mbr.vmdk. Kept so readers of later formats are tested against a real 1.x catalog.
# Needs git, node 20 and the repository's node_modules (esbuild). Deterministic: the same bytes
# (sha256 in manifest.json) on every run.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
# grt-catalog as commit $1 had it, bundled into $WORK/grt-catalog.mjs.
old_grt_catalog() {
  git -C "$REPO" archive "$1" | tar -x -C "$WORK"
  ln -s "$REPO/node_modules" "$WORK/node_modules"
  (cd "$WORK" && npx esbuild src/cli/grt-catalog.ts --bundle --platform=node --format=esm --target=node20 \
    --outfile="$WORK/grt-catalog.mjs" --log-level=error \
    "--banner:js=import{createRequire as __cr}from'module';const require=__cr(import.meta.url);")
}

WORK="${WORK:-$(mktemp -d /tmp/grt-make-catalog-XXXXXX)}"
old_grt_catalog 23170ce
node "$WORK/grt-catalog.mjs" "$REPO/test-images/ntfs/ntfs-mbr.vmdk" -o "$HERE/ntfs-mbr-1.1.grtc"
sha256sum "$HERE/ntfs-mbr-1.1.grtc"
rm -rf "$WORK"

# linux-vm-3.0.grtc: the catalog (format 3.0, first disk's partitions only) that grt at commit
# 7e8b6d0 wrote for ../linux-vm/vm.vmx, so format 3.1 readers are tested against a 3.0 catalog of a VM.
WORK="$(mktemp -d /tmp/grt-make-catalog-XXXXXX)"
old_grt_catalog 7e8b6d0
mkdir "$WORK/vm"
for d in disk1 disk2; do gunzip -c "$REPO/test-images/linux-vm/$d.vmdk.gz" >"$WORK/vm/$d.vmdk"; done
cp "$REPO/test-images/linux-vm/vm.vmx" "$WORK/vm/"
rm -f "$HERE/linux-vm-3.0.grtc"
node "$WORK/grt-catalog.mjs" "$WORK/vm/vm.vmx" -o "$HERE/linux-vm-3.0.grtc" 2>/dev/null
sha256sum "$HERE/linux-vm-3.0.grtc"
rm -rf "$WORK"
