#!/usr/bin/env bash
# Remakes ext4-fastcommit.img.gz and manifest.json: a 4 MiB ext4 (1 KiB blocks, fast_commit,
# metadata_csum, 64bit) that needs recovery, whose jbd2 log holds one full commit (debugfs
# jo/jw/jc: /keep.txt's data block rewritten, transaction 1) and whose fast-commit area holds two
# fast commits for transaction 2, written by fastcommit.py as the kernel lays them out (see there).
# The oracle: e2fsck -fy on a copy (e2fsprogs ≥ 1.46 replays fast commits), then debugfs stat/cat
# of every entry (manifest.py). The manifest also holds what e2fsck makes of damaged variants.
# Needs e2fsprogs, python3, gzip. Usage: test-images/ext-fastcommit/make.sh
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../lib.sh"
export E2FSPROGS_FAKE_TIME=1709294400
fresh_work ext-fastcommit
IMG="$WORK/ext4-fastcommit.img"
mkdir -p "$WORK/src/sub"
printf 'keep me\n' >"$WORK/src/keep.txt"
python3 -c "import sys; sys.stdout.write('a' * 3000)" >"$WORK/src/append.bin"
printf 'to be unlinked\n' >"$WORK/src/gone.txt"
printf 'moved by a rename\n' >"$WORK/src/old-name.txt"
python3 -c "import sys; sys.stdout.write(''.join(chr(48 + i % 10) for i in range(5000)))" >"$WORK/src/meta.txt"
touch -d '2024-03-01 12:00:00' "$WORK"/src/* "$WORK/src/sub" "$WORK/src"
mke2fs -q -F -t ext4 -b 1024 -O fast_commit -L fastcommit -U 6b3c1d2e-0000-4000-8000-00000000fc02 \
  -E root_owner=0:0,hash_seed=0b5e7a1c-0000-4000-8000-000000000002 -d "$WORK/src" "$IMG" 4M
# mke2fs -d copies each file's ctime, which touch cannot set: fixed here so remakes are identical.
for path in / /sub /keep.txt /append.bin /gone.txt /old-name.txt /meta.txt; do echo "sif $path ctime 20240301120000"; done |
  debugfs -w -f - "$IMG" >/dev/null 2>&1
# Transaction 1, a full commit: /keep.txt's block rewritten in the journal only.
printf 'keep me, after the full commit\n' | dd of="$WORK/block.bin" bs=1024 conv=sync status=none
data=$(debugfs -R 'bmap /keep.txt 0' "$IMG" 2>/dev/null)
debugfs -w -f - "$IMG" >/dev/null 2>&1 <<CMDS
jo
jw -b $data $WORK/block.bin
jc
CMDS
python3 "$HERE/fastcommit.py" write "$IMG"
gzip -9n -c "$IMG" >"$HERE/ext4-fastcommit.img.gz"
python3 "$HERE/manifest.py" "$IMG" "$WORK" >"$HERE/manifest.json"
