#!/usr/bin/env bash
# Remakes ext4-fast-commit.img.gz: an ext4 with fast_commit (mke2fs: a 16-block fast-commit area
# after a 1024-block log) whose journal holds one committed full transaction (debugfs jo/jw/jc:
# /file.txt's data block rewritten) and, in the fast-commit area, a fast commit for the next
# transaction. No kernel is at hand to write one, so the fast-commit block is the minimal valid
# commit: a head (ext4_fc_tl tag EXT4_FC_TAG_HEAD = 9, length 8; ext4_fc_head fc_features 0,
# fc_tid 2) and a tail (tag 8: fc_tid 2, fc_crc = crc32c from 0 over the head and the tail up to
# fc_crc, as ext4_fc_replay_scan checks it), written at the kernel's first fast-commit block
# (j_last + 1); the journal superblock gets JBD2_FEATURE_INCOMPAT_FAST_COMMIT as the kernel sets
# it at mount. e2fsck -fy on a copy (the oracle) replays the full commit and accepts the fast one.
# Run by make.sh; needs e2fsprogs, python3, gzip. Usage: test-images/ext/make-fast-commit.sh
set -euo pipefail
export LC_ALL=C.UTF-8 TZ=UTC E2FSPROGS_FAKE_TIME=1709294400
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="${WORK:-/tmp/grt-make-ext}/fast-commit"
rm -rf "$WORK"; mkdir -p "$WORK/src"
IMG="$WORK/ext4-fast-commit.img"
printf 'before the fast commit\n' >"$WORK/src/file.txt"
touch -d '2024-03-01 12:00:00' "$WORK/src/file.txt" "$WORK/src"
mke2fs -q -F -t ext4 -b 4096 -O fast_commit,^metadata_csum -L fast-commit -U 6b3c1d2e-0000-4000-8000-00000000fc01 \
  -E root_owner=0:0,hash_seed=0b5e7a1c-0000-4000-8000-000000000001 -d "$WORK/src" "$IMG" 16M
printf 'after the full commit\n' | dd of="$WORK/block.bin" bs=4096 conv=sync status=none
data=$(debugfs -R 'bmap /file.txt 0' "$IMG" 2>/dev/null)
debugfs -w -f - "$IMG" >/dev/null 2>&1 <<CMDS
sif /file.txt ctime 20240301120000
jo
jw -b $data $WORK/block.bin
jc
CMDS
jsb=$(debugfs -R 'bmap <8> 0' "$IMG" 2>/dev/null)
maxlen=$(dumpe2fs -h "$IMG" 2>/dev/null | awk '/^Total journal blocks/ {print $4}')
fclen=$(dumpe2fs -h "$IMG" 2>/dev/null | awk '/^Fast commit length/ {print $4}')
fc=$(debugfs -R "bmap <8> $((maxlen - fclen + 1))" "$IMG" 2>/dev/null)
commit=$(debugfs -R 'bmap <8> 3' "$IMG" 2>/dev/null)
python3 - "$IMG" "$jsb" "$fc" "$commit" <<'PY'
import struct, sys
path, jsb, fc, commit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
with open(path, 'r+b') as f:
    # jc stamps h_commit_sec/h_commit_nsec with the clock: fix them so remakes are identical
    # (this journal has no checksums over them).
    f.seek(commit * 4096 + 48)
    f.write(struct.pack('>QI', 1709294400, 0))
    f.seek(jsb * 4096 + 0x28)
    incompat = struct.unpack('>I', f.read(4))[0]
    f.seek(jsb * 4096 + 0x28)
    f.write(struct.pack('>I', incompat | 0x20))   # JBD2_FEATURE_INCOMPAT_FAST_COMMIT
    def crc32c(crc, data):  # the raw register, no inversions (the kernel's ext4_chksum)
        for byte in data:
            crc ^= byte
            for _ in range(8):
                crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
        return crc
    head = struct.pack('<HHII', 9, 8, 0, 2)          # EXT4_FC_TAG_HEAD: fc_features, fc_tid
    tail = struct.pack('<HHI', 8, 8, 2)              # EXT4_FC_TAG_TAIL: fc_tid, then fc_crc
    f.seek(fc * 4096)
    f.write(head + tail + struct.pack('<I', crc32c(crc32c(0, head), tail)))
PY
gzip -9n -c "$IMG" >"$HERE/ext4-fast-commit.img.gz"
echo "ext4-fast-commit: journal superblock at block $jsb, fast commit at block $fc, file data at block $data" >&2
