"""Writes the fast-commit area of make.sh's image, as the kernel's fs/ext4/fast_commit.c lays it
out (ext4_fc_perform_commit): a HEAD tag (fc_features 0, fc_tid) before the first fast commit of
a transaction; per fast commit the directory entry updates (an INODE tag before each CREAT), then
per inode its ADD_RANGE/DEL_RANGE tags and its INODE tag (the raw inode, 128 + i_extra_isize
bytes); a TAIL (fc_tid, fc_crc: crc32c from 0, the raw register, over every tag since the last
tail up to fc_crc) whose length runs to the block's last byte; a tag that does not fit its block
is preceded by a PAD to the block's last byte (ext4_fc_reserve_space). Tags are little-endian
struct ext4_fc_tl (fc_tag u16, fc_len u16) and a value of fc_len bytes.

  fastcommit.py write IMG          write the two fast commits (and their data blocks)
  fastcommit.py variant IMG NAME   damage IMG as the variant NAME (see VARIANTS)
"""
import re, struct, subprocess, sys

BS = 1024
TID = 2
T0 = 1709294400  # 2024-03-01 12:00:00 UTC
HEAD, ADD_RANGE, DEL_RANGE, CREAT, LINK, UNLINK, INODE, PAD, TAIL = 9, 1, 2, 3, 4, 5, 6, 7, 8


def debugfs(image, request):
    return subprocess.run(['debugfs', '-R', request, image], capture_output=True, check=True).stdout.decode()


def crc32c(crc, data):
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc


def journal_layout(image):
    """Volume block of the journal superblock, and of the first fast-commit block (j_last + 1)."""
    jsb = int(debugfs(image, 'bmap <8> 0'))
    with open(image, 'rb') as f:
        f.seek(jsb * BS + 0x10)
        maxlen = struct.unpack('>I', f.read(4))[0]
        f.seek(jsb * BS + 0x54)
        num_fc = struct.unpack('>I', f.read(4))[0] or 256
    return jsb, maxlen, num_fc, [int(debugfs(image, f'bmap <8> {b}')) for b in range(maxlen - num_fc + 1, maxlen)]


def inode_location(image, ino):
    m = re.search(r'located at block (\d+), offset 0x([0-9a-f]+)', debugfs(image, f'imap <{ino}>'))
    return int(m.group(1)) * BS + int(m.group(2), 16)


def raw_inode(image, ino):
    with open(image, 'rb') as f:
        f.seek(inode_location(image, ino))
        return bytearray(f.read(160))  # 128 + i_extra_isize 32, what ext4_fc_write_inode logs


def set_times(raw, seconds, nsec):
    for at, extra in ((0x08, 0x8c), (0x0c, 0x84), (0x10, 0x88)):  # atime, ctime, mtime
        struct.pack_into('<I', raw, at, seconds)
        struct.pack_into('<I', raw, extra, nsec << 2)


def inode_tag(ino, raw):
    return (INODE, struct.pack('<I', ino) + bytes(raw))


def dentry_tag(tag, parent, ino, name):
    return (tag, struct.pack('<II', parent, ino) + name.encode())


def add_range(ino, lblk, length, pblk):
    return (ADD_RANGE, struct.pack('<IIHHI', ino, lblk, length, pblk >> 32, pblk & 0xffffffff))


class Area:
    """Fast-commit blocks being laid out, with the running crc of the current fast commit."""
    def __init__(self):
        self.bytes, self.crc = bytearray(), 0

    def tag(self, tag, value, crc_len=None):
        record = struct.pack('<HH', tag, len(value)) + value
        off = len(self.bytes) % BS
        if not BS - off - 1 > len(record):
            pad = struct.pack('<HH', PAD, BS - off - 1 - 4) + bytes(BS - off - 1 - 4)
            self.crc = crc32c(self.crc, pad)
            self.bytes += pad + b'\0'
        self.crc = crc32c(self.crc, record)
        self.bytes += record

    def tail(self):
        off = (len(self.bytes) + 12) % BS
        if off == 0 or len(self.bytes) % BS + 12 > BS - 1:
            raise SystemExit('tail does not fit: lay the tags out differently')
        tl = struct.pack('<HHI', TAIL, BS - off - 1 + 8, TID)
        self.crc = crc32c(self.crc, tl)
        self.bytes += tl + struct.pack('<I', self.crc)
        self.bytes += bytes(-len(self.bytes) % BS)
        self.crc = 0


