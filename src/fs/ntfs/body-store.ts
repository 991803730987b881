/**
 * The descriptions a listing scan holds until the volume's paths are known (a path needs every
 * parent, and the MFT lists records in any order). Held as objects they cost ~500 bytes a file
 * (four bigints, three small objects, two arrays): `grt-ls -R` of 100,000 files needed 30–60 MiB
 * of heap and a few million files would exhaust it. Here the common part of a description is a
 * row of typed columns indexed by record number (51 bytes), and the rare parts — named streams,
 * warnings, link targets, undecodable data, layouts — a side entry for the records that have them.
 */
import type { GrtWarning } from '../../errors.js';
import type { EntryType, StreamInfo, StreamLayout } from '../file-system.js';
import type { EntryBody } from './file-entry.js';
import { grown } from '../../util/grown.js';
import { entryTimesOf, filetimeToNs, nsToFiletime } from '../../util/time.js';

/** Columns start this long and double: sized by the records met, never by a header. */
const INITIAL_ROWS = 1024;

const TYPES: readonly EntryType[] = ['file', 'dir', 'symlink', 'junction', 'other'];
/** Row flags: the type's index in TYPES in the low bits, then these. */
const TYPE_MASK = 0x07;
const DELETED = 0x08;

/** What a description has beyond its row. */
interface Extra {
  streams?: StreamInfo[];
  warnings?: GrtWarning[];
  target?: string;
  undecodable?: string;
  /** Set when the id's record is not the row's (never seen from a scan; kept exact if it were). */
  idRecord?: number;
  layouts?: StreamLayout[];
}

export class BodyStore {
  private flags = new Uint8Array(INITIAL_ROWS);
  private sizes = new Float64Array(INITIAL_ROWS);
  /**
   * mtime, atime, ctime, btime per row, as the FILETIMEs they were read from (unsigned 64-bit: as
   * nanoseconds since 1970 they would not fit 64 bits).
   */
  private times = new BigUint64Array(INITIAL_ROWS * 4);
  private attributes = new Uint32Array(INITIAL_ROWS);
  private linkCounts = new Uint32Array(INITIAL_ROWS);
  private sequences = new Uint16Array(INITIAL_ROWS);
  private readonly extras = new Map<number, Extra>();

  /** Hold the description of `record` (and the layouts of its streams, when the scan built them). */
  set(record: number, body: EntryBody, layouts?: StreamLayout[]): void {
    if (record >= this.flags.length) this.grow(record + 1);
    const type = TYPES.indexOf(body.type);
    this.flags[record] = (type < 0 ? TYPES.indexOf('other') : type) | (body.deleted ? DELETED : 0);
    this.sizes[record] = body.size;
    const t = record * 4;
    this.times[t] = nsToFiletime(body.times.mtime);
    this.times[t + 1] = nsToFiletime(body.times.atime);
    this.times[t + 2] = nsToFiletime(body.times.ctime);
    this.times[t + 3] = nsToFiletime(body.times.btime ?? body.times.mtime);
    this.attributes[record] = body.attributes ?? 0;
    this.linkCounts[record] = body.links;
    this.sequences[record] = body.id.sequence;
    let extra: Extra | undefined;
    const more = (): Extra => (extra ??= {});
    if (body.streams.length > 0) more().streams = body.streams;
    if (body.warnings.length > 0) more().warnings = body.warnings;
    if (body.target !== undefined) more().target = body.target;
    if (body.undecodable !== undefined) more().undecodable = body.undecodable;
    if (body.id.record !== record) more().idRecord = body.id.record;
    if (layouts) more().layouts = layouts;
    if (extra) this.extras.set(record, extra);
    else this.extras.delete(record);
  }

  /** A fresh description of `record` (which must have been set), with its layouts if any. */
  get(record: number): { body: EntryBody; layouts?: StreamLayout[] } {
    const flags = this.flags[record]!;
    const extra = this.extras.get(record);
    const t = record * 4;
    // Keys in the order describeFile gives them (times in their on-disk order).
    const body: EntryBody = {
      type: TYPES[flags & TYPE_MASK]!,
      size: this.sizes[record]!,
      times: entryTimesOf({ btime: filetimeToNs(this.times[t + 3]!), mtime: filetimeToNs(this.times[t]!), ctime: filetimeToNs(this.times[t + 2]!), atime: filetimeToNs(this.times[t + 1]!) }),
      attributes: this.attributes[record]!,
      streams: extra?.streams ?? [],
      links: this.linkCounts[record]!,
      id: { record: extra?.idRecord ?? record, sequence: this.sequences[record]! },
      warnings: extra?.warnings ?? [],
    };
    if (extra?.target !== undefined) body.target = extra.target;
    if (extra?.undecodable !== undefined) body.undecodable = extra.undecodable;
    if (flags & DELETED) body.deleted = true;
    return extra?.layouts ? { body, layouts: extra.layouts } : { body };
  }

  private grow(rows: number): void {
    let length = this.flags.length;
    while (length < rows) length *= 2;
    this.flags = grown(this.flags, length);
    this.sizes = grown(this.sizes, length);
    this.times = grown(this.times, length * 4);
    this.attributes = grown(this.attributes, length);
    this.linkCounts = grown(this.linkCounts, length);
    this.sequences = grown(this.sequences, length);
  }
}
