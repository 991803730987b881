#!/bin/sh
# File-system kinds as blkid tells them apart, and a partition holding two file systems' signatures.
# Tools (Debian): e2fsprogs (mke2fs), ntfs-3g (mkntfs), util-linux (blkid), coreutils, gzip, jq.
# Writes, next to this script: ext2.img.gz, ext3.img.gz, ext4.img.gz (4 MiB raw volumes, no
# partition table, labels ext2-label/ext3-label/ext4-label) and ntfs-ext2.img.gz (an 8 MiB empty
# NTFS volume labelled ntfs-label whose $Boot boot-code sectors 2-3, bytes 1024-2047, hold the
# superblock of an ext2 made over it and labelled ext2-over: both signatures are valid; the NTFS
# metadata is the mkntfs output, so NTFS still mounts). manifest.json: sha256 of each raw image and
# what blkid -p says of it.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${WORK:-$(mktemp -d /tmp/grt-make-fs-kinds-XXXXXX)}
export E2FSPROGS_FAKE_TIME=1704067200 # 2024-01-01T00:00:00Z: fixed superblock times
UUID=4a6f7e2c-1b3d-4c5e-8f90-123456789abc
SEED=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0

for kind in ext2 ext3 ext4; do
  rm -f "$WORK/$kind.img"
  truncate -s 4M "$WORK/$kind.img"
  mke2fs -q -F -t "$kind" -L "$kind-label" -U "$UUID" -E "hash_seed=$SEED" "$WORK/$kind.img"
done

NX="$WORK/ntfs-ext2.img"
rm -f "$NX" "$NX.ntfs" "$NX.ext2"
truncate -s 8M "$NX"
mkntfs -F -Q -q -L ntfs-label "$NX" >/dev/null 2>&1
cp "$NX" "$NX.ntfs"
mke2fs -q -F -t ext2 -L ext2-over -U "$UUID" -E "hash_seed=$SEED" "$NX"
cp "$NX" "$NX.ext2"
cp "$NX.ntfs" "$NX"
# The ext2 superblock (1 KiB at byte 1024) over the NTFS boot code; everything else is NTFS.
dd if="$NX.ext2" of="$NX" bs=1024 skip=1 seek=1 count=1 conv=notrunc status=none

entries=""
for image in ext2 ext3 ext4 ntfs-ext2; do
  raw="$WORK/$image.img"
  gzip -9 -n -c "$raw" > "$HERE/$image.img.gz"
  sha=$(sha256sum "$raw" | cut -d' ' -f1)
  blkid=$(cd "$WORK" && blkid -p -o export "$image.img" 2>&1 | grep -v '^DEVNAME=' | tr '\n' ' ' || true)
  entries="$entries{\"file\":\"$image.img.gz\",\"size\":$(stat -c %s "$raw"),\"sha256\":\"$sha\",\"blkid\":\"$blkid\"},"
done
printf '{"images":[%s]}\n' "${entries%,}" | jq . > "$HERE/manifest.json"
