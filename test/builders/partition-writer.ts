/**
 * Test-side writer of partition tables (MBR + EBR chain, GPT primary + backup + protective MBR) and
 * a sparse in-memory disk, so tests can describe terabyte disks without allocating them.
 * Written from UEFI 2.10 §5.2–5.3 independently of src/volume (it must not share its code, or a
 * round-trip test could not catch a misreading of the spec).
 */
import { checkRange, type ByteSource } from '../../src/io/byte-source.js';
import { crc32 } from '../../src/util/crc32.js';

const PAGE = 4096;

/** A ByteSource that stores only the pages written to it and reads zeros elsewhere. */
export class SparseDisk implements ByteSource {
  private readonly pages = new Map<number, Uint8Array>();
  constructor(readonly size: number) {}

  write(offset: number, bytes: Uint8Array): void {
    checkRange(this, offset, bytes.length, 'sparse disk');
    for (let done = 0; done < bytes.length; ) {
      const page = Math.floor((offset + done) / PAGE);
      const within = (offset + done) % PAGE;
      const take = Math.min(PAGE - within, bytes.length - done);
      let data = this.pages.get(page);
      if (!data) this.pages.set(page, (data = new Uint8Array(PAGE)));
      data.set(bytes.subarray(done, done + take), within);
      done += take;
    }
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    return this.readSync(offset, length);
  }

  readSync(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length, 'sparse disk');
    const out = new Uint8Array(length);
    for (let done = 0; done < length; ) {
      const page = Math.floor((offset + done) / PAGE);
      const within = (offset + done) % PAGE;
      const take = Math.min(PAGE - within, length - done);
      const data = this.pages.get(page);
      if (data) out.set(data.subarray(within, within + take), done);
      done += take;
    }
    return out;
  }

  /** Byte offsets of the pages holding data (for damage tests that flip bits where tables are). */
  writtenOffsets(): number[] {
    return [...this.pages.keys()].sort((a, b) => a - b).map((page) => page * PAGE);
  }

  /** Flip one bit in place (the page is created if absent). */
  flipBit(offset: number, bit: number): void {
    const [byte] = this.readSync(offset, 1);
    this.write(offset, Uint8Array.of(byte! ^ (1 << (bit & 7))));
  }

  /** The same content, cut (or grown with zeros) to `size` bytes. */
  resized(size: number): SparseDisk {
    const copy = new SparseDisk(size);
    for (const [page, data] of this.pages) {
      const offset = page * PAGE;
      if (offset < size) copy.write(offset, data.subarray(0, Math.min(PAGE, size - offset)));
    }
    return copy;
  }
}

export interface PartitionSpec {
  /** MBR: primary slot 1–4 (logical ones are numbered by order). GPT: entry slot, 1-based. */
  index?: number;
  startSector: number;
  sectorCount: number;
  /** MBR type byte, or GPT type GUID text. */
  type: number | string;
  /** GPT name (≤ 36 UTF-16 code units). */
  name?: string;
  /** GPT unique GUID text; derived from the slot when absent. */
  guid?: string;
  /** GPT attribute bits. */
  attributes?: bigint;
  bootable?: boolean;
  /** MBR: a logical partition inside the (first) extended primary. */
  logical?: boolean;
  /** MBR logical: where its EBR sits (default: the extended start for the first, the sector before it otherwise). */
  ebrSector?: number;
}

export interface LayoutSpec {
  scheme: 'mbr' | 'gpt';
  sectorSize: 512 | 4096;
  partitions: PartitionSpec[];
  /** GPT entry array shape (defaults: 128 entries of 128 bytes at LBA 2). */
  entryCount?: number;
  entrySize?: number;
}

const EXTENDED = new Set([0x05, 0x0f, 0x85]);

function putRecord(sector: Uint8Array, slot: number, type: number, start: number, count: number, bootable = false): void {
  const view = new DataView(sector.buffer, sector.byteOffset, sector.byteLength);
  const at = 446 + slot * 16;
  view.setUint8(at, bootable ? 0x80 : 0);
  view.setUint8(at + 4, type);
  view.setUint32(at + 8, start, true);
  view.setUint32(at + 12, count, true);
  sector[510] = 0x55;
  sector[511] = 0xaa;
}

/** Write the table bytes of `layout` into `disk` (partition contents are left alone). */
export function writePartitionTable(disk: SparseDisk, layout: LayoutSpec): void {
  if (layout.scheme === 'mbr') writeMbr(disk, layout);
  else writeGpt(disk, layout);
}

