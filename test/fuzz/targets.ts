/**
 * The fuzzed entry points. Each target makes a valid input from a seed (synthetic images from the
 * test writers, or a committed real image), and exercises one entry point end to end on it. The
 * worker damages the input between the two; a target's run may only end in a summary or a GrtError.
 */
import { readFile, readdir, mkdir, lstat, realpath, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { checkRange, type ByteSource } from '../../src/io/byte-source.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { openDisk } from '../../src/vmdk/disk.js';
import { openImage } from '../../src/image.js';
import { parseDescriptor } from '../../src/vmdk/descriptor.js';
import type { Extent } from '../../src/vmdk/extent.js';
import { openSparseExtent } from '../../src/vmdk/sparse-extent.js';
import { openCowdExtent } from '../../src/vmdk/cowd-extent.js';
import { openSeSparseExtent } from '../../src/vmdk/sesparse-extent.js';
import { listVolumes } from '../../src/volume/list-volumes.js';
import { openNtfs } from '../../src/fs/ntfs/volume.js';
import { buildCatalog } from '../../src/catalog/build.js';
import { openCatalog } from '../../src/catalog/catalog.js';
import { restore } from '../../src/restore/restore.js';
import { globToRegExp } from '../../src/restore/select.js';
import { compileGlob } from '../../src/catalog/glob.js';
import type { FileSystem } from '../../src/fs/entry.js';
import { GrtError } from '../../src/errors.js';
import { crc32 } from '../../src/util/crc32.js';
import { writeCowd, writeHostedSparse, writeSeSparse, writeStreamOptimized } from '../builders/vmdk-writer.js';
import { SparseDisk, writePartitionTable, type LayoutSpec } from '../builders/partition-writer.js';
import { arbNtfsSpec, buildNtfsVolume } from '../builders/ntfs-builder.js';
import { mutateFiles, mutateText, type Files, type MutationHints, type Rng } from './mutate.js';

export interface FuzzInput {
  files: Files;
  /** The file the entry point opens. */
  main: string;
  hints?: MutationHints;
}

export interface FuzzContext {
  /** Repository root (committed images are read from there). */
  root: string;
  /** A fresh directory for this case; the input files are written into `dir/in`. */
  dir: string;
}

export interface FuzzTarget {
  name: string;
  generate(rng: Rng, ctx: FuzzContext): Promise<FuzzInput>;
  /** Damage the input (default: byte-level mutations over the hinted files). */
  mutate?(input: FuzzInput, rng: Rng): { files: Files; log: string[] };
  /** Exercise the entry point on the (damaged) input written to `dir/in`; returns a short summary. */
  run(input: FuzzInput, ctx: FuzzContext, rng: Rng): Promise<string>;
}

const SECTOR = 512;
/** Whole-source reads stop here: a header may claim a terabyte, and reading it is not the point. */
const FULL_READ_LIMIT = 1024 * 1024;
/** Windows read from a source too big to read whole. */
const SAMPLE_WINDOWS = 16;

/** Read a source in randomly split pieces (whole if small, else its ends and random windows). */
export async function readAround(source: ByteSource, rng: Rng): Promise<number> {
  let checksum = 0;
  const readRange = async (start: number, end: number) => {
    // A few odd-sized pieces first (splits across sectors and grains), then big ones.
    for (let at = start, n = 0; at < end; n++) {
      const length = Math.min(end - at, n < 4 ? rng.pick([1, 511, SECTOR, 4097]) : rng.pick([4096, 65536, 200_000]));
      const bytes = await source.read(at, length);
      if (bytes.length !== length) throw new Error(`read(${at}, ${length}) returned ${bytes.length} bytes`);
      checksum = (checksum + (bytes[0] ?? 0)) | 0;
      at += length;
    }
  };
  if (source.size <= FULL_READ_LIMIT) {
    await readRange(0, source.size);
  } else {
    await readRange(0, 65536);
    await readRange(source.size - 65536, source.size);
    for (let i = 0; i < SAMPLE_WINDOWS; i++) {
      const at = rng.below(source.size - 65536);
      await readRange(at, at + 65536);
    }
  }
  return checksum;
}

/** Random disk content: some grains data, some zero. */
function content(rng: Rng, bytes: number, grainBytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let at = 0; at < bytes; at += grainBytes) {
    if (rng.chance(0.5)) out.set(rng.bytes(Math.min(grainBytes, bytes - at)), at);
  }
  return out;
}

async function openReadMap(path: string, rng: Rng, options = {}): Promise<string> {
  const disk = await openDisk(path, options);
  try {
    await readAround(disk, rng);
    const ranges = await disk.map(0, disk.size);
    return `disk ${disk.size} bytes, ${ranges.length} ranges, ${disk.info.warnings.length} warnings`;
  } finally {
    await disk.close();
  }
}

