/**
 * What an NTFS volume's catalog will read, worked out while the stream passes: the boot sector,
 * then $MFT's own record (record 0) gives the MFT's runs, which are then kept whole; the mount's
 * own reads ($Volume, $UpCase, the root index) are found by mounting against the kept bytes again
 * as they arrive; and each MFT record, once kept, names what describing it reads (a non-resident
 * attribute list, an Interix symlink's data).
 *
 * Sources: libyal libfsntfs "MFT" (record 0 describes $MFT; its first extent starts at the boot
 * sector's $MFT LCN) and "Attribute list".
 */
import type { GrtWarning } from '../../errors.js';
import { u16le, u32le } from '../../util/little-endian.js';
import type { LookaheadVolume, StreamLookahead, TapHooks } from '../stream-lookahead.js';
import { ATTR_ATTRIBUTE_LIST, ATTR_DATA, ATTR_INDEX_ALLOCATION, ATTR_REPARSE_POINT, type Attribute } from './attribute.js';
import { readBootSector, type BootSector } from './boot-sector.js';
import { buildLayout } from './data-stream.js';
import { describeFile, describeFileNow } from './file-entry.js';
import { extentsOf, Mft } from './mft.js';
import { FIXUP_STRIDE, MFT_RECORD_HEADER, parseMftRecord } from './mft-record.js';
import { ATTR_SECURITY_DESCRIPTOR } from './security-file.js';
import { SDS_STREAM_NAME, SECURE_RECORD } from './security-secure.js';
import { SII_INDEX_NAME } from './security-sii.js';
import { openNtfs } from './volume.js';

/** Attribute types whose non-resident form makes describing a record read more than the record (see predict). */
const LOOKED_AT_TYPES = new Set([ATTR_ATTRIBUTE_LIST, ATTR_SECURITY_DESCRIPTOR, ATTR_DATA, ATTR_REPARSE_POINT]);
/** Bytes of an attribute header the pre-scan reads: type u32, length u32, non-resident flag u8 (libfsntfs "MFT attribute"). */
const SCANNED_HEADER_BYTES = 9;
/** The shortest attribute header (resident); a shorter length is damage the full parse reports. */
const MIN_ATTRIBUTE_BYTES = 16;
/** Attribute types end at this marker. */
const ATTRIBUTE_END = 0xffffffff;
const RECORD_AT = MFT_RECORD_HEADER.offsets;

/**
 * Whether a kept record (fixups not yet applied) may need predict's full parse: false only when a
 * walk of its attribute headers meets none of LOOKED_AT_TYPES non-resident before the end marker.
 * Most records (a small file: names, times, resident data) then cost a few reads instead of a
 * parse. A header with a byte in the last two of a 512-byte stride (where the update sequence
 * number stands in until fixups are applied), or any oddity, answers true: the parse decides.
 */
export function mayNeedLook(bytes: Uint8Array): boolean {
  const used = Math.min(u32le(bytes, RECORD_AT.usedSize), bytes.length);
  for (let at = u16le(bytes, RECORD_AT.firstAttributeOffset); ; ) {
    // The end marker is the type field alone (a record's used size may end 4 bytes after it).
    if (!scannable(at, 4, used)) return true;
    const type = u32le(bytes, at);
    if (type === ATTRIBUTE_END) return false;
    if (!scannable(at, SCANNED_HEADER_BYTES, used)) return true;
    const length = u32le(bytes, at + 4);
    if (length < MIN_ATTRIBUTE_BYTES || (bytes[at + 8] !== 0 && LOOKED_AT_TYPES.has(type))) return true;
    at += length;
  }
}

/** Whether [at, at + length) lies in the used part of a record and off the two fixup bytes at the end of each stride. */
function scannable(at: number, length: number, used: number): boolean {
  return at + length <= used && (at % FIXUP_STRIDE) + length <= FIXUP_STRIDE - 2;
}

/** One piece of the MFT: `length` bytes of the $MFT stream from `mftOffset` at disk byte `diskOffset`. */
interface MftPiece {
  mftOffset: number;
  diskOffset: number;
  length: number;
}

export class NtfsLookahead implements StreamLookahead {
  readonly steps = [() => this.findMft(), () => this.mount(), () => this.findSecure()];
  private boot: BootSector | undefined;
  private pieces: MftPiece[] = [];
  /** Records already looked at (one bit each). */
  private seen = new Uint8Array(0);
  /**
   * The record being looked at, copied out of the kept bytes (fixups are applied to it in place).
   * One buffer for all: records are looked at one after another, and nothing keeps one after its
   * look; a fresh 1 KiB array each was 100,000 native allocations for 100,000 files.
   */
  private recordBytes = new Uint8Array(0);
  mounted = false;

  constructor(
    readonly volume: LookaheadVolume,
    private readonly hooks: TapHooks,
  ) {}

  /** Boot sector and $MFT's runs: afterwards every MFT byte is wanted. */
  async findMft(): Promise<void> {
    const source = this.volume.source;
    const warnings: GrtWarning[] = [];
    const boot = await readBootSector(source, warnings);
    const mft = await Mft.open(source, boot, warnings);
    this.boot = boot;
    this.seen = new Uint8Array(Math.ceil(mft.recordCount / 8));
    for (const run of mft.layout.runs) {
      if (run.sourceOffset === null) continue;
      const piece = { mftOffset: run.streamOffset, diskOffset: this.volume.start + run.sourceOffset, length: run.length };
      this.pieces.push(piece);
      this.hooks.want(piece.diskOffset, piece.diskOffset + piece.length);
    }
    // Records kept before the runs were known (record 0's neighbours) are looked at now.
    for (const piece of this.pieces) await this.kept(piece.diskOffset, piece.diskOffset + piece.length);
  }

