# Sourced by make.sh after the disks are built: writes manifest.json and TSK-CHECK.md.
# Every file is described from a read-only ntfs-3g mount (streams_interface=xattr: named
# streams appear as user.<name>), then cross-checked with The Sleuth Kit (fls/icat) on the raw disk.

# getx <name> <path>: hex value of an xattr, empty if absent.
getx() { { getfattr -h --absolute-names -e hex -n "$1" -- "$2" 2>/dev/null || true; } | sed -n "s/^$1=0x//p"; }
sha_stdin() { sha256sum | cut -d' ' -f1; }
iso_mtime() { date -u -d "@$(stat -c %Y -- "$1")" +%FT%TZ; }
# decode_reparse <hex>: {tag, substituteName, printName, flags?} from a reparse buffer.
decode_reparse() {
  perl -MEncode -e '
    my $b = pack("H*", $ARGV[0]); my ($tag, $len) = unpack("V v", $b); my $d = substr($b, 8);
    my ($so, $sl, $po, $pl) = unpack("v4", $d); my $hdr = $tag == 0xA000000C ? 12 : 8;
    my $flags = $tag == 0xA000000C ? unpack("V", substr($d, 8, 4)) : undef;
    my $s = decode("UTF-16LE", substr($d, $hdr + $so, $sl)); my $p = decode("UTF-16LE", substr($d, $hdr + $po, $pl));
    binmode STDOUT, ":utf8";
    printf "{\"tag\":\"0x%08X\",\"substituteName\":%s,\"printName\":%s%s}", $tag, js($s), js($p), defined $flags ? ",\"flags\":$flags" : "";
    sub js { my $x = shift; $x =~ s/\\/\\\\/g; $x =~ s/"/\\"/g; "\"$x\"" }' "$1"
}
interix_data() { perl -MEncode -e 'print "IntxLNK\x01", encode("UTF-16LE", $ARGV[0])' "$1"; }

# describe <mount path> <volume name>: one JSON object for a file system entry.
describe() {
  local f="$1" rel="${1#"$M"}" attr rp type target="" size sha dos streams="[]" reparse="null" extra="{}"
  attr="$(getx system.ntfs_attrib_be "$f")"; attr=$((16#${attr:-0}))
  rp="$(getx system.ntfs_reparse_data "$f")"
  if [ -n "$rp" ]; then
    reparse="$(decode_reparse "$rp")"
    case "$(jq -r .tag <<<"$reparse")" in 0xA000000C) type=symlink ;; 0xA0000003) type=junction ;; *) type=reparse ;; esac
    target="$(jq -r .printName <<<"$reparse")"   # ntfs-3g's readlink maps it into the mount point
  elif [ -L "$f" ]; then type=symlink; target="$(readlink -- "$f")"; extra='{"interix":true}'
  elif [ -d "$f" ]; then type=dir
  else type=file
  fi
  size=null; sha=null
  if [ "$type" = file ]; then size="$(stat -c %s -- "$f")"; sha="\"$(sha_stdin <"$f")\""
  elif [ "$type" = symlink ] && [ -z "$rp" ]; then   # Interix: the target is the file's data
    size="$(interix_data "$target" | wc -c)"; sha="\"$(interix_data "$target" | sha_stdin)\""
  elif [ -n "$rp" ] && (( (attr & 16) == 0 )); then   # reparse point on a file: empty unnamed $DATA
    size=0; sha="\"$(sha_stdin </dev/null)\""
  elif [ "$type" = dir ]; then extra="$(jq -n --argjson n "$(find "$f" -mindepth 1 -maxdepth 1 | wc -l)" '{entryCount:$n}')"
  fi
  local s name list=""
  list="$({ getfattr -h --absolute-names -m '^user\.' -- "$f" 2>/dev/null || true; } | sed -n 's/^user\.//p')"
  if [ -n "$list" ]; then
    streams="$(while IFS= read -r name; do
      getfattr -h --absolute-names --only-values -n "user.$name" -- "$f" >"$WORK/stream.bin"
      jq -cn --arg name "$name" --argjson size "$(stat -c %s "$WORK/stream.bin")" --arg sha "$(sha_stdin <"$WORK/stream.bin")" \
        '{name:$name, size:$size, sha256:$sha}'
    done <<<"$list" | jq -s 'sort_by(.name)')"
  fi
  dos="$(getfattr -h --absolute-names --only-values -n system.ntfs_dos_name -- "$f" 2>/dev/null || true)"
  jq -cn --arg vol "$2" --arg path "$rel" --arg type "$type" --argjson mft "$(stat -c %i -- "$f")" \
    --argjson size "$size" --argjson sha "$sha" --argjson streams "$streams" --argjson links "$(stat -c %h -- "$f")" \
    --arg target "$target" --argjson reparse "$reparse" --arg dos "$dos" --argjson attr "$attr" \
    --arg mtime "$(iso_mtime "$f")" --argjson extra "$extra" \
    '{volume:$vol, path:$path, type:$type, mftRecord:$mft, size:$size, sha256:$sha, streams:$streams, links:$links}
     + (if $target != "" then {target:$target} else {} end)
     + (if $reparse != null then {reparse:$reparse} else {} end)
     + (if $dos != "" then {dosName:$dos} else {} end)
     + {attributes:$attr, compressed:(($attr / 2048 | floor) % 2 == 1), sparse:(($attr / 512 | floor) % 2 == 1), mtime:$mtime}
     + $extra'
}

