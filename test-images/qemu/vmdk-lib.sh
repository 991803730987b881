# Shared by qemu/make.sh and ntfs/make.sh (sourced). Needs perl, printf.

# qemu writes a random CID (and a new random one on the first write of a session).
# Replace it with a fixed value so remakes are byte-identical. Works on a text descriptor
# file and on a descriptor embedded in a sparse extent (rewrites the whole descriptor area:
# text, then zeros).
# setcid <file> <cid-hex> [parent-cid-hex]
setcid() {
  perl -0777 -i -pe '
    BEGIN { binmode STDIN; binmode STDOUT; ($cid, $pcid) = splice(@ARGV, 1, 2); }
    my ($start, $size);
    if (substr($_, 0, 4) eq "KDMV") {  # sparse extent: descriptorOffset/Size (sectors) at 28/36
      $start = 512 * unpack("Q<", substr($_, 28, 8)); $size = 512 * unpack("Q<", substr($_, 36, 8));
    } else { $start = 0; $size = length($_); }
    my $d = substr($_, $start, $size);
    $d =~ s/\0.*//s;                   # text ends at the first NUL (qemu may leave stale bytes after it)
    $d =~ s/^CID=[0-9a-fA-F]+$/CID=$cid/m or die "no CID in $ARGV";
    $d =~ s/^parentCID=[0-9a-fA-F]+$/parentCID=$pcid/m if defined $pcid && $pcid ne "";
    if ($start == 0 && $size == length($_)) { $_ = $d; }
    else { die "descriptor too big in $ARGV" if length($d) >= $size; substr($_, $start, $size) = $d . ("\0" x ($size - length($d))); }
' "$1" "$2" "${3:-}"
}

# stamp <file> [parent file]: gives file the next fixed CID (and parentCID = the parent's CID;
# qemu refuses to read a child whose parentCID does not match its parent's CID).
CIDN=$((0x67727400))
declare -A CID_OF
stamp() {
  CIDN=$((CIDN + 1)); CID_OF[$1]="$(printf '%08x' "$CIDN")"
  setcid "$1" "${CID_OF[$1]}" "${2:+${CID_OF[$2]}}"
}

