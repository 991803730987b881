/**
 * Page-aligned buffers for bulk reads and writes.
 *
 * Why: the kernel copies page-cache pages to and from user memory with `rep movsb`, which on
 * current AMD cores (and some Intel ones) runs about four times slower when the destination sits
 * a few bytes past the source modulo 4 KiB — exactly what a malloc'd buffer is (glibc puts its
 * 16-byte chunk header before the data, so a "large" buffer starts at page + 16). Measured here:
 * 1 GiB of 1 MiB preads from the page cache took 0.45 s of kernel time into a Buffer and 0.10 s
 * into a page-aligned one (the last two lines of bench/disk-read.mjs show it). glibc's own memmove avoids
 * `rep movsb` for such distances for the same reason.
 *
 * Node cannot ask malloc for an alignment, but a WebAssembly.Memory is mapped by V8 with mmap and
 * starts on a page boundary; its pages are committed lazily and zero-filled, like any mapping.
 * A memory that is never grown never detaches its buffer.
 */

/** WebAssembly memory is allocated in pages of 64 KiB ([WebAssembly core spec] 2.3.8). */
const WASM_PAGE_BYTES = 64 * 1024;

/** The one part of the WebAssembly JS API used here (Node's types declare it only with the DOM lib). */
type WasmMemoryConstructor = new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => { readonly buffer: ArrayBufferLike };

/**
 * `bytes` of zeroed, page-aligned memory. For long-lived buffers (a copy's two chunk buffers, a
 * scan's read buffer): each call maps its own region, so do not call it per read.
 *
 * `shared`: memory worker threads can write into directly (a SharedArrayBuffer), for buffers
 * that compressed grains are inflated into (vmdk/inflate-pool.ts). Falls back to unshared memory.
 */
export function pageAlignedBuffer(bytes: number, { shared = false }: { shared?: boolean } = {}): Uint8Array {
  // Looked up per call, not at import: tests replace it.
  const Memory = (globalThis as { WebAssembly?: { Memory?: WasmMemoryConstructor } }).WebAssembly?.Memory;
  if (Memory && bytes > 0) {
    const pages = Math.ceil(bytes / WASM_PAGE_BYTES);
    for (const descriptor of shared ? [{ initial: pages, maximum: pages, shared: true }, { initial: pages }] : [{ initial: pages }]) {
      try {
        return new Uint8Array(new Memory(descriptor).buffer, 0, bytes);
      } catch {
        // No address space for another memory, no shared memory, or no WebAssembly here: the next
        // kind (in the end an ordinary buffer) still works.
      }
    }
  }
  return new Uint8Array(bytes);
}
