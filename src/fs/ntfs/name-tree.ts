/**
 * The names of a volume as a full MFT scan finds them, in flat form: per record its type bit,
 * sequence number and in-use flag (typed arrays indexed by record number), per $FILE_NAME link its
 * name, DOS name and parent reference (arrays indexed by link number). About 30 bytes a file plus
 * its name: a scan keeps this, not a description per file, until the tree is known.
 *
 * Paths (NTFS has no path field; [MS-FSCC] 2.1.x file references, libyal libfsntfs notes on
 * $FILE_NAME): a name attaches to its parent when the parent record is a directory whose sequence
 * number matches the reference (a deleted parent may be one ahead: Windows bumps it on delete).
 * Names that reach no directory under the root — their parent is gone, reused, or they form a
 * cycle — are listed under `/$Orphan/<name>` (a virtual folder).
 */
import type { EntryType, ListOptions } from '../file-system.js';
import type { DescribedFile } from './file-entry.js';
import { grown } from '../../util/grown.js';
import { ORPHAN_DIR } from '../orphans.js';

export { ORPHAN_DIR, orphanWarning } from '../orphans.js';

export const ROOT_RECORD = 5;
export const EXTEND_RECORD = 11;
/** Records below this number in the root are reserved for metafiles ($MFT … $Extend, 16–23 spare). */
export const FIRST_USER_RECORD = 24;
/** Per-record arrays start this long and double: sized by the records met, never by a header. */
const INITIAL_RECORDS = 1024;

/** Per-record kind: what the tree asks of a record's type. */
const KIND_FILE = 1;
const KIND_DIR = 2;
const KIND_OTHER = 3; // symlink, junction, other: neither a parent of names nor walked into
/** Per-record state bits. */
const IN_USE = 1;
/** Per-record marks of a tree walk. */
const VISITED_DIR = 1;
const EMITTED = 2;
const REACHABLE = 4;

/** NTFS metafiles: `$…` names of reserved records in the root, and everything in $Extend. */
export function isMetafile(parentRecord: number, name: string, record: number): boolean {
  return (parentRecord === ROOT_RECORD && record < FIRST_USER_RECORD && name.startsWith('$')) || parentRecord === EXTEND_RECORD;
}

/** One name of the walk: link `link` of record `record`, listed in directory record `parent`. */
export interface TreeItem {
  record: number;
  link: number;
  /** Directory record the name is listed in; -1 for the virtual ORPHAN_DIR. */
  parent: number;
  /** Full path; '' when the walk was asked for no paths. */
  path: string;
}

export interface WalkOptions extends ListOptions {
  /** Build each item's path (a catalog needs only names). Default true. */
  paths?: boolean;
}

export class NameTree {
  /** Records in the order they were added (MFT order; attribute-list files after the rest). */
  private order = new Int32Array(INITIAL_RECORDS);
  private orderLength = 0;
  private kind = new Uint8Array(INITIAL_RECORDS);
  private state = new Uint8Array(INITIAL_RECORDS);
  private seq = new Uint16Array(INITIAL_RECORDS);
  private firstLink = new Int32Array(INITIAL_RECORDS);
  private linkCount = new Int32Array(INITIAL_RECORDS);
  /** One past the highest record added. */
  private recordEnd = 0;
  /** Per link; `linkName.length` is the number of links. */
  readonly linkName: string[] = [];
  readonly linkDosName: (string | undefined)[] = [];
  // The numbers per link in typed arrays grown by doubling (valid below linkName.length): three
  // pushes onto growing JS arrays per link were a visible share of a 100k-file scan.
  private linkRecords = new Int32Array(INITIAL_RECORDS);
  /** Parent references are 48-bit record numbers as read from disk: kept exact in doubles. */
  private linkParents = new Float64Array(INITIAL_RECORDS);
  private linkParentSequences = new Uint16Array(INITIAL_RECORDS);

  get linkRecord(): Int32Array {
    return this.linkRecords;
  }

  get linkParent(): Float64Array {
    return this.linkParents;
  }

