import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { BlockReader } from '../../src/fs/ext/block-reader.js';
import { extentRuns, MAX_EXTENT_NODES } from '../../src/fs/ext/extent-tree.js';
import { indirectRuns } from '../../src/fs/ext/block-map.js';
import { parseDirBlock } from '../../src/fs/ext/directory.js';
import { parseDescriptor, parseRevoke } from '../../src/fs/ext/jbd2/log-blocks.js';
import { sequenceAfter } from '../../src/fs/ext/jbd2/replay.js';
import { JOURNAL_INCOMPAT } from '../../src/fs/ext/jbd2/journal-superblock.js';
import { ExtVolume } from '../../src/fs/ext/ext-volume.js';
import { openExt } from '../../src/fs/ext/volume.js';
import { volumeBytes } from './ext-images.js';

const BLOCK = 1024;

function extentNode(bytes: Uint8Array, at: number, depth: number, entries: number[][]): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset + at);
  view.setUint16(0, 0xf30a, true);
  view.setUint16(2, entries.length, true);
  view.setUint16(4, entries.length, true);
  view.setUint16(6, depth, true);
  entries.forEach((fields, i) => {
    const e = 12 + i * 12;
    if (depth === 0) {
      view.setUint32(e, fields[0]!, true);
      view.setUint16(e + 4, fields[1]!, true);
      view.setUint32(e + 8, fields[2]!, true);
    } else {
      view.setUint32(e, fields[0]!, true);
      view.setUint32(e + 4, fields[1]!, true);
    }
  });
}

function reader(blocks: number): { disk: Uint8Array; reader: BlockReader } {
  const disk = new Uint8Array(blocks * BLOCK);
  return { disk, reader: new BlockReader(new MemorySource(disk), BLOCK, blocks) };
}

describe('extent trees from hostile inodes', () => {
  it('refuses a depth past the kernel maximum and a child whose depth is not one less', async () => {
    const { disk, reader: r } = reader(16);
    const root = new Uint8Array(60);
    extentNode(root, 0, 6, [[0, 5]]);
    await expect(extentRuns(r, root, 10, 't', [])).rejects.toMatchObject({ code: 'BAD_TABLE' });
    extentNode(root, 0, 1, [[0, 5]]);
    extentNode(disk, 5 * BLOCK, 1, [[0, 5]]); // points at itself: depth must fall
    await expect(extentRuns(r, root, 10, 't', [])).rejects.toMatchObject({ code: 'BAD_TABLE' });
  });

  it('bounds a tree whose index entries all share one subtree (a DAG of 4 × 84^4 paths)', async () => {
    const { disk, reader: r } = reader(16);
    const perNode = (BLOCK - 12) / 12;
    const root = new Uint8Array(60);
    extentNode(root, 0, 5, [[0, 1], [0, 1], [0, 1], [0, 1]]);
    for (let depth = 4; depth >= 1; depth--) extentNode(disk, (5 - depth) * BLOCK, depth, Array.from({ length: perNode }, () => [0, 6 - depth]));
    extentNode(disk, 5 * BLOCK, 0, [[0, 1, 9]]);
    const started = Date.now();
    await expect(extentRuns(r, root, 1 << 30, 't', [])).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(MAX_EXTENT_NODES).toBeGreaterThan(1000);
  });

  it('drops overlapping extents and extents past the volume with a warning (zeros, never other bytes)', async () => {
    const { reader: r } = reader(16);
    const root = new Uint8Array(60);
    extentNode(root, 0, 0, [[0, 2, 3], [1, 2, 7], [4, 2, 1000]]);
    const warnings: { code: string }[] = [];
    const runs = await extentRuns(r, root, 6, 't', warnings as never);
    expect(runs).toEqual([{ logicalBlock: 0, physicalBlock: 3, count: 2 }, { logicalBlock: 2, physicalBlock: null, count: 4 }]);
    expect(warnings).toHaveLength(2);
  });
});

describe('indirect maps from hostile inodes', () => {
  it('terminates on pointer blocks that point at themselves', async () => {
    const { disk, reader: r } = reader(64);
    const view = new DataView(disk.buffer);
    for (let i = 0; i < BLOCK / 4; i++) view.setUint32(10 * BLOCK + i * 4, 10, true);
    const field = new Uint8Array(60);
    const fieldView = new DataView(field.buffer);
    for (const slot of [12, 13, 14]) fieldView.setUint32(slot * 4, 10, true);
    const fileBlocks = 12 + 256 + 256 * 256 + 1000;
    const runs = await indirectRuns(r, field, fileBlocks, 't', []).catch((error: unknown) => error);
    if (runs instanceof GrtError) expect(runs.code).toBe('LIMIT_EXCEEDED');
    else expect(Array.isArray(runs)).toBe(true);
  });

  it('a size past what three levels address is an error at the inode size field', async () => {
    const { reader: r } = reader(64);
    const perBlock = BLOCK / 4;
    const fileBlocks = 12 + perBlock + perBlock ** 2 + perBlock ** 3 + 1;
    const error = await indirectRuns(r, new Uint8Array(60), fileBlocks, 't', [], 4242).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BAD_RECORD', offset: 4242, space: 'volume' });
  });
});

