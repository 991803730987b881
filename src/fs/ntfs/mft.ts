/**
 * The Master File Table: reading records by number, bootstrapping $MFT's own (possibly
 * fragmented, attribute-listed) $DATA, and putting a file together from its base record and
 * extension records.
 *
 * Sources: libyal libfsntfs "MFT" and "Attribute list" notes. Record 0 describes $MFT; its first
 * $DATA extent starts at the boot sector's $MFT LCN. When $MFT has an $ATTRIBUTE_LIST, the rest of
 * its runs are in extension records that the first extent(s) already map (Windows places them low).
 */
import { GrtError, warningFrom, type GrtWarning } from '../../errors.js';
import { readInto, type ByteSource } from '../../io/byte-source.js';
import type { StreamLayout } from '../file-system.js';
import { ATTR_ATTRIBUTE_LIST, ATTR_DATA, type Attribute } from './attribute.js';
import { MAX_ATTRIBUTE_LIST_BYTES, parseAttributeList } from './attribute-list.js';
import type { BootSector } from './boot-sector.js';
import { buildLayout, openLayoutStream, sourceOffsetAt } from './data-stream.js';
import { parseMftRecord, type MftRecord } from './mft-record.js';

/** Extension records one file may have: bounded by what a maximal attribute list can name. */
const MAX_EXTENSION_RECORDS = MAX_ATTRIBUTE_LIST_BYTES / 32;

/** A file's base record with the attributes of all its extension records merged in. */
export interface NtfsFile {
  record: MftRecord;
  /** Every attribute, base record first; $ATTRIBUTE_LIST itself is dropped once resolved. */
  attributes: Attribute[];
  warnings: GrtWarning[];
}

export type RecordGetter = (recordNumber: number) => Promise<MftRecord>;

/** All extents of the attribute (type, name), sorted by first VCN. */
export function extentsOf(attributes: readonly Attribute[], type: number, name: string): Attribute[] {
  return attributes
    .filter((a) => a.type === type && a.name === name)
    .sort((a, b) => (a.nonResident?.startVcn ?? 0) - (b.nonResident?.startVcn ?? 0));
}

/** Read an attribute's whole value (resident or not), refusing anything longer than `maxBytes`. */
export async function readAttributeValue(source: ByteSource, extents: Attribute[], clusterSize: number, maxBytes: number, structure: string): Promise<Uint8Array> {
  const layout = buildLayout(extents, clusterSize, structure);
  if (layout.size > maxBytes) throw new GrtError('LIMIT_EXCEEDED', 'attribute value too large', { structure, expected: maxBytes, actual: layout.size });
  return openLayoutStream(source, layout).read(0, layout.size);
}

/**
 * Merge a base record with the extension records its $ATTRIBUTE_LIST names. A missing or foreign
 * extension record is a warning (the attributes it held are then absent), not a failure.
 */
export async function assembleFile(base: MftRecord, getRecord: RecordGetter, source: ByteSource, clusterSize: number): Promise<NtfsFile> {
  const warnings: GrtWarning[] = [];
  const list = base.attributes.filter((a) => a.type === ATTR_ATTRIBUTE_LIST);
  if (list.length === 0) return { record: base, attributes: base.attributes, warnings };
  const structure = `MFT record ${base.recordNumber} attribute list`;
  const attributes = base.attributes.filter((a) => a.type !== ATTR_ATTRIBUTE_LIST);
  try {
    const entries = parseAttributeList(await readAttributeValue(source, list, clusterSize, MAX_ATTRIBUTE_LIST_BYTES, structure), structure);
    const holders = [...new Set(entries.map((e) => e.holder.record))].filter((n) => n !== base.recordNumber);
    if (holders.length > MAX_EXTENSION_RECORDS) throw new GrtError('LIMIT_EXCEEDED', 'too many extension records', { structure, expected: MAX_EXTENSION_RECORDS, actual: holders.length });
    for (const holder of holders) {
      try {
        const extension = await getRecord(holder);
        if (extension.base.record !== base.recordNumber || !extension.inUse) {
          throw new GrtError('BAD_RECORD', 'extension record belongs to another file', { structure: `MFT record ${holder}`, offset: extension.attributes[0]?.byteOffset, space: 'volume', expected: base.recordNumber, actual: extension.base.record });
        }
        attributes.push(...extension.attributes);
      } catch (error) {
        if (!(error instanceof GrtError)) throw error;
        warnings.push(warningFrom(error));
      }
    }
  } catch (error) {
    if (!(error instanceof GrtError)) throw error;
    warnings.push(warningFrom(error));
  }
  return { record: base, attributes, warnings };
}