async function readExtent(extent: Extent, rng: Rng): Promise<string> {
  const size = Math.min(extent.size, FULL_READ_LIMIT);
  for (let at = 0; at < size; ) {
    const length = Math.min(size - at, rng.pick([SECTOR, 4096, 65536]));
    await extent.read(at, new Uint8Array(length), async (out) => void out.fill(0));
    at += length;
  }
  const ranges = await extent.map(0, extent.size);
  return `extent ${extent.size} bytes, ${ranges.length} ranges`;
}

type BinaryKind = 'sparse' | 'streamOptimized' | 'cowd' | 'seSparse';

function binaryImage(kind: BinaryKind, rng: Rng, base?: Uint8Array): { bytes: Uint8Array; content: Uint8Array } {
  const grainBytes = kind === 'seSparse' ? 4096 : kind === 'cowd' ? SECTOR * rng.pick([1, 8]) : SECTOR * rng.pick([8, 16, 128]);
  const capacity = base?.length ?? grainBytes * rng.int(2, 48);
  const data = content(rng, capacity, grainBytes);
  const spec = { capacity, content: data, grainSize: grainBytes / SECTOR, ...(base ? { base } : {}) };
  switch (kind) {
    case 'sparse':
      return { bytes: writeHostedSparse({ ...spec, gtesPerGt: rng.pick([4, 16, 512]), redundantGd: rng.chance(0.5) }), content: data };
    case 'streamOptimized':
      return { bytes: writeStreamOptimized({ ...spec, gdAtEnd: rng.chance(0.7) }), content: data };
    case 'cowd':
      return { bytes: writeCowd(spec), content: data };
    case 'seSparse': {
      const { grainSize: _unused, ...rest } = spec;
      return { bytes: writeSeSparse(rest), content: data };
    }
  }
}

function binaryDisk(kind: BinaryKind): FuzzTarget {
  return {
    name: `vmdk-${kind}`,
    async generate(rng) {
      return { files: new Map([['disk.vmdk', binaryImage(kind, rng).bytes]]), main: 'disk.vmdk', hints: { regions: [{ file: 'disk.vmdk', start: 0, length: 2048 }] } };
    },
    run: (input, ctx, rng) => openReadMap(join(ctx.dir, 'in', input.main), rng),
  };
}

function binaryExtent(kind: BinaryKind): FuzzTarget {
  return {
    name: `extent-${kind}`,
    async generate(rng) {
      return { files: new Map([['extent.vmdk', binaryImage(kind, rng).bytes]]), main: 'extent.vmdk' };
    },
    async run(input, _ctx, rng) {
      const file = new MemorySource(input.files.get(input.main)!, input.main);
      const options = { path: input.main };
      const opened =
        kind === 'cowd' ? await openCowdExtent(file, options) : kind === 'seSparse' ? await openSeSparseExtent(file, options) : await openSparseExtent(file, options);
      return readExtent(opened.extent, rng);
    },
  };
}

function descriptorText(d: { cid: string; parentCid?: string; createType: string; hint?: string; extents: string[] }): string {
  const lines = ['# Disk DescriptorFile', 'version=1', `CID=${d.cid}`, `parentCID=${d.parentCid ?? 'ffffffff'}`, `createType="${d.createType}"`];
  if (d.hint) lines.push(`parentFileNameHint="${d.hint}"`);
  lines.push('', '# Extent description', ...d.extents, '', '# The Disk Data Base', '#DDB', '', 'ddb.adapterType = "lsilogic"', '');
  return lines.join('\n');
}

/** A descriptor over flat, zero and sparse extents in one directory. */
const descriptorTarget: FuzzTarget = {
  name: 'vmdk-descriptor',
  async generate(rng) {
    const files: Files = new Map();
    const extents: string[] = [];
    const count = rng.int(1, 4);
    for (let i = 0; i < count; i++) {
      const sectors = rng.int(1, 64);
      const roll = rng.below(4);
      if (roll === 0) extents.push(`RW ${sectors} ZERO`);
      else if (roll === 1) {
        const image = binaryImage('sparse', rng);
        files.set(`s${i}.vmdk`, image.bytes);
        extents.push(`RW ${image.content.length / SECTOR} SPARSE "s${i}.vmdk"`);
      } else {
        const offset = rng.int(0, 8);
        files.set(`f${i}.bin`, rng.bytes((sectors + offset) * SECTOR));
        extents.push(`${rng.pick(['RW', 'RDONLY'])} ${sectors} ${rng.pick(['FLAT', 'VMFS'])} "f${i}.bin" ${offset}`);
      }
    }
    files.set('disk.vmdk', new TextEncoder().encode(descriptorText({ cid: '1234abcd', createType: 'custom', extents })));
    return { files, main: 'disk.vmdk' };
  },
  mutate(input, rng) {
    if (rng.chance(0.1)) {
      // A descriptor signature over random bytes (encodings, NULs, no newlines).
      const files = new Map(input.files);
      const junk = rng.bytes(rng.int(0, 3000));
      const head = new TextEncoder().encode(rng.pick(['# Disk DescriptorFile\n', '\ufeff# Disk DescriptorFile\r\n', 'encoding="Shift_JIS"\n']));
      files.set('disk.vmdk', new Uint8Array([...head, ...junk]));
      return { files, log: [`disk.vmdk replaced by a header line and ${junk.length} random bytes`] };
    }
    if (rng.chance(0.6)) {
      const { text, log } = mutateText(new TextDecoder().decode(input.files.get('disk.vmdk')), rng);
      const files = new Map(input.files);
      files.set('disk.vmdk', new TextEncoder().encode(text));
      return { files, log: log.map((l) => `disk.vmdk ${l}`) };
    }
    return mutateFiles(input.files, rng);
  },
  async run(input, ctx, rng) {
    parseDescriptor(input.files.get('disk.vmdk')!, 'disk.vmdk');
    return openReadMap(join(ctx.dir, 'in', input.main), rng);
  },
};

