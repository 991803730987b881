/** Fuzz targets for the VMDK layer: binary disks and extents from the test writers, descriptors over flat/zero/sparse extents, two-level chains, the committed qemu and vmdk images. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MemorySource } from '../../src/io/memory-source.js';
import { openDisk } from '../../src/vmdk/disk.js';
import { parseDescriptor } from '../../src/vmdk/descriptor.js';
import type { Extent } from '../../src/vmdk/extent.js';
import { openSparseExtent } from '../../src/vmdk/sparse-extent.js';
import { openCowdExtent } from '../../src/vmdk/cowd-extent.js';
import { openSeSparseExtent } from '../../src/vmdk/sesparse-extent.js';
import { writeCowd, writeHostedSparse, writeSeSparse, writeStreamOptimized } from '../builders/vmdk-writer.js';
import { mutateFiles, mutateText, type Files, type Rng } from './mutate.js';
import { type FuzzTarget, SECTOR, FULL_READ_LIMIT, readAround } from './target-kit.js';

/** Random disk content: some grains data, some zero. */
export function content(rng: Rng, bytes: number, grainBytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let at = 0; at < bytes; at += grainBytes) {
    if (rng.chance(0.5)) out.set(rng.bytes(Math.min(grainBytes, bytes - at)), at);
  }
  return out;
}

export async function openReadMap(path: string, rng: Rng, options = {}): Promise<string> {
  const disk = await openDisk(path, options);
  try {
    await readAround(disk, rng);
    const ranges = await disk.map(0, disk.size);
    return `disk ${disk.size} bytes, ${ranges.length} ranges, ${disk.info.warnings.length} warnings`;
  } finally {
    await disk.close();
  }
}

export async function readExtent(extent: Extent, rng: Rng): Promise<string> {
  const size = Math.min(extent.size, FULL_READ_LIMIT);
  for (let at = 0; at < size; ) {
    const length = Math.min(size - at, rng.pick([SECTOR, 4096, 65536]));
    await extent.read(at, new Uint8Array(length), async (out) => void out.fill(0));
    at += length;
  }
  const ranges = await extent.map(0, extent.size);
  return `extent ${extent.size} bytes, ${ranges.length} ranges`;
}

export type BinaryKind = 'sparse' | 'streamOptimized' | 'cowd' | 'seSparse';

export function binaryImage(kind: BinaryKind, rng: Rng, base?: Uint8Array): { bytes: Uint8Array; content: Uint8Array } {
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

export function binaryDisk(kind: BinaryKind): FuzzTarget {
  return {
    name: `vmdk-${kind}`,
    async generate(rng) {
      return { files: new Map([['disk.vmdk', binaryImage(kind, rng).bytes]]), main: 'disk.vmdk', hints: { regions: [{ file: 'disk.vmdk', start: 0, length: 2048 }] } };
    },
    run: (input, ctx, rng) => openReadMap(join(ctx.dir, 'in', input.main), rng),
  };
}

export function binaryExtent(kind: BinaryKind): FuzzTarget {
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

export function descriptorText(d: { cid: string; parentCid?: string; createType: string; hint?: string; extents: string[] }): string {
  const lines = ['# Disk DescriptorFile', 'version=1', `CID=${d.cid}`, `parentCID=${d.parentCid ?? 'ffffffff'}`, `createType="${d.createType}"`];
  if (d.hint) lines.push(`parentFileNameHint="${d.hint}"`);
  lines.push('', '# Extent description', ...d.extents, '', '# The Disk Data Base', '#DDB', '', 'ddb.adapterType = "lsilogic"', '');
  return lines.join('\n');
}

/** A descriptor over flat, zero and sparse extents in one directory. */
export const descriptorTarget: FuzzTarget = {
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
export const chainTarget: FuzzTarget = {
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
export const REAL_SETS: { dir: string; main: string; files: string[] }[] = [
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

export const realVmdkTarget: FuzzTarget = {
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