export class Mft {
  private constructor(
    /** The volume, cached: records and index nodes are read again and again. */
    readonly metaSource: ByteSource,
    readonly boot: BootSector,
    readonly layout: StreamLayout,
    private readonly stream: ByteSource,
  ) {}

  get recordCount(): number {
    return Math.floor(this.layout.size / this.boot.recordSize);
  }

  /** Open the MFT: read record 0 at the boot sector's LCN, then its full $DATA run list. */
  static async open(metaSource: ByteSource, boot: BootSector, warnings: GrtWarning[]): Promise<Mft> {
    const { recordSize, clusterSize } = boot;
    let offset = boot.mftLcn * clusterSize;
    let record0: MftRecord;
    try {
      record0 = parseMftRecord((await metaSource.read(offset, recordSize)).slice(), 0, offset, boot.clusterCount);
    } catch (error) {
      // $MFTMirr holds a copy of the first records, record 0 included (libfsntfs "MFT mirror").
      const mirror = boot.mftMirrorLcn * clusterSize;
      if (!(error instanceof GrtError) || mirror + recordSize > metaSource.size) throw error;
      record0 = parseMftRecord((await metaSource.read(mirror, recordSize)).slice(), 0, mirror, boot.clusterCount);
      warnings.push({ ...warningFrom(error), message: `${error.message}; $MFT located through $MFTMirr` });
      offset = mirror;
    }
    let extents = extentsOf(record0.attributes, ATTR_DATA, '');
    if (extents.length === 0 || !extents[0]!.nonResident) throw new GrtError('BAD_RECORD', '$MFT has no non-resident $DATA', { structure: 'MFT record 0', offset, space: 'volume' });
    const partialLayout = buildLayout(extents, clusterSize, '$MFT', true);
    const partial = new Mft(metaSource, boot, partialLayout, openLayoutStream(metaSource, partialLayout));
    if (record0.attributes.some((a) => a.type === ATTR_ATTRIBUTE_LIST)) {
      const file = await assembleFile(record0, (n) => partial.readRecord(n), metaSource, clusterSize);
      warnings.push(...file.warnings);
      extents = extentsOf(file.attributes, ATTR_DATA, '');
    }
    const layout = buildLayout(extents, clusterSize, '$MFT');
    if (layout.size > boot.volumeSize || layout.size < 16 * recordSize) {
      throw new GrtError('BAD_ATTRIBUTE', '$MFT size does not fit the volume', { structure: 'MFT record 0', offset: extents[0]?.byteOffset, space: 'volume', expected: boot.volumeSize, actual: layout.size });
    }
    return new Mft(metaSource, boot, layout, openLayoutStream(metaSource, layout));
  }

  /** One record, parsed (fixups applied); throws GrtError when it is damaged. */
  async readRecord(recordNumber: number): Promise<MftRecord> {
    const { recordSize } = this.boot;
    if (!Number.isSafeInteger(recordNumber) || recordNumber < 0 || (recordNumber + 1) * recordSize > this.layout.size) {
      throw new GrtError('NOT_FOUND', 'record number past the end of $MFT', { structure: `MFT record ${recordNumber}`, expected: this.recordCount, actual: recordNumber });
    }
    const bytes = (await this.stream.read(recordNumber * recordSize, recordSize)).slice();
    return parseMftRecord(bytes, recordNumber, this.recordOffset(recordNumber), this.boot.clusterCount);
  }

  /**
   * Raw bytes of the records from `first` into `target` (a whole number of records), one large
   * read into the caller's buffer (the linear scan reuses one buffer for every chunk).
   */
  readRecordsInto(first: number, target: Uint8Array): Promise<void> {
    return readInto(this.stream, first * this.boot.recordSize, target);
  }

  /** Volume byte offset of a record (for messages); -1 in a hole. Runs for every record a scan parses. */
  recordOffset(recordNumber: number): number {
    return sourceOffsetAt(this.layout.runs, recordNumber * this.boot.recordSize) ?? -1;
  }

  /**
   * Volume byte offset of a resident attribute's value (for messages), or undefined. A loaded
   * record's bytes are its own buffer, so the value's byteOffset is its place in the record.
   */
  valueOffset(attribute: Attribute): number | undefined {
    const recordOffset = this.recordOffset(attribute.recordNumber);
    const value = attribute.value;
    return value && recordOffset >= 0 && value.buffer.byteLength === this.boot.recordSize ? recordOffset + value.byteOffset : undefined;
  }

  async loadFile(recordNumber: number): Promise<NtfsFile> {
    const base = await this.readRecord(recordNumber);
    return assembleFile(base, (n) => this.readRecord(n), this.metaSource, this.boot.clusterSize);
  }
}
