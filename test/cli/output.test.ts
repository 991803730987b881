import { describe, expect, it } from 'vitest';
import { LineWriter, Progress, counted, etaText, formatBytes, jsonLine, runCommand } from '../../src/cli/output.js';
import { GrtError } from '../../src/errors.js';

function sink(isTTY: boolean) {
  const out: string[] = [];
  return { out, stream: { isTTY, write: (c: string | Uint8Array) => (out.push(String(c)), true) } };
}

describe('cli output', () => {
  it('LineWriter: lines in order, in a few large writes, waiting for drain', async () => {
    const out: string[] = [];
    let drains = 0;
    // A stream that asks the writer to wait after every write, and lets it go at once.
    const stream = { write: (c: string | Uint8Array) => (out.push(String(c)), false), once: (_e: 'drain', go: () => void) => (drains++, go()) };
    const writer = new LineWriter(stream);
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${'x'.repeat(i % 50)}\n`);
    for (const line of lines) await writer.line(line);
    await writer.flush();
    await writer.flush(); // nothing left: no empty write
    expect(out.join('')).toBe(lines.join(''));
    expect(out.length).toBeGreaterThan(1);
    expect(out.length).toBeLessThan(lines.length / 100);
    expect(drains).toBe(out.length);
  });

  it('LineWriter.add gathers without writing and says when a flush is due', async () => {
    const out: string[] = [];
    const writer = new LineWriter({ write: (c: string | Uint8Array) => (out.push(String(c)), true) });
    const line = `${'y'.repeat(1023)}\n`;
    const due: boolean[] = [];
    for (let i = 0; i < 64; i++) due.push(writer.add(line));
    expect(out).toEqual([]);
    expect(due.indexOf(true)).toBe(63); // 64 KiB gathered
    await writer.flush();
    expect(out).toEqual([line.repeat(64)]);
  });

  it('GrtError: one line, exit 2; ABORTED: exit 1 once started, 2 before; a bug: stack trace, exit 2', async () => {
    const err = sink(false);
    const io = { stdout: sink(false).stream, stderr: err.stream };
    expect(await runCommand('grt-x', io, async () => { throw new GrtError('NOT_FOUND', 'no such\nthing', { path: '/a' }); })).toBe(2);
    expect(err.out.join('')).toBe('grt-x: NOT_FOUND: no such thing in /a\n');
    err.out.length = 0;
    expect(await runCommand('grt-x', io, async () => { throw new GrtError('ABORTED', 'restore aborted'); })).toBe(2);
    const startedThenAborted = async (state: { started: boolean }) => {
      state.started = true;
      throw new GrtError('ABORTED', 'restore aborted');
    };
    expect(await runCommand('grt-x', io, startedThenAborted)).toBe(1);
    expect(err.out.join('')).toMatch(/^grt-x: ABORTED: restore aborted\n/);
    err.out.length = 0;
    expect(await runCommand('grt-x', io, async () => { throw new TypeError('oops'); })).toBe(2);
    expect(err.out.join('')).toMatch(/^grt-x: internal error \(a bug in grt; please report it\):\nTypeError: oops\n\s+at /);
  });

  it('progress only on a terminal, throttled, cleared at the end', () => {
    const quiet = sink(false);
    new Progress(quiet.stream).update({ bytesDone: 1, bytesTotal: 2 }, true);
    expect(quiet.out).toEqual([]);
    const tty = sink(true);
    const progress = new Progress(tty.stream);
    progress.update({ bytesDone: 1024 * 1024, bytesTotal: 4 * 1024 * 1024, filesDone: 1, filesTotal: 3 }, true);
    for (let i = 0; i < 100; i++) progress.update({ bytesDone: 2 * 1024 * 1024, bytesTotal: 4 * 1024 * 1024 });
    expect(tty.out.length).toBe(1);
    // No ETA in the first seconds: the rate means nothing yet.
    expect(tty.out[0]).toMatch(/^\r1\.0 MiB \/ 4\.0 MiB {2}1\/3 files {2}\S+ \S*B\/s\x1b\[K$/);
    progress.message('12 entries'); // throttled like update
    expect(tty.out.length).toBe(1);
    progress.message('13 entries', true);
    expect(tty.out[1]).toBe('\r13 entries\x1b[K');
    progress.done();
    expect(tty.out[2]).toBe('\r\x1b[K');
  });

  it('rates are rounded, an ETA only once it means something', () => {
    expect(formatBytes(3.8728755179169805)).toBe('4 B');
    expect(etaText(1, 1000, 0.5)).toBe(''); // too early
    expect(etaText(10, 1_000_000_000_000, 3)).toBe(''); // absurd (a stalled start): omitted, not 1057:01:01
    expect(etaText(0, 1000, 10)).toBe('');
    expect(etaText(500, 1000, 10)).toBe('  ETA 00:10');
    expect(etaText(100, 1000, 400)).toBe('  ETA 1:00:00');
    expect(counted(1, 'file')).toBe('1 file');
    expect(counted(2, 'directory', 'directories')).toBe('2 directories');
  });

  it('formats', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(100 * 1024 * 1024)).toBe('100 MiB');
    expect(jsonLine({ a: 1n })).toBe('{"a":"1"}\n');
    expect(jsonLine({ a: [{ b: 2n ** 70n }], c: 'x' })).toBe('{"a":[{"b":"1180591620717411303424"}],"c":"x"}\n');
    expect(jsonLine({ a: 1, b: null })).toBe('{"a":1,"b":null}\n');
  });
});
