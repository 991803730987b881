#!/usr/bin/env bash
# Remakes every VMDK in this folder and manifest.json with qemu-img / qemu-io.
# Run as root or not (no mounts needed). Tools: qemu-img, qemu-io, openssl, perl, jq, coreutils.
# Usage: test-images/qemu/make.sh   (writes next to itself; scratch in $WORK)
set -euo pipefail
export LC_ALL=C TZ=UTC
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="${WORK:-/tmp/grt-make-qemu}"
rm -rf "$WORK"; mkdir -p "$WORK"
cd "$HERE"
rm -f -- *.vmdk manifest.json

MiB=$((1024 * 1024))
RAW="$WORK/disk.raw"            # 1 MiB source disk (not committed; its sha256 is in the manifest)
RAW_SIZE=$((1 * MiB))
P3=$((768 * 1024))              # offset of the one-grain pattern 3 region

# Deterministic non-repeating bytes: AES-128-CTR keystream with a fixed key/iv.
# $1 = byte count, $2 = stream number (changes the iv so regions differ).
pattern() {
  head -c "$1" /dev/zero |
    openssl enc -aes-128-ctr -K 67727420746573742d696d6167657321 -iv "$(printf '%032x' "$2")"
}
# Compressible text: numbered lines.
text() {
  local i; for ((i = 0; i < $1 / 66 + 1; i++)); do printf 'grt test line %06d: the quick brown fox jumps over the lazy dog\n' "$i"; done >"$WORK/text.tmp"
  truncate -s "$1" "$WORK/text.tmp"; cat "$WORK/text.tmp"
}
# put <file> <offset> : copies stdin into file at byte offset without truncating.
put() { dd of="$1" bs=512 seek=$(($2 / 512)) conv=notrunc status=none; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
# region sha256 of a raw file: file offset length
rsha() { dd if="$1" bs=512 skip=$(($2 / 512)) count=$(($3 / 512)) status=none | sha256sum | cut -d' ' -f1; }

# Layout of disk.raw (grain = 64 KiB, sector = 512):
#   [0, 4K)                pattern 1  (first sectors, like a boot sector)
#   [99840, 169984)        pattern 2  (70144 bytes, unaligned to grains: spans grains 1..2)
#   [512K, 576K)           text       (compressible, one full grain)
#   [768K, 832K)           pattern 3  (exactly one grain)
#   [1M-512, 1M)           pattern 4  (last sector)
#   everything else        zeros (holes)
truncate -s "$RAW_SIZE" "$RAW"
pattern 4096 1 | put "$RAW" 0
pattern 70144 2 | put "$RAW" 99840
text 65536 | put "$RAW" $((512 * 1024))
pattern 65536 3 | put "$RAW" "$P3"
pattern 512 4 | put "$RAW" $((RAW_SIZE - 512))
RAW_SHA="$(sha "$RAW")"
REGIONS_JSON="$(jq -n \
  --arg a "$(rsha "$RAW" 0 4096)" --arg b "$(rsha "$RAW" 99840 70144)" \
  --arg c "$(rsha "$RAW" $((512 * 1024)) 65536)" --arg d "$(rsha "$RAW" "$P3" 65536)" \
  --arg e "$(rsha "$RAW" $((RAW_SIZE - 512)) 512)" --arg z "$(rsha "$RAW" 196608 65536)" \
  --argjson p3 "$P3" --argjson last $((RAW_SIZE - 512)) \
  '[{offset:0,length:4096,sha256:$a,what:"pattern"},
    {offset:99840,length:70144,sha256:$b,what:"pattern, crosses grain boundary"},
    {offset:196608,length:65536,sha256:$z,what:"zeros (hole)"},
    {offset:524288,length:65536,sha256:$c,what:"text"},
    {offset:$p3,length:65536,sha256:$d,what:"pattern, one whole grain"},
    {offset:$last,length:512,sha256:$e,what:"pattern, last sector"}]')"

source "$HERE/vmdk-lib.sh"   # setcid, stamp

