/**
 * The replayed log as 512-byte sectors laid over the volume: replay writes the new contents of
 * buffers and inodes here, and the volume reads through it. Nothing is written to the image.
 */
import { GrtError } from '../../../errors.js';
import { checkRange, copyOut, type ByteSource, type HostCopy } from '../../../io/byte-source.js';
import { firstAtOrAfter } from '../../../util/sorted.js';

export const SECTOR = 512;
/** Sectors replay may rewrite (64 MiB): a log is at most 2 GiB, memory is bounded tighter. */
export const MAX_OVERLAY_SECTORS = 1 << 17;
/** Up to this many sectors a read looks each up; past it, it searches the sorted list. */
const DIRECT_LOOKUPS = 64;

export class SectorOverlay {
  private readonly sectors = new Map<number, Uint8Array>();
  private sorted: number[] | undefined;

  constructor(readonly source: ByteSource) {}

  get sectorCount(): number {
    return this.sectors.size;
  }

  /** A fresh copy of `length` bytes at `byteOffset`, replayed sectors included. */
  async read(byteOffset: number, length: number): Promise<Uint8Array> {
    const bytes = (await this.source.read(byteOffset, length)).slice();
    this.patch(byteOffset, bytes);
    return bytes;
  }

  /** Replace the bytes at `byteOffset` (whole sectors are kept, so partial ones are read first). */
  async write(byteOffset: number, bytes: Uint8Array): Promise<void> {
    checkRange(this.source, byteOffset, bytes.length, 'xfs log overlay');
    const first = Math.floor(byteOffset / SECTOR);
    const end = Math.ceil((byteOffset + bytes.length) / SECTOR);
    for (let index = first; index < end; index++) {
      let sector = this.sectors.get(index);
      if (!sector) {
        if (this.sectors.size >= MAX_OVERLAY_SECTORS) throw new GrtError('LIMIT_EXCEEDED', `the XFS log rewrites more than ${MAX_OVERLAY_SECTORS} sectors`, { structure: 'xfs log', offset: index * SECTOR, space: 'volume' });
        sector = (await this.source.read(index * SECTOR, SECTOR)).slice();
        this.sectors.set(index, sector);
        this.sorted = undefined;
      }
      const from = Math.max(byteOffset, index * SECTOR);
      const to = Math.min(byteOffset + bytes.length, (index + 1) * SECTOR);
      sector.set(bytes.subarray(from - byteOffset, to - byteOffset), from - index * SECTOR);
    }
  }

  /** Copy the replayed sectors that overlap [byteOffset, +bytes.length) into `bytes`. */
  patch(byteOffset: number, bytes: Uint8Array): void {
    for (const index of this.overlapping(byteOffset, bytes.length)) this.patchSector(index, byteOffset, bytes);
  }

  /** Whether any replayed sector overlaps [byteOffset, +length). */
  overlaps(byteOffset: number, length: number): boolean {
    return this.firstOverlapping(byteOffset, length) !== undefined;
  }

  /** The lowest replayed sector overlapping [byteOffset, +length), if any. */
  firstOverlapping(byteOffset: number, length: number): number | undefined {
    const first = this.overlapping(byteOffset, length).next();
    return first.done ? undefined : first.value;
  }

  /** The replayed sectors overlapping [byteOffset, +length), in ascending order. */
  private *overlapping(byteOffset: number, length: number): Generator<number> {
    if (this.sectors.size === 0 || length === 0) return;
    const first = Math.floor(byteOffset / SECTOR);
    const end = Math.ceil((byteOffset + length) / SECTOR);
    if (end - first <= DIRECT_LOOKUPS) {
      for (let index = first; index < end; index++) if (this.sectors.has(index)) yield index;
      return;
    }
    this.sorted ??= [...this.sectors.keys()].sort((a, b) => a - b);
    for (let i = firstAtOrAfter(this.sorted, first); i < this.sorted.length && this.sorted[i]! < end; i++) yield this.sorted[i]!;
  }

  private patchSector(index: number, byteOffset: number, bytes: Uint8Array): void {
    const sector = this.sectors.get(index)!;
    const from = Math.max(byteOffset, index * SECTOR);
    const to = Math.min(byteOffset + bytes.length, (index + 1) * SECTOR);
    bytes.set(sector.subarray(from - index * SECTOR, to - index * SECTOR), from - byteOffset);
  }
}

/** The volume as replayed: reads and kernel copies that touch no replayed sector cost one lookup. */
export class OverlaySource implements ByteSource {
  readonly size: number;

  constructor(private readonly overlay: SectorOverlay) {
    this.size = overlay.source.size;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const bytes = await this.overlay.source.read(offset, length);
    if (!this.overlay.overlaps(offset, length)) return bytes;
    const copy = bytes.slice();
    this.overlay.patch(offset, copy);
    return copy;
  }

  async readInto(offset: number, target: Uint8Array): Promise<void> {
    const { source } = this.overlay;
    if (source.readInto) await source.readInto(offset, target);
    else target.set(await source.read(offset, target.length));
    this.overlay.patch(offset, target);
  }

  /**
   * The run from `offset` up to the first replayed sector, handed to the volume's source (a file
   * untouched by the log goes by the kernel, restore/kernel-copy.ts); 0 when `offset` lies in a
   * replayed sector, whose bytes only memory holds: the caller reads those.
   */
  async copyOut(offset: number, length: number, copy: HostCopy): Promise<number> {
    checkRange(this, offset, length, 'xfs log overlay');
    const replayed = this.overlay.firstOverlapping(offset, length);
    const untouched = replayed === undefined ? length : replayed * SECTOR - offset;
    return untouched > 0 ? copyOut(this.overlay.source, offset, untouched, copy) : 0;
  }

  async close(): Promise<void> {
    await this.overlay.source.close?.();
  }
}