describe('directory blocks and jbd2 blocks from hostile bytes', () => {
  it('stops at a zero or oversized rec_len with a warning', () => {
    const block = new Uint8Array(BLOCK);
    new DataView(block.buffer).setUint32(0, 12, true);
    const warnings: unknown[] = [];
    expect(parseDirBlock(block, true, 't', warnings as never)).toEqual([]);
    expect(warnings).toHaveLength(1);
  });

  it('bounds descriptor tags and revoke records by the block', () => {
    const block = new Uint8Array(BLOCK).fill(0);
    new DataView(block.buffer).setUint32(12, 0xffffffff);
    expect(parseRevoke(block, JOURNAL_INCOMPAT.is64bit).length).toBe((BLOCK - 16) / 8);
    // No LAST_TAG, every tag SAME_UUID: tags fill the block and stop.
    const tags = new Uint8Array(BLOCK);
    for (let at = 12; at + 8 <= BLOCK; at += 8) new DataView(tags.buffer).setUint16(at + 6, 0x2);
    expect(parseDescriptor(tags, 0).length).toBe(Math.floor((BLOCK - 12) / 8));
  });

  it('orders wrapped sequence numbers as the kernel does', () => {
    expect(sequenceAfter(0, 0xffffffff)).toBe(true);
    expect(sequenceAfter(0xffffffff, 0)).toBe(false);
    expect(sequenceAfter(5, 5)).toBe(false);
  });
});

/** Open, walk and read everything; return what happened (a GrtError code or 'ok'). */
async function exercise(bytes: Uint8Array): Promise<string> {
  try {
    const fs = await openExt(new MemorySource(bytes));
    for await (const entry of fs.walk('/')) {
      if (entry.type !== 'file') continue;
      try {
        const stream = await fs.openStream(entry);
        await stream.read(0, Math.min(stream.size, 1 << 20));
        await fs.streamLayout(entry);
      } catch (error) {
        if (!(error instanceof GrtError)) throw error;
      }
    }
    return 'ok';
  } catch (error) {
    if (error instanceof GrtError) return error.code;
    throw error;
  }
}

describe('damaged real volumes give only GrtErrors and warnings', () => {
  for (const name of ['ext2-1k', 'ext4-4k', 'ext4-inline', 'ext4-journal']) {
    it(`${name}: random bytes over superblock, descriptors, inode table and journal`, async () => {
      const clean = volumeBytes(`${name}.img.gz`);
      const volume = await ExtVolume.open(new MemorySource(clean), { replayJournal: false });
      const { sb } = volume;
      const table = volume.groups.get(0).inodeTableBlock * sb.blockSize;
      const regions = [[1024, 1024], [(sb.firstDataBlock + 1) * sb.blockSize, 256], [table, 240 * sb.inodeSize]] as const;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.nat(regions.length - 1), fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 12 }),
          async (edits) => {
            const bytes = clean.slice();
            for (const [region, at, value] of edits) bytes[regions[region]![0] + (at % regions[region]![1])] = value;
            expect(typeof (await exercise(bytes))).toBe('string');
          },
        ),
        { numRuns: 25, seed: 16 },
      );
    });
  }

  it('a journal whose superblock claims more blocks than its inode opens without replay, with a warning', async () => {
    const bytes = volumeBytes('ext4-journal.img.gz');
    const volume = await ExtVolume.open(new MemorySource(bytes), { replayJournal: false });
    const journal = await volume.readInode(volume.sb.journalInode);
    const [first] = await volume.dataRuns(journal, []);
    new DataView(bytes.buffer).setUint32(first!.physicalBlock! * volume.sb.blockSize + 0x10, 0x7fffffff);
    const fs = await openExt(new MemorySource(bytes));
    expect(fs.info.journalReplayed).toBe(0);
    expect(fs.volume.warnings.some((w) => w.message.startsWith('journal not replayed'))).toBe(true);
  });
});

