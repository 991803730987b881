#!/usr/bin/env bash
# Remakes the NTFS test disks in this folder, manifest.json and TSK-CHECK.md.
# Run as root (FUSE mounts). Tools (Debian): ntfs-3g, mkntfs, faketime, attr (setfattr/getfattr),
# fdisk (sfdisk), gdisk (sgdisk), qemu-utils, sleuthkit, openssl, perl, jq, coreutils.
# Usage: sudo test-images/ntfs/make.sh   (writes next to itself; scratch in $WORK)
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../lib.sh"   # strict mode, C locale, UTC; fresh_work_with_mount
fresh_work_with_mount ntfs   # $WORK, $MNT (unmounted on exit)
cd "$HERE"
rm -f -- *.vmdk manifest.json TSK-CHECK.md
source "$HERE/../qemu/vmdk-lib.sh"   # setcid, stamp

MiB=$((1024 * 1024))
# ntfs-3g stamps files with the wall clock; run it under a fixed clock so remakes are identical.
FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
FIXED_TIME='2024-03-01 12:00:00'

# Deterministic non-repeating bytes (AES-128-CTR keystream, fixed key; $2 selects the stream).
pattern() {
  head -c "$1" /dev/zero |
    openssl enc -aes-128-ctr -K 67727420746573742d696d6167657321 -iv "$(printf '%032x' "$((1000 + $2))")"
}
# Compressible numbered text: text <bytes> <tag>
text() {
  local i; for ((i = 0; i < $1 / 60 + 1; i++)); do printf '%s line %06d: grt ntfs test data, lorem ipsum dolor\n' "$2" "$i"; done >"$WORK/text.tmp"
  truncate -s "$1" "$WORK/text.tmp"; cat "$WORK/text.tmp"
}
# writeat <file> <offset>: stdin into file at offset, keeping the rest (makes holes past EOF).
writeat() { dd of="$1" bs=4096 seek="$2" oflag=seek_bytes conv=notrunc status=none; }

ntfs_mount() { # <image> <options>
  FAKETIME="$FIXED_TIME" LD_PRELOAD="$FAKETIME_LIB" ntfs-3g -o "no_detach,$2" "$1" "$MNT" >/dev/null 2>&1 &
  NTFS_PID=$!
  local i; for ((i = 0; i < 100; i++)); do mountpoint -q "$MNT" && return 0; sleep 0.1; done
  echo "mount of $1 failed" >&2; return 1
}
ntfs_umount() { sync; umount "$MNT"; wait "$NTFS_PID"; }

# Reparse point buffers (MS-FSCC 2.1.2.4 symbolic link, 2.1.2.5 mount point), as 0x-hex for
# setfattr -n system.ntfs_reparse_data. reparse <symlink|symlink-relative|junction> <substitute> <print>
reparse() {
  perl -MEncode -e '
    my ($kind, $sub, $prt) = @ARGV;
    my $s = encode("UTF-16LE", $sub); my $p = encode("UTF-16LE", $prt); my ($tag, $body);
    if ($kind eq "junction") {          # names NUL-terminated in the buffer, not in the lengths
      $tag = 0xA0000003; $body = pack("v4", 0, length($s), length($s) + 2, length($p)) . $s . "\0\0" . $p . "\0\0";
    } else {                           # flags: 1 = SYMLINK_FLAG_RELATIVE
      $tag = 0xA000000C; $body = pack("v4 V", 0, length($s), length($s), length($p), $kind eq "symlink-relative" ? 1 : 0) . $s . $p;
    }
    print "0x", unpack("H*", pack("V v v", $tag, length($body), 0) . $body);' "$@"
}
# NTFS time (100 ns since 1601) as 8 little-endian bytes in hex, for system.ntfs_times.
ntfs_time_hex() { perl -e 'print unpack("H*", pack("Q<", ($ARGV[0] + 11644473600) * 10000000))' "$(date -u -d "$1" +%s)"; }
# set_times <path> <iso time>: sets creation, modification, access and MFT-change times.
set_times() { local t; t="$(ntfs_time_hex "$2")"; setfattr -h -n system.ntfs_times -v "0x$t$t$t$t" "$1"; }

DELETED_JSON="$WORK/deleted.jsonl"; : >"$DELETED_JSON"

