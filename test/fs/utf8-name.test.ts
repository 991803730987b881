/**
 * decodeName (fs/utf8-name.ts), which decodes every ext and XFS name a listing shows, against
 * the TextDecoder it stands in for: the same string for any bytes (invalid sequences, overlong
 * forms, surrogates encoded in UTF-8, truncated sequences), and a leading EF BB BF kept as U+FEFF.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeName } from '../../src/fs/utf8-name.js';

const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

describe('decodeName', () => {
  it('gives what TextDecoder gives, for any bytes at any offset', () => {
    // Bytes weighted towards UTF-8's lead and continuation bytes, where decoders differ if anywhere.
    const byte = fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0x80, max: 0xbf }), fc.integer({ min: 0xc0, max: 0xff }), fc.constantFrom(0xef, 0xbb, 0xbf, 0xed, 0xf4, 0x90));
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 12 }), fc.array(byte, { maxLength: 24 }), fc.array(byte, { maxLength: 4 }), (before, name, after) => {
        const bytes = Uint8Array.from([...before, ...name, ...after]);
        expect(decodeName(bytes, before.length, before.length + name.length)).toBe(decoder.decode(Uint8Array.from(name)));
      }),
      { numRuns: 20_000 },
    );
  });

  it('clamps a range that runs past the bytes, as subarray does (a damaged name length)', () => {
    const bytes = Uint8Array.from([0x61, 0x62, 0x63]);
    expect(decodeName(bytes, 1, 40)).toBe('bc');
    expect(decodeName(bytes, 5, 40)).toBe('');
  });

  it('keeps EF BB BF at the start of a name: it is part of the name, not a byte-order mark', () => {
    const bytes = Uint8Array.from([0x41, 0xef, 0xbb, 0xbf, 0x62, 0xef, 0xbb, 0xbf]);
    expect(decodeName(bytes, 1, 5)).toBe('\ufeffb');
    expect(decodeName(bytes, 0, 8)).toBe('A\ufeffb\ufeff');
    expect(decodeName(bytes, 1, 3)).toBe('\ufffd');
  });
});
