#!/usr/bin/env bash
# Remakes the ext2/ext3/ext4 test volumes in this folder (gzip'd raw volumes, no partition table)
# and manifest.json. Run as root so owners stick. Tools (Debian): e2fsprogs (mke2fs, debugfs,
# e2fsck), attr (setfattr), sleuthkit (fls), openssl, python3, coreutils, gzip.
# Usage: sudo test-images/ext/make.sh   (writes next to itself; scratch in $WORK)
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../lib.sh"   # strict mode, C locale, UTC; fresh_work
fresh_work ext   # $WORK
cd "$HERE"
rm -f -- *.img.gz manifest.json
# mke2fs takes its UUID, hash seed and times from these, so remakes are identical.
export E2FSPROGS_FAKE_TIME=1709294400   # 2024-03-01 12:00:00 UTC

# Deterministic non-repeating bytes (AES-128-CTR keystream, fixed key; $2 selects the stream).
pattern() {
  head -c "$1" /dev/zero |
    openssl enc -aes-128-ctr -K 67727420746573742d696d6167657321 -iv "$(printf '%032x' "$((2000 + $2))")"
}

# The source tree every volume is populated from (mke2fs -d).
SRC="$WORK/src"
make_tree() {
  mkdir -p "$SRC"
  printf 'hello from ext\n' >"$SRC/hello.txt"
  setfattr -n user.comment -v 'a user xattr' "$SRC/hello.txt"
  setfattr -n security.label -v 'sec' "$SRC/hello.txt"
  ln "$SRC/hello.txt" "$SRC/hard-link.txt"
  mkdir -p "$SRC/dir/nested"
  printf 'deep file\n' >"$SRC/dir/nested/deep.txt"
  # Numbered lines: compressible, and a block read out of order shows. 300000 bytes need double
  # indirect blocks with 1 KiB blocks (12 + 256 blocks are direct and single indirect).
  for i in $(seq -w 1 8000); do printf 'big.bin line %s of numbered text for grt\n' "$i"; done >"$WORK/lines.txt"
  head -c 300000 "$WORK/lines.txt" >"$SRC/big.bin"
  # A sparse file: data at 0 and at 1 MiB, a hole between, 2 MiB long.
  pattern 5000 2 | dd of="$SRC/sparse.bin" bs=4096 status=none
  pattern 7000 3 | dd of="$SRC/sparse.bin" bs=1M seek=1 conv=notrunc status=none
  truncate -s 2M "$SRC/sparse.bin"
  ln -s hello.txt "$SRC/fast-link"
  ln -s "$(printf 'a/%.0s' {1..40})target-of-a-slow-symlink" "$SRC/slow-link"
  mkfifo "$SRC/fifo"
  mkdir "$SRC/bigdir"
  for i in $(seq -w 1 200); do printf '%s\n' "$i" >"$SRC/bigdir/file-with-a-longish-name-$i.txt"; done
  printf 'owned\n' >"$SRC/owned.txt"; chown 100000:2000 "$SRC/owned.txt"; chmod 4750 "$SRC/owned.txt"
  mkdir "$SRC/sticky"; chmod 1777 "$SRC/sticky"
  printf 'x' >"$SRC/tiny.txt"
  printf 'future\n' >"$SRC/future.txt"; touch -d '2040-06-01 01:02:03.123456789' "$SRC/future.txt"
  printf 'past\n' >"$SRC/past.txt"; touch -d '1960-01-02 03:04:05.5' "$SRC/past.txt"
  find "$SRC" -exec touch -h -d '2024-03-01 12:00:00' {} +
  touch -d '2040-06-01 01:02:03.123456789' "$SRC/future.txt"; touch -d '1960-01-02 03:04:05.5' "$SRC/past.txt"
}
make_tree