# bigdir: only these entries are listed (all 1000 are counted in its entryCount).
bigdir_sample() { case "$1" in */bigdir/[eE]ntry-0000.* | */bigdir/[eE]ntry-0001.* | */bigdir/[eE]ntry-0250.* | \
  */bigdir/[eE]ntry-0500.* | */bigdir/[eE]ntry-0750.* | */bigdir/[eE]ntry-0998.* | */bigdir/[eE]ntry-0999.*) return 0 ;; */bigdir/*) return 1 ;; esac; }

ENTRIES_JSON="$WORK/entries.jsonl"; : >"$ENTRIES_JSON"
VOLINFO_JSON="$WORK/volumes.jsonl"; : >"$VOLINFO_JSON"
for v in "vol1:$VOL1" "vol2:$VOL2"; do
  name="${v%%:*}"; img="${v#*:}"
  fsstat "$img" >"$WORK/fsstat.txt"
  fsval() { sed -n "s/^$1: *//p" "$WORK/fsstat.txt" | head -1; }
  jq -cn --arg name "$name" --arg serial "$(fsval 'Volume Serial Number')" --arg lbl "$(fsval 'Volume Name')" \
    --argjson sector "$(fsval 'Sector Size')" --argjson cluster "$(fsval 'Cluster Size')" \
    --argjson mftrec "$(fsval 'Size of MFT Entries' | cut -d' ' -f1)" --argjson idx "$(fsval 'Size of Index Records' | cut -d' ' -f1)" \
    --argjson size "$(stat -c %s "$img")" --arg sha "$(sha_stdin <"$img")" \
    '{name:$name, label:$lbl, serialNumber:$serial, sizeBytes:$size, sha256:$sha, bytesPerSector:$sector,
      clusterSize:$cluster, mftRecordSize:$mftrec, indexRecordSize:$idx}' >>"$VOLINFO_JSON"
  ntfs_mount "$img" ro,streams_interface=xattr
  while IFS= read -r -d '' f; do
    bigdir_sample "$f" || continue
    describe "$f" "$name" >>"$ENTRIES_JSON"
  done < <(find "$M" -mindepth 1 -print0 | sort -z)
  ntfs_umount
done
cat "$DELETED_JSON" >>"$ENTRIES_JSON"

