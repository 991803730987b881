/**
 * The per-entry conversions an add runs 100,000 times a catalog: their fast paths (ASCII names,
 * text without surrogates or NUL, times that fit a Number) give what the general code gives.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { decodeFacts, encodeFacts, type VersionFacts } from '../../src/index/facts.js';
import { nameKey, storableText } from '../../src/index/row.js';

/** nameKey's definition, one code point at a time. */
function referenceKey(name: string): string {
  let out = '';
  for (const ch of name) {
    const cp = ch.codePointAt(0)!;
    out += cp >= 0x41 && cp <= 0x5a ? String.fromCharCode(cp + 0x20) : cp === 0x17f ? 's' : cp === 0x212a ? 'k' : ch;
  }
  return out;
}

/** storableText's definition: lone surrogates and NUL become U+FFFD. */
function referenceStorable(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) (out += text.slice(i, i + 2)), i++;
    else out += unit === 0 || (unit >= 0xd800 && unit <= 0xdfff) ? '\ufffd' : text[i];
  }
  return out;
}

const textArb = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.constantFrom('A', 'z', 'Q', '.', '\0', '\u017f', '\u212a', '\u00c9', '\ud83d', '\ude00', '\udc00', '~', '\x7f') }),
);

it('nameKey and storableText give their definitions for any text', () => {
  fc.assert(fc.property(textArb, (text) => {
    expect(nameKey(text)).toBe(referenceKey(text));
    expect(storableText(text)).toBe(referenceStorable(text));
  }), { numRuns: 2000 });
});

/** Microsecond times across the whole signed 64-bit range, the Number/bigint boundary included. */
const SAFE_HALF = BigInt(Number.MAX_SAFE_INTEGER) >> 1n;
const timeArb = fc.oneof(
  fc.bigInt({ min: -(1n << 62n), max: (1n << 62n) - 1n }),
  fc.constantFrom(0n, 1n, -1n, SAFE_HALF, SAFE_HALF + 1n, -SAFE_HALF, -SAFE_HALF - 1n, 1_704_067_200_000_000n),
);
const factsArb = fc.record({
  type: fc.nat({ max: 4 }), size: fc.maxSafeNat(), mtime: timeArb, ctime: timeArb,
  record: fc.maxSafeNat(), sequence: fc.nat({ max: 0xffff }), attributes: fc.nat({ max: 0xffffffff }),
});

it('a facts blob decodes to the facts it was made of, and equal facts give equal blobs', () => {
  fc.assert(fc.property(factsArb, (facts: VersionFacts) => {
    const blob = encodeFacts(facts);
    expect(decodeFacts(blob)).toEqual(facts);
    expect(encodeFacts({ ...facts })).toEqual(blob);
  }), { numRuns: 2000 });
});
