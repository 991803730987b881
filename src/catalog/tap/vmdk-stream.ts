/**
 * A streamOptimized VMDK read as it is written, front to back: the header and embedded descriptor,
 * then grain markers with their compressed grains, grain tables, grain directory, footer and the
 * end-of-stream marker. Grains the tap wants are inflated and handed on as disk bytes; the others
 * are skipped unread (only their place is noted). Memory: one compressed grain at most.
 *
 * Sources: VMware "Virtual Disk Format 5.0" technote, "Stream-Optimized Compressed Sparse Extents"
 * (grain marker: lba u64, size u32, then the deflate data, padded to a sector; metadata marker:
 * sector count u64, size 0, type u32, padded to a sector, then that many sectors).
 */
import zlib from 'node:zlib';
import { GrtError, type GrtWarning } from '../../errors.js';
import { parseDescriptor } from '../../vmdk/descriptor.js';
import { createInflater, inflateError } from '../../vmdk/inflate.js';
import { KDMV_FLAG_COMPRESSED, KDMV_FLAG_MARKERS, parseKdmvHeader, SECTOR_BYTES, type KdmvHeader } from '../../vmdk/sparse-header.js';
import { GRAIN_RECORD_HEADER_BYTES, MARKER_EOS, MARKER_FOOTER, MARKER_GD, MARKER_GT, maxCompressedBytes } from '../../vmdk/stream-optimized.js';

/** Sectors before the first marker the decoder buffers (header + embedded descriptor); VMware writes 128. */
const MAX_OVERHEAD_SECTORS = 4096;
/** A metadata marker's header: sector count u64, size u32 (0), type u32. */
const METADATA_MARKER_BYTES = 16;

/** What the decoder hands on. */
export interface GrainSink {
  /** The header and descriptor are read: capacity and CIDs known, grains follow. */
  start(identity: StreamIdentity): Promise<void>;
  /**
   * A grain's marker arrived: whether any byte of [diskOffset, diskOffset + length) is wanted (then
   * the grain is inflated). Called before its data, so what lies below it is settled first.
   */
  wants(diskOffset: number, length: number): Promise<boolean>;
  /**
   * A grain's disk bytes (clipped to the capacity), or only its place when it was skipped (`bytes`
   * undefined). The bytes are the decoder's one grain buffer: valid until the returned promise settles.
   */
  grain(diskOffset: number, length: number, bytes: Uint8Array | undefined): void | Promise<void>;
}

export interface StreamIdentity {
  header: KdmvHeader;
  capacity: number;
  cid?: string;
  parentCid?: string;
  createType?: string;
}

export class VmdkStreamDecoder {
  /** Bytes of the stream consumed so far (file offset). */
  private fileOffset = 0;
  /** Bytes collected for the current step. */
  private pending = new Uint8Array(0);
  private pendingUsed = 0;
  /** Bytes to skip before the next step (padding, metadata, an unwanted grain's data). */
  private skip = 0;
  private step: 'head' | 'overhead' | 'marker' | 'grain' | 'done' = 'head';
  private grainOffset = 0;
  private grainLength = 0;
  private readonly inflater = createInflater(zlib);
  /**
   * The buffers every marker, compressed grain and inflated grain is read into, reused: a new array
   * each was an ArrayBuffer per grain record, and the 64 KiB inflated grains the tap keeps (the
   * MFT's, 99 MiB for 100,000 files) became garbage as soon as they were copied into the kept pages.
   */
  private readonly markerBytes = new Uint8Array(METADATA_MARKER_BYTES);
  private compressedBytes = new Uint8Array(0);
  private grainBytes = new Uint8Array(0);
  identity: StreamIdentity | undefined;
  readonly warnings: GrtWarning[] = [];

  constructor(private readonly sink: GrainSink) {
    this.collect(SECTOR_BYTES);
  }

  get ended(): boolean {
    return this.step === 'done';
  }

  /** Feed the next bytes of the file. */
  async push(bytes: Uint8Array): Promise<void> {
    let at = 0;
    while (at < bytes.length) {
      // After the end-of-stream marker: padding (qemu rounds the file up), which a reader of the file ignores too.
      if (this.step === 'done') return;
      if (this.skip > 0) {
        const n = Math.min(this.skip, bytes.length - at);
        this.skip -= n;
        at += n;
        this.fileOffset += n;
        continue;
      }
      const wanted = this.pending.length - this.pendingUsed;
      const n = Math.min(wanted, bytes.length - at);
      this.pending.set(bytes.subarray(at, at + n), this.pendingUsed);
      this.pendingUsed += n;
      at += n;
      this.fileOffset += n;
      if (this.pendingUsed === this.pending.length) await this.completeStep();
    }
  }

  private collect(length: number): void {
    this.pending = new Uint8Array(length);
    this.pendingUsed = 0;
  }

  private collectMarker(): void {
    this.pending = this.markerBytes;
    this.pendingUsed = 0;
  }

  /** Skip to the next sector boundary of the file, then `extra` bytes more. */
  private skipToSector(extra = 0): void {
    this.skip = (SECTOR_BYTES - (this.fileOffset % SECTOR_BYTES)) % SECTOR_BYTES + extra;
  }

  private async completeStep(): Promise<void> {
    switch (this.step) {
      case 'head':
        return this.readHeader();
      case 'overhead':
        return this.readDescriptor();
      case 'marker':
        return this.readMarker();
      case 'grain':
        return this.readGrain();
    }
  }