# ---------------------------------------------------------------------------------------------
# Cross-check with The Sleuth Kit on the raw disks.
TSK_MD="$HERE/TSK-CHECK.md"
{
  echo "# TSK cross-check"
  echo
  echo "Made by make.sh: every entry of manifest.json compared with The Sleuth Kit $(fls -V | sed 's/.*ver //')"
  echo "(\`fls -r -p\` for names and MFT records, \`icat\` for data and named streams) on the raw disks."
  echo "Lines below are the disagreements and notes; an entry not listed agreed (record number, data sha256, every stream)."
  echo "Deleted entries are looked up with \`fls -d\` and read with \`icat\` like the others."
  echo
  echo "Reading the notes: TSK does not interpret reparse points, so reparse-point symlinks and the junction"
  echo "are listed as plain files/directories (r/r, d/d); Interix symlinks are plain files whose data is"
  echo "\"IntxLNK\\x01\" + UTF-16LE target (icat agrees with the expected bytes). If \`sparse/sparse.bin\` is listed"
  echo "as failed: its logical size (12 MiB) exceeds the 3.8 MiB volume, so its sparse run is longer than the"
  echo "volume; TSK rejects any run longer than the file system even when it is sparse. ntfs-3g reads it;"
  echo "an NTFS reader must only bound *allocated* runs by the volume size."
  echo
} >"$TSK_MD"
tsk_check() { # <volume> <disk raw> <sector offset>
  local vol="$1" disk="$2" off="$3" e path mft sha type line addr got
  fls -r -p -o "$off" "$disk" >"$WORK/fls.txt"
  fls -r -p -d -o "$off" "$disk" >"$WORK/fls-deleted.txt"
  echo "## $vol ($(basename "$disk" .raw), sector offset $off)" >>"$TSK_MD"; echo >>"$TSK_MD"
  while IFS= read -r e; do
    path="$(jq -r '.path | ltrimstr("/")' <<<"$e")"; mft="$(jq -r .mftRecord <<<"$e")"
    sha="$(jq -r '.sha256 // ""' <<<"$e")"; type="$(jq -r .type <<<"$e")"
    if [ "$(jq -r '.deleted // false' <<<"$e")" = true ]; then
      line="$(awk -F'\t' -v p="$path" '$2 == p' "$WORK/fls-deleted.txt" | head -1)"
      [ -n "$line" ] || { echo "- \`/$path\` (deleted): not listed by \`fls -d\`" >>"$TSK_MD"; continue; }
    else
      line="$(awk -F'\t' -v p="$path" '$2 == p' "$WORK/fls.txt" | head -1)"
      [ -n "$line" ] || { echo "- \`/$path\` ($type): not found by \`fls -r -p\`" >>"$TSK_MD"; continue; }
    fi
    addr="$(cut -f1 <<<"$line" | awk '{print $NF}' | tr -d ':')"
    [ "${addr%%-*}" = "$mft" ] || echo "- \`/$path\`: TSK record ${addr%%-*}, ntfs-3g inode $mft" >>"$TSK_MD"
    case "$type" in symlink | junction) echo "- \`/$path\` ($type$(jq -r 'if .interix then ", Interix" else "" end' <<<"$e")): fls shows \`$(cut -f1 <<<"$line")\`" >>"$TSK_MD" ;; esac
    if [ -n "$sha" ]; then
      if ! got="$(icat -o "$off" "$disk" "${addr%%-*}" 2>"$WORK/icat.err" | sha_stdin)"; then
        echo "- \`/$path\`: icat failed: $(head -1 "$WORK/icat.err") ($(jq -c '{size,compressed,sparse}' <<<"$e"))" >>"$TSK_MD"
      elif [ "$got" != "$sha" ]; then echo "- \`/$path\`: icat data sha256 $got differs from ntfs-3g $sha ($(jq -c '{size,compressed,sparse}' <<<"$e"))" >>"$TSK_MD"
      fi
    fi
    while IFS= read -r s; do
      [ -n "$s" ] || continue
      local sname ssha sline
      sname="$(jq -r .name <<<"$s")"; ssha="$(jq -r .sha256 <<<"$s")"
      sline="$(awk -F'\t' -v p="$path:$sname" '$2 == p' "$WORK/fls.txt" | head -1)"
      [ -n "$sline" ] || { echo "- \`/$path:$sname\`: stream not listed by fls" >>"$TSK_MD"; continue; }
      if ! got="$(icat -o "$off" "$disk" "$(cut -f1 <<<"$sline" | awk '{print $NF}' | tr -d ':')" 2>"$WORK/icat.err" | sha_stdin)"; then
        echo "- \`/$path:$sname\`: icat failed: $(head -1 "$WORK/icat.err")" >>"$TSK_MD"; continue
      fi
      [ "$got" = "$ssha" ] || echo "- \`/$path:$sname\`: icat sha256 $got differs from ntfs-3g $ssha" >>"$TSK_MD"
    done < <(jq -c '(.streams // [])[]' <<<"$e")
  done < <(jq -c --arg v "$vol" 'select(.volume == $v)' "$ENTRIES_JSON")
  echo >>"$TSK_MD"
}
tsk_check vol1 "$DISK1" 2048
tsk_check vol2 "$DISK2" 2048