describe('deleted entries (--deleted)', () => {
  it('lists a removed file whose inode still maps its data, marked deleted, with its bytes', async () => {
    const fs = await openExt(new MemorySource(volumeBytes('ext4-journal.img.gz')));
    expect((await fs.readDir('/')).some((e) => e.name === 'tiny.txt')).toBe(false);
    const deleted = (await fs.readDir('/', { deleted: true })).filter((e) => e.deleted);
    expect(deleted.map((e) => [e.path, e.id.record])).toEqual([['/tiny.txt', 226]]);
    expect(new TextDecoder().decode(await (await fs.openStream(deleted[0]!)).read(0, 1))).toBe('x');
  });

  it('does not list names whose inode is in use again (a hard link removed, or a reused inode)', async () => {
    const fs = await openExt(new MemorySource(volumeBytes('ext4-4k.img.gz')));
    expect((await fs.readDir('/', { deleted: true })).filter((e) => e.deleted)).toEqual([]);
  });
});

describe('checksums and backups', () => {
  it('uses a backup superblock and its descriptor table when the primary ones are damaged, and says so', async () => {
    // The committed volumes are one block group each (no backups): place the group-1 copies where
    // a 1 KiB-block volume keeps them (block 1 + 8192), then destroy the primary superblock and table.
    const clean = volumeBytes('ext2-1k.img.gz');
    const backupBlock = 1 + 8192;
    const bytes = new Uint8Array((backupBlock + 2) * 1024);
    bytes.set(clean);
    bytes.set(clean.subarray(1024, 3072), backupBlock * 1024);
    // The copy's volume must reach its own location: a second (empty) group.
    new DataView(bytes.buffer).setUint32(backupBlock * 1024 + 4, backupBlock + 2, true);
    bytes.fill(0, 1024, 3072);
    await expect(ExtVolume.open(new MemorySource(bytes.slice(0, clean.length)))).rejects.toBeInstanceOf(GrtError);
    const fs = await openExt(new MemorySource(bytes));
    expect(fs.info.label).toBe('ext2-1k');
    expect(fs.volume.warnings.some((w) => w.message.includes(`using the backup at byte ${backupBlock * 1024}`))).toBe(true);
    expect(new TextDecoder().decode(await (await fs.openStream('/dir/nested/deep.txt')).read(0, 10))).toBe('deep file\n');
  });

  it('a metadata_csum mismatch in an inode is a warning on that entry, and the file still reads', async () => {
    const bytes = volumeBytes('ext4-4k.img.gz');
    const volume = await ExtVolume.open(new MemorySource(bytes));
    const { sb } = volume;
    const hello = (await (await openExt(new MemorySource(bytes))).stat('/hello.txt')).id.record;
    const offset = volume.groups.get(0).inodeTableBlock * sb.blockSize + (hello - 1) * sb.inodeSize;
    bytes[offset + 0x64] ^= 1; // i_generation: covered by the checksum, read by nothing else
    const fs = await openExt(new MemorySource(bytes));
    const entry = (await fs.readDir('/')).find((e) => e.name === 'hello.txt')!;
    expect(entry.warnings.map((w) => w.code)).toEqual(['BAD_CHECKSUM']);
    expect(new TextDecoder().decode(await (await fs.openStream(entry)).read(0, entry.size))).toBe('hello from ext\n');
  });

  it('a superblock checksum mismatch is a warning, not a refusal', async () => {
    const bytes = volumeBytes('ext4-4k.img.gz');
    bytes[1024 + 0x3fc] ^= 0xff;
    const fs = await openExt(new MemorySource(bytes));
    expect(fs.volume.warnings.map((w) => w.code)).toContain('BAD_CHECKSUM');
  });
});

describe('encrypted files (fscrypt)', () => {
  it('are listed as undecodable and refuse to read (ENCRYPTED), never giving ciphertext as data', async () => {
    const bytes = volumeBytes('ext4-4k.img.gz');
    const volume = await ExtVolume.open(new MemorySource(bytes));
    const { sb } = volume;
    const hello = (await (await openExt(new MemorySource(bytes))).stat('/hello.txt')).id.record;
    const offset = volume.groups.get(0).inodeTableBlock * sb.blockSize + (hello - 1) * sb.inodeSize;
    bytes[offset + 0x21] |= 0x08; // i_flags |= EXT4_ENCRYPT_FL (0x800)
    const fs = await openExt(new MemorySource(bytes));
    expect((await fs.stat('/hello.txt')).undecodable).toBe('ext4-encrypted');
    await expect(fs.openStream('/hello.txt')).rejects.toMatchObject({ code: 'ENCRYPTED' });
  });
});
