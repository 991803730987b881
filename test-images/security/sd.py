#!/usr/bin/env python3
"""Build a self-relative SECURITY_DESCRIPTOR ([MS-DTYP] 2.4.6) as hex for setfattr.
usage: sd.py OWNER GROUP [TYPE:FLAGS:MASK:SID ...]   (TYPE 0 allow, 1 deny; FLAGS/MASK in hex)
A test-side writer, independent of grt's parser."""
import re, struct, sys

def sid(text):
    m = re.fullmatch(r'S-1-(\d+)((?:-\d+)*)', text)
    subs = [int(s) for s in m.group(2).split('-')[1:]] if m.group(2) else []
    auth = int(m.group(1)).to_bytes(6, 'big')
    return bytes([1, len(subs)]) + auth + b''.join(struct.pack('<I', s) for s in subs)

def acl(aces):
    body = b''
    for a in aces:
        t, f, mask, who = a.split(':', 3)
        s = sid(who)
        body += struct.pack('<BBHI', int(t), int(f, 16), 8 + len(s), int(mask, 16)) + s
    return struct.pack('<BBHHH', 2, 0, 8 + len(body), len(aces), 0) + body

owner, group, aces = sid(sys.argv[1]), sid(sys.argv[2]), sys.argv[3:]
dacl = acl(aces)
# Owner, group, DACL after the 20-byte header; control: SE_SELF_RELATIVE | SE_DACL_PRESENT.
o = 20; g = o + len(owner); d = g + len(group)
sd = struct.pack('<BBHIIII', 1, 0, 0x8004, o, g, 0, d) + owner + group + dacl
print('0x' + sd.hex())