# ---------------------------------------------------------------------------------------------
disk_json() { # <name> <raw> <sparse vmdk or ""> <stream vmdk> <volume>
  jq -n --arg name "$1" --argjson size "$(stat -c %s "$2")" --arg sha "$(sha_stdin <"$2")" \
    --arg sparse "$3" --arg stream "$4" --arg vol "$5" --argjson table "$(sfdisk --json "$2")" \
    '{name:$name, sizeBytes:$size, rawSha256:$sha,
      files:({streamOptimized:$stream} + (if $sparse != "" then {monolithicSparse:$sparse} else {} end)),
      partitionTable:$table.partitiontable.label,
      diskId:$table.partitiontable.id,
      partitions:[$table.partitiontable.partitions | to_entries[] | {index:(.key + 1), startSector:.value.start,
        sectorCount:.value.size, type:.value.type} + (if .value.uuid then {uuid:.value.uuid} else {} end)
        + (if .value.name then {name:.value.name} else {} end) + (if .value.bootable then {bootable:true} else {} end)
        + {volume:$vol}]}'
}
chain_level() { # <file> <parent> <raw> <level>
  jq -n --arg file "$1" --arg parent "$2" --arg sha "$(sha_stdin <"$3")" --arg lvl "$4" --slurpfile ch "$CHAIN_JSON" \
    '{file:$file, parent:$parent, rawSha256:$sha, changedFiles:[$ch[] | select(.level == $lvl) | {path, mftRecord, size, sha256, mtime}]}'
}
jq -n --arg tools "$(ntfs-3g --version 2>&1 | head -1); $(mkntfs --version 2>&1 | head -1); $(qemu-img --version | head -1)" \
  --argjson d1 "$(disk_json ntfs-mbr "$DISK1" ntfs-mbr.vmdk ntfs-mbr-stream.vmdk vol1)" \
  --argjson d2 "$(disk_json ntfs-gpt "$DISK2" "" ntfs-gpt-stream.vmdk vol2)" \
  --argjson c1 "$(chain_level ntfs-mbr-child1.vmdk ntfs-mbr.vmdk "$WORK/child1.raw" child1)" \
  --argjson c2 "$(chain_level ntfs-mbr-child2.vmdk ntfs-mbr-child1.vmdk "$WORK/child2.raw" child2)" \
  --slurpfile vols "$VOLINFO_JSON" --slurpfile entries "$ENTRIES_JSON" \
  '{tools:$tools,
    notes:["paths are from the volume root, / separated; names are UTF-8 of the NTFS UTF-16 names",
           "sha256/size are of the unnamed $DATA stream; null for directories (incl. directory symlinks and junctions); reparse-point file symlinks have an empty one",
           "Interix symlinks (ln -s on ntfs-3g): data is IntxLNK\\u0001 + UTF-16LE target",
           "links = hard link count of the MFT record as ntfs-3g reports it: a separate DOS (8.3) name counts as a link",
           "target: printName of the reparse point for symlink/junction, the Interix link text for Interix symlinks",
           "bigdir holds 1000 entries (entryCount); only a sample is listed",
           "attributes = NTFS file attribute flags ($STANDARD_INFORMATION), from system.ntfs_attrib_be",
           "mtime = $STANDARD_INFORMATION modification time; creation/access/MFT-change times are 2024-03-01T12:00:00Z (fixed clock) unless set"],
    disks:[$d1, $d2],
    chain:{base:"ntfs-mbr.vmdk", volume:"vol1", partitionStartSector:2048, levels:[$c1, $c2]},
    volumes:[$vols[] as $v | $v + {entries:[$entries[] | select(.volume == $v.name) | del(.volume)]}]}' >"$HERE/manifest.json"