# ---------------------------------------------------------------------------------------------
# Volumes are 3997696 bytes (976 x 4 KiB): under 4 MB, mkntfs makes a 512 KiB $LogFile instead
# of 2 MiB, which keeps the monolithicSparse disk (every non-zero grain stored) small.
VOL_SIZE=3997696
# Volume 1: 512-byte sectors, 4 KiB clusters. Everything the NTFS reader must handle.
VOL1="$WORK/vol1.img"; VOL1_SIZE=$VOL_SIZE
truncate -s "$VOL1_SIZE" "$VOL1"
mkntfs -F -Q -T -q -L grt-vol1 -p 2048 -H 255 -S 63 "$VOL1" >/dev/null 2>&1
ntfs_mount "$VOL1" streams_interface=windows
M="$MNT"
printf 'hello from grt volume 1\n' >"$M/readme.txt"

# Compressed directory: files created inside inherit the compressed attribute (LZNT1).
mkdir "$M/compressed"
setfattr -n system.ntfs_attrib_be -v 0x00000800 "$M/compressed"
text 300000 compressed >"$M/compressed/text.txt"
pattern 65536 1 >"$M/compressed/random.bin"
truncate -s 524288 "$M/compressed/partly-sparse.bin"
text 20000 cs | writeat "$M/compressed/partly-sparse.bin" 65536
pattern 8192 2 | writeat "$M/compressed/partly-sparse.bin" 307200

# Sparse files: data at a few offsets, holes elsewhere, trailing hole.
mkdir "$M/sparse"
pattern 4096 3 | writeat "$M/sparse/sparse.bin" 0
text 10000 sparse | writeat "$M/sparse/sparse.bin" $((MiB + 123))
pattern 4096 4 | writeat "$M/sparse/sparse.bin" $((5 * MiB))
truncate -s $((12 * MiB)) "$M/sparse/sparse.bin"
truncate -s $((1 * MiB)) "$M/sparse/all-hole.bin"

# Fragmented files: interleaved appends to three files, each flushed, so clusters alternate.
mkdir "$M/frag"
for ((i = 0; i < 50; i++)); do
  for n in a b c; do
    { printf 'fragment %s %04d\n' "$n" "$i"; text 1000 "$n$i"; } >>"$M/frag/$n.txt"
    sync "$M/frag/$n.txt"
  done
done

# Directory with 1000 entries: a two-level $I30 index (root + ~30 index blocks; 3000 entries would
# give the same depth at three times the MFT size). Names alternate case for collation.
mkdir "$M/bigdir"
for ((i = 0; i < 1000; i++)); do
  if ((i % 2)); then name="Entry-$(printf '%04d' "$i").txt"; else name="entry-$(printf '%04d' "$i").TXT"; fi
  if ((i % 250 == 0)); then printf 'entry %d\n' "$i" >"$M/bigdir/$name"; else : >"$M/bigdir/$name"; fi
done

# Alternate data streams: small (resident) and large (non-resident); one on a directory.
mkdir "$M/streams"
printf 'main data\n' >"$M/streams/file-with-streams.txt"
printf 'small stream content\n' >"$M/streams/file-with-streams.txt:small"
pattern 40000 5 >"$M/streams/file-with-streams.txt:big"
printf '[ZoneTransfer]\r\nZoneId=3\r\n' >"$M/streams/file-with-streams.txt:Zone.Identifier"
mkdir "$M/streams/dir-with-stream"
printf 'stream on a directory\n' >"$M/streams/dir-with-stream:dirmeta"
: >"$M/streams/empty-with-stream.txt"
text 5000 ads >"$M/streams/empty-with-stream.txt:only"

# Hard links, reparse-point symlinks (relative, absolute, to a directory), a junction, and an
# Interix symlink (what ntfs-3g makes for ln -s).
mkdir "$M/links"
text 5000 original >"$M/links/original.txt"
ln "$M/links/original.txt" "$M/links/hardlink.txt"
ln "$M/links/original.txt" "$M/hardlink-in-root.txt"
touch "$M/links/symlink-relative"
setfattr -n system.ntfs_reparse_data -v "$(reparse symlink-relative 'original.txt' 'original.txt')" "$M/links/symlink-relative"
touch "$M/links/symlink-absolute"
setfattr -n system.ntfs_reparse_data -v "$(reparse symlink '\??\C:\links\original.txt' 'C:\links\original.txt')" "$M/links/symlink-absolute"
mkdir "$M/links/symlink-dir"
setfattr -n system.ntfs_reparse_data -v "$(reparse symlink-relative '..\streams' '..\streams')" "$M/links/symlink-dir"
mkdir "$M/links/junction"
setfattr -n system.ntfs_reparse_data -v "$(reparse junction '\??\C:\bigdir' 'C:\bigdir')" "$M/links/junction"
ln -s original.txt "$M/links/interix-symlink"