ENTRIES=()
# add_entry <descriptor file> <subformat> <qemu options> <raw sha> <regions json> [extra json]
add_entry() {
  if [ -n "$4" ]; then   # self-check: qemu reads back exactly the expected disk
    qemu-img convert -O raw "$1" "$WORK/check.raw"; test "$(sha "$WORK/check.raw")" = "$4"; rm -f "$WORK/check.raw"
  fi
  local info; info="$(qemu-img info --output=json "$1" | jq '{"virtual-size", "actual-size":null, "format-specific", "backing-filename", "backing-filename-format"}')"
  local files; files="$(jq --arg f "$1" '[$f] + [.["format-specific"].data.extents[].filename] | unique' <<<"$info")"
  ENTRIES+=("$(jq -n --arg file "$1" --arg sub "$2" --arg opt "$3" --arg raw "$4" \
     --argjson regions "$5" --argjson info "$info" --argjson files "$files" --argjson extra "${6:-{\}}" \
     '{file:$file, files:$files, subformat:$sub, qemuOptions:$opt, virtualSize:$info["virtual-size"],
       rawSha256:(if $raw == "" then null else $raw end), regions:$regions,
       qemuImgInfo:($info | del(.["actual-size"]))} + $extra')")
}

conv() { # conv <out> <options>
  qemu-img convert -f raw -O vmdk -o "$2" "$RAW" "$1"
}

for sub in monolithicSparse monolithicFlat twoGbMaxExtentSparse twoGbMaxExtentFlat streamOptimized; do
  conv "$sub.vmdk" "subformat=$sub"
  stamp "$sub.vmdk"
  add_entry "$sub.vmdk" "$sub" "subformat=$sub" "$RAW_SHA" "$REGIONS_JSON"
done

# Variants that change only header/descriptor fields, and zeroed grains: made with
# qemu-img create + a few qemu-io writes (cheaper than repeating the whole source disk).
# Expected content is computed here with dd, independently of qemu's vmdk code.
# fixed-byte pattern: pat <byte> <count>
pat() { head -c "$2" /dev/zero | tr '\0' "$(printf '\\%03o' "$1")"; }
VAR_RAW="$WORK/variant.raw"
truncate -s "$RAW_SIZE" "$VAR_RAW"
pat 0x5a 65536 | put "$VAR_RAW" 65536
pat 0x5b 1024 | put "$VAR_RAW" 204800
VAR_REGIONS="$(jq -n --arg a "$(rsha "$VAR_RAW" 65536 65536)" --arg b "$(rsha "$VAR_RAW" 196608 65536)" \
  '[{offset:65536,length:65536,sha256:$a,what:"0x5a"},{offset:196608,length:65536,sha256:$b,what:"1 KiB of 0x5b at 204800, rest zeros"}]')"
for v in "compat6:subformat=monolithicSparse,compat6=on" \
         "hwversion-lsilogic:subformat=monolithicSparse,hwversion=14,adapter_type=lsilogic,toolsversion=12345"; do
  name="${v%%:*}"; opts="${v#*:}"
  qemu-img create -q -f vmdk -o "$opts" "$name.vmdk" "$RAW_SIZE"
  qemu-io -f vmdk -c "write -P 0x5a 64k 64k" -c "write -P 0x5b 200k 1k" "$name.vmdk" >/dev/null
  stamp "$name.vmdk"
  add_entry "$name.vmdk" monolithicSparse "$opts" "$(sha "$VAR_RAW")" "$VAR_REGIONS" \
    '{"qemuIoCommands":["write -P 0x5a 64k 64k","write -P 0x5b 200k 1k"]}'
done

# zeroed_grain=on: write -z of a whole grain stores GTE = 1 ("zeroed") instead of data, both over
# an allocated grain (64k) and over a never-allocated one (512k); a partial write -z (132k, 4k)
# rewrites data in the grain.
Z_CMDS=("write -P 0x11 0 192k" "write -z 64k 64k" "write -z 132k 4k" "write -z 512k 64k" "write -P 0x12 960k 64k")
qemu-img create -q -f vmdk -o subformat=monolithicSparse,zeroed_grain=on zeroed-grain.vmdk "$RAW_SIZE"
for c in "${Z_CMDS[@]}"; do qemu-io -f vmdk -c "$c" zeroed-grain.vmdk >/dev/null; done
stamp zeroed-grain.vmdk
Z_RAW="$WORK/zeroed.raw"; truncate -s "$RAW_SIZE" "$Z_RAW"
pat 0x11 196608 | put "$Z_RAW" 0
head -c 65536 /dev/zero | put "$Z_RAW" 65536
head -c 4096 /dev/zero | put "$Z_RAW" 135168
pat 0x12 65536 | put "$Z_RAW" 983040
qemu-img convert -O raw zeroed-grain.vmdk "$WORK/zeroed.check.raw"; cmp "$Z_RAW" "$WORK/zeroed.check.raw"
add_entry zeroed-grain.vmdk monolithicSparse "subformat=monolithicSparse,zeroed_grain=on" "$(sha "$Z_RAW")" \
  "$(jq -n --arg a "$(rsha "$Z_RAW" 0 65536)" --arg z "$(rsha "$Z_RAW" 65536 65536)" --arg y "$(rsha "$Z_RAW" 131072 65536)" \
     '[{offset:0,length:65536,sha256:$a,what:"0x11"},{offset:65536,length:65536,sha256:$z,what:"zeroed grain (GTE=1) over written data"},
       {offset:131072,length:65536,sha256:$y,what:"0x11 with 4 KiB of zeros at 135168"}]')" \
  "$(printf '%s\n' "${Z_CMDS[@]}" | jq -R . | jq -s '{qemuIoCommands:.}')"

