#!/usr/bin/env bash
# Remakes the OVA test packages in this folder and manifest.json.
# Tools (Debian): e2fsprogs (mke2fs -d, no root needed), qemu-utils, tar (GNU), coreutils, openssl, perl, jq.
# Usage: test-images/ova/make.sh   (writes next to itself; scratch in $WORK)
#
# Each .ova is a tar (OVF 1.x, DSP0243 §5.3: the .ovf first, then the .mf manifest, then the
# files) holding two streamOptimized VMDKs made by `qemu-img convert -o subformat=streamOptimized`
# from two raw ext2 disks (whole-disk, unpartitioned) that `mke2fs -d` populated, an .ovf written
# here by hand in the form VMware's ovftool writes, and an .mf of SHA256(name)= lines (sha256sum).
# The .ovf's References list disk 2's file first: the disks' order is the DiskSection's.
#   vm.ova      ustar (`tar --format=ustar`), short names
#   vm-pax.ova  pax (`tar --format=pax`): disk 1's name is 130 characters (a pax `path` record)
#   vm-gnu.ova  GNU (`tar --format=gnu`): the same long name as a ././@LongLink member
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../lib.sh"   # strict mode, C locale, UTC; fresh_work
fresh_work ova   # $WORK
cd "$HERE"
rm -f -- *.ova manifest.json
source "$HERE/../qemu/vmdk-lib.sh"   # setcid

# Deterministic non-repeating bytes (AES-128-CTR keystream, fixed key; $2 selects the stream).
pattern() {
  head -c "$1" /dev/zero |
    openssl enc -aes-128-ctr -K 67727420746573742d696d6167657321 -iv "$(printf '%032x' "$((2000 + $2))")"
}

# Two file trees, one per disk.
mkdir -p "$WORK/tree1/docs" "$WORK/tree2/data"
printf 'hello from disk 1 of the OVA\n' >"$WORK/tree1/hello.txt"
pattern 20000 1 >"$WORK/tree1/docs/random.bin"
printf 'disk 2 notes\n' >"$WORK/tree2/notes.txt"
pattern 70000 2 >"$WORK/tree2/data/big.bin"
find "$WORK/tree1" "$WORK/tree2" -exec touch -h -d '2024-03-01 12:00:00' {} +

# mkdisk <n> <label> <uuid>: raw ext2 disk n from tree n, then its streamOptimized VMDK with a fixed CID.
mkdisk() {
  E2FSPROGS_FAKE_TIME=1709294400 mke2fs -q -F -t ext2 -b 1024 -L "$2" -U "$3" -E hash_seed="$3" -d "$WORK/tree$1" "$WORK/disk$1.raw" 2048
  # mke2fs -d stamps ctime and atime with the clock: fixed here so remakes are identical.
  (cd "$WORK/tree$1" && find . -mindepth 1 | while read -r f; do
    printf 'sif "%s" ctime 20240301120000\nsif "%s" atime 20240301120000\n' "${f#.}" "${f#.}"; done
    printf 'sif / ctime 20240301120000\nsif / atime 20240301120000\nsif /lost+found ctime 20240301120000\nsif /lost+found atime 20240301120000\n'
  ) | debugfs -w -f - "$WORK/disk$1.raw" >/dev/null 2>&1
  qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$WORK/disk$1.raw" "$WORK/disk$1.vmdk"
  setcid "$WORK/disk$1.vmdk" "$(printf '%08x' $((0x67727500 + $1)))"
}
mkdisk 1 ova-disk1 6f766131-0000-4000-8000-000000000001
mkdisk 2 ova-disk2 6f766132-0000-4000-8000-000000000002

