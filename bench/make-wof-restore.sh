#!/usr/bin/env bash
# Builds the disk of bench/wof-restore.mjs: one NTFS volume (mkntfs, through ntfs-3g) holding two
# 256 MiB WOF files of the same plaintext (/usr/bin executables and licence texts, as a program
# folder `compact /exe` compresses), one LZX and one XPRESS16K, laid out as in
# test-images/wof/make.sh (chunks by wimlib's compressors, test-images/wof/wofpack.c); then a
# monolithicSparse VMDK of it. Needs root (FUSE), ntfs-3g, mkntfs, attr, libwim-dev, cc, qemu-img.
#   bench/make-wof-restore.sh WORKDIR   → WORKDIR/wof-restore.vmdk
set -euo pipefail
export LC_ALL=C
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$1"
MNT="$WORK/mnt"
SIZE=$((256 * 1024 * 1024))
mkdir -p "$MNT"
if mountpoint -q "$MNT"; then umount "$MNT"; fi
trap 'if mountpoint -q "$MNT"; then umount "$MNT"; fi' EXIT
cc -O2 -o "$WORK/wofpack" "$HERE/../test-images/wof/wofpack.c" -lwim
# The plaintext: whole files, repeated to SIZE.
: >"$WORK/plain"
while [ "$(stat -c %s "$WORK/plain")" -lt "$SIZE" ]; do
  cat /usr/bin/perl /usr/bin/gzip /usr/bin/tar /usr/share/common-licenses/GPL-3 /usr/bin/ls /usr/share/common-licenses/Apache-2.0 >>"$WORK/plain"
done
truncate -s "$SIZE" "$WORK/plain"
VOL="$WORK/wof-restore.img"
rm -f "$VOL"; truncate -s $((640 * 1024 * 1024)) "$VOL"
mkntfs -F -Q -q -L grt-wof-bench -p 0 -H 0 -S 0 -c 4096 -s 512 "$VOL" >/dev/null 2>&1
ntfs-3g -o no_detach,streams_interface=windows "$VOL" "$MNT" >/dev/null 2>&1 &
NTFS_PID=$!
for ((i = 0; i < 100; i++)); do mountpoint -q "$MNT" && break; sleep 0.1; done
for spec in lzx.bin:1 xpress16k.bin:3; do
  name=${spec%%:*} format=${spec##*:}
  "$WORK/wofpack" "$format" 50 "$SIZE" "$WORK/plain" "$WORK/stream"
  : >"$MNT/$name"
  cat "$WORK/stream" >"$MNT/$name:WofCompressedData"
  truncate -s "$SIZE" "$MNT/$name"
  # IO_REPARSE_TAG_WOF; WOF version 1, provider 2 (file), provider version 1, the format.
  setfattr -h -n system.ntfs_reparse_data -v "0x$(perl -e 'my $p = pack("V4", 1, 2, 1, $ARGV[0]); print unpack("H*", pack("V v v", 0x80000017, length($p), 0) . $p)' "$format")" "$MNT/$name"
done
sync; umount "$MNT"; wait "$NTFS_PID" || true
qemu-img convert -f raw -O vmdk "$VOL" "$WORK/wof-restore.vmdk"
rm -f "$VOL" "$WORK/stream"
sha256sum <"$WORK/plain" | cut -d' ' -f1 >"$WORK/plain.sha256"