  private async readHeader(): Promise<void> {
    const header = parseKdmvHeader(this.pending, 0, '-', this.warnings);
    if ((header.flags & KDMV_FLAG_COMPRESSED) === 0 || (header.flags & KDMV_FLAG_MARKERS) === 0) {
      throw new GrtError('UNSUPPORTED', 'a VMDK stream must be streamOptimized (compressed grains with markers); catalog other sparse VMDKs after the backup', { structure: 'KDMV header', offset: 0, space: 'file' });
    }
    if (header.overheadSectors > MAX_OVERHEAD_SECTORS || header.descriptorSector + header.descriptorSectors > Math.max(1, header.overheadSectors)) {
      throw new GrtError('BAD_HEADER', 'the embedded descriptor is not inside the header sectors', { structure: 'KDMV header', offset: 0, space: 'file', expected: `≤ ${MAX_OVERHEAD_SECTORS} sectors`, actual: header.overheadSectors });
    }
    this.identity = { header, capacity: header.capacitySectors * SECTOR_BYTES };
    this.step = 'overhead';
    // The rest of the overhead (descriptor, padding) after the header sector.
    this.collect(Math.max(0, header.overheadSectors - 1) * SECTOR_BYTES);
    if (this.pending.length === 0) return this.readDescriptor();
  }

  private async readDescriptor(): Promise<void> {
    const { header } = this.identity!;
    if (header.descriptorSectors > 0 && header.descriptorSector >= 1) {
      const start = (header.descriptorSector - 1) * SECTOR_BYTES;
      const text = this.pending.subarray(start, start + header.descriptorSectors * SECTOR_BYTES);
      const end = text.indexOf(0);
      const descriptor = parseDescriptor(end < 0 ? text : text.subarray(0, end), '-');
      if (descriptor.cid !== undefined) this.identity!.cid = descriptor.cid;
      if (descriptor.parentCid !== undefined) this.identity!.parentCid = descriptor.parentCid;
      if (descriptor.createType !== undefined) this.identity!.createType = descriptor.createType;
    }
    this.step = 'marker';
    this.collectMarker();
    await this.sink.start(this.identity!);
  }

  private async readMarker(): Promise<void> {
    const view = new DataView(this.pending.buffer, this.pending.byteOffset, this.pending.byteLength);
    const value = view.getUint32(0, true) + view.getUint32(4, true) * 0x1_0000_0000;
    const size = view.getUint32(8, true);
    const { header, capacity } = this.identity!;
    const grainBytes = header.grainSectors * SECTOR_BYTES;
    const at = this.fileOffset - METADATA_MARKER_BYTES;
    if (size > 0) {
      const diskOffset = value * SECTOR_BYTES;
      if (value % header.grainSectors !== 0 || diskOffset >= capacity || size > maxCompressedBytes(grainBytes)) {
        throw new GrtError('BAD_MARKER', 'an implausible grain marker', { structure: 'grain marker', offset: at, space: 'file', actual: { lba: value, size } });
      }
      this.grainOffset = diskOffset;
      this.grainLength = Math.min(grainBytes, capacity - diskOffset);
      // The 4 bytes after the 12-byte grain header are already the grain's first compressed bytes.
      const first = this.pending.subarray(GRAIN_RECORD_HEADER_BYTES);
      if (await this.sink.wants(diskOffset, this.grainLength)) {
        if (this.compressedBytes.length < size) this.compressedBytes = new Uint8Array(maxCompressedBytes(grainBytes));
        const data = this.compressedBytes.subarray(0, size);
        data.set(first.subarray(0, Math.min(size, first.length)));
        this.step = 'grain';
        this.pending = data;
        this.pendingUsed = Math.min(size, first.length);
        if (this.pendingUsed === size) await this.readGrain();
        return;
      }
      await this.sink.grain(diskOffset, this.grainLength, undefined);
      this.afterGrain(size - Math.min(size, first.length));
      return;
    }
    const type = view.getUint32(12, true);
    if (type === MARKER_EOS) {
      this.step = 'done';
      this.skipToSector();
      return;
    }
    if (type !== MARKER_GT && type !== MARKER_GD && type !== MARKER_FOOTER) {
      throw new GrtError('BAD_MARKER', 'an unknown marker type', { structure: 'metadata marker', offset: at, space: 'file', actual: type });
    }
    // The marker fills its sector; `value` sectors of metadata follow (skipped: the tap needs none).
    this.skipToSector(value * SECTOR_BYTES);
    this.collectMarker();
  }

  private async readGrain(): Promise<void> {
    const grainBytes = this.identity!.header.grainSectors * SECTOR_BYTES;
    if (this.grainBytes.length !== grainBytes) this.grainBytes = new Uint8Array(grainBytes);
    const out = this.grainBytes;
    const produced = this.inflater.inflate(this.pending, out);
    const details = { structure: `compressed grain at lba ${this.grainOffset / SECTOR_BYTES}`, offset: this.fileOffset - this.pending.length, space: 'file' } as const;
    if (produced < 0) throw inflateError(produced, this.inflater.lastError, out.length, details);
    if (produced < this.grainLength) throw new GrtError('BAD_COMPRESSED_DATA', 'a grain inflates to less than a grain', { ...details, expected: this.grainLength, actual: produced });
    out.fill(0, produced);
    this.step = 'marker';
    await this.sink.grain(this.grainOffset, this.grainLength, out.subarray(0, this.grainLength));
    this.afterGrain(0);
  }

  /** After a grain record: `remaining` compressed bytes to skip, then padding to the sector. */
  private afterGrain(remaining: number): void {
    this.step = 'marker';
    this.collectMarker();
    this.skip = remaining;
    // Padding counts from the end of the record: the file offset once `remaining` is skipped.
    const recordEnd = this.fileOffset + remaining;
    this.skip += (SECTOR_BYTES - (recordEnd % SECTOR_BYTES)) % SECTOR_BYTES;
  }
}