# Snapshot chain: chain-child2 -> chain-child1 -> monolithicSparse.vmdk (the base above).
# child1: plain sparse; child2: zeroed_grain=on, so its write -z hides the parents' data with GTE=1.
C1_CMDS=("write -P 0xaa 256k 64k" "write -P 0xab $((P3 + 4096)) 8k" "write -P 0xac 128k 4k")
C2_CMDS=("write -P 0xcc 288k 4k" "write -P 0xcd 96k 1k" "write -z $P3 64k" "write -P 0xce $((RAW_SIZE - 1024)) 1k")
qemu-img create -q -f vmdk -b monolithicSparse.vmdk -F vmdk chain-child1.vmdk
for c in "${C1_CMDS[@]}"; do qemu-io -f vmdk -c "$c" chain-child1.vmdk >/dev/null; done
qemu-img create -q -f vmdk -o zeroed_grain=on -b chain-child1.vmdk -F vmdk chain-child2.vmdk
for c in "${C2_CMDS[@]}"; do qemu-io -f vmdk -c "$c" chain-child2.vmdk >/dev/null; done
stamp chain-child1.vmdk monolithicSparse.vmdk
stamp chain-child2.vmdk chain-child1.vmdk
cp "$RAW" "$WORK/child1.raw"
pat 0xaa 65536 | put "$WORK/child1.raw" $((256 * 1024))
pat 0xab 8192 | put "$WORK/child1.raw" $((P3 + 4096))
pat 0xac 4096 | put "$WORK/child1.raw" $((128 * 1024))
cp "$WORK/child1.raw" "$WORK/child2.raw"
pat 0xcc 4096 | put "$WORK/child2.raw" $((288 * 1024))
pat 0xcd 1024 | put "$WORK/child2.raw" $((96 * 1024))
head -c 65536 /dev/zero | put "$WORK/child2.raw" "$P3"
pat 0xce 1024 | put "$WORK/child2.raw" $((RAW_SIZE - 1024))
qemu-img convert -O raw chain-child1.vmdk "$WORK/child1.check.raw"; cmp "$WORK/child1.raw" "$WORK/child1.check.raw"
qemu-img convert -O raw chain-child2.vmdk "$WORK/child2.check.raw"; cmp "$WORK/child2.raw" "$WORK/child2.check.raw"
chain_regions() { # <raw>
  jq -n --arg a "$(rsha "$1" 65536 131072)" --arg b "$(rsha "$1" 262144 65536)" --arg c "$(rsha "$1" "$P3" 65536)" \
     --arg d "$(rsha "$1" $((RAW_SIZE - 65536)) 65536)" --argjson p3 "$P3" --argjson lg $((RAW_SIZE - 65536)) \
     '[{offset:65536,length:131072,sha256:$a},{offset:262144,length:65536,sha256:$b},
       {offset:$p3,length:65536,sha256:$c},{offset:$lg,length:65536,sha256:$d}]'
}
add_entry chain-child1.vmdk monolithicSparse "backing_file=monolithicSparse.vmdk,backing_fmt=vmdk" "$(sha "$WORK/child1.raw")" \
  "$(chain_regions "$WORK/child1.raw")" \
  "$(printf '%s\n' "${C1_CMDS[@]}" | jq -R . | jq -s '{chain:["chain-child1.vmdk","monolithicSparse.vmdk"], qemuIoCommands:.}')"
