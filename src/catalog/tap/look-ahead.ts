/**
 * The tap's look-aheads: pieces of the real readers (partition table, NTFS mount) run against the
 * bytes kept so far. Bytes still to come read as zeros and become wanted; the look-ahead runs again
 * once any of them is kept (a GPT's backup header at the far end of the disk must not hold up the
 * partitions near its start). One that meets bytes that passed unkept stops for good: the final
 * build meets the same and reads them back (or reports them).
 */
import { GrtError } from '../../errors.js';
import { DEFAULT_CACHE_BLOCK_BYTES } from '../../io/cached-source.js';
import { readerFor } from '../../fs/registry.js';
import type { StreamLookahead } from '../../fs/stream-lookahead.js';
import { isOnFirstDisk, listDiskSetVolumes } from '../../volume/disk-set.js';
import type { KeptBytes } from './kept-bytes.js';
import { RangeSet, type ByteRange } from './ranges.js';
import { PassedBytes, type TapDisk } from './tap-disk.js';

/**
 * Runs of one look-ahead. Each run waits for bytes it had not; a partition table or MFT needs a
 * handful, so this only stops a hostile chain of pointers (each run would re-read the kept bytes).
 */
const MAX_RUNS = 4096;
/**
 * Bytes wanted from the start of an awaited read. Readers probe a structure at several nearby
 * offsets one after another (file-system signatures lie within a volume's first 64 KiB + a sector,
 * Btrfs's the furthest); wanting only the first read's bytes would let the next pass unkept.
 */
const NEED_WINDOW_BYTES = 128 * 1024;
/** The start of the disk wanted from the first byte: MBR, GPT header and entries for 512- and 4096-byte sectors, the gap before the first partition. */
const DISK_HEAD_BYTES = 1024 * 1024;

interface Lookahead {
  run: () => Promise<void>;
  state: 'ready' | 'waiting' | 'done' | 'stopped';
  /** What its last run read that was still to come. */
  needs: ByteRange[];
  runs: number;
}

export class Lookaheads {
  /** Disk ranges to keep as they pass. */
  readonly wanted = new RangeSet('wanted');
  private readonly tasks: Lookahead[] = [];
  /** File systems' look-aheads, with where their volume starts on the disk. */
  private readonly volumes: { start: number; size: number; lookahead: StreamLookahead }[] = [];
  /** Ranges the running look-ahead read while they were still to come. */
  private needs: ByteRange[] = [];
  /** Volumes of file systems the tap does not look ahead in (their catalog needs a post-pass read). */
  readonly postPassVolumes = new Set<string>();

  constructor(
    private readonly disk: TapDisk,
    private readonly kept: KeptBytes,
    /** Whether a range is no longer awaited: kept, or passed (unkept, or a hole that reads as zeros). */
    private readonly settled: (range: ByteRange) => boolean,
  ) {
    this.wanted.add(0, Math.min(disk.size, DISK_HEAD_BYTES));
    this.add(() => this.findVolumes());
  }

  /**
   * Want [start, end), widened to whole blocks of the cache the readers read through
   * (io/cached-source.ts): a file system's reads come in its blocks, counted from the volume start,
   * and end at its end (a raw stream's disk has no known end until the stream ends: bytes wanted
   * past a volume's would be awaited until then).
   */
  want(start: number, end: number): void {
    const volume = this.volumes.find((v) => start >= v.start && start < v.start + v.size);
    const base = volume?.start ?? 0;
    const limit = volume ? volume.start + volume.size : this.disk.size;
    const block = DEFAULT_CACHE_BLOCK_BYTES;
    const from = base + Math.floor((start - base) / block) * block;
    const to = base + Math.ceil((end - base) / block) * block;
    this.wanted.add(Math.max(0, from), Math.min(limit, to));
  }