# Names: unicode, long, hostile; DOS 8.3 names set explicitly (ntfs-3g makes none by itself).
mkdir "$M/names"
for n in 'café-naïve.txt' '日本語ファイル.txt' 'emoji-😀.txt' "$(printf 'a%.0s' {1..251}).txt" \
         'back\slash.txt' '..x' ' leading space.txt' 'trailing-dot.' 'MiXeD-Case.TXT'; do
  printf 'name: %s\n' "$n" >"$M/names/$n"
done
printf 'long name with a DOS name\n' >"$M/names/Long File Name With Spaces.txt"
setfattr -h -n system.ntfs_dos_name -v 'LONGFI~1.TXT' "$M/names/Long File Name With Spaces.txt"
mkdir "$M/names/Program Files Like Dir"
setfattr -h -n system.ntfs_dos_name -v 'PROGRA~1' "$M/names/Program Files Like Dir"

# Snapshot-chain subject: changed by the child disks below.
mkdir "$M/chain"
text 10000 'story v1' >"$M/chain/story.txt"

# Deleted files: written, flushed, then removed (their MFT records stay, marked unused).
mkdir "$M/deleted"
record_deleted() { # <mount path> <volume>
  jq -cn --arg vol "$2" --arg path "${1#"$M"}" --argjson mft "$(stat -c %i "$1")" --argjson size "$(stat -c %s "$1")" \
    --arg sha "$(sha256sum <"$1" | cut -d' ' -f1)" \
    '{volume:$vol, path:$path, type:"file", mftRecord:$mft, size:$size, sha256:$sha, streams:[], deleted:true}' >>"$DELETED_JSON"
}
text 20000 gone >"$M/deleted/gone.txt"
printf 'small deleted file\n' >"$M/deleted/gone-small.txt"
sync
record_deleted "$M/deleted/gone.txt" vol1
record_deleted "$M/deleted/gone-small.txt" vol1
rm "$M/deleted/gone.txt" "$M/deleted/gone-small.txt"

# Times: everything gets the fixed clock; a few files get distinct mtimes (incl. after 2038).
touch -m -d '2001-09-09T01:46:40Z' "$M/readme.txt"
touch -m -d '2040-01-01T00:00:00Z' "$M/names/MiXeD-Case.TXT"
set_times "$M/chain/story.txt" '2020-02-29T12:34:56Z'
ntfs_umount

# ---------------------------------------------------------------------------------------------
# Volume 2: 4096-byte sectors (4 KiB MFT records), 64 KiB clusters.
VOL2="$WORK/vol2.img"; VOL2_SIZE=$VOL_SIZE
truncate -s "$VOL2_SIZE" "$VOL2"
mkntfs -F -Q -T -q -L grt-vol2 -s 4096 -c 65536 -p 256 -H 255 -S 63 "$VOL2" >/dev/null 2>&1
ntfs_mount "$VOL2" streams_interface=windows
printf 'hello from grt volume 2\n' >"$M/hello.txt"
text 200000 medium >"$M/medium.txt"
pattern 20000 6 | writeat "$M/sparse.bin" $((2 * MiB + 512))
truncate -s $((4 * MiB)) "$M/sparse.bin"
printf 'unnamed\n' >"$M/streams.txt"
pattern 30000 7 >"$M/streams.txt:big"
mkdir -p "$M/sub/dir"
for ((i = 0; i < 100; i++)); do printf '%d\n' "$i" >"$M/sub/dir/file-$(printf '%03d' "$i")-ünïcödé.txt"; done
text 70000 gone2 >"$M/sub/gone.txt"
sync
record_deleted "$M/sub/gone.txt" vol2
rm "$M/sub/gone.txt"
ntfs_umount

# ---------------------------------------------------------------------------------------------
# Disks: partitions at sector 2048 (512-byte logical sectors), fixed ids.
DISK1="$WORK/ntfs-mbr.raw"; DISK2="$WORK/ntfs-gpt.raw"
truncate -s $((MiB + VOL1_SIZE)) "$DISK1"
printf 'label: dos\nlabel-id: 0x67727401\nunit: sectors\n\nstart=2048, size=%d, type=7, bootable\n' \
  $((VOL1_SIZE / 512)) | sfdisk -q "$DISK1"
