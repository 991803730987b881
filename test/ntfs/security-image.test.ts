/**
 * Owners, groups and DACLs on a volume made by mkntfs, set through ntfs-3g's system.ntfs_acl
 * xattr (test-images/security/make.sh); the oracle is the xattr read back through ntfs-3g and
 * the security id TSK's istat shows.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { openNtfs, type NtfsVolume } from '../../src/fs/ntfs/volume.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { SDS_BLOCK_BYTES } from '../../src/fs/ntfs/security-secure.js';

const DIR = new URL('../../test-images/security/', import.meta.url).pathname;
interface Row { path: string; ntfs_acl: string; record: number; securityId: number }
const manifest = JSON.parse(readFileSync(`${DIR}manifest.json`, 'utf8')) as { files: Row[] };
const imageBytes = (): Uint8Array => new Uint8Array(gunzipSync(readFileSync(`${DIR}security.img.gz`)));
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const ALICE = 'S-1-5-21-1004336348-1177238915-682003330-1001';

describe('security descriptors on an ntfs-3g volume', () => {
  let fs: NtfsVolume;
  beforeAll(async () => {
    fs = await openNtfs(new MemorySource(imageBytes()));
  });

  it('reads each file\'s descriptor as ntfs-3g returns it', async () => {
    for (const row of manifest.files) {
      const found = await fs.security(row.path);
      expect(hex(found!.raw), row.path).toBe(row.ntfs_acl);
    }
  });

  it('lists owner, group and DACL', async () => {
    expect((await fs.security('/admin.txt'))!.info).toEqual({
      control: 0x8004,
      owner: 'S-1-5-32-544',
      group: 'S-1-5-18',
      dacl: [
        { type: 'allow', sid: 'S-1-5-32-544', mask: 0x1f01ff, flags: 0 },
        { type: 'allow', sid: 'S-1-5-18', mask: 0x1f01ff, flags: 0 },
        { type: 'allow', sid: 'S-1-5-32-545', mask: 0x1200a9, flags: 0 },
      ],
    });
    const alice = (await fs.security('/alice.txt'))!.info;
    expect(alice.owner).toBe(ALICE);
    expect(alice.dacl![1]).toEqual({ type: 'deny', sid: 'S-1-1-0', mask: 0x10000, flags: 0 });
    expect((await fs.security('/bob.txt'))!.info.dacl![0]!.flags).toBe(3);
  });

  it('shares one $SDS entry between files with the same descriptor (istat\'s security ids)', async () => {
    const a = manifest.files.find((r) => r.path === '/shared-a.txt')!;
    const b = manifest.files.find((r) => r.path === '/shared-b.txt')!;
    expect(a.securityId).toBe(b.securityId);
    expect(await fs.security('/shared-a.txt')).toBe(await fs.security('/shared-b.txt'));
  });

  it('reads the root directory\'s own $SECURITY_DESCRIPTOR attribute mkntfs wrote', async () => {
    // istat: "Security ID: 0", a non-resident $SECURITY_DESCRIPTOR of 4140 bytes; ntfs-3g's
    // system.ntfs_acl of / shows owner and group S-1-5-18 at 0x1014 and 0x1020.
    const root = (await fs.security('/'))!;
    expect(root.raw.length).toBe(4140);
    expect(root.info.owner).toBe('S-1-5-18');
    expect(root.info.group).toBe('S-1-5-18');
    expect(root.info.dacl!.map((a) => a.sid)).toContain('S-1-5-32-544');
  });
});

describe('a damaged $SDS', () => {
  const needle = Buffer.from(manifest.files[0]!.ntfs_acl, 'hex');
  const damage = (bytes: Uint8Array, at: number, offset: number, value: number): Uint8Array => {
    const damaged = bytes.slice();
    damaged[at + offset] = value;
    return damaged;
  };

  it('reads an entry whose primary header or descriptor is damaged from its mirror copy, with a warning', async () => {
    const bytes = imageBytes();
    // /admin.txt's $SDS entry, found by its descriptor bytes; its mirror is one 256 KiB block on.
    const at = Buffer.from(bytes).indexOf(needle);
    expect(Buffer.from(bytes).indexOf(needle, at + 1)).toBe(at + SDS_BLOCK_BYTES);
    for (const [offset, value] of [[-4, 0x77], [-12, 0x55], [0, 2], [4, 0xff], [0x32, 0x40]] as const) {
      const fs = await openNtfs(new MemorySource(damage(bytes, at, offset, value)));
      const found = await fs.security('/admin.txt');
      expect(hex(found!.raw), `byte ${offset}`).toBe(manifest.files[0]!.ntfs_acl);
      expect(fs.warnings.some((w) => w.message.includes('$SDS')), `byte ${offset}`).toBe(true);
      // Entries of the same block after the damaged one are still found.
      expect(hex((await fs.security('/trusted.dll'))!.raw)).toBe(manifest.files[3]!.ntfs_acl);
    }
  });

  it('gives GrtError or no descriptor when both copies are damaged, never a crash', async () => {
    const bytes = imageBytes();
    const at = Buffer.from(bytes).indexOf(needle);
    for (const [offset, value] of [[-4, 0x77], [-12, 0x55], [0, 2], [4, 0xff], [0x32, 0x40], [-16, 0]] as const) {
      const damaged = damage(damage(bytes, at, offset, value), at + SDS_BLOCK_BYTES, offset, value);
      const fs = await openNtfs(new MemorySource(damaged));
      await fs.security('/admin.txt').then(
        (found) => expect(found, `byte ${offset}`).toBeUndefined(),
        (error) => expect(error).toBeInstanceOf(GrtError),
      );
    }
  });

  it('a descriptor damaged in both copies is an error at its place in $SDS', async () => {
    const bytes = imageBytes();
    const at = Buffer.from(bytes).indexOf(needle);
    const fs = await openNtfs(new MemorySource(damage(damage(bytes, at, 0, 2), at + SDS_BLOCK_BYTES, 0, 2)));
    const error = await fs.security('/admin.txt').then(() => undefined, (e: unknown) => e);
    // The mirror's copy was read last: the offset is where its descriptor starts in $SDS.
    expect(error).toMatchObject({ code: 'BAD_ATTRIBUTE', message: expect.stringContaining('revision is not 1'), offset: expect.any(Number), space: 'stream' });
    expect((error as GrtError).offset).toBeGreaterThanOrEqual(SDS_BLOCK_BYTES);
  });
});