# ovf <name1> <name2>: the descriptor, VMware style, for disk files named name1 and name2.
ovf() {
  local s1 s2; s1=$(stat -c %s "$WORK/$1"); s2=$(stat -c %s "$WORK/$2")
  cat <<XML
<?xml version="1.0" encoding="UTF-8"?>
<!--Written by test-images/ova/make.sh in the form of VMware ovftool 4.4 output-->
<Envelope vmw:buildId="build-16812187" xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <References>
    <File ovf:href="$2" ovf:id="file2" ovf:size="$s2"/>
    <File ovf:href="$1" ovf:id="file1" ovf:size="$s1"/>
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
    <Disk ovf:capacity="2" ovf:capacityAllocationUnits="byte * 2^20" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized" ovf:populatedSize="2097152"/>
    <Disk ovf:capacity="2" ovf:capacityAllocationUnits="byte * 2^20" ovf:diskId="vmdisk2" ovf:fileRef="file2" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized" ovf:populatedSize="2097152"/>
  </DiskSection>
  <NetworkSection>
    <Info>The list of logical networks</Info>
    <Network ovf:name="VM Network">
      <Description>The VM Network network</Description>
    </Network>
  </NetworkSection>
  <VirtualSystem ovf:id="grt-ova">
    <Info>A virtual machine &amp; its two disks</Info>
    <Name>grt-ova</Name>
    <OperatingSystemSection ovf:id="101" vmw:osType="otherLinux64Guest">
      <Info>The kind of installed guest operating system</Info>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemIdentifier>grt-ova</vssd:VirtualSystemIdentifier>
        <vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType>
      </System>
      <Item>
        <rasd:Address>0</rasd:Address>
        <rasd:Description>SCSI Controller</rasd:Description>
        <rasd:ElementName>SCSI controller 0</rasd:ElementName>
        <rasd:InstanceID>3</rasd:InstanceID>
        <rasd:ResourceSubType>lsilogic</rasd:ResourceSubType>
        <rasd:ResourceType>6</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AddressOnParent>0</rasd:AddressOnParent>
        <rasd:ElementName>Hard disk 1</rasd:ElementName>
        <rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource>
        <rasd:InstanceID>5</rasd:InstanceID>
        <rasd:Parent>3</rasd:Parent>
        <rasd:ResourceType>17</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AddressOnParent>1</rasd:AddressOnParent>
        <rasd:ElementName>Hard disk 2</rasd:ElementName>
        <rasd:HostResource>ovf:/disk/vmdisk2</rasd:HostResource>
        <rasd:InstanceID>6</rasd:InstanceID>
        <rasd:Parent>3</rasd:Parent>
        <rasd:ResourceType>17</rasd:ResourceType>
      </Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
XML
}

# ova <output> <tar format> <disk 1 name>: the package, members in the spec's order.
ova() {
  local dir="$WORK/${1%.ova}" base="${1%.ova}"
  mkdir -p "$dir"
  cp "$WORK/disk1.vmdk" "$dir/$3"
  cp "$WORK/disk2.vmdk" "$dir/$base-disk2.vmdk"
  (cd "$dir" && WORK="$dir" ovf "$3" "$base-disk2.vmdk" >"$base.ovf")
  (cd "$dir" && for f in "$base.ovf" "$3" "$base-disk2.vmdk"; do printf 'SHA256(%s)= %s\n' "$f" "$(sha256sum <"$f" | cut -d' ' -f1)"; done >"$base.mf")
  local pax=()
  # pax headers carry atime and ctime by default, and their names hold the pid: left out for remakes.
  [ "$2" = pax ] && pax=(--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime)
  tar -C "$dir" --format="$2" --owner=0 --group=0 --numeric-owner --mtime='2024-03-01 12:00:00' "${pax[@]}" \
    -cf "$HERE/$1" "$base.ovf" "$base.mf" "$3" "$base-disk2.vmdk"
}
LONG="vm-pax-disk1-with-a-name-longer-than-the-hundred-bytes-a-ustar-header-holds-so-tar-writes-it-elsewhere-$(printf 'x%.0s' {1..20}).vmdk"
ova vm.ova ustar vm-disk1.vmdk
ova vm-pax.ova pax "$LONG"
ova vm-gnu.ova gnu "${LONG/vm-pax/vm-gnu}"

# The oracle: every file of each disk with its sha256, as written into the disks.
files_json() { # <tree>
  (cd "$1" && find . -type f | sort | while read -r f; do
    jq -n --arg p "${f#.}" --arg h "$(sha256sum <"$f" | cut -d' ' -f1)" --argjson s "$(stat -c %s "$f")" '{path: $p, size: $s, sha256: $h}'
  done) | jq -s .
}
jq -n \
  --argjson f1 "$(files_json "$WORK/tree1")" --argjson f2 "$(files_json "$WORK/tree2")" \
  --arg r1 "$(sha256sum <"$WORK/disk1.raw" | cut -d' ' -f1)" --arg r2 "$(sha256sum <"$WORK/disk2.raw" | cut -d' ' -f1)" \
  --arg long "$LONG" \
  '{ tool: "mke2fs 1.47, qemu-img 7.2 (streamOptimized), GNU tar 1.34",
     packages: [ { file: "vm.ova", format: "ustar", disk1: "vm-disk1.vmdk" },
                 { file: "vm-pax.ova", format: "pax", disk1: $long },
                 { file: "vm-gnu.ova", format: "gnu", disk1: ($long | sub("vm-pax"; "vm-gnu")) } ],
     disks: [ { order: 1, label: "ova-disk1", sizeBytes: 2097152, rawSha256: $r1, fs: "ext2", files: $f1 },
              { order: 2, label: "ova-disk2", sizeBytes: 2097152, rawSha256: $r2, fs: "ext2", files: $f2 } ] }' >manifest.json
ls -l "$HERE"
