/**
 * What a restore tells its caller: events (restored, linked, skipped, failed), the summary counts
 * and the progress counters. One per restore; every writer reports through it.
 */
import type { GrtError } from '../errors.js';
import type { FileEntry } from '../fs/file-system.js';
import type { RestoreEvent, RestoreProgress, RestoreSummary } from './restore.js';

export type ReportType = 'warning' | 'failure' | 'skipped';

/** What a report says: a GrtError, or a code and message made on the spot. */
export type Reason = GrtError | { code: string; message: string };

export class Reporter {
  readonly summary: RestoreSummary = { files: 0, dirs: 0, links: 0, bytes: 0, failed: 0, skipped: 0, warnings: 0, seconds: 0 };
  readonly progress: RestoreProgress = { bytesDone: 0, bytesTotal: 0, filesDone: 0, filesTotal: 0 };
  private readonly started = performance.now();

  constructor(
    private readonly onEvent: ((event: RestoreEvent) => void) | undefined,
    private readonly onProgress: ((progress: RestoreProgress) => void) | undefined,
  ) {}

  /** Whether the caller listens to progress (totals are counted only then: a walk of their own). */
  get wantsProgress(): boolean {
    return this.onProgress !== undefined;
  }

  emit(event: RestoreEvent): void {
    this.onEvent?.(event);
  }

  /** A warning, failure or skip: counted in the summary and emitted. */
  report(type: ReportType, path: string, error: Reason, target?: string): void {
    if (type === 'warning') this.summary.warnings++;
    else if (type === 'failure') this.summary.failed++;
    else this.summary.skipped++;
    this.emit(target === undefined ? { type, path, code: error.code, message: error.message } : { type, path, target, code: error.code, message: error.message });
  }

  /** A name left alone because it exists and the restore skips existing targets. */
  skippedExisting(path: string, target: string): void {
    this.report('skipped', path, { code: 'EXISTS', message: 'target exists (--skip-existing)' }, target);
  }

  /** Add `entry` (or its stream `stream`) to the totals progress reports against. */
  count(entry: FileEntry, streamBytes: number, stream?: string): void {
    const progress = this.progress;
    progress.bytesTotal += stream !== undefined ? (entry.streams.find((s) => s.name === stream)?.size ?? 0) : entry.type === 'file' ? entry.size + streamBytes : 0;
    if (entry.type !== 'dir' || stream !== undefined) progress.filesTotal++;
  }

  /** Progress only: `summary.bytes` counts the bytes of files that were completed. */
  tick(bytes: number): void {
    this.progress.bytesDone += bytes;
    this.onProgress?.({ ...this.progress });
  }

  /** A file (or link) finished, restored or not: reported, so the last report says every file is done. */
  fileDone(): void {
    this.progress.filesDone++;
    this.onProgress?.({ ...this.progress });
  }

  /** The summary event, with the time taken; returns the summary. */
  finish(to: string): RestoreSummary {
    this.summary.seconds = (performance.now() - this.started) / 1000;
    this.emit({ type: 'summary', path: to, summary: { ...this.summary } });
    return this.summary;
  }
}