def write(image):
    free = [int(b) for b in debugfs(image, 'ffb 5 1200').split(':')[1].split()]
    new_ino = int(debugfs(image, 'ffi').split(':')[1])
    ino = {name: int(re.search(r'Inode: (\d+)', debugfs(image, f'stat /{name}')).group(1))
           for name in ('append.bin', 'gone.txt', 'keep.txt', 'meta.txt', 'old-name.txt', 'sub')}
    append_block = int(debugfs(image, 'bmap /append.bin 2'))
    area = Area()
    # Fast commit 1: create /new.txt with 2500 bytes, unlink /gone.txt, append 2000 bytes to /append.bin.
    area.tag(HEAD, struct.pack('<II', 0, TID))
    new = bytearray(160)
    struct.pack_into('<HHIIIIIHHII', new, 0, 0o100640, 1000, 2500, 0, 0, 0, 0, 1000, 1, 0, 0x80000)
    set_times(new, T0 + 60, 123456789)
    struct.pack_into('<I', new, 0x64, 0x5eed)  # i_generation
    struct.pack_into('<H', new, 0x78, 0)
    struct.pack_into('<HH', new, 0x80, 32, 0)  # i_extra_isize
    struct.pack_into('<II', new, 0x90, T0 + 60, 123456789 << 2)  # crtime
    area.tag(*inode_tag(new_ino, new))
    area.tag(*add_range(new_ino, 0, 3, free[0]))
    area.tag(*dentry_tag(CREAT, 2, new_ino, 'new.txt'))
    area.tag(*dentry_tag(UNLINK, 2, ino['gone.txt'], 'gone.txt'))
    gone = raw_inode(image, ino['gone.txt'])
    struct.pack_into('<H', gone, 0x1a, 0)  # i_links_count
    struct.pack_into('<I', gone, 0x14, T0 + 61)  # i_dtime
    struct.pack_into('<I', gone, 0x0c, T0 + 61)
    area.tag(*inode_tag(ino['gone.txt'], gone))
    area.tag(*add_range(ino['append.bin'], 2, 1, append_block))
    area.tag(*add_range(ino['append.bin'], 3, 2, free[3]))
    appended = raw_inode(image, ino['append.bin'])
    struct.pack_into('<I', appended, 0x04, 5000)
    struct.pack_into('<I', appended, 0x10, T0 + 62)
    area.tag(*inode_tag(ino['append.bin'], appended))
    area.tail()
    # Fast commit 2: rename /old-name.txt to /sub/renamed.txt, link /keep.txt as /keep-link.txt,
    # truncate /meta.txt to 1500 bytes and change its mode, owner and times.
    area.tag(*dentry_tag(LINK, ino['sub'], ino['old-name.txt'], 'renamed.txt'))
    area.tag(*dentry_tag(UNLINK, 2, ino['old-name.txt'], 'old-name.txt'))
    area.tag(*dentry_tag(LINK, 2, ino['keep.txt'], 'keep-link.txt'))
    renamed = raw_inode(image, ino['old-name.txt'])
    struct.pack_into('<I', renamed, 0x0c, T0 + 70)
    area.tag(*inode_tag(ino['old-name.txt'], renamed))
    keep = raw_inode(image, ino['keep.txt'])
    struct.pack_into('<H', keep, 0x1a, 2)
    area.tag(*inode_tag(ino['keep.txt'], keep))
    area.tag(DEL_RANGE, struct.pack('<III', ino['meta.txt'], 2, 3))
    meta = raw_inode(image, ino['meta.txt'])
    struct.pack_into('<HH', meta, 0, 0o100600, 42)
    struct.pack_into('<I', meta, 0x04, 1500)
    set_times(meta, T0 + 80, 999999999)
    area.tag(*inode_tag(ino['meta.txt'], meta))
    area.tail()
    jsb, maxlen, num_fc, fc_blocks = journal_layout(image)
    assert len(area.bytes) // BS <= len(fc_blocks)
    commit = int(debugfs(image, 'bmap <8> 3'))
    with open(image, 'r+b') as f:
        # debugfs jc stamps h_commit_sec/h_commit_nsec with the clock: fixed so remakes are
        # identical (this journal has no checksum over them).
        f.seek(commit * BS + 48)
        f.write(struct.pack('>QI', T0, 0))
        f.seek(free[0] * BS)
        f.write(b''.join(bytes([ord('A') + i % 26]) for i in range(2500)).ljust(3 * BS, b'\0'))
        f.seek(append_block * BS + 3000 - 2 * BS)
        f.write(b'b' * (3 * BS - 3000))
        f.seek(free[3] * BS)
        f.write((b'b' * (5000 - 3 * BS)).ljust(2 * BS, b'\0'))
        f.seek(jsb * BS + 0x28)
        incompat = struct.unpack('>I', f.read(4))[0]
        f.seek(jsb * BS + 0x28)
        f.write(struct.pack('>I', incompat | 0x20))  # JBD2_FEATURE_INCOMPAT_FAST_COMMIT, as a mount sets it
        for i in range(len(area.bytes) // BS):
            f.seek(fc_blocks[i] * BS)
            f.write(area.bytes[i * BS:(i + 1) * BS])


# Damaged variants: (fast-commit block, byte offset in it or 'tail tid', new little-endian u32).
VARIANTS = {
    'fc2-bad-crc': (1, 8, 0xdead),               # a byte of fast commit 2 changed: its tail's crc fails
    'fc2-tail-old-tid': (1, 'tail tid', TID - 1),  # fast commit 2's TAIL names an older transaction
    'fc1-bad-crc': (0, 20, 0xdead),              # fast commit 1's crc fails: nothing is valid
    'head-old-tid': (0, 8, TID - 1),             # a HEAD left from an older transaction
}


def variant_offset(block, offset):
    """A byte offset, or for 'tail tid' where the block's TAIL keeps its fc_tid."""
    at = 0
    while offset == 'tail tid':
        tag, length = struct.unpack_from('<HH', block, at)
        if tag == TAIL:
            return at + 4
        at += 4 + length
    return offset


def variant(image, name):
    index, offset, value = VARIANTS[name]
    _, _, _, fc_blocks = journal_layout(image)
    with open(image, 'r+b') as f:
        f.seek(fc_blocks[index] * BS)
        offset = variant_offset(f.read(BS), offset)
        f.seek(fc_blocks[index] * BS + offset)
        f.write(struct.pack('<I', value))
    return offset


if __name__ == '__main__':
    {'write': lambda: write(sys.argv[2]), 'variant': lambda: variant(sys.argv[2], sys.argv[3])}[sys.argv[1]]()
