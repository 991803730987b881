#!/bin/sh
# A 64 MiB ext4 volume (gzip'd raw) whose metadata lies past what the catalog tap looks ahead at
# (it looks ahead in NTFS only): `grt-catalog -` must name what it is missing, and with --image
# read it back and write the post-pass catalog. Needs e2fsprogs, coreutils, gzip. Not bit-for-bit
# reproducible (mke2fs -d copies the sources' ctimes); the manifest holds the committed image's sha256.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${WORK:-$(mktemp -d /tmp/grt-make-tap-XXXXXX)}
export E2FSPROGS_FAKE_TIME=1709294400   # 2024-03-01 12:00:00 UTC
rm -rf "$WORK/src" && mkdir -p "$WORK/src/a/b"
for i in $(seq 1 200); do echo "file $i" > "$WORK/src/a/f$i.txt"; done
head -c 3000000 /dev/zero | tr '\0' 'x' > "$WORK/src/a/b/big.txt"
touch -d @1709294400 "$WORK/src" "$WORK/src/a" "$WORK/src/a/b" "$WORK/src/a/"*.txt "$WORK/src/a/b/big.txt"
rm -f "$WORK/ext4-64m.img"
mke2fs -q -t ext4 -L tapext -U 2b8a5d1c-1111-4222-8333-944455556666 \
  -E root_owner=0:0,hash_seed=0b5e7a1c-0000-4000-8000-000000000002 -d "$WORK/src" "$WORK/ext4-64m.img" 64M
gzip -9 -n -c "$WORK/ext4-64m.img" > "$HERE/ext4-64m.img.gz"
printf '{\n  "ext4-64m.img.gz": { "rawSha256": "%s", "size": %s }\n}\n' \
  "$(sha256sum "$WORK/ext4-64m.img" | cut -d' ' -f1)" "$(stat -c %s "$WORK/ext4-64m.img")" > "$HERE/manifest.json"