# mkvol <name> <size> <mke2fs options...>
mkvol() {
  local name="$1" size="$2"; shift 2
  rm -f "$WORK/$name.img"
  mke2fs -q -F -L "$name" -U 6b3c1d2e-0000-4000-8000-$(printf '%012x' "${#name}") -E root_owner=0:0,hash_seed=0b5e7a1c-0000-4000-8000-000000000001 \
    -d "$SRC" "$@" "$WORK/$name.img" "$size"
  # mke2fs -d keeps whole-second mtimes only and stamps ctime/atime with the clock: fix every
  # inode's times, then give two files times with nanoseconds past 2038 and before 1970 (the
  # epoch bits and nanoseconds of the *_extra fields; 128-byte inodes have no extra fields).
  { (cd "$SRC" && find . -mindepth 1 | sed 's|^\.||') | while read -r p; do
      printf 'sif "%s" ctime 20240301120000\nsif "%s" atime 20240301120500\n' "$p" "$p"; done
    printf 'sif / ctime 20240301120000\nsif / atime 20240301120000\n'
    if [ "$(dumpe2fs -h "$WORK/$name.img" 2>/dev/null | awk '/^Inode size/ {print $3}')" -gt 128 ]; then
      printf 'sif /future.txt mtime 20400601010203\nsif /future.txt mtime_extra 0x1d6f3455\n'
      printf 'sif /past.txt mtime_extra 0x77359400\nsif /hello.txt mtime_extra 0xeb79a2c4\n'
    fi; } | debugfs -w -f - "$WORK/$name.img" >/dev/null 2>&1
  # e2fsck -D builds the htree index of bigdir (mke2fs -d writes linear directories only).
  e2fsck -fyD "$WORK/$name.img" >/dev/null 2>&1 || [ $? -le 1 ]
}
mkvol ext2-1k 4M -t ext2 -b 1024 -I 128
mkvol ext3-1k 6M -t ext3 -b 1024 -I 256
mkvol ext4-4k 8M -t ext4 -b 4096 -O 64bit,metadata_csum
mkvol ext4-nocsum 8M -t ext4 -b 4096 -O ^64bit,^metadata_csum,^flex_bg
mkvol ext4-inline 8M -t ext4 -b 4096 -O inline_data,metadata_csum -I 512

# ext4-journal: the state of ext4-journal-after (a file added, another rewritten) lives only in
# the journal of ext4-journal: every block that differs is written as committed transactions,
# then a transaction revoking one block and an uncommitted one follow, and needs_recovery is set.
mkvol ext4-journal 8M -t ext4 -b 4096 -O 64bit,metadata_csum
cp "$WORK/ext4-journal.img" "$WORK/after.img"
printf 'written just before the backup\n' >"$WORK/new.txt"
printf 'HELLO, rewritten in the journal\n' >"$WORK/hello2.txt"
debugfs -w -R "write $WORK/new.txt new.txt" "$WORK/after.img" >/dev/null 2>&1
debugfs -w -f - "$WORK/after.img" >/dev/null 2>&1 <<CMDS
rm tiny.txt
CMDS
blocks=$({ cmp -l "$WORK/ext4-journal.img" "$WORK/after.img" || true; } | awk '{print int(($1-1)/4096)}' | sort -un | tr '\n' ' ')
: >"$WORK/tx.bin"; list=""
for b in $blocks; do
  dd if="$WORK/after.img" bs=4096 skip="$b" count=1 status=none >>"$WORK/tx.bin"
  list="${list:+$list,}$b"
done
# A later transaction overwrites block 1000 (free) with garbage and one after it revokes it; an
# uncommitted transaction writes garbage over block 1001. Neither may reach the replayed view.
pattern 4096 9 >"$WORK/junk.bin"
# ext4-journal-csum3 holds the same transactions in a journal with 64-bit, checksum v3 tags
# (16-byte tags, block tails): debugfs `jo -c`.
cp "$WORK/ext4-journal.img" "$WORK/ext4-journal-csum3.img"
for v in ext4-journal:jo ext4-journal-csum3:'jo -c'; do
  debugfs -w -f - "$WORK/${v%%:*}.img" >/dev/null <<CMDS
${v#*:}
jw -b $list $WORK/tx.bin
jw -b 1000 $WORK/junk.bin
jw -r 1000 /dev/null
jw -b 1001 -c $WORK/junk.bin
jc
CMDS
done
echo "journal blocks: $list" >&2
for v in ext2-1k ext3-1k ext4-4k ext4-nocsum ext4-inline ext4-journal ext4-journal-csum3; do
  gzip -9n -c "$WORK/$v.img" >"$HERE/$v.img.gz"
done
# The oracle: e2fsck -fy on a copy (which replays the journal), then TSK and debugfs on that copy.
for v in ext2-1k ext3-1k ext4-4k ext4-nocsum ext4-inline ext4-journal ext4-journal-csum3; do
  cp "$WORK/$v.img" "$WORK/$v.oracle.img"
  e2fsck -fy "$WORK/$v.oracle.img" >/dev/null 2>&1 || [ $? -le 1 ]
done
python3 "$HERE/manifest.py" "$WORK" >"$HERE/manifest.json"
# The fast-commit volume has its own script (it is not part of the manifest).
WORK="$WORK" "$HERE/make-fast-commit.sh"