add_entry chain-child2.vmdk monolithicSparse "zeroed_grain=on,backing_file=chain-child1.vmdk,backing_fmt=vmdk" "$(sha "$WORK/child2.raw")" \
  "$(chain_regions "$WORK/child2.raw")" \
  "$(printf '%s\n' "${C2_CMDS[@]}" | jq -R . | jq -s '{chain:["chain-child2.vmdk","chain-child1.vmdk","monolithicSparse.vmdk"], qemuIoCommands:.}')"

# Large virtual size split into 2 GiB sparse extents: 4 GiB + 1 MiB gives three extents, the
# last one only 1 MiB. Data only at a few places, one region crossing the first extent boundary.
# Only region hashes are recorded (reading 4 GiB in a test is too slow).
BIG="$WORK/big.raw"; BIG_SIZE=$((4 * 1024 * MiB + MiB))
truncate -s "$BIG_SIZE" "$BIG"
EXTENT_BYTES=$((2 * 1024 * MiB))
B1=$((EXTENT_BYTES - 32768)); B2=$((3 * 1024 * MiB + 97 * 65536 - 3584)); B3=$((BIG_SIZE - 4096))
pattern 65536 6 | put "$BIG" "$B1"
pattern 8192 7 | put "$BIG" "$B2"
pattern 4096 8 | put "$BIG" "$B3"
qemu-img convert -f raw -O vmdk -o subformat=twoGbMaxExtentSparse "$BIG" big-twoGbMaxExtentSparse.vmdk
test "$(grep -c '^RW .* SPARSE' big-twoGbMaxExtentSparse.vmdk)" = 3
stamp big-twoGbMaxExtentSparse.vmdk
add_entry big-twoGbMaxExtentSparse.vmdk twoGbMaxExtentSparse "subformat=twoGbMaxExtentSparse" "" \
  "$(jq -n --argjson b1 $B1 --argjson b2 $((B2 - 512)) --argjson b3 $((BIG_SIZE - 65536)) --argjson eb $EXTENT_BYTES \
     --arg a "$(rsha "$BIG" 0 65536)" --arg b "$(rsha "$BIG" "$B1" 65536)" \
     --arg c "$(rsha "$BIG" $((B2 - 512)) 9216)" --arg d "$(rsha "$BIG" $((BIG_SIZE - 65536)) 65536)" \
     --arg z "$(rsha "$BIG" $((4 * 1024 * MiB)) 65536)" \
     '[{offset:0,length:65536,sha256:$a,what:"zeros (unallocated)"},
       {offset:$b1,length:65536,sha256:$b,what:"pattern crossing the extent boundary at \($eb)"},
       {offset:$b2,length:9216,sha256:$c,what:"512 zero bytes, 8 KiB pattern (crosses a grain boundary), 512 zero bytes"},
       {offset:$b3,length:65536,sha256:$d,what:"last grain: zeros then 4 KiB pattern"},
       {offset:4294967296,length:65536,sha256:$z,what:"first grain of the third (1 MiB) extent: zeros"}]')"
rm -f "$BIG"

jq -n --arg raw "$RAW_SHA" --argjson size "$RAW_SIZE" --arg ver "$(qemu-img --version | head -1)" \
  '{tool:$ver, sourceDisk:{size:$size, sha256:$raw, note:"disk.raw is not committed; see make.sh for its layout"},
    notes:["qemu CIDs are replaced by fixed values (setcid in make.sh) so remakes are identical",
           "rawSha256 is the sha256 of the full virtual disk (qemu-img convert -O raw); null for big images: use regions",
           "qemu-img 7.2 creates only the five subformats here (create -o help); vmfs, vmfsSparse, vmfsThin and seSparse cannot be made with it",
           "qemu refuses to read a child whose parentCID differs from its parent CID (read error EINVAL)",
           "when qemu rewrites the CID inside an embedded descriptor it leaves stale text after the terminating NUL; setcid clears it here, qemu-made images elsewhere may have it",
           "chain-child2 and zeroed-grain use zeroed_grain=on: grain table entry 1 means a zero grain that hides the parent"],
    images:$ARGS.positional}' --jsonargs "${ENTRIES[@]}" > manifest.json
echo "done: $(ls -1 *.vmdk | wc -l) files"