/** A two-level snapshot chain: a sparse base under a sparse, COWD or seSparse delta. */
const chainTarget: FuzzTarget = {
  name: 'vmdk-chain',
  async generate(rng) {
    const baseImage = binaryImage('sparse', rng);
    const capacity = baseImage.content.length;
    const baseDescriptor = descriptorText({ cid: '0000aaaa', createType: 'monolithicSparse', extents: [`RW ${capacity / SECTOR} SPARSE "base.vmdk"`] });
    const base = writeHostedSparse({ capacity, content: baseImage.content, embeddedDescriptor: baseDescriptor });
    const kind = rng.pick(['sparse', 'cowd', 'seSparse'] as const);
    const files: Files = new Map([['base.vmdk', base]]);
    // seSparse grains are 4 KiB: keep the capacity a multiple of that.
    const childBase = kind === 'seSparse' && capacity % 4096 !== 0 ? undefined : baseImage.content;
    if (!childBase) {
      files.set('child.vmdk', writeHostedSparse({ capacity, content: baseImage.content, base: baseImage.content, embeddedDescriptor: descriptorText({ cid: '0000bbbb', parentCid: '0000aaaa', createType: 'monolithicSparse', hint: 'base.vmdk', extents: [`RW ${capacity / SECTOR} SPARSE "child.vmdk"`] }) }));
      return { files, main: 'child.vmdk' };
    }
    if (kind === 'sparse') {
      const child = content(rng, capacity, 65536);
      const text = descriptorText({ cid: '0000bbbb', parentCid: '0000aaaa', createType: 'monolithicSparse', hint: 'base.vmdk', extents: [`RW ${capacity / SECTOR} SPARSE "child.vmdk"`] });
      files.set('child.vmdk', writeHostedSparse({ capacity, content: child, base: baseImage.content, embeddedDescriptor: text }));
    } else {
      const delta = binaryImage(kind, rng, childBase);
      files.set('child-delta.vmdk', delta.bytes);
      const type = kind === 'cowd' ? 'VMFSSPARSE' : 'SESPARSE';
      files.set('child.vmdk', new TextEncoder().encode(descriptorText({ cid: '0000bbbb', parentCid: '0000aaaa', createType: kind === 'cowd' ? 'vmfsSparse' : 'seSparse', hint: 'base.vmdk', extents: [`RW ${capacity / SECTOR} ${type} "child-delta.vmdk"`] })));
    }
    return { files, main: 'child.vmdk' };
  },
  mutate(input, rng) {
    // A text child descriptor (over a COWD or seSparse delta): damage its text half the time.
    if (input.files.has('child-delta.vmdk') && rng.chance(0.5)) {
      const { text, log } = mutateText(new TextDecoder().decode(input.files.get('child.vmdk')), rng);
      return { files: new Map([...input.files, ['child.vmdk', new TextEncoder().encode(text)]]), log: log.map((l) => `child.vmdk ${l}`) };
    }
    return mutateFiles(input.files, rng, input.hints);
  },
  run: (input, ctx, rng) => openReadMap(join(ctx.dir, 'in', input.main), rng),
};

/** Committed real-tool images (qemu-img, the vmdk fixtures), one set per case. */
const REAL_SETS: { dir: string; main: string; files: string[] }[] = [
  { dir: 'test-images/qemu', main: 'monolithicSparse.vmdk', files: ['monolithicSparse.vmdk'] },
  { dir: 'test-images/qemu', main: 'streamOptimized.vmdk', files: ['streamOptimized.vmdk'] },
  { dir: 'test-images/qemu', main: 'compat6.vmdk', files: ['compat6.vmdk'] },
  { dir: 'test-images/qemu', main: 'zeroed-grain.vmdk', files: ['zeroed-grain.vmdk'] },
  { dir: 'test-images/qemu', main: 'monolithicFlat.vmdk', files: ['monolithicFlat.vmdk', 'monolithicFlat-flat.vmdk'] },
  { dir: 'test-images/qemu', main: 'twoGbMaxExtentSparse.vmdk', files: ['twoGbMaxExtentSparse.vmdk', 'twoGbMaxExtentSparse-s001.vmdk'] },
  { dir: 'test-images/qemu', main: 'chain-child2.vmdk', files: ['chain-child2.vmdk', 'chain-child1.vmdk', 'monolithicSparse.vmdk'] },
  { dir: 'test-images/vmdk', main: 'split.vmdk', files: ['split.vmdk', 'split-f001.vmdk', 'split-f002.vmdk'] },
  { dir: 'test-images/vmdk', main: 'chain-grand.vmdk', files: ['chain-grand.vmdk', 'chain-grand-s001.vmdk', 'chain-child.vmdk', 'chain-base.vmdk'] },
];