dd if="$VOL1" of="$DISK1" bs=1M seek=1 conv=notrunc,sparse status=none
truncate -s $((2 * MiB + VOL2_SIZE)) "$DISK2"
sgdisk -o -U 67727400-0000-4000-8000-000000000002 \
  -n 1:2048:$((2048 + VOL2_SIZE / 512 - 1)) -t 1:0700 -c 1:grt-vol2 -u 1:67727400-0000-4000-8000-000000000012 "$DISK2" >/dev/null
dd if="$VOL2" of="$DISK2" bs=1M seek=1 conv=notrunc,sparse status=none

to_vmdk() { # <raw> <out> <subformat>
  qemu-img convert -f raw -O vmdk -o "subformat=$3" "$1" "$2"; stamp "$2"
}
to_vmdk "$DISK1" ntfs-mbr.vmdk monolithicSparse
to_vmdk "$DISK1" ntfs-mbr-stream.vmdk streamOptimized
# (no monolithicSparse of disk 2: it would add ~2.5 MiB to the 10 MB image budget)
to_vmdk "$DISK2" ntfs-gpt-stream.vmdk streamOptimized

# Snapshot chain on disk 1: child1 rewrites /chain/story.txt, child2 rewrites it again and adds
# a file. Each child holds only the grains that differ from its parent (qemu-img convert -B).
CHAIN_JSON="$WORK/chain.jsonl"; : >"$CHAIN_JSON"
chain_file() { # <level> <path>
  jq -cn --arg lvl "$1" --arg path "$2" --argjson size "$(stat -c %s "$M$2")" --argjson mft "$(stat -c %i "$M$2")" \
    --arg sha "$(sha256sum <"$M$2" | cut -d' ' -f1)" --arg mtime "$(date -u -d "@$(stat -c %Y "$M$2")" +%FT%TZ)" \
    '{level:$lvl, path:$path, mftRecord:$mft, size:$size, sha256:$sha, mtime:$mtime}' >>"$CHAIN_JSON"
}
cp "$VOL1" "$WORK/vol1-child1.img"
ntfs_mount "$WORK/vol1-child1.img" streams_interface=windows
text 12000 'story v2' >"$M/chain/story.txt"
chain_file child1 /chain/story.txt
ntfs_umount
cp "$WORK/vol1-child1.img" "$WORK/vol1-child2.img"
ntfs_mount "$WORK/vol1-child2.img" streams_interface=windows
text 3000 'story v3' >"$M/chain/story.txt"
printf 'created in child 2\n' >"$M/chain/added-in-child2.txt"
chain_file child2 /chain/story.txt
chain_file child2 /chain/added-in-child2.txt
ntfs_umount
for lvl in 1 2; do
  cp "$DISK1" "$WORK/child$lvl.raw"
  dd if="$WORK/vol1-child$lvl.img" of="$WORK/child$lvl.raw" bs=1M seek=1 conv=notrunc status=none
done
# delta_child <parent raw> <child raw> <parent vmdk> <child vmdk>: writes only the 64 KiB grains
# that differ (qemu-img convert -B would copy every allocated grain).
delta_child() {
  qemu-img create -q -f vmdk -b "$3" -F vmdk "$4"
  local off
  for off in $(perl -e 'open A, "<", $ARGV[0]; open B, "<", $ARGV[1]; binmode A; binmode B; my $o = 0;
      while (read(A, my $a, 65536)) { read(B, my $b, 65536); print "$o\n" if $a ne $b; $o += 65536; }' "$1" "$2"); do
    dd if="$2" of="$WORK/grain.bin" bs=65536 skip=$((off / 65536)) count=1 status=none
    qemu-io -f vmdk -c "write -s $WORK/grain.bin $off 64k" "$4" >/dev/null
  done
  qemu-img convert -O raw "$4" "$WORK/check.raw"; cmp "$2" "$WORK/check.raw"
}
delta_child "$DISK1" "$WORK/child1.raw" ntfs-mbr.vmdk ntfs-mbr-child1.vmdk
stamp ntfs-mbr-child1.vmdk ntfs-mbr.vmdk
delta_child "$WORK/child1.raw" "$WORK/child2.raw" ntfs-mbr-child1.vmdk ntfs-mbr-child2.vmdk
stamp ntfs-mbr-child2.vmdk ntfs-mbr-child1.vmdk

source "$HERE/manifest.sh"
echo "done"
