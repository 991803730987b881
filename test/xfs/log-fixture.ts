/**
 * The log replay tests' fixture: a committed volume with a chown of /hello.txt (an inode item)
 * and a rename inside /blockdir's directory block (a buffer item) ready to be written as a log,
 * by a little- or big-endian host.
 */
import { execFileSync } from 'node:child_process';
import { expect } from 'vitest';
import { MemorySource } from '../../src/io/memory-source.js';
import { fsBlockToByte, inodeToByte, parseSuperblock, type Superblock } from '../../src/fs/xfs/superblock.js';
import { openXfs, type XfsFileSystem } from '../../src/fs/xfs/volume.js';
import { bufferItem, inodeItem, logCore, writeLog, type Item, type LogPlacement, type LogTransaction } from './log-builder.js';
import { manifest, volumeBytes } from './xfs-images.js';

export const V5 = 'v5-4k.img.gz';
export const V4 = 'v4-1k.img.gz';
export const OLD_NAME = 'blockdir-entry-00007-';
export const NEW_NAME = 'replayed-entry-00007-';

export interface Fixture {
  bytes: Uint8Array;
  sb: Superblock;
  /** An inode item giving /hello.txt uid 4242. */
  chown: Item;
  /** A buffer item renaming blockdir-entry-00007-… to replayed-entry-00007-…. */
  rename: Item;
  /** The rename's buffer, cancelled. */
  cancel: Item;
  /** Byte offsets of /hello.txt's inode and of /blockdir's directory block. */
  inodeByte: number;
  blockByte: number;
}

/** Fixtures by file and byte order: each decompresses and opens a volume (callers copy, never change them). */
const made = new Map<string, Promise<Fixture>>();

export function fixture(file: string, littleEndian = true): Promise<Fixture> {
  const key = `${file}:${littleEndian}`;
  let pending = made.get(key);
  if (!pending) {
    pending = makeFixture(file, littleEndian);
    made.set(key, pending);
  }
  return pending;
}

async function makeFixture(file: string, littleEndian: boolean): Promise<Fixture> {
  const bytes = volumeBytes(file);
  const sb = parseSuperblock(bytes, bytes.length);
  const volume = manifest.volumes.find((v) => v.file === file)!;
  const inodeByte = inodeToByte(sb, volume.inodes['/hello.txt']!);
  const disk = bytes.slice(inodeByte, inodeByte + sb.inodeSize);
  new DataView(disk.buffer).setUint32(8, 4242); // di_uid
  const chown = inodeItem(sb, volume.inodes['/hello.txt']!, inodeByte, logCore(disk, littleEndian), undefined, littleEndian);
  const fs = await openXfs(new MemorySource(bytes.slice(), file));
  const [first] = await fs.volume.extents(await fs.volume.readInode(volume.inodes['/blockdir']!), []);
  const blockByte = fsBlockToByte(sb, first!.fsBlock);
  const dirBytes = bytes.subarray(blockByte, blockByte + sb.dirBlockSize);
  const nameAt = Buffer.from(dirBytes).indexOf(OLD_NAME);
  expect(nameAt).toBeGreaterThan(0);
  const blocks = sb.dirBlockSize / 512;
  const rename = bufferItem(bytes, blockByte / 512, blocks, [{ offset: nameAt, bytes: new TextEncoder().encode(NEW_NAME) }], 0, littleEndian);
  const cancel = bufferItem(bytes, blockByte / 512, blocks, [], 0x2, littleEndian);
  return { bytes, sb, chown, rename, cancel, inodeByte, blockByte };
}

/** The fixture's volume (or `bytes`, a changed copy of it) with `transactions` logged, opened. */
export async function replayed(f: Fixture, transactions: LogTransaction[], placement: LogPlacement = {}, bytes: Uint8Array = f.bytes.slice()): Promise<{ fs: XfsFileSystem; names: string[]; uid: number }> {
  writeLog(bytes, f.sb, transactions, placement);
  const fs = await openXfs(new MemorySource(bytes, 'dirty'));
  const names = (await fs.readDir('/blockdir')).map((e) => e.name);
  return { fs, names, uid: (await fs.stat('/hello.txt')).uid! };
}

/** Whether /blockdir shows the renamed entry (undefined: both or neither). */
export function renamed(names: string[]): boolean | undefined {
  const hasNew = names.some((n) => n.startsWith(NEW_NAME));
  const hasOld = names.some((n) => n.startsWith(OLD_NAME));
  return hasNew !== hasOld ? hasNew : undefined;
}

/** Whether an xfsprogs tool runs here (the oracle tests skip without it; CI has none). */
export function hasTool(command: string): boolean {
  try {
    execFileSync(command, ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
