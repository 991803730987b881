# Shared by the test-images make scripts (sourced, after each sets HERE to its own folder).
# Sourcing turns on strict mode and a fixed locale and time zone, so every remake sorts, formats
# and stamps alike. Needs bash.
set -euo pipefail
export LC_ALL=C.UTF-8 TZ=UTC

# fresh_work NAME: $WORK (default /tmp/grt-make-NAME) emptied and made.
fresh_work() {
  WORK="${WORK:-/tmp/grt-make-$1}"
  rm -rf "$WORK"; mkdir -p "$WORK"
}

# fresh_work_with_mount NAME: as fresh_work, with an empty mount point $MNT = $WORK/mnt that is
# unmounted first (a previous run may have died with a volume mounted there) and again on exit.
fresh_work_with_mount() {
  WORK="${WORK:-/tmp/grt-make-$1}"
  MNT="$WORK/mnt"
  if mountpoint -q "$MNT" 2>/dev/null; then umount "$MNT"; fi
  rm -rf "$WORK"; mkdir -p "$MNT"
  trap 'if mountpoint -q "$MNT"; then umount "$MNT"; fi' EXIT
}

# write_vmx FILE DISPLAY_NAME GUEST_OS ISO DISK1 DISK2: a two-disk VM's .vmx as ESXi writes one
# (pvscsi with both disks, a CD-ROM image on ide1:0).
write_vmx() {
  cat >"$1" <<VMX
.encoding = "UTF-8"
config.version = "8"
virtualHW.version = "19"
displayName = "$2"
guestOS = "$3"
scsi0.present = "TRUE"
scsi0.virtualDev = "pvscsi"
scsi0:0.present = "TRUE"
scsi0:0.fileName = "$5"
scsi0:1.present = "TRUE"
scsi0:1.fileName = "$6"
ide1:0.present = "TRUE"
ide1:0.deviceType = "cdrom-image"
ide1:0.fileName = "$4"
VMX
}
