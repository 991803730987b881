"""What a protofile cannot say, written with xfs_db -x into one made volume: the sticky bit on
/open, and a hard link (/links/hardlink-twin's entry pointed at /links/hardlink's inode, links 2, and
the twin's own empty inode freed in the inode B+trees, the AGI and the superblock counters, so
xfs_repair -n still finds the volume clean)."""
import re, subprocess, sys

image = sys.argv[1]


def db(*commands, write=False):
    args = ["xfs_db", "-x" if write else "-r"]
    for command in commands: args += ["-c", command]
    return subprocess.run(args + [image], check=True, capture_output=True, text=True).stdout


def field(text, name):
    return re.search(rf"^{re.escape(name)} = (.*)$", text, re.M).group(1)


def inode_of(directory, name):
    for line in db(f"ls {directory}").splitlines():
        fields = line.split()
        if len(fields) >= 5 and name in fields[4:6]: return int(fields[1])
    raise SystemExit(f"{directory}/{name} not found")


db(f"inode {inode_of('/', 'open')}", "write core.mode 041777", write=True)
target, twin, sub = inode_of("/links", "hardlink"), inode_of("/links", "hardlink-twin"), inode_of("/", "links")
# The short-form entry naming the twin: u3.sfdir3 (v5), u.sfdir3 (v4 ftype) or u.sfdir2.
listing = db(f"inode {sub}", "p")
entry = re.search(r'^(u3?\.sfdir[23]\.list\[\d+\])\.name = "hardlink-twin"$', listing, re.M).group(1)
db(f"inode {sub}", f"write {entry}.inumber.i4 {target}", f"inode {target}", "write core.nlinkv2 2",
   f"inode {twin}", "write core.mode 0", "write core.nlinkv2 0", write=True)
agno = int(db(f"convert inode {twin} agno").split()[0], 0)
agino = int(db(f"convert inode {twin} agino").split()[0], 0)
agi = db(f"agi {agno}", "p")
commands = [f"agi {agno}", f"write freecount {int(field(agi, 'freecount')) + 1}"]
for root in ("root", "free_root") if re.search(r"^free_root = [1-9]", agi, re.M) else ("root",):
    records = db(f"agi {agno}", f"addr {root}", "p recs")
    found = False
    for index, start, free_count, free in re.findall(r"(\d+):\[(\d+),(?:\d+,\d+,)?(\d+),(0x[0-9a-f]+|0)\]", records):
        if int(start) <= agino < int(start) + 64:
            found = True
            mask = int(free, 16) | (1 << (agino - int(start)))
            signed = mask - (1 << 64) if mask >= 1 << 63 else mask  # xfs_db parses signed 64-bit
            commands += [f"agi {agno}", f"addr {root}", f"write recs[{index}].freecount {int(free_count) + 1}", f"write recs[{index}].free -- {signed}"]
    # A chunk with no free inode has no free-inode B+tree record, and xfs_db cannot add one.
    if not found: raise SystemExit(f"{image}: inode {twin} is in no {root} record (chunk full?)")
sb = db("sb 0", "p ifree")
commands += ["sb 0", f"write ifree {int(field(sb, 'ifree')) + 1}"]
db(*commands, write=True)
