/**
 * The XFS reader on damaged copies of the committed volumes: CRC mismatches and a log that was
 * not cleanly unmounted are warnings; any other damage ends in a GrtError or a warning, never a
 * crash or a hang.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isGrtError } from '../../src/errors.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { decodeExtent, forkExtents, MAX_BTREE_DEPTH } from '../../src/fs/xfs/bmap.js';
import type { Fork } from '../../src/fs/xfs/inode.js';
import { fsBlockToByte, inodeToByte, parseSuperblock } from '../../src/fs/xfs/superblock.js';
import { openXfs, type XfsFileSystem } from '../../src/fs/xfs/volume.js';
import { manifest, volumeBytes } from './xfs-images.js';

const V5 = 'v5-4k.img.gz';
const V4 = 'v4-1k.img.gz';

async function open(bytes: Uint8Array): Promise<XfsFileSystem> {
  return openXfs(new MemorySource(bytes, 'damaged'));
}

/** Byte offset of the first log sector and of its first operation header (after one header sector). */
function logStart(bytes: Uint8Array): number {
  const sb = parseSuperblock(bytes, bytes.length);
  return fsBlockToByte(sb, sb.logStart);
}

describe('log state', () => {
  it.each([V5, V4])('%s: the committed volume was cleanly unmounted', async (file) => {
    const fs = await open(volumeBytes(file));
    expect(fs.info.logClean).toBe(true);
    expect(fs.warnings).toEqual([]);
  });

  it.each([V5, V4])('%s: a last log record that is not an unmount record is replayed, with a LOG_REPLAYED warning', async (file) => {
    const bytes = volumeBytes(file);
    bytes[logStart(bytes) + 512 + 9]! &= ~0x20; // oh_flags of the first operation: no XLOG_UNMOUNT_TRANS
    const fs = await open(bytes);
    expect(fs.info.logClean).toBe(false);
    expect(fs.warnings.map((w) => w.code)).toEqual(['LOG_REPLAYED']);
    // Everything still lists: the warning says what may be missing, it does not stop the mount.
    expect((await fs.readDir('/')).length).toBeGreaterThan(5);
  });

  it('a record written after the unmount record moves the head past it', async () => {
    const bytes = volumeBytes(V5);
    const start = logStart(bytes);
    // Copy the header (cycle 1) to block 2 and mark its one operation as a plain transaction.
    bytes.copyWithin(start + 2 * 512, start, start + 2 * 512);
    bytes[start + 3 * 512 + 9] = 0x01;
    expect((await open(bytes)).info.logClean).toBe(false);
  });
});

describe('CRC mismatches', () => {
  it('an inode whose bytes changed carries a BAD_CHECKSUM warning', async () => {
    const bytes = volumeBytes(V5);
    const sb = parseSuperblock(bytes, bytes.length);
    const volume = manifest.volumes.find((v) => v.file === V5)!;
    bytes[inodeToByte(sb, volume.inodes['/hello.txt']!) + 132]! ^= 0xff; // di_pad2: read by nothing else
    const entry = await (await open(bytes)).stat('/hello.txt');
    expect(entry.warnings.map((w) => w.code)).toEqual(['BAD_CHECKSUM']);
  });

  it('a superblock whose sector changed is a volume warning', async () => {
    const bytes = volumeBytes(V5);
    bytes[400]! ^= 0x01;
    expect((await open(bytes)).warnings.map((w) => w.code)).toEqual(['BAD_CHECKSUM']);
  });
});

describe('bmap B+trees from hostile inodes', () => {
  const bytes = volumeBytes(V5);
  const sb = parseSuperblock(bytes, bytes.length);

  function root(level: number, pointers: number[]): Fork {
    const fork = new Uint8Array(336);
    const view = new DataView(fork.buffer);
    view.setUint16(0, level);
    view.setUint16(2, pointers.length);
    const maxRecords = Math.floor((fork.length - 4) / 16);
    pointers.forEach((p, i) => view.setBigUint64(4 + maxRecords * 8 + i * 8, BigInt(p)));
    return { format: 'btree', bytes: fork, extentCount: 0 };
  }

  it('refuses a depth past the limit and a block reached twice', async () => {
    await expect(forkExtents(sb, root(MAX_BTREE_DEPTH + 1, [1]), async () => new Uint8Array(4096), [])).rejects.toMatchObject({ code: 'BAD_RECORD' });
    // A node block whose child pointer is itself.
    const node = new Uint8Array(4096);
    const view = new DataView(node.buffer);
    view.setUint32(0, 0x424d4133);
    view.setUint16(4, 1);
    view.setUint16(6, 1);
    view.setBigUint64(72 + Math.floor((4096 - 72) / 16) * 8, 7n);
    await expect(forkExtents(sb, root(2, [7]), async () => node, [])).rejects.toMatchObject({ code: 'BAD_RECORD' });
  });

  it('decodes the 128-bit extent record fields at their bit positions (property)', () => {
    fc.assert(fc.property(fc.boolean(), fc.bigInt(0n, (1n << 54n) - 1n), fc.bigInt(0n, (1n << 52n) - 1n), fc.bigInt(0n, (1n << 21n) - 1n), (unwritten, offset, block, count) => {
      const record = new DataView(new ArrayBuffer(16));
      record.setBigUint64(0, ((unwritten ? 1n : 0n) << 63n) | (offset << 9n) | (block >> 43n));
      record.setBigUint64(8, ((block & ((1n << 43n) - 1n)) << 21n) | count);
      expect(decodeExtent(record, 0)).toEqual({ unwritten, fileBlock: Number(offset), fsBlock: Number(block), blockCount: Number(count) });
    }));
  });
});