const realVmdkTarget: FuzzTarget = {
  name: 'vmdk-real',
  async generate(rng, ctx) {
    const set = rng.pick(REAL_SETS);
    const files: Files = new Map();
    for (const name of set.files) files.set(name, new Uint8Array(await readFile(join(ctx.root, set.dir, name))));
    // Aim at the headers and tables: the first 64 KiB of each file.
    return { files, main: set.main, hints: { regions: set.files.map((file) => ({ file, start: 0, length: 65536 })) } };
  },
  run: (input, ctx, rng) => openReadMap(join(ctx.dir, 'in', input.main), rng),
};

/** Where a partition starts and how many sectors it has: small, so a disk is a few MiB. */
function randomLayout(rng: Rng): LayoutSpec {
  const scheme = rng.pick(['mbr', 'gpt'] as const);
  const sectorSize = scheme === 'gpt' && rng.chance(0.3) ? 4096 : 512;
  const partitions: LayoutSpec['partitions'] = [];
  let next = scheme === 'gpt' ? (sectorSize === 512 ? 34 : 6) : 1;
  const count = rng.int(1, 4);
  for (let i = 0; i < count; i++) {
    const start = next + rng.int(0, 8);
    const sectors = rng.int(1, 64);
    partitions.push({ index: i + 1, startSector: start, sectorCount: sectors, type: scheme === 'mbr' ? rng.pick([0x07, 0x0c, 0x83]) : 'ebd0a0a2-b9e5-4433-87c0-68b9b7e99c7', name: `p${i}` });
    next = start + sectors;
  }
  if (scheme === 'mbr' && rng.chance(0.5)) {
    // An extended partition with logical ones after the primaries.
    const extStart = next + 1;
    const logicals = rng.int(1, 4);
    let at = extStart;
    const specs: LayoutSpec['partitions'] = [];
    for (let i = 0; i < logicals; i++) {
      const sectors = rng.int(1, 32);
      specs.push({ startSector: at + 1, sectorCount: sectors, type: 0x07, logical: true, ebrSector: at });
      at += sectors + 1;
    }
    partitions.splice(3);
    partitions.push({ index: Math.min(4, partitions.length + 1), startSector: extStart, sectorCount: at - extStart, type: 0x0f }, ...specs);
  }
  return { scheme, sectorSize, partitions };
}

async function listAndRead(disk: ByteSource, rng: Rng): Promise<string> {
  const layout = await listVolumes(disk);
  for (const volume of layout.volumes) {
    if (volume.size > 0) {
      await volume.source.read(0, Math.min(volume.size, SECTOR));
      await volume.source.read(volume.size - Math.min(volume.size, 100), Math.min(volume.size, 100));
      if (volume.size <= FULL_READ_LIMIT) await readAround(volume.source, rng);
    }
  }
  return `${layout.scheme}, ${layout.volumes.length} volumes, ${layout.warnings.length} warnings`;
}

/** Largest GPT entry array whose CRC the fix-up recomputes (the reader's own bound is 1 MiB). */
const GPT_FIXUP_MAX_ARRAY = 1024 * 1024;

/**
 * Recompute the CRCs of every GPT header found (primary, and the backup it points to), so damage
 * inside the header and the entries reaches the code behind the checksum test.
 */
export function fixGptChecksums(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const sectorSize of [512, 4096]) {
    const sectors = Math.floor(bytes.length / sectorSize);
    const lbas = [1, sectors - 1];
    if (sectors >= 2 && view.getBigUint64(sectorSize + 32, true) < BigInt(sectors)) lbas.push(Number(view.getBigUint64(sectorSize + 32, true)));
    for (const lba of lbas) {
      const at = lba * sectorSize;
      if (at + sectorSize > bytes.length || new TextDecoder().decode(bytes.subarray(at, at + 8)) !== 'EFI PART') continue;
      const headerSize = view.getUint32(at + 12, true);
      if (headerSize < 92 || headerSize > sectorSize) continue;
      const entriesAt = Number(view.getBigUint64(at + 72, true)) * sectorSize;
      const arrayBytes = view.getUint32(at + 80, true) * view.getUint32(at + 84, true);
      if (arrayBytes <= GPT_FIXUP_MAX_ARRAY && Number.isSafeInteger(entriesAt) && entriesAt + arrayBytes <= bytes.length) {
        view.setUint32(at + 88, crc32(bytes.subarray(entriesAt, entriesAt + arrayBytes)), true);
      }
      view.setUint32(at + 16, 0, true);
      view.setUint32(at + 16, crc32(bytes.subarray(at, at + headerSize)), true);
    }
  }
}

