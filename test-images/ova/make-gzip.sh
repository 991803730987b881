#!/usr/bin/env bash
# Makes vm-gzip.ova and gzip.json from vm.ova (made by make.sh): the same two-disk VM with its
# disks stored gzip-compressed, as `ovftool --compress=9` stores them.
# Tools (Debian): GNU tar, gzip, coreutils (split, sha256sum), jq.
# Usage: test-images/ova/make-gzip.sh   (writes next to itself; scratch in $WORK)
#
#   - disk 1's file is `gzip -9`'d whole (one member, FNAME kept), the File keeping its href
#     and gaining ovf:compression="gzip" and the compressed size as ovf:size;
#   - disk 2's file is `gzip -9 -n`'d, then split into ovf:chunkSize chunks of 32 KiB
#     (DSP0243 §7.1: a file compressed and chunked is compressed first, the chunks are slices of
#     the compressed file);
#   - the .mf lists the stored (compressed) bytes: disk 1's member and each chunk of disk 2.
# gzip stores the name and mtime vm.ova's tar gave the file, so remakes are identical.
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../lib.sh"   # strict mode, C locale, UTC; fresh_work
fresh_work ova-gzip   # $WORK
mkdir -p "$WORK/in" "$WORK/out" && cd "$WORK"
tar -C in -xf "$HERE/vm.ova"
BASE=vm-gzip CHUNK=32768
size1=$(stat -c %s in/vm-disk1.vmdk)
size2=$(stat -c %s in/vm-disk2.vmdk)
cp -p in/vm-disk1.vmdk "out/$BASE-disk1.vmdk.raw"
(cd out && mv "$BASE-disk1.vmdk.raw" "$BASE-disk1.vmdk" && gzip -9 "$BASE-disk1.vmdk" && mv "$BASE-disk1.vmdk.gz" "$BASE-disk1.vmdk")
gzip -9 -n <in/vm-disk2.vmdk >"$WORK/disk2.gz"
split -a 9 -d -b "$CHUNK" "$WORK/disk2.gz" "out/$BASE-disk2.vmdk."
gz1=$(stat -c %s "out/$BASE-disk1.vmdk")
gz2=$(stat -c %s "$WORK/disk2.gz")
# The descriptor: vm.ovf's, with the new names, both Files compressed, disk 2's in chunks.
sed -e "s/ovf:href=\"vm-disk1.vmdk\" ovf:id=\"file1\" ovf:size=\"$size1\"/ovf:compression=\"gzip\" ovf:href=\"$BASE-disk1.vmdk\" ovf:id=\"file1\" ovf:size=\"$gz1\"/" \
    -e "s/ovf:href=\"vm-disk2.vmdk\" ovf:id=\"file2\" ovf:size=\"$size2\"/ovf:chunkSize=\"$CHUNK\" ovf:compression=\"gzip\" ovf:href=\"$BASE-disk2.vmdk\" ovf:id=\"file2\" ovf:size=\"$gz2\"/" \
    in/vm.ovf >"out/$BASE.ovf"
[ "$(grep -c 'ovf:compression="gzip"' "out/$BASE.ovf")" = 2 ]
cd out
CHUNKS=("$BASE-disk2.vmdk."*)
for f in "$BASE.ovf" "$BASE-disk1.vmdk" "${CHUNKS[@]}"; do printf 'SHA256(%s)= %s\n' "$f" "$(sha256sum <"$f" | cut -d' ' -f1)"; done >"$BASE.mf"
tar --format=ustar --owner=0 --group=0 --numeric-owner --mtime='2024-03-01 12:00:00' \
  -cf "$HERE/$BASE.ova" "$BASE.ovf" "$BASE.mf" "$BASE-disk1.vmdk" "${CHUNKS[@]}"
# What the tests expect: the stored members, and the VMDKs they decompress to.
jq -n --arg file "$BASE.ova" --argjson chunkSize "$CHUNK" \
  --argjson chunks "$(printf '%s\n' "${CHUNKS[@]}" | jq -R . | jq -s .)" \
  --argjson gz1 "$gz1" --argjson gz2 "$gz2" --argjson size1 "$size1" --argjson size2 "$size2" \
  --arg vmdk1 "$(sha256sum <"$WORK/in/vm-disk1.vmdk" | cut -d' ' -f1)" --arg vmdk2 "$(sha256sum <"$WORK/in/vm-disk2.vmdk" | cut -d' ' -f1)" \
  '{ tool: "GNU tar 1.34, gzip 1.12, coreutils split", file: $file,
     disk1: { href: "vm-gzip-disk1.vmdk", storedSize: $gz1, vmdkSize: $size1, vmdkSha256: $vmdk1, gzipName: "vm-gzip-disk1.vmdk" },
     disk2: { href: "vm-gzip-disk2.vmdk", storedSize: $gz2, vmdkSize: $size2, vmdkSha256: $vmdk2, chunkSize: $chunkSize, chunks: $chunks },
     disksAsIn: "vm.ova (manifest.json)" }' >"$HERE/gzip.json"
ls -l "$HERE/$BASE.ova"