describe('random metadata damage', () => {
  it('ends in entries, warnings or GrtErrors only (property over both volume versions)', async () => {
    const images = [V5, V4].map((file) => volumeBytes(file));
    await fc.assert(
      fc.asyncProperty(fc.nat(1), fc.nat(), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 16 }), async (which, seed, damage) => {
        const bytes = images[which]!.slice();
        const sb = parseSuperblock(bytes, bytes.length);
        // Damage the superblock sector, the root inode chunk and the directory/symlink blocks after it.
        const chunk = inodeToByte(sb, sb.rootInode);
        const span = 64 * sb.inodeSize + 64 * sb.blockSize;
        for (const [at, value] of damage) bytes[(seed + at) % 4 === 0 ? at % 512 : chunk + (at % span)] = value;
        try {
          const fs = await open(bytes);
          for await (const entry of fs.walk('/')) {
            if (entry.type !== 'file') continue;
            try {
              const stream = await fs.openStream(entry);
              await stream.read(0, Math.min(stream.size, 8192));
            } catch (error) {
              if (!isGrtError(error)) throw error;
            }
          }
        } catch (error) {
          if (!isGrtError(error)) throw error;
        }
      }),
      { numRuns: 12 },
    );
  }, 120_000);
});

describe('data fork mappings', () => {
  const volume = manifest.volumes.find((v) => v.file === V5)!;
  const expected = manifest.entries.find((e) => e.path === '/big.bin')!;

  /** big.bin's inode, its first extent record's byte offset, and the block size. */
  function bigBin(): { bytes: Uint8Array; record: number; blockSize: number; inodeAt: number } {
    const bytes = volumeBytes(V5);
    const sb = parseSuperblock(bytes, bytes.length);
    const inodeAt = inodeToByte(sb, volume.inodes['/big.bin']!);
    return { bytes, record: inodeAt + 176, blockSize: sb.blockSize, inodeAt };
  }

  it('an unwritten extent reads as zeros and has no source bytes in the layout', async () => {
    const { bytes, record } = bigBin();
    bytes[record]! |= 0x80; // XFS_EXT_UNWRITTEN
    const fs = await open(bytes);
    const layout = await fs.streamLayout('/big.bin');
    expect(layout.runs.map((r) => r.sourceOffset)).toEqual([null]);
    const data = await (await fs.openStream('/big.bin')).read(0, expected.size!);
    expect(data.every((b) => b === 0)).toBe(true);
  });

  it('a file offset before the first extent is a hole of zeros; the data follows at its offset', async () => {
    const { bytes, record, blockSize } = bigBin();
    const view = new DataView(bytes.buffer);
    view.setBigUint64(record, view.getBigUint64(record) | (2n << 9n)); // startoff 0 -> 2
    const fs = await open(bytes);
    const layout = await fs.streamLayout('/big.bin');
    expect(layout.runs[0]).toEqual({ streamOffset: 0, sourceOffset: null, length: 2 * blockSize });
    const data = await (await fs.openStream('/big.bin')).read(0, expected.size!);
    expect(data.subarray(0, 2 * blockSize).every((b) => b === 0)).toBe(true);
    expect(data.subarray(2 * blockSize).some((b) => b !== 0)).toBe(true);
  });

  it('a realtime file is refused, not read from the data device', async () => {
    const { bytes, inodeAt } = bigBin();
    bytes[inodeAt + 91]! |= 0x01; // di_flags: XFS_DIFLAG_REALTIME
    await expect((await open(bytes)).openStream('/big.bin')).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });
});