/** Damage, then (mostly) make the checksums right again so the damage is believed. */
function mutateWithFixup(fixup: (bytes: Uint8Array) => void): FuzzTarget['mutate'] {
  return (input, rng) => {
    const damaged = mutateFiles(input.files, rng, input.hints);
    if (rng.chance(0.8)) {
      for (const bytes of damaged.files.values()) fixup(bytes);
      damaged.log.push('checksums recomputed');
    }
    return damaged;
  };
}

const volumeTarget: FuzzTarget = {
  name: 'volume-synthetic',
  mutate: mutateWithFixup(fixGptChecksums),
  async generate(rng) {
    const layout = randomLayout(rng);
    const last = Math.max(...layout.partitions.map((p) => p.startSector + p.sectorCount));
    const sectors = last + (layout.scheme === 'gpt' ? 40 : 1);
    const disk = new SparseDisk(sectors * layout.sectorSize);
    // GPT entry slot GUIDs must be hex: the writer derives them from the slot when absent.
    writePartitionTable(disk, { ...layout, partitions: layout.partitions.map((p) => (typeof p.type === 'string' ? { ...p, type: 'ebd0a0a2-b9e5-4433-87c0-68b9b7e99c70' } : p)) });
    const bytes = disk.readSync(0, disk.size);
    return { files: new Map([['disk.img', bytes]]), main: 'disk.img' };
  },
  run: (input, _ctx, rng) => listAndRead(new MemorySource(input.files.get(input.main)!, input.main), rng),
};

/** Bytes kept from each end of a committed partition image: the tables are there, the rest is data. */
const TABLE_SPAN = 1024 * 1024;
/** Gunzipped ends of the committed images, per worker (a 100 MiB gunzip per case would dominate). */
const realDiskEnds = new Map<string, { head: Uint8Array; tail: Uint8Array; size: number }>();

/** A disk of `size` bytes that holds `head` at its start, `tail` at its end, zeros between. */
class EndsSource implements ByteSource {
  constructor(private readonly head: Uint8Array, private readonly tail: Uint8Array, readonly size: number) {}
  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length, 'disk ends');
    const out = new Uint8Array(length);
    const tailStart = this.size - this.tail.length;
    for (let i = 0; i < length; i++) {
      const at = offset + i;
      if (at < this.head.length) out[i] = this.head[at]!;
      else if (at >= tailStart) out[i] = this.tail[at - tailStart]!;
    }
    return out;
  }
}

const realVolumeTarget: FuzzTarget = {
  name: 'volume-real',
  mutate: mutateWithFixup(fixGptChecksums),
  async generate(rng, ctx) {
    const dir = join(ctx.root, 'test-images/partitions');
    const names = (await readdir(dir)).filter((n) => n.endsWith('.img.gz')).sort();
    const name = rng.pick(names);
    let ends = realDiskEnds.get(name);
    if (!ends) {
      const bytes = gunzipSync(await readFile(join(dir, name)));
      const span = Math.min(TABLE_SPAN, Math.floor(bytes.length / 2));
      ends = { head: new Uint8Array(bytes.subarray(0, span)), tail: new Uint8Array(bytes.subarray(bytes.length - span)), size: bytes.length };
      realDiskEnds.set(name, ends);
    }
    return { files: new Map([['head.bin', ends.head], ['tail.bin', ends.tail], ['size.txt', new TextEncoder().encode(String(ends.size))]]), main: 'head.bin', hints: { files: ['head.bin', 'tail.bin'] } };
  },
  async run(input, _ctx, rng) {
    const size = Number(new TextDecoder().decode(input.files.get('size.txt')));
    return listAndRead(new EndsSource(input.files.get('head.bin')!, input.files.get('tail.bin')!, size), rng);
  },
};

/** A synthetic NTFS volume from the builder's arbitrary, with the MFT marked for record swaps. */
async function ntfsInput(rng: Rng): Promise<FuzzInput> {
  let built: ReturnType<typeof buildNtfsVolume> | undefined;
  // NOTE: the builder refuses some specs its arbitrary makes ("attributes do not fit in a
  // 1024-byte record"); take the next one.
  for (let attempt = 0; !built; attempt++) {
    const [spec] = fc.sample(arbNtfsSpec(), { seed: rng.u32() | 0, numRuns: 1 });
    try {
      built = buildNtfsVolume(spec!);
    } catch (error) {
      if (attempt >= 8) throw error;
    }
  }
  const mftStart = built.mftLcn * built.clusterSize;
  const count = Math.max(...built.records.values()) + 8;
  return {
    files: new Map([['ntfs.img', built.image]]),
    main: 'ntfs.img',
    hints: {
      records: { file: 'ntfs.img', start: mftStart, count, size: built.recordSize },
      regions: [{ file: 'ntfs.img', start: 0, length: SECTOR }, { file: 'ntfs.img', start: mftStart, length: count * built.recordSize }],
    },
  };
}

/** Run `fn`, turning a GrtError into a summary line (walks go on past one damaged file). */
async function each(label: string, fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
    return `${label} ok`;
  } catch (error) {
    if ((error as Error)?.name === 'GrtError') return `${label} ${(error as { code: string }).code}`;
    throw error;
  }
}