  /** Mount as the catalog will, and read what it reads before the scan (root listing, name rule). */
  async mount(): Promise<void> {
    const fs = await openNtfs(this.volume.source, {});
    try {
      await fs.readDir('/');
      await fs.stat('/');
      fs.nameRule();
    } finally {
      await fs.close?.();
    }
    this.mounted = true;
  }

  /**
   * $Secure's $SDS and $SII (record 9) are wanted whole: a catalog reads every file's owner through
   * them, each file a different B+tree path and descriptor. A $Secure with an attribute list keeps
   * what its base record names; the rest is read back after the stream.
   */
  async findSecure(): Promise<void> {
    const source = this.volume.source;
    const warnings: GrtWarning[] = [];
    const boot = this.boot ?? (await readBootSector(source, warnings));
    const mft = await Mft.open(source, boot, warnings);
    const record = await mft.readRecord(SECURE_RECORD);
    for (const [type, name] of [[ATTR_DATA, SDS_STREAM_NAME], [ATTR_INDEX_ALLOCATION, SII_INDEX_NAME]] as const) {
      this.wantRuns(record.attributes, type, name, boot.clusterSize);
    }
  }

  /** Want every cluster of the non-resident attribute `type`/`name` among `attributes`; whether it had any. */
  private wantRuns(attributes: readonly Attribute[], type: number, name: string, clusterSize: number): boolean {
    const extents = extentsOf(attributes, type, name).filter((a) => a.nonResident);
    if (extents.length === 0) return false;
    for (const run of buildLayout(extents, clusterSize, `MFT record ${extents[0]!.recordNumber}`, true).runs) {
      if (run.sourceOffset !== null) this.hooks.want(this.volume.start + run.sourceOffset, this.volume.start + run.sourceOffset + run.length);
    }
    return true;
  }

  /** After disk bytes [start, end) were kept: look at every MFT record they completed. */
  async kept(start: number, end: number): Promise<void> {
    const boot = this.boot;
    if (!boot) return;
    const { recordSize } = boot;
    for (const piece of this.pieces) {
      const from = Math.max(start, piece.diskOffset);
      const to = Math.min(end, piece.diskOffset + piece.length);
      if (from >= to) continue;
      const first = Math.floor((piece.mftOffset + from - piece.diskOffset) / recordSize);
      const last = Math.floor((piece.mftOffset + to - 1 - piece.diskOffset) / recordSize);
      for (let record = first; record <= last; record++) await this.lookAtRecord(record);
    }
  }

  /** The disk ranges of MFT record `record` (two when it straddles runs), or undefined past the MFT. */
  private recordRanges(record: number): MftPiece[] | undefined {
    const size = this.boot!.recordSize;
    const start = record * size;
    const out: MftPiece[] = [];
    let covered = 0;
    for (const piece of this.pieces) {
      const from = Math.max(start, piece.mftOffset);
      const to = Math.min(start + size, piece.mftOffset + piece.length);
      if (from >= to) continue;
      out.push({ mftOffset: from - start, diskOffset: piece.diskOffset + from - piece.mftOffset, length: to - from });
      covered += to - from;
    }
    return covered === size ? out : undefined;
  }

  private async lookAtRecord(record: number): Promise<void> {
    const bit = 1 << (record & 7);
    const byte = record >> 3;
    if (byte >= this.seen.length || (this.seen[byte]! & bit) !== 0) return;
    const ranges = this.recordRanges(record);
    if (!ranges || !ranges.every((r) => this.hooks.held(r.diskOffset, r.diskOffset + r.length))) return;
    this.seen[byte]! |= bit;
    if (this.recordBytes.length !== this.boot!.recordSize) this.recordBytes = new Uint8Array(this.boot!.recordSize);
    const bytes = this.recordBytes;
    for (const r of ranges) this.hooks.copy(r.diskOffset, bytes.subarray(r.mftOffset, r.mftOffset + r.length));
    // "FILE": anything else (zeros, BAAD) the scan skips.
    if (bytes[0] !== 0x46 || bytes[1] !== 0x49 || bytes[2] !== 0x4c || bytes[3] !== 0x45) return;
    if (!mayNeedLook(bytes)) return;
    await this.hooks.explore(() => this.predict(bytes, record));
  }

  /** What describing this record will read: its non-resident attribute list's runs, or describeFile's first read. */
  private async predict(bytes: Uint8Array, recordNumber: number): Promise<void> {
    const { clusterSize, clusterCount } = this.boot!;
    const record = parseMftRecord(bytes, recordNumber, -1, clusterCount);
    // A catalog reads a file's own (pre-NTFS 3.0 style) security descriptor for its owner.
    this.wantRuns(record.attributes, ATTR_SECURITY_DESCRIPTOR, '', clusterSize);
    if (this.wantRuns(record.attributes, ATTR_ATTRIBUTE_LIST, '', clusterSize)) return;
    if (record.base.record !== 0) return;
    // describeFile reads only a non-resident reparse point or an unnamed stream that may be an
    // Interix symlink: any other record needs no look (describing it costs as much as parsing it).
    if (!record.attributes.some((a) => a.nonResident && (a.type === ATTR_REPARSE_POINT || (a.type === ATTR_DATA && a.name === '')))) return;
    const file = { record, attributes: record.attributes, warnings: [] };
    if (describeFileNow(file) === undefined) await describeFile(file, this.volume.source, clusterSize);
  }
}
