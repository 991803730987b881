#!/usr/bin/env bash
# Makes vm-chunked.ova and chunked.json from vm.ova (made by make.sh): the same two-disk VM stored
# as ovftool stores a package split for size limits and signed.
# Tools (Debian): GNU tar, coreutils (split, sha256sum), openssl 3, jq.
# Usage: test-images/ova/make-chunked.sh   (writes next to itself; scratch in $WORK)
#
#   - disk 1's file is split into members NAME.000000000, NAME.000000001, … of ovf:chunkSize bytes
#     (DSP0243 §7.1; the last chunk shorter), the File keeping href NAME and the whole file's size;
#   - the .mf lists each chunk, not the joined file (ovftool's manifest names the members);
#   - vm-chunked.cert holds `SHA256(vm-chunked.mf)= HEX` (an RSA PKCS#1 v1.5 signature of the .mf
#     bytes, `openssl dgst -sha256 -sign`) and the PEM of a self-signed certificate of that key.
# The key is made afresh on each run: signature and certificate differ between remakes, the disks
# and the files on them do not.
set -euo pipefail
export LC_ALL=C.UTF-8 TZ=UTC
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="${WORK:-/tmp/grt-make-ova-chunked}"
rm -rf "$WORK"; mkdir -p "$WORK/in" "$WORK/out"
cd "$WORK"
CHUNK=32768
BASE=vm-chunked
tar -C in -xf "$HERE/vm.ova"
mv in/vm-disk2.vmdk "out/$BASE-disk2.vmdk"
split -a 9 -d -b "$CHUNK" in/vm-disk1.vmdk "out/$BASE-disk1.vmdk."
size1=$(stat -c %s in/vm-disk1.vmdk)
# The descriptor: vm.ovf's, with the new names and disk 1's File stored in chunks.
sed -e "s/ovf:href=\"vm-disk1.vmdk\" ovf:id=\"file1\" ovf:size=\"$size1\"/ovf:chunkSize=\"$CHUNK\" ovf:href=\"$BASE-disk1.vmdk\" ovf:id=\"file1\" ovf:size=\"$size1\"/" \
    -e "s/vm-disk2.vmdk/$BASE-disk2.vmdk/" in/vm.ovf >"out/$BASE.ovf"
grep -q "ovf:chunkSize=\"$CHUNK\"" "out/$BASE.ovf"
cd out
CHUNKS=("$BASE-disk1.vmdk."*)
for f in "$BASE.ovf" "${CHUNKS[@]}" "$BASE-disk2.vmdk"; do printf 'SHA256(%s)= %s\n' "$f" "$(sha256sum <"$f" | cut -d' ' -f1)"; done >"$BASE.mf"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -days 3650 \
  -subj "/C=DE/O=grt test/CN=grt OVA signing test" 2>/dev/null
{
  printf 'SHA256(%s)= %s\n' "$BASE.mf" "$(openssl dgst -sha256 -sign "$WORK/key.pem" "$BASE.mf" | od -An -v -tx1 | tr -d ' \n')"
  cat "$WORK/cert.pem"
} >"$BASE.cert"
openssl dgst -sha256 -verify <(openssl x509 -in "$WORK/cert.pem" -pubkey -noout) \
  -signature <(openssl dgst -sha256 -sign "$WORK/key.pem" "$BASE.mf") "$BASE.mf" >/dev/null
tar --format=ustar --owner=0 --group=0 --numeric-owner --mtime='2024-03-01 12:00:00' \
  -cf "$HERE/$BASE.ova" "$BASE.ovf" "$BASE.mf" "$BASE.cert" "${CHUNKS[@]}" "$BASE-disk2.vmdk"
# What the tests expect: the chunks, the certificate's subject and dates as openssl reads them.
jq -n --arg file "$BASE.ova" --argjson chunkSize "$CHUNK" --argjson size "$size1" \
  --argjson chunks "$(printf '%s\n' "${CHUNKS[@]}" | jq -R . | jq -s .)" \
  --arg subject "$(openssl x509 -in "$WORK/cert.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')" \
  --arg notBefore "$(date -u -d "$(openssl x509 -in "$WORK/cert.pem" -noout -startdate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)" \
  --arg notAfter "$(date -u -d "$(openssl x509 -in "$WORK/cert.pem" -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)" \
  '{ tool: "GNU tar 1.34, coreutils split, OpenSSL 3.0", file: $file, disk1: { href: "vm-chunked-disk1.vmdk", size: $size, chunkSize: $chunkSize, chunks: $chunks },
     certificate: { subject: $subject, notBefore: $notBefore, notAfter: $notAfter }, disksAsIn: "vm.ova (manifest.json)" }' >"$HERE/chunked.json"
ls -l "$HERE/$BASE.ova"
