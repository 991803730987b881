import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHUNK_BYTES, createEngine, withEngine } from '../../src/restore/engine.js';
import { Inflation, type GrainInflation } from '../../src/vmdk/inflate-pool.js';
import { openDisk } from '../../src/vmdk/disk.js';
import { tempPathBeside } from '../../src/restore/write.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grt-engine-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Engine', () => {
  it('temp names differ between engines and within one (each its own tag and counter)', async () => {
    const [a, b] = [createEngine(), createEngine()];
    const names = [tempPathBeside(a, dir, 'x'), tempPathBeside(a, dir, 'x'), tempPathBeside(b, dir, 'x')];
    expect(new Set(names).size).toBe(3);
    await Promise.all([a.close(), b.close()]);
  });

  it('pools chunk buffers per engine, and forgets them when closed', async () => {
    const engine = createEngine();
    const buffer = engine.takeChunkBuffer(100);
    expect(buffer.length).toBe(CHUNK_BYTES);
    engine.returnChunkBuffer(buffer);
    expect(engine.takeChunkBuffer(CHUNK_BYTES)).toBe(buffer);
    engine.returnChunkBuffer(buffer);
    // Identity by ===: `.not.toBe` of two distinct 1 MiB arrays deep-compares them for its message (seconds).
    const other = createEngine();
    expect(other.takeChunkBuffer(1) === buffer).toBe(false);
    await Promise.all([engine.close(), other.close()]);
    expect(engine.takeChunkBuffer(1) === buffer).toBe(false);
  });

  it('close stops the writer thread; the engine still writes afterwards', async () => {
    const engine = createEngine();
    const { openSync, closeSync, readFileSync } = await import('node:fs');
    const path = join(dir, 'w.bin');
    const fd = openSync(path, 'w');
    const data = new Uint8Array(new SharedArrayBuffer(10)).fill(7);
    await engine.writeThread.write(fd, data, 0);
    expect(engine.writeThread.running).toBe(true);
    await engine.close();
    expect(engine.writeThread.running).toBe(false);
    await engine.writeThread.write(fd, data, 10);
    await engine.close();
    closeSync(fd);
    expect(readFileSync(path).length).toBe(20);
  });

  it('uses the Inflation it is given; withEngine closes only an engine it made', async () => {
    const inflation = new Inflation();
    const given = createEngine({ inflation });
    expect(given.inflation).toBe(inflation);
    let made: ReturnType<typeof createEngine> | undefined;
    await withEngine(undefined, async (engine) => {
      made = engine;
      await engine.writeThread.write(1, new Uint8Array(0), null);
    });
    expect(made).toBeDefined();
    expect(await withEngine(given, async (engine) => engine)).toBe(given);
    await given.close();
  });

  it("a disk opened with an engine's Inflation inflates its grains with it, so prepareFor reaches that disk", async () => {
    const engine = createEngine();
    let batches = 0;
    const counting: GrainInflation = {
      batch: (jobs) => {
        batches++;
        return engine.inflation.batch(jobs);
      },
    };
    const image = new URL('../../test-images/qemu/streamOptimized.vmdk', import.meta.url).pathname;
    const disk = await openDisk(image, { inflation: counting });
    try {
      const plain = await openDisk(image);
      try {
        expect(await disk.read(0, disk.size)).toEqual(await plain.read(0, plain.size));
      } finally {
        await plain.close();
      }
      expect(batches).toBeGreaterThan(0);
    } finally {
      await disk.close();
      await engine.close();
    }
  });
});