  /**
   * Whether the look-ahead is over: every look-ahead done (or stopped), and no byte they want in
   * their volumes still to come (`settled`). Bytes wanted outside the volumes (a partition table's
   * probe past a partition's end, at a sector size the disk does not have) are not waited for:
   * the build asks for them again if it reads them.
   */
  done(settled: (range: ByteRange) => boolean): boolean {
    if (!this.tasks.every((task) => task.state === 'done' || task.state === 'stopped')) return false;
    const inVolume = (range: ByteRange) => this.volumes.some((v) => range.start < v.start + v.size && range.end > v.start);
    return this.wanted.all().every((range) => !inVolume(range) || settled(range));
  }

  private add(run: () => Promise<void>): void {
    this.tasks.push({ run, state: 'ready', runs: 0, needs: [] });
  }

  private async findVolumes(): Promise<void> {
    const layout = await listDiskSetVolumes([this.disk]);
    const hooks = {
      want: (start: number, end: number) => this.want(start, end),
      held: (start: number, end: number) => this.kept.held.covers(start, end),
      copy: (diskOffset: number, target: Uint8Array) => this.kept.copyInto(diskOffset, target),
      explore: (run: () => Promise<void>) => this.explore(run),
    };
    for (const volume of layout.volumes) {
      if (!isOnFirstDisk(volume) || volume.unavailable !== undefined) continue;
      const reader = await readerFor(volume.fs);
      if (reader?.lookahead) {
        const lookahead = reader.lookahead(volume, hooks);
        this.volumes.push({ start: volume.start, size: volume.size, lookahead });
        for (const step of lookahead.steps) this.add(step);
      } else if (reader) {
        this.postPassVolumes.add(`${volume.id} (${volume.fs})`);
      }
    }
  }

  /**
   * After `stored` disk ranges were kept: MFT records they completed are looked at, then every
   * look-ahead that can go on runs. True when something new became wanted (the caller keeps more
   * of the bytes in hand).
   */
  async afterKept(stored: readonly ByteRange[]): Promise<boolean> {
    const before = this.wanted.version;
    for (const range of stored) for (const { lookahead } of this.volumes) await lookahead.kept(range.start, range.end);
    for (let ran = true; ran; ) {
      ran = false;
      for (const task of this.tasks) {
        if (task.state === 'ready' || (task.state === 'waiting' && task.needs.some((need) => this.settled(need)))) {
          await this.runTask(task);
          ran = true;
        }
      }
    }
    return this.wanted.version !== before;
  }

  /** A read by a look-ahead met bytes still to come (they read as zeros). */
  awaiting(gap: ByteRange): void {
    this.needs.push(gap);
  }

  /**
   * Run `run` against the kept bytes; everything it read that is still to come becomes wanted.
   * Returns those ranges; PassedBytes and GrtErrors (zeros read as damage) end it early.
   */
  async explore(run: () => Promise<void>): Promise<{ needs: ByteRange[]; outcome: 'done' | 'passed' | 'failed' }> {
    // Nested: an MFT look-ahead looks at the records it already holds.
    const outer = this.needs;
    const needs: ByteRange[] = (this.needs = []);
    let outcome: 'done' | 'passed' | 'failed' = 'done';
    try {
      await run();
    } catch (error) {
      if (error instanceof PassedBytes) outcome = 'passed';
      else if (error instanceof GrtError) outcome = 'failed';
      else throw error;
    } finally {
      this.needs = outer;
    }
    for (const need of needs) this.want(need.start, Math.max(need.end, need.start + NEED_WINDOW_BYTES));
    return { needs, outcome };
  }

  private async runTask(task: Lookahead): Promise<void> {
    if (++task.runs > MAX_RUNS) {
      task.state = 'stopped';
      return;
    }
    const { needs, outcome } = await this.explore(task.run);
    task.needs = needs;
    task.state = outcome === 'passed' ? 'stopped' : needs.length > 0 ? 'waiting' : outcome === 'done' ? 'done' : 'stopped';
  }
}