  get linkParentSequence(): Uint16Array {
    return this.linkParentSequences;
  }

  add(record: number, type: EntryType, inUse: boolean, sequence: number, links: DescribedFile['links']): void {
    if (record >= this.kind.length) this.grow(record + 1);
    if (this.orderLength === this.order.length) this.order = grown(this.order, this.order.length * 2);
    this.order[this.orderLength++] = record;
    this.recordEnd = Math.max(this.recordEnd, record + 1);
    this.kind[record] = type === 'dir' ? KIND_DIR : type === 'file' ? KIND_FILE : KIND_OTHER;
    this.state[record] = inUse ? IN_USE : 0;
    this.seq[record] = sequence;
    this.firstLink[record] = this.linkName.length;
    this.linkCount[record] = links.length;
    for (const link of links) {
      const l = this.linkName.length;
      if (l === this.linkRecords.length) {
        this.linkRecords = grown(this.linkRecords, l * 2);
        this.linkParents = grown(this.linkParents, l * 2);
        this.linkParentSequences = grown(this.linkParentSequences, l * 2);
      }
      this.linkName.push(link.name.name);
      this.linkDosName.push(link.dosName);
      this.linkRecords[l] = record;
      this.linkParents[l] = link.name.parent.record;
      this.linkParentSequences[l] = link.name.parent.sequence;
    }
  }

  /** Records added, in order. */
  *records(): Generator<number> {
    for (let i = 0; i < this.orderLength; i++) yield this.order[i]!;
  }

  has(record: number): boolean {
    return record < this.recordEnd && this.kind[record] !== 0;
  }

  /** A metafile record ($MFT … $Extend and the reserved ones): hidden when found orphaned. */
  isMetadata(record: number): boolean {
    return record < FIRST_USER_RECORD;
  }

  isDir(record: number): boolean {
    return record < this.recordEnd && this.kind[record] === KIND_DIR;
  }

  inUse(record: number): boolean {
    return (this.state[record]! & IN_USE) !== 0;
  }

  sequence(record: number): number {
    return this.seq[record]!;
  }

  /** Link numbers of a record: first, first + 1, … first + count − 1. */
  links(record: number): { first: number; count: number } {
    return { first: this.firstLink[record]!, count: this.linkCount[record]! };
  }

  private grow(needed: number): void {
    let size = this.kind.length;
    while (size < needed) size *= 2;
    this.kind = grown(this.kind, size);
    this.state = grown(this.state, size);
    this.seq = grown(this.seq, size);
    this.firstLink = grown(this.firstLink, size);
    this.linkCount = grown(this.linkCount, size);
  }

  /** Whether link `l` attaches to its parent record (exists, is not a file, sequence agrees). */
  private attaches(l: number): boolean {
    const parent = this.linkParent[l]!;
    if (!this.has(parent) || this.kind[parent] === KIND_FILE) return false;
    const want = this.linkParentSequence[l]!;
    return this.seq[parent] === want || (!this.inUse(parent) && this.seq[parent] === ((want + 1) & 0xffff));
  }

  /**
   * Child lists of the records below `end` in one array (CSR): the links of directory d are
   * childLinks[start[d] .. start[d+1]), each list in code-unit order of the names.
   */
  private childLists(end: number): { start: Int32Array; childLinks: Int32Array } {
    const start = new Int32Array(end + 1);
    const names = this.linkName;
    // Whether each link attaches, decided once for both passes below.
    const attached = new Uint8Array(names.length);
    for (let l = 0; l < names.length; l++) {
      if (this.linkRecord[l] !== ROOT_RECORD && this.attaches(l)) {
        attached[l] = 1;
        start[this.linkParent[l]! + 1]!++;
      }
    }
    for (let d = 0; d < end; d++) start[d + 1]! += start[d]!;
    const childLinks = new Int32Array(start[end]!);
    const fill = start.slice(0, end);
    // Links are numbered in the order records were added: filling by link number keeps that order
    // among equal names, as the sort below breaks ties by link number.
    for (let l = 0; l < names.length; l++) {
      if (attached[l] === 1) childLinks[fill[this.linkParent[l]!]!++] = l;
    }
    const byName = (a: number, b: number): number => (names[a]! < names[b]! ? -1 : names[a]! > names[b]! ? 1 : a - b);
    for (let d = 0; d < end; d++) if (start[d + 1]! - start[d]! > 1) childLinks.subarray(start[d]!, start[d + 1]!).sort(byName);
    return { start, childLinks };
  }

