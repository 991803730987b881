/** Fuzz targets for the partition layer: synthetic MBR/GPT layouts and the committed partition images, with GPT checksums recomputed after damage. */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { checkRange, type ByteSource } from '../../src/io/byte-source.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { listVolumes } from '../../src/volume/list-volumes.js';
import { crc32 } from '../../src/util/crc32.js';
import { SparseDisk, writePartitionTable, type LayoutSpec } from '../builders/partition-writer.js';
import { mutateFiles, type Rng } from './mutate.js';
import { type FuzzTarget, SECTOR, FULL_READ_LIMIT, readAround } from './target-kit.js';

/** Where a partition starts and how many sectors it has: small, so a disk is a few MiB. */
export function randomLayout(rng: Rng): LayoutSpec {
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

export async function listAndRead(disk: ByteSource, rng: Rng): Promise<string> {
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
export const GPT_FIXUP_MAX_ARRAY = 1024 * 1024;

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
export function mutateWithFixup(fixup: (bytes: Uint8Array) => void): FuzzTarget['mutate'] {
  return (input, rng) => {
    const damaged = mutateFiles(input.files, rng, input.hints);
    if (rng.chance(0.8)) {
      for (const bytes of damaged.files.values()) fixup(bytes);
      damaged.log.push('checksums recomputed');
    }
    return damaged;
  };
}

export const volumeTarget: FuzzTarget = {
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
export const TABLE_SPAN = 1024 * 1024;
/** Gunzipped ends of the committed images, per worker (a 100 MiB gunzip per case would dominate). */
export const realDiskEnds = new Map<string, { head: Uint8Array; tail: Uint8Array; size: number }>();

/** A disk of `size` bytes that holds `head` at its start, `tail` at its end, zeros between. */
export class EndsSource implements ByteSource {
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

export const realVolumeTarget: FuzzTarget = {
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