/**
 * Everything a reader of a mounted file system does: walk, readDir, stat, layouts, every stream.
 * A GrtError on one entry is noted and the walk goes on, so damage deep in the tree is reached.
 */
async function exerciseFs(fs: FileSystem, rng: Rng): Promise<string> {
  let entries = 0;
  let failures = 0;
  const dirs = ['/'];
  const note = (line: string) => void (line.endsWith(' ok') || failures++);
  for await (const entry of fs.walk('/')) {
    entries++;
    if (entry.type === 'dir') dirs.push(entry.path);
    for (const stream of ['', ...entry.streams.map((s) => s.name)]) {
      if (entry.type === 'dir' && stream === '') continue;
      note(await each('stream', async () => readAround(await fs.openStream(entry, stream), rng)));
      note(await each('layout', () => fs.streamLayout(entry, stream)));
    }
    if (rng.chance(0.2)) note(await each('stat', () => fs.stat(entry.path)));
  }
  for (const dir of dirs.slice(0, 16)) note(await each('readDir', () => fs.readDir(dir, { all: rng.chance(0.5) })));
  if (rng.chance(0.3)) {
    note(
      await each('walk deleted', async () => {
        for await (const _ of fs.walk('/', { deleted: true, all: true })) entries++;
      }),
    );
  }
  return `${entries} entries, ${failures} GrtErrors on single entries`;
}

const ntfsTarget: FuzzTarget = {
  name: 'ntfs-synthetic',
  generate: (rng) => ntfsInput(rng),
  async run(input, _ctx, rng) {
    const fs = await openNtfs(new MemorySource(input.files.get(input.main)!, input.main), rng.chance(0.5) ? {} : { cache: { blockSize: 4096, maxBlocks: 2 } });
    return exerciseFs(fs, rng);
  },
};

const realNtfsTarget: FuzzTarget = {
  name: 'ntfs-real',
  async generate(rng, ctx) {
    // The NTFS partition of the committed MBR image, as raw bytes (damage goes into the file system).
    const disk = await openDisk(join(ctx.root, 'test-images/ntfs', rng.pick(['ntfs-mbr.vmdk', 'ntfs-gpt-stream.vmdk'])));
    try {
      const layout = await listVolumes(disk);
      const volume = layout.volumes.find((v) => v.fs === 'ntfs')!;
      const bytes = await volume.source.read(0, volume.size);
      const view = new DataView(bytes.buffer);
      const clusterSize = view.getUint16(11, true) * bytes[13]!;
      const mftStart = Number(view.getBigUint64(0x30, true)) * clusterSize;
      return {
        files: new Map([['ntfs.img', bytes]]),
        main: 'ntfs.img',
        hints: { records: { file: 'ntfs.img', start: mftStart, count: 64, size: 1024 }, regions: [{ file: 'ntfs.img', start: mftStart, length: 64 * 1024 }] },
      };
    } finally {
      await disk.close();
    }
  },
  async run(input, _ctx, rng) {
    const fs = await openNtfs(new MemorySource(input.files.get(input.main)!, input.main));
    return exerciseFs(fs, rng);
  },
};

/** A catalog made from an undamaged synthetic volume; the damage goes into the catalog. */
/** Catalog layout (docs/catalog-format.md §1): a 16-byte preamble, then 20-byte section headers. */
const CATALOG_PREAMBLE = 16;
const CATALOG_SECTION_HEADER = 20;

/** Recompute each section's CRC-32 (header's first 16 bytes + stored payload), walking the damaged headers. */
export function fixCatalogChecksums(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = CATALOG_PREAMBLE; at + CATALOG_SECTION_HEADER <= bytes.length; ) {
    const stored = view.getUint32(at + 8, true);
    const end = at + CATALOG_SECTION_HEADER + stored;
    if (end > bytes.length) break;
    view.setUint32(at + 16, crc32(bytes.subarray(at + CATALOG_SECTION_HEADER, end), crc32(bytes.subarray(at, at + 16))), true);
    at = end;
  }
}

const catalogTarget: FuzzTarget = {
  name: 'catalog',
  mutate: mutateWithFixup(fixCatalogChecksums),
  async generate(rng) {
    const input = await ntfsInput(rng);
    const fs = await openNtfs(new MemorySource(input.files.get(input.main)!));
    const size = input.files.get(input.main)!.length;
    const binding = { capacity: size, cids: [], partitions: [{ index: 1, start: 0, size, fs: 'ntfs', serial: fs.info.serial }] };
    const catalog = await buildCatalog({ binding, volumes: [{ index: 1, start: 0, fs }] });
    return { files: new Map([['image.grtcat', catalog]]), main: 'image.grtcat', hints: { regions: [{ file: 'image.grtcat', start: 0, length: 256 }] } };
  },
  async run(input) {
    const catalog = await openCatalog(input.files.get(input.main)!);
    const results: string[] = [];
    for (const volume of catalog.volumes) {
      const index = volume.index;
      results.push(
        await each('list', async () => {
          for await (const entry of catalog.list(index, '/', { recursive: true, deleted: true })) {
            await each('stat', () => catalog.stat(index, entry.path));
            for (const stream of ['', ...entry.streams.map((s) => s.name)]) await each('layout', async () => catalog.layout(index, entry, stream));
          }
        }),
        await each('find', async () => {
          for await (const _ of catalog.find(index, '**/*')) void _;
        }),
      );
    }
    return results.join(', ');
  },
};