function writeMbr(disk: SparseDisk, layout: LayoutSpec): void {
  const ss = layout.sectorSize;
  const mbr = new Uint8Array(512);
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  const primaries = layout.partitions.filter((p) => !p.logical);
  for (const p of primaries) putRecord(mbr, p.index! - 1, p.type as number, p.startSector, p.sectorCount, p.bootable);
  disk.write(0, mbr);
  const logicals = layout.partitions.filter((p) => p.logical);
  if (logicals.length === 0) return;
  const container = primaries.find((p) => EXTENDED.has(p.type as number));
  if (!container) throw new Error('logical partitions need an extended primary');
  const ebrSectors = logicals.map((p, i) => p.ebrSector ?? (i === 0 ? container.startSector : p.startSector - 1));
  logicals.forEach((p, i) => {
    const ebr = new Uint8Array(512);
    const here = ebrSectors[i]!;
    putRecord(ebr, 0, p.type as number, p.startSector - here, p.sectorCount, p.bootable);
    const next = ebrSectors[i + 1];
    if (next !== undefined) {
      const nextLogical = logicals[i + 1]!;
      // The link covers the next EBR and its partition; its start is relative to the extended start.
      putRecord(ebr, 1, 0x05, next - container.startSector, nextLogical.startSector + nextLogical.sectorCount - next);
    }
    disk.write(here * ss, ebr);
  });
}

/** On-disk bytes of a GUID text: the first three fields little-endian (UEFI appendix A). */
export function guidBytes(text: string): Uint8Array {
  const hex = text.replace(/-/g, '');
  const b = Uint8Array.from({ length: 16 }, (_, i) => Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16));
  return Uint8Array.of(b[3]!, b[2]!, b[1]!, b[0]!, b[5]!, b[4]!, b[7]!, b[6]!, ...b.subarray(8));
}

function writeGpt(disk: SparseDisk, layout: LayoutSpec): void {
  const ss = layout.sectorSize;
  const entryCount = layout.entryCount ?? 128;
  const entrySize = layout.entrySize ?? 128;
  const diskSectors = Math.floor(disk.size / ss);
  const lastLba = diskSectors - 1;
  const arraySectors = Math.ceil((entryCount * entrySize) / ss);
  const entries = new Uint8Array(arraySectors * ss);
  const view = new DataView(entries.buffer);
  for (const p of layout.partitions) {
    const at = (p.index! - 1) * entrySize;
    entries.set(guidBytes(p.type as string), at);
    entries.set(guidBytes(p.guid ?? `00000000-0000-4000-8000-${p.index!.toString(16).padStart(12, '0')}`), at + 16);
    view.setBigUint64(at + 32, BigInt(p.startSector), true);
    view.setBigUint64(at + 40, BigInt(p.startSector + p.sectorCount - 1), true);
    view.setBigUint64(at + 48, p.attributes ?? 0n, true);
    const name = p.name ?? '';
    for (let i = 0; i < name.length && i < 36; i++) view.setUint16(at + 56 + i * 2, name.charCodeAt(i), true);
  }
  const arrayCrc = crc32(entries.subarray(0, entryCount * entrySize));
  const header = (myLba: number, alternateLba: number, entryLba: number) => {
    const sector = new Uint8Array(ss);
    const h = new DataView(sector.buffer);
    sector.set(new TextEncoder().encode('EFI PART'), 0);
    h.setUint32(8, 0x00010000, true);
    h.setUint32(12, 92, true);
    h.setBigUint64(24, BigInt(myLba), true);
    h.setBigUint64(32, BigInt(alternateLba), true);
    h.setBigUint64(40, BigInt(2 + arraySectors), true);
    h.setBigUint64(48, BigInt(lastLba - arraySectors - 1), true);
    sector.set(guidBytes('12345678-9abc-4def-8123-456789abcdef'), 56);
    h.setBigUint64(72, BigInt(entryLba), true);
    h.setUint32(80, entryCount, true);
    h.setUint32(84, entrySize, true);
    h.setUint32(88, arrayCrc, true);
    h.setUint32(16, crc32(sector.subarray(0, 92)), true);
    return sector;
  };
  const pmbr = new Uint8Array(512);
  putRecord(pmbr, 0, 0xee, 1, Math.min(diskSectors - 1, 0xffffffff));
  disk.write(0, pmbr);
  disk.write(ss, header(1, lastLba, 2));
  disk.write(2 * ss, entries);
  disk.write((lastLba - arraySectors) * ss, entries);
  disk.write(lastLba * ss, header(lastLba, 1, lastLba - arraySectors));
}
