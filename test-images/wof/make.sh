#!/usr/bin/env bash
# Remakes the WOF (Compact OS) test volumes in this folder and manifest.json.
# Run as root (FUSE mounts). Tools (Debian): ntfs-3g, mkntfs, attr (setfattr), libwim-dev + cc
# (wofpack.c: wimlib's own XPRESS/LZX compressors), qemu-utils, openssl, perl, gzip, coreutils.
# Proof by an independent reader: with ebiggers/ntfs-3g-system-compression's plugin installed
# (ntfs-plugin-80000017.so in /usr/lib/x86_64-linux-gnu/ntfs-3g/), ntfs-3g shows WOF files
# decompressed; the script then checks every readable WOF file against its plaintext through it.
# Usage: sudo test-images/wof/make.sh   (writes next to itself; scratch in $WORK)
#
# WOF files are laid out as Windows does: the chunks go into the named stream WofCompressedData
# (streams_interface=windows), the unnamed stream is truncated to the plaintext size (sparse),
# and the WOF reparse point is set last through system.ntfs_reparse_data.
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../lib.sh"   # strict mode, C locale, UTC; fresh_work_with_mount
fresh_work_with_mount wof   # $WORK, $MNT (unmounted on exit)
cd "$HERE"
rm -f -- wof.vmdk wof-stream.vmdk wof-large.img.gz manifest.json
source "$HERE/../qemu/vmdk-lib.sh"   # stamp
cc -O2 -Wall -o "$WORK/wofpack" "$HERE/wofpack.c" -lwim
PLUGIN=/usr/lib/x86_64-linux-gnu/ntfs-3g/ntfs-plugin-80000017.so

pattern() { # pattern BYTES SEED: deterministic non-repeating bytes (AES-128-CTR keystream)
  head -c "$1" /dev/zero | openssl enc -aes-128-ctr -K 67727420776f662d746573742d696d67 -iv "$(printf '%032x' "$2")"
}
licences() { # licences BYTES: English text
  local f="$WORK/licences.txt"
  [ -f "$f" ] || for i in 1 2 3 4 5 6 7 8; do cat /usr/share/common-licenses/{Apache-2.0,GFDL-1.3,Artistic,BSD}; done >"$f"
  head -c "$1" "$f"
}
letters() { pattern "$1" "$2" | perl -0777 -pe 'tr/\x00-\xff/a-pa-pa-pa-pa-pa-pa-pa-pa-pa-pa-pa-pa-pa-pa-pa-p/'; }
ntfs_mount() { # <image> <options>
  ntfs-3g -o "no_detach,$2" "$1" "$MNT" >/dev/null 2>&1 &
  NTFS_PID=$!
  local i; for ((i = 0; i < 100; i++)); do mountpoint -q "$MNT" && return 0; sleep 0.1; done
  echo "mount of $1 failed" >&2; return 1
}
ntfs_umount() { sync; umount "$MNT"; wait "$NTFS_PID"; }
# Reparse data as 0x-hex: reparse_hex TAG HEX-PAYLOAD
reparse_hex() { perl -e 'my $p = pack("H*", $ARGV[1]); print "0x", unpack("H*", pack("V v v", hex($ARGV[0]), length($p), 0) . $p)' "$1" "$2"; }
# WOF file provider payload: version 1, provider 2 (file), provider version 1, algorithm.
wof_payload() { perl -e 'print unpack("H*", pack("V4", 1, 2, 1, $ARGV[0]))' "$1"; }

ENTRIES="$WORK/entries.jsonl"; : >"$ENTRIES"
NAMES=(XPRESS4K LZX XPRESS8K XPRESS16K)
CHUNK=(4096 32768 8192 16384)
# wof_file PATH FORMAT PLAINFILE [DAMAGE]: a WOF file of PLAINFILE. DAMAGE (perl on the stream
# in $_) makes a damaged file; then the manifest expects an error from the damaged chunk on.
wof_file() {
  local path=$1 format=$2 plain=$3 damage=${4:-} size stream="$WORK/stream"
  size=$(stat -c %s "$plain")
  "$WORK/wofpack" "$format" 50 "$size" "$plain" "$stream"
  [ -z "$damage" ] || perl -0777 -i -pe "$damage" "$stream"
  : >"$M$path"
  cat "$stream" >"$M$path:WofCompressedData"
  truncate -s "$size" "$M$path"
  setfattr -h -n system.ntfs_reparse_data -v "$(reparse_hex 80000017 "$(wof_payload "$format")")" "$M$path"
  printf '{ "path": "%s", "format": "%s", "chunkSize": %d, "size": %d, "sha256": "%s", "streamBytes": %d, "damaged": %s }\n' \
    "$path" "${NAMES[$format]}" "${CHUNK[$format]}" "$size" "$(sha256sum <"$plain" | cut -d' ' -f1)" "$(stat -c %s "$stream")" \
    "$([ -z "$damage" ] && echo false || echo true)" >>"$ENTRIES"
}

