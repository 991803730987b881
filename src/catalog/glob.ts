/**
 * Case-insensitive shell globs for catalog searches: `*` (any run within one path part), `?` (one
 * character), `**` (any number of path parts), `[abc]`, `[a-z]`, `[!x]`/`[^x]`, and `\` to quote
 * the next character. A glob without `/` matches names; one with `/` matches whole paths from the
 * volume root (a leading `/` is implied). A `**` part also matches no directory at all, so
 * `/a/` + `**` + `/x` matches `/a/x`.
 */

export interface CompiledGlob {
  /** True when the glob is matched against whole paths rather than names. */
  matchesPath: boolean;
  test(value: string): boolean;
}

type Token =
  | { kind: 'literal'; cp: number }
  | { kind: 'one' } // ?
  | { kind: 'star' } // *: any run without '/'
  | { kind: 'globstar' } // ** not followed by '/': anything
  | { kind: 'dirs' } // **/: nothing, or anything ending in '/'
  | { kind: 'class'; negate: boolean; ranges: [number, number][] };

/** Case folding per code point (a fold that would change the length leaves the character as it is). */
function fold(cp: number): number {
  const lower = String.fromCodePoint(cp).toLowerCase();
  const folded = lower.codePointAt(0)!;
  return lower.length === (folded > 0xffff ? 2 : 1) ? folded : cp;
}

const SLASH = 0x2f;

/** The character class starting at glob[i] === '[', or undefined when it is not closed. */
function parseClass(cps: number[], i: number): { token: Token; end: number } | undefined {
  let j = i + 1;
  let negate = false;
  if (cps[j] === 0x21 || cps[j] === 0x5e) {
    negate = true; // [!x] or [^x]
    j++;
  }
  const ranges: [number, number][] = [];
  let first = true;
  while (j < cps.length && (cps[j] !== 0x5d || first)) {
    first = false;
    if (cps[j] === 0x5c && j + 1 < cps.length) j++; // backslash quotes
    const from = cps[j]!;
    j++;
    if (cps[j] === 0x2d && j + 1 < cps.length && cps[j + 1] !== 0x5d) {
      ranges.push([from, cps[j + 1]!]); // a reversed range matches nothing
      j += 2;
    } else {
      ranges.push([from, from]);
    }
  }
  if (j >= cps.length) return undefined;
  return { token: { kind: 'class', negate, ranges }, end: j + 1 };
}

function tokenize(pattern: string): Token[] {
  const cps = Array.from(pattern, (c) => c.codePointAt(0)!);
  const tokens: Token[] = [];
  for (let i = 0; i < cps.length; ) {
    const cp = cps[i]!;
    if (cp === 0x2a && cps[i + 1] === 0x2a) {
      i += 2;
      while (cps[i] === 0x2a) i++;
      if (cps[i] === SLASH) {
        tokens.push({ kind: 'dirs' });
        i++;
      } else tokens.push({ kind: 'globstar' });
    } else if (cp === 0x2a) {
      tokens.push({ kind: 'star' });
      i++;
    } else if (cp === 0x3f) {
      tokens.push({ kind: 'one' });
      i++;
    } else if (cp === 0x5b && parseClass(cps, i)) {
      const cls = parseClass(cps, i)!;
      tokens.push(cls.token);
      i = cls.end;
    } else {
      if (cp === 0x5c && i + 1 < cps.length) i++;
      tokens.push({ kind: 'literal', cp: fold(cps[i]!) });
      i++;
    }
  }
  return tokens;
}

function inClass(token: Extract<Token, { kind: 'class' }>, cp: number): boolean {
  const folded = fold(cp);
  const upper = String.fromCodePoint(cp).toUpperCase().codePointAt(0)!;
  const hit = token.ranges.some(([lo, hi]) => (cp >= lo && cp <= hi) || (folded >= lo && folded <= hi) || (upper >= lo && upper <= hi));
  return hit !== token.negate;
}

/**
 * NOTE: matched by simulating the pattern as a state set, not with a RegExp: a backtracking
 * engine takes exponential time on globs like `*a*a*a*a*b` over long names, and globs come
 * from operators. This is O(pattern × text) always.
 */
export function compileGlob(glob: string): CompiledGlob {
  const matchesPath = glob.includes('/');
  const pattern = matchesPath && !glob.startsWith('/') && !glob.startsWith('**') ? `/${glob}` : glob;
  const tokens = tokenize(pattern);
  const n = tokens.length;
  // State 2i: before token i; 2i + 1: inside a 'dirs' token i (has consumed something).
  const close = (states: Uint8Array): void => {
    for (let i = 0; i < n; i++) {
      const kind = tokens[i]!.kind;
      if (states[2 * i] && (kind === 'star' || kind === 'globstar' || kind === 'dirs')) states[2 * i + 2] = 1;
    }
  };
  const test = (value: string): boolean => {
    let current = new Uint8Array(2 * n + 2);
    let next = new Uint8Array(2 * n + 2);
    current[0] = 1;
    close(current);
    for (const ch of value) {
      const cp = ch.codePointAt(0)!;
      next.fill(0);
      let any = false;
      for (let i = 0; i < n; i++) {
        if (!current[2 * i] && !current[2 * i + 1]) continue;
        const t = tokens[i]!;
        let advance = false;
        if (t.kind === 'dirs') {
          next[2 * i + 1] = 1;
          if (cp === SLASH) advance = true;
        } else if (current[2 * i]) {
          if (t.kind === 'literal') advance = fold(cp) === t.cp;
          else if (t.kind === 'one') advance = cp !== SLASH;
          else if (t.kind === 'class') advance = cp !== SLASH && inClass(t, cp);
          else if (t.kind === 'star') {
            if (cp !== SLASH) next[2 * i] = 1;
          } else next[2 * i] = 1; // globstar
        }
        if (advance) next[2 * i + 2] = 1;
        any = true;
      }
      if (!any) return false;
      close(next);
      [current, next] = [next, current];
    }
    return current[2 * n] === 1;
  };
  return { matchesPath, test };
}
