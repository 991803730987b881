/**
 * Copies the kernel makes: a run of file data that lies as it is in one image file (a flat
 * extent, raw grains stored one after another, a raw image; ByteSource.copyOut) goes from that
 * file to the output by copy_file_range(2) or sendfile(2) (native-copy.ts), without being read
 * into this process and written back. Bytes no file holds so (holes inside the data, zeroed or
 * compressed grains, a parent's grains, journal copies, remote images) go through the read-ahead
 * pipeline (copy.ts) as before, in order, so a write at the file position (stdout) stays in order.
 *
 * Synchronous calls, like the chunk writes (copy.ts writeAt): a page-cache copy of a few MiB takes
 * a few ms, and a threadpool round trip per call would cost more than it saves. Unlike the chunk
 * writes, they stay on this thread on a slow target: there is no read to overlap with the write
 * (the kernel does both), and a call's wall time on a busy machine is mostly the run queue, which
 * a speed test by the clock took for a slow target (the 1 GiB bench restores fell back to the read
 * pipeline under load, at twice the CPU).
 */
import { copyOut, type ByteSource, type HostCopy } from '../io/byte-source.js';
import type { NativeCopy } from './native-copy.js';
import { throwIfAborted } from './write.js';
import type { Chunk, WriteSpeed } from './copy.js';

/**
 * Bytes asked of one kernel call: large enough that the per-call cost (the layers' walk to the
 * file, the N-API call) vanishes, small enough that one call holds the event loop a few ms and an
 * abort is seen soon.
 */
export const KERNEL_COPY_BYTES = 8 * 1024 * 1024;
/**
 * Where bytes the kernel cannot copy (a zeroed grain, a hole, a compressed extent) are left to the
 * read pipeline, the next run is looked for at the next multiple of this many stream bytes: one
 * default grain, so a run of stored grains after a zeroed one loses at most a grain's worth.
 */
export const PROBE_BYTES = 64 * 1024;
/**
 * Bytes the kernel path leaves to the read pipeline at most before writing them: a file whose
 * runs alternate (stored, zeroed, stored…) keeps no unbounded list. A copy whose first this many
 * bytes the kernel could copy none of (a streamOptimized disk: every grain compressed) stops
 * looking and reads the rest, so its read-ahead and inflate workers run unbroken.
 */
export const MAX_PENDING_BYTES = 64 * 1024 * 1024;

/**
 * How the kernel copies to a target, learned as it goes (kept in WriteSpeed.kernelCopy, shared by
 * the copies of one restore): copy_file_range first for a regular file; sendfile when that is
 * refused for the pair of files, or for a device; 'none' when both are (or the addon is absent).
 */
export type KernelWay = 'copy_file_range' | 'sendfile' | 'none';

/**
 * errno codes that mean "not this way for these two files" (copy_file_range(2): EXDEV across file
 * systems it cannot cross, EINVAL for a target that is not a regular file, EBADF for one opened
 * O_APPEND, ENOSYS/EOPNOTSUPP where the kernel lacks it): the next way is tried.
 */
const REFUSED = new Set(['EXDEV', 'EINVAL', 'EBADF', 'ENOSYS', 'EOPNOTSUPP', 'ENOTSUP']);

/** Where one copy writes: a descriptor, at positions or (null) at its file position. */
export interface KernelTarget {
  fd: number;
  /** The output's name, in errors. */
  path: string;
  /** Whether positions are given (a temp file) or the file position is used (stdout). */
  positioned: boolean;
  /** A regular file (copy_file_range) or not (a device: sendfile). */
  regular: boolean;
}

/**
 * The HostCopy of one piece: to `position` of the target (or at its file position), trying each
 * way. Any other failure (EIO, ENOSPC) copies nothing: the piece is then read and written, and the
 * fault met there is reported as that read's or that write's own error (naming the image or the
 * output, which one error of the kernel's cannot tell apart).
 */
function hostCopy(native: NativeCopy, target: KernelTarget, speed: WriteSpeed, position: number): HostCopy {
  return (inFd, inOffset, length) => {
    for (;;) {
      const way = speed.kernelCopy ?? (target.regular ? 'copy_file_range' : 'sendfile');
      if (way === 'none') return 0;
      try {
        const call = way === 'copy_file_range' ? native.copyFileRange : native.sendFile;
        return call(inFd, inOffset, target.fd, target.positioned ? position : -1, length);
      } catch (cause) {
        if (!REFUSED.has((cause as NodeJS.ErrnoException).code ?? '')) return 0;
        speed.kernelCopy = way === 'copy_file_range' ? 'sendfile' : 'none';
      }
    }
  };
}

export interface KernelCopyJob {
  native: NativeCopy;
  source: ByteSource;
  target: KernelTarget;
  speed: WriteSpeed;
  /** Copy these bytes through the read pipeline (in order, done when it resolves). */
  readWrite(range: Chunk): Promise<void>;
  /** Bytes the kernel copied. */
  onCopied(chunk: Chunk): void;
  signal?: AbortSignal | undefined;
}

/**
 * Copy `ranges` (in order) of the job's source: each run the source hands over by the kernel, the
 * rest through `readWrite`, every byte once and in order.
 */
export async function kernelCopyRanges(job: KernelCopyJob, ranges: readonly Chunk[]): Promise<void> {
  const progress = { copied: 0, refused: 0 };
  for (const range of ranges) await kernelCopyRange(job, range, progress);
}

/** `progress`: bytes of the whole copy the kernel copied, and left to the pipeline. */
async function kernelCopyRange(job: KernelCopyJob, range: Chunk, progress: { copied: number; refused: number }): Promise<void> {
  const { source, native, target, speed } = job;
  const end = range.offset + range.length;
  // Bytes [pendingStart, at) wait for the read pipeline: written before any later byte.
  let pendingStart = range.offset;
  let at = range.offset;
  const flush = async (): Promise<void> => {
    if (at > pendingStart) await job.readWrite({ offset: pendingStart, length: at - pendingStart });
    pendingStart = at;
  };
  // Asks whether a run starts at `at` without copying it (bytes still pending go first).
  let offered = false;
  const probe: HostCopy = () => ((offered = true), 0);
  while (at < end) {
    throwIfAborted(job.signal);
    if (speed.kernelCopy === 'none' || (progress.copied === 0 && progress.refused >= MAX_PENDING_BYTES)) break;
    const want = Math.min(KERNEL_COPY_BYTES, end - at);
    if (at > pendingStart) {
      offered = false;
      await copyOut(source, at, want, probe);
      if (offered) await flush();
    }
    const copied = at > pendingStart ? 0 : await copyOut(source, at, want, hostCopy(native, target, speed, at));
    if (copied > 0) {
      job.onCopied({ offset: at, length: copied });
      progress.copied += copied;
      at += copied;
      pendingStart = at;
    } else {
      const next = Math.min(end, (Math.floor(at / PROBE_BYTES) + 1) * PROBE_BYTES);
      progress.refused += next - at;
      at = next;
      if (at - pendingStart >= MAX_PENDING_BYTES) await flush();
    }
  }
  at = end;
  await flush();
}
