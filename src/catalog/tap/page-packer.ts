/**
 * Packing kept pages with deflate (RFC 1950 zlib stream, what vmdk/inflate.ts's inflater reads),
 * through one zlib context reset per page and writing into one scratch buffer the size a packed
 * page may take: `zlib.deflateSync` sets up a new context (its window and hash tables) for every
 * page and returns a buffer of its own, and a page that does not pack small enough is found out as
 * soon as the scratch buffer fills, not after deflating all of it.
 *
 * Node has no public API for a reusable context: this uses the stream's native handle
 * (`_handle.writeSync`, `_writeState`, as vmdk/inflate.ts does for inflating), falling back to
 * `deflateSync` where that is missing.
 */
import zlib from 'node:zlib';

interface NativeHandle {
  reset(): void;
  writeSync(flush: number, input: Uint8Array, inOffset: number, inLength: number, out: Uint8Array, outOffset: number, outLength: number): void;
  onerror: (message: string) => void;
}

export class PagePacker {
  private readonly handle: NativeHandle | undefined;
  /** [output bytes left, input bytes left] after each write. */
  private readonly state: Uint32Array | undefined;
  private readonly scratch: Uint8Array;
  private failed = false;

  /** `maxPackedBytes`: a page packing to more than this is left unpacked. */
  constructor(
    private readonly level: number,
    private readonly maxPackedBytes: number,
  ) {
    this.scratch = new Uint8Array(maxPackedBytes);
    const engine = zlib.createDeflate({ level }) as unknown as { _handle?: NativeHandle; _writeState?: Uint32Array };
    if (typeof engine._handle?.writeSync === 'function' && typeof engine._handle.reset === 'function' && engine._writeState instanceof Uint32Array) {
      this.handle = engine._handle;
      this.state = engine._writeState;
      // Our own error callback: the stream's would destroy itself.
      this.handle.onerror = () => {
        this.failed = true;
      };
    }
  }

  /** `page` deflated into a new array of its own, or undefined when that takes more than maxPackedBytes. */
  pack(page: Uint8Array): Uint8Array | undefined {
    if (!this.handle || !this.state) {
      const packed = zlib.deflateSync(page, { level: this.level });
      return packed.length <= this.maxPackedBytes ? new Uint8Array(packed) : undefined;
    }
    this.failed = false;
    this.handle.reset();
    this.handle.writeSync(zlib.constants.Z_FINISH, page, 0, page.length, this.scratch, 0, this.scratch.length);
    // The stream ended with room left in the scratch buffer: it is all there (a full buffer may have more to come).
    const room = this.state[0]!;
    if (this.failed || room === 0 || this.state[1] !== 0) return undefined;
    return this.scratch.slice(0, this.scratch.length - room);
  }
}