/** Names of every file below `dir` (with its size and kind), to see what a restore touched. */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (at: string) => {
    for (const name of (await readdir(at)).sort()) {
      const path = join(at, name);
      const info = await lstat(path);
      out.push(`${relative(dir, path)} ${info.isDirectory() ? 'dir' : info.size}`);
      if (info.isDirectory()) await walk(path);
    }
  };
  await walk(dir);
  return out;
}

/**
 * Run `write` (which may only write below `target`, a new directory under `ctx.dir/out`) and throw
 * if anything else under `ctx.dir` changed, or anything below `target` resolves outside it.
 */
export async function confined<T>(ctx: FuzzContext, write: (target: string) => Promise<T>): Promise<T> {
  const outside = join(ctx.dir, 'out');
  await mkdir(join(outside, 'sentinel'), { recursive: true });
  await writeFile(join(outside, 'sentinel', 'keep.txt'), 'sentinel');
  const before = await snapshot(ctx.dir);
  const target = join(outside, 'target');
  const result = await write(target);
  const after = (await snapshot(ctx.dir)).filter((line) => !line.startsWith(`${join('out', 'target')}/`) && !line.startsWith(`${join('out', 'target')} `));
  const added = after.filter((line) => !before.includes(line));
  const removed = before.filter((line) => !after.includes(line));
  if (added.length > 0 || removed.length > 0) throw new Error(`wrote outside its target: added ${JSON.stringify(added)}, removed ${JSON.stringify(removed)}`);
  const real = await realpath(target).catch(() => target);
  for (const line of await snapshot(target).catch(() => [])) {
    const path = join(target, line.slice(0, line.lastIndexOf(' ')));
    if ((await lstat(path)).isSymbolicLink()) continue;
    const resolved = await realpath(path);
    if (!resolved.startsWith(`${real}/`)) throw new Error(`${path} resolves outside the target (${resolved})`);
  }
  return result;
}

/** Restore everything from a damaged volume: nothing may appear outside the target directory. */
const restoreTarget: FuzzTarget = {
  name: 'restore',
  generate: (rng) => ntfsInput(rng),
  async run(input, ctx) {
    const fs = await openNtfs(new MemorySource(input.files.get(input.main)!, input.main));
    const summary = await confined(ctx, (to) => restore({ fs, paths: ['/'], to, onEvent: () => undefined }));
    return `${summary.files} files, ${summary.failed} failed`;
  },
};

/** The committed NTFS disk images through openImage (VMDK → partitions → NTFS), damage anywhere in the VMDK. */
const imageTarget: FuzzTarget = {
  name: 'image',
  async generate(rng, ctx) {
    const name = rng.pick(['ntfs-mbr.vmdk', 'ntfs-gpt-stream.vmdk', 'ntfs-mbr-stream.vmdk']);
    const bytes = new Uint8Array(await readFile(join(ctx.root, 'test-images/ntfs', name)));
    return { files: new Map([[name, bytes]]), main: name, hints: { regions: [{ file: name, start: 0, length: 65536 }] } };
  },
  async run(input, ctx, rng) {
    const image = await openImage(join(ctx.dir, 'in', input.main), rng.chance(0.5) ? {} : { cache: { blockSize: 4096, maxBlocks: 2 } });
    try {
      return await exerciseFs(await image.openFileSystem(), rng);
    } finally {
      await image.close();
    }
  },
};

/** Names a hostile image can hold that must not leave the restore target (or break the restore). */
const HOSTILE_NAMES = [
  '..', 'a/b', '../../escape', '..\\..\\escape', '/abs', 'CON', 'nul.txt', 'x\u0000y', 'tab\tname', 'dot.', 'space ',
  '\ud800lone', '😀'.repeat(80), 'é'.repeat(200), 'ABC', 'abc', ':stream', 'a:b',
];

/** Restore a volume whose names are hostile (and sometimes damaged too): nothing may land outside the target. */
const restoreHostileTarget: FuzzTarget = {
  name: 'restore-hostile',
  async generate(rng) {
    const pick = () => rng.pick(HOSTILE_NAMES);
    const file = (name: string) => ({ kind: 'file' as const, name, data: rng.bytes(rng.int(0, 5000)) });
    const used = new Set<string>();
    // Names are unique per directory case-insensitively (NTFS $UpCase); a clash gets a suffix.
    const unique = (name: string) => (used.has(name.toUpperCase()) ? `${name}${used.size}` : (used.add(name.toUpperCase()), name));
    const children = Array.from({ length: rng.int(2, 6) }, () => file(unique(pick())));
    const sub = { kind: 'dir' as const, name: unique(pick()), children: Array.from({ length: rng.int(1, 3) }, () => file(`${pick()}-${rng.below(1000)}`)) };
    const built = buildNtfsVolume({ root: { kind: 'dir', name: '', children: [...children, sub] } });
    const mftStart = built.mftLcn * built.clusterSize;
    return { files: new Map([['ntfs.img', built.image]]), main: 'ntfs.img', hints: { regions: [{ file: 'ntfs.img', start: mftStart, length: 64 * built.recordSize }] } };
  },
  mutate: (input, rng) => (rng.chance(0.5) ? mutateFiles(input.files, rng, input.hints) : { files: input.files, log: ['(names only)'] }),
  run: (input, ctx, rng) => restoreTarget.run(input, ctx, rng),
};

