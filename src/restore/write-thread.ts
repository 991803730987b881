/**
 * Chunk writes on a thread of their own, for copies whose main thread has other work: a copy
 * whose grains inflate on the main thread (vmdk/inflate-pool.ts keeps fast ones there) writes
 * here, so the next chunks inflate while one is written; so does a copy to a slow target.
 *
 * Why a worker and not the libuv threadpool: the writes must stay WRITE_PIECE_BYTES long (the
 * kernel sizes new page-cache folios by the write's length), and a chain of 16 async 64 KiB
 * writes per MiB pays 16 threadpool round trips, each waiting for a turn of the busy event loop
 * (the bench's 512 MiB log: 1.2–1.5 s). One 1 MiB async write is one round trip but large
 * folios: 0.8–1.5 s when the output is a new file, as in bench/peers. A worker does the 16
 * synchronous writes itself, from the chunk's shared memory (no copy), and answers once per
 * chunk: 0.52–0.65 s.
 *
 * The worker starts with the first write, is unreferenced while idle (it holds no process open)
 * and stops after IDLE_WRITER_MS idle. Chunks it cannot take (memory that is not shared), and all
 * writes once a worker could not start or died, go to the threadpool as one write(2) each.
 */
import { write } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { workerThreads } from '../util/builtins.js';
import { GrtError } from '../errors.js';

/**
 * Bytes per write() call. Measured writing 1 GiB on the development VM (ext4, kernel 6.18, 1 GiB
 * written and deleted just before, as in back-to-back restores): 64 KiB writes took 0.35 s every
 * time, 1 MiB writes 0.6–1.9 s. The kernel sizes new page-cache folios by the write's length, and
 * large folios come from memory the hypervisor had taken back (free page reporting), faulted in
 * again page by page; 64 KiB folios come from recently freed pages. Small writes cost nothing
 * elsewhere (16 syscalls per MiB). Used here and by write.ts writeAt.
 */
export const WRITE_PIECE_BYTES = 64 * 1024;
/** A writer idle this long is stopped: a long-running process keeps no thread between restores. */
export const IDLE_WRITER_MS = 10_000;

/**
 * Write all of `data` to `fd` at `position` (null: at the file position) in pieces of `pieceBytes`,
 * throwing what `writeSync` throws. The one write loop of both writers: write.ts writeAt runs it
 * on the calling thread, and the writer thread runs its source text — so it uses nothing from
 * outside its own body but its arguments.
 */
export function writePieces(writeSync: typeof import('node:fs').writeSync, fd: number, data: Uint8Array, position: number | null, pieceBytes: number): void {
  for (let written = 0; written < data.length; ) {
    written += writeSync(fd, data, written, Math.min(pieceBytes, data.length - written), position === null ? null : position + written);
  }
}

/** The worker's whole program: write each chunk in pieces, answer with its error code if any. */
const WRITER_SOURCE = `
const { writeSync } = require('node:fs');
const { parentPort } = require('node:worker_threads');
const writePieces = (${writePieces.toString()});
parentPort.on('message', ({ id, fd, buffer, offset, length, position }) => {
  try {
    writePieces(writeSync, fd, new Uint8Array(buffer, offset, length), position, ${WRITE_PIECE_BYTES});
    parentPort.postMessage({ id, code: null });
  } catch (error) {
    parentPort.postMessage({ id, code: error.code || 'error' });
  }
});
`;

export type SpawnWriter = () => Worker;

/** The real thing: a worker running WRITER_SOURCE. */
export const spawnWriter: SpawnWriter = () => new (workerThreads().Worker)(WRITER_SOURCE, { eval: true });

interface PendingWrite {
  resolve(): void;
  reject(error: Error): void;
}

/** One writer thread and its writes in flight; exported for tests with their own `spawn`. */
export class WriteThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, PendingWrite>();
  private nextId = 0;
  private broken = false;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly spawn: SpawnWriter = spawnWriter) {}

  /**
   * Write all of `data` to `fd` at `position` (null: at the file position). Rejects with an Error
   * carrying the system call's `code` (as fs calls do); a writer that dies with this write out
   * rejects it with IO_ERROR, since how much of it reached the file is unknown.
   */
  write(fd: number, data: Uint8Array, position: number | null): Promise<void> {
    const worker = data.buffer instanceof SharedArrayBuffer ? this.ready() : undefined;
    if (!worker) return writeOnThreadpool(fd, data, position);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      clearTimeout(this.idleTimer);
      worker.ref();
      try {
        worker.postMessage({ id, fd, buffer: data.buffer, offset: data.byteOffset, length: data.length, position });
      } catch (error) {
        // Not sent (it cannot be, for shared memory; kept so a failure never leaves the thread held).
        this.settle(id, (error as { code?: string }).code ?? 'error');
      }
    });
  }

  /**
   * Stop the writer now (Engine.close). Writes still out fail as when it dies; later writes start
   * a new one.
   */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.fail(worker);
    this.broken = false;
    await worker.terminate();
  }

  /** Whether a writer thread is running now (for tests). */
  get running(): boolean {
    return this.worker !== undefined;
  }

  private ready(): Worker | undefined {
    if (this.broken) return undefined;
    if (this.worker) return this.worker;
    try {
      const worker = this.spawn();
      worker.on('message', ({ id, code }: { id: number; code: string | null }) => this.settle(id, code));
      worker.on('error', () => this.fail(worker));
      worker.on('exit', () => this.fail(worker));
      this.worker = worker;
      return worker;
    } catch {
      this.broken = true;
      return undefined;
    }
  }

  private settle(id: number, code: string | null): void {
    const write = this.pending.get(id);
    if (!write) return;
    this.pending.delete(id);
    if (code === null) write.resolve();
    else write.reject(Object.assign(new Error(`write failed (${code})`), { code }));
    if (this.pending.size === 0) this.idle();
  }

  /** Nothing in flight: hold no process open, and stop if nothing comes for a while. */
  private idle(): void {
    const worker = this.worker;
    if (!worker) return;
    worker.unref();
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.pending.size > 0 || this.worker !== worker) return;
      this.worker = undefined;
      void worker.terminate();
    }, IDLE_WRITER_MS);
    this.idleTimer.unref();
  }

  /** The writer died (not stopped for idleness): its writes fail, later ones go to the threadpool. */
  private fail(worker: Worker): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.broken = true;
    clearTimeout(this.idleTimer);
    void worker.terminate();
    const lost = [...this.pending.values()];
    this.pending.clear();
    for (const write of lost) write.reject(new GrtError('IO_ERROR', 'the writer thread stopped with a write under way'));
  }
}

/** One write(2) of all of `data` on the threadpool (repeated if the kernel takes less). */
async function writeOnThreadpool(fd: number, data: Uint8Array, position: number | null): Promise<void> {
  for (let written = 0; written < data.length; ) {
    written += await new Promise<number>((resolve, reject) =>
      write(fd, data, written, data.length - written, position === null ? null : position + written, (error, bytes) => (error ? reject(error) : resolve(bytes))),
    );
  }
}