  /** Mark REACHABLE every record a chain of child links (`start`, `childLinks`) connects to the root. */
  private markReachable(start: Int32Array, childLinks: Int32Array, marks: Uint8Array): void {
    marks[ROOT_RECORD]! |= REACHABLE;
    for (const queue = [ROOT_RECORD]; queue.length > 0; ) {
      const dir = queue.pop()!;
      for (let k = start[dir]!; k < start[dir + 1]!; k++) {
        const child = this.linkRecord[childLinks[k]!]!;
        if ((marks[child]! & REACHABLE) !== 0) continue;
        marks[child]! |= REACHABLE;
        if (this.kind[child] === KIND_DIR) queue.push(child);
      }
    }
  }

  /**
   * Names below directory `startRecord` (path `startPath`), parents before children, each
   * directory's names in code-unit order; from the root, then every name not reachable from it
   * under ORPHAN_DIR. A directory reached twice (a cycle) is listed once.
   */
  *walk(startRecord: number, startPath: string, options: WalkOptions): Generator<TreeItem> {
    const paths = options.paths !== false;
    const end = Math.max(this.recordEnd, startRecord + 1);
    const { start, childLinks } = this.childLists(end);
    const names = this.linkName;
    const marks = new Uint8Array(end);
    marks[startRecord] = VISITED_DIR;

    const tree = this;
    function* subtree(dirRecord: number, dirPath: string): Generator<TreeItem> {
      const stack: { record: number; path: string; next: number }[] = [{ record: dirRecord, path: dirPath, next: start[dirRecord]! }];
      while (stack.length > 0) {
        const frame = stack[stack.length - 1]!;
        if (frame.next >= start[frame.record + 1]!) {
          stack.pop();
          continue;
        }
        const link = childLinks[frame.next++]!;
        const record = tree.linkRecord[link]!;
        const name = names[link]!;
        if (!options.all && isMetafile(frame.record, name, record)) continue;
        if (!tree.inUse(record) && !options.deleted) continue;
        const isDir = tree.kind[record] === KIND_DIR;
        if (isDir && (marks[record]! & VISITED_DIR) !== 0) continue; // a directory reached twice is a cycle
        const path = !paths ? '' : frame.path === '/' ? `/${name}` : `${frame.path}/${name}`;
        marks[record]! |= EMITTED;
        yield { record, link, parent: frame.record, path };
        if (isDir) {
          marks[record]! |= VISITED_DIR;
          stack.push({ record, path, next: start[record]! });
        }
      }
    }

    yield* subtree(startRecord, startPath);
    if (startRecord !== ROOT_RECORD) return;
    // Orphans are records no chain of parent references connects to the root, filters aside (a
    // hidden metafile or a skipped deleted directory does not make its children orphans).
    this.markReachable(start, childLinks, marks);
    for (let i = 0; i < this.orderLength; i++) {
      const record = this.order[i]!;
      if ((marks[record]! & (REACHABLE | EMITTED)) !== 0 || this.linkCount[record] === 0) continue;
      if (!this.inUse(record) && !options.deleted) continue;
      if (!options.all && record < FIRST_USER_RECORD) continue;
      const link = this.firstLink[record]!;
      const path = paths ? `${ORPHAN_DIR}/${names[link]}` : '';
      marks[record]! |= EMITTED;
      yield { record, link, parent: -1, path };
      if (this.kind[record] === KIND_DIR && (marks[record]! & VISITED_DIR) === 0) {
        marks[record]! |= VISITED_DIR;
        yield* subtree(record, path);
      }
    }
  }
}