# ---------------------------------------------------------------------------------------------
# wof.img: a whole-disk NTFS volume (no partition table), 512-byte sectors, 4 KiB clusters.
VOL="$WORK/wof.img"
truncate -s 3997696 "$VOL"
mkntfs -F -Q -q -L grt-wof -p 0 -H 0 -S 0 -c 4096 -s 512 "$VOL" >/dev/null 2>&1
ntfs_mount "$VOL" streams_interface=windows
M="$MNT"
mkdir "$M/formats" "$M/shapes" "$M/damaged" "$M/refused"
printf 'plain file beside the WOF files\n' >"$M/plain.txt"

licences 100000 >"$WORK/text.txt";           wof_file /formats/xpress4k.txt 0 "$WORK/text.txt"
cp /usr/bin/gzip "$WORK/gzip.exe";            wof_file /formats/lzx.exe 1 "$WORK/gzip.exe"
for i in 0 1 2 3 4 5 6; do licences 4000; pattern 4192 $((10 + i)); done | head -c 60000 >"$WORK/mixed.bin"
wof_file /formats/xpress8k-mixed.bin 2 "$WORK/mixed.bin"
letters 50000 3 >"$WORK/letters.txt";         wof_file /formats/xpress16k.txt 3 "$WORK/letters.txt"
licences 1000 >"$WORK/one.txt";               wof_file /shapes/one-chunk.txt 0 "$WORK/one.txt"
{ licences 30000; head -c 35536 /usr/bin/gzip; } >"$WORK/exact.bin"
wof_file /shapes/exact-multiple.bin 1 "$WORK/exact.bin"   # 65536 bytes: two whole LZX chunks
pattern 20000 4 >"$WORK/random.bin";          wof_file /shapes/incompressible.bin 2 "$WORK/random.bin"
licences 33000 >"$WORK/t33.txt";              wof_file /shapes/lzx-short-last.txt 1 "$WORK/t33.txt"
head -c 0 /dev/null >"$WORK/empty";           wof_file /shapes/empty.txt 0 "$WORK/empty"

licences 20000 >"$WORK/d1.txt"
# Table entry 2 (end of chunk 2) points past the stream: chunks 0 and 1 read, chunk 2 fails.
wof_file /damaged/bad-table.txt 0 "$WORK/d1.txt" 'substr($_, 8, 4) = pack("V", 0x00ffffff)'
# Chunk 1 of an LZX file overwritten in its middle: chunk 0 reads, chunk 1 fails or differs.
licences 70000 >"$WORK/d2.txt"
wof_file /damaged/bad-chunk.lzx.txt 1 "$WORK/d2.txt" 'my $e = unpack("V", substr($_, 0, 4)) + 8; substr($_, $e + 40, 64) = "\xff" x 64'
# The stream cut in its last chunk.
wof_file /damaged/short-stream.txt 0 "$WORK/d1.txt" '$_ = substr($_, 0, length($_) - 100)'

# Refused: a WIM-backed WOF file (provider 1), an unknown WOF format, a deduplicated file.
for f in wim-backed.dll unknown-format.bin dedup.bin; do : >"$M/refused/$f"; truncate -s 5000 "$M/refused/$f"; done
setfattr -h -n system.ntfs_reparse_data -v "$(reparse_hex 80000017 "$(perl -e 'print unpack("H*", pack("V4 Q< a20", 1, 1, 1, 0, 1, "x" x 20))')")" "$M/refused/wim-backed.dll"
setfattr -h -n system.ntfs_reparse_data -v "$(reparse_hex 80000017 "$(wof_payload 9)")" "$M/refused/unknown-format.bin"
setfattr -h -n system.ntfs_reparse_data -v "$(reparse_hex 80000013 "$(perl -e 'print unpack("H*", "d" x 40)')")" "$M/refused/dedup.bin"
# A directory's descriptor as ntfs-3g shows it (the oracle for --security=xattr on directories).
DIR_ACL=$(getfattr -e hex -n system.ntfs_acl "$M/formats" | sed -n 's/^system.ntfs_acl=0x//p')
ntfs_umount