/** Glob pieces users type, and name pieces that make backtracking matchers slow. */
const GLOB_TOKENS = ['*', '*', '**', '?', '_', 'a', '.', '/', '[a-c]', '[!_]', 'log'];
const NAME_TOKENS = ['_', '_', 'a', 'aa', '.', 'x'];

/**
 * Globs (catalog find, or restore selections) against names an image supplies: every match must
 * end within the time limit whatever the name, as names come from a possibly hostile image.
 */
function globTarget(kind: 'catalog' | 'restore'): FuzzTarget {
  return {
    name: `glob-${kind}`,
    async generate(rng) {
      const glob = Array.from({ length: rng.int(1, 12) }, () => rng.pick(GLOB_TOKENS)).join('');
      const names = Array.from({ length: 4 }, () => {
        const parts = Array.from({ length: rng.int(1, 6) }, () => rng.pick(NAME_TOKENS).repeat(rng.int(1, 60)));
        return parts.join(rng.chance(0.3) ? '/' : '');
      });
      const text = (value: string) => new TextEncoder().encode(value);
      return { files: new Map([['glob.txt', text(glob)], ['names.txt', text(names.join('\n'))]]), main: 'glob.txt' };
    },
    mutate: (input) => ({ files: input.files, log: [`glob ${JSON.stringify(new TextDecoder().decode(input.files.get('glob.txt')))}`] }),
    async run(input) {
      const glob = new TextDecoder().decode(input.files.get('glob.txt'));
      const names = new TextDecoder().decode(input.files.get('names.txt')).split('\n');
      let matches = 0;
      if (kind === 'catalog') {
        const compiled = compileGlob(glob);
        for (const name of names) if (compiled.test(compiled.matchesPath ? `/${name}` : name)) matches++;
      } else {
        const compiled = globToRegExp(glob.startsWith('/') ? glob : `/${glob}`);
        for (const name of names) if (compiled.test(`/${name}`)) matches++;
      }
      return `${matches} matches`;
    },
  };
}

export const TARGETS: FuzzTarget[] = [
  binaryDisk('sparse'),
  binaryDisk('streamOptimized'),
  binaryDisk('cowd'),
  binaryDisk('seSparse'),
  binaryExtent('sparse'),
  binaryExtent('streamOptimized'),
  binaryExtent('cowd'),
  binaryExtent('seSparse'),
  descriptorTarget,
  chainTarget,
  realVmdkTarget,
  volumeTarget,
  realVolumeTarget,
  ntfsTarget,
  realNtfsTarget,
  catalogTarget,
  restoreTarget,
  restoreHostileTarget,
  imageTarget,
  globTarget('catalog'),
  globTarget('restore'),
];

const empty = async (): Promise<FuzzInput> => ({ files: new Map(), main: '' });

/** Targets that misbehave on purpose: the harness test proves each kind of failure is caught. */
export const SELF_TEST_TARGETS: FuzzTarget[] = [
  {
    name: 'self-hang',
    generate: empty,
    run: async () => {
      for (;;);
    },
  },
  {
    name: 'self-heap',
    generate: empty,
    run: async () => {
      const keep: number[][] = [];
      for (;;) keep.push(new Array(1e6).fill(1));
    },
  },
  {
    name: 'self-buffers',
    generate: empty,
    run: async () => {
      const keep = Array.from({ length: 20 }, () => new Uint8Array(16 << 20).fill(1));
      await new Promise((r) => setTimeout(r, 50));
      return `${keep.length}`;
    },
  },
  { name: 'self-typeerror', generate: empty, run: async () => (null as unknown as { x: string }).x },
  {
    // Writes beside its target: `confined` must catch it.
    name: 'self-escape',
    generate: empty,
    run: (_input, ctx) => confined(ctx, async (target) => {
      await mkdir(target, { recursive: true });
      await writeFile(join(target, '..', 'escaped.txt'), 'x');
      return 'wrote';
    }),
  },
  {
    name: 'self-grterror',
    generate: empty,
    run: async () => {
      throw new GrtError('BAD_TABLE', 'on purpose');
    },
  },
];

export function targetNamed(name: string): FuzzTarget {
  const target = [...TARGETS, ...SELF_TEST_TARGETS].find((t) => t.name === name);

  if (!target) throw new Error(`no fuzz target ${name}`);
  return target;
}