# Independent check: ntfs-3g with the system-compression plugin decompresses the WOF files.
CHECKED=false
if [ -f "$PLUGIN" ]; then
  ntfs_mount "$VOL" ro
  while read -r line; do
    path=$(perl -ne 'print $1 if /"path": "([^"]+)"/' <<<"$line")
    [[ $line == *'"damaged": true'* ]] && continue
    want=$(perl -ne 'print $1 if /"sha256": "([^"]+)"/' <<<"$line")
    got=$(sha256sum <"$MNT$path" | cut -d' ' -f1)
    [ "$want" = "$got" ] || { echo "plugin reads $path differently" >&2; exit 1; }
  done <"$ENTRIES"
  ntfs_umount
  CHECKED=true
fi

qemu-img convert -f raw -O vmdk "$VOL" wof.vmdk; stamp wof.vmdk
qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$VOL" wof-stream.vmdk; stamp wof-stream.vmdk

# ---------------------------------------------------------------------------------------------
# wof-large.img: one LZX file of 4 GiB + 12345 bytes (8-byte chunk table entries): zeros but for
# text at its start and at 4 GiB. 131073 chunks of ~80 bytes: the volume needs ~12 MiB.
LARGE="$WORK/large.bin"; LARGE_SIZE=$((4 * 1024 * 1024 * 1024 + 12345))
truncate -s "$LARGE_SIZE" "$LARGE"
licences 5000 | dd of="$LARGE" conv=notrunc status=none
licences 12345 | dd of="$LARGE" bs=4096 seek=$((4 * 1024 * 1024 * 1024)) oflag=seek_bytes conv=notrunc status=none
LVOL="$WORK/wof-large.img"
truncate -s $((16 * 1024 * 1024)) "$LVOL"
mkntfs -F -Q -q -L grt-wof-large -p 0 -H 0 -S 0 -c 4096 -s 512 "$LVOL" >/dev/null 2>&1
ntfs_mount "$LVOL" streams_interface=windows
M="$MNT"
ENTRIES_MAIN="$ENTRIES"; ENTRIES="$WORK/large.jsonl"; : >"$ENTRIES"
wof_file /large.bin 1 "$LARGE"
ntfs_umount
LARGE_REGIONS=$(for at in 0 $((4 * 1024 * 1024 * 1024 - 32768)) $((4 * 1024 * 1024 * 1024)); do
  length=$((LARGE_SIZE - at < 65536 ? LARGE_SIZE - at : 65536))
  printf '{ "offset": %d, "length": %d, "sha256": "%s" }\n' "$at" "$length" "$(dd if="$LARGE" bs=4096 skip="$at" count="$length" iflag=skip_bytes,count_bytes status=none | sha256sum | cut -d' ' -f1)"
done | paste -sd,)
if [ -f "$PLUGIN" ]; then # the plugin reads the same regions
  ntfs_mount "$LVOL" ro
  for region in $(perl -ne 'print "$1:$2:$3\n" while /"offset": (\d+), "length": (\d+), "sha256": "(\w+)"/g' <<<"$LARGE_REGIONS"); do
    IFS=: read -r at length want <<<"$region"
    got=$(dd if="$MNT/large.bin" bs=4096 skip="$at" count="$length" iflag=skip_bytes,count_bytes status=none | sha256sum | cut -d' ' -f1)
    [ "$want" = "$got" ] || { echo "plugin reads large.bin at $at differently" >&2; exit 1; }
  done
  ntfs_umount
fi
gzip -9n <"$LVOL" >wof-large.img.gz

{
  echo '{ "note": "WOF file-provider files (chunks by wimlib) on whole-disk NTFS volumes; see make.sh",'
  echo "  \"checkedByPlugin\": $CHECKED,"
  echo '  "images": { "wof.vmdk": "monolithicSparse", "wof-stream.vmdk": "streamOptimized", "wof-large.img.gz": "raw volume" },'
  echo '  "files": ['; paste -sd, "$ENTRIES_MAIN"; echo '  ],'
  echo "  \"dirs\": [ { \"path\": \"/formats\", \"ntfs_acl\": \"$DIR_ACL\" } ],"
  echo '  "refused": [ { "path": "/refused/wim-backed.dll", "undecodable": "wof-wim" }, { "path": "/refused/unknown-format.bin", "undecodable": "wof" }, { "path": "/refused/dedup.bin", "undecodable": "dedup" } ],'
  echo "  \"large\": $(cat "$ENTRIES" | head -1 | sed 's/ }$//'), \"regions\": [ $LARGE_REGIONS ] }"
  echo '}'
} >manifest.json
ls -l wof.vmdk wof-stream.vmdk wof-large.img.gz
