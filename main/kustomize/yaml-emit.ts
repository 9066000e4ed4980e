/**
 * Writes plain values as YAML exactly as `kubectl kustomize` prints them: go-yaml v3's emitter with a 2-space indent,
 * sequences inside mappings not indented, map keys in go-yaml's natural order, 80-column folding of long plain and
 * quoted scalars, and go-yaml's choice of quoting. The scalar writers are ports of libyaml's (via go-yaml) so line
 * folding and escapes match byte for byte.
 */
import { formatGoFloat, naturalCompare, needsQuotes } from './yaml-scalars.ts';

const BEST_WIDTH = 80;
const BEST_INDENT = 2;

type Style = 'plain' | 'single' | 'double' | 'literal';

interface Analysis {
  multiline: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

const isBreak = (c: string | undefined): boolean =>
  c === '\n' || c === '\r' || c === '\u0085' || c === '\u2028' || c === '\u2029';
const isSpace = (c: string | undefined): boolean => c === ' ';
const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t';
const isBlankz = (c: string | undefined): boolean => c === undefined || isBlank(c) || isBreak(c);

function isPrintable(c: string): boolean {
  const cp = c.codePointAt(0);
  if (cp === undefined) return false;
  return (
    cp === 0x0a ||
    (cp >= 0x20 && cp <= 0x7e) ||
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff)
  );
}

function analyze(chars: string[]): Analysis {
  if (chars.length === 0) {
    return { multiline: false, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: false };
  }
  let blockIndicators = false;
  let lineBreaks = false;
  let special = false;
  let tabs = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let prevSpace = false;
  let prevBreak = false;
  const head = chars.slice(0, 3).join('');
  if (head === '---' || head === '...') blockIndicators = true;
  let precededByWhitespace = true;
  for (const [i, c] of chars.entries()) {
    const followedByWhitespace = i + 1 >= chars.length || isBlank(chars[i + 1]);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(c)) blockIndicators = true;
      else if ((c === '?' || c === ':' || c === '-') && followedByWhitespace) blockIndicators = true;
    } else if (c === ':' && followedByWhitespace) blockIndicators = true;
    else if (c === '#' && precededByWhitespace) blockIndicators = true;
    if (c === '\t') tabs = true;
    else if (!isPrintable(c)) special = true;
    if (isSpace(c)) {
      if (i === 0) leadingSpace = true;
      if (i === chars.length - 1) trailingSpace = true;
      if (prevBreak) breakSpace = true;
      prevSpace = true;
      prevBreak = false;
    } else if (isBreak(c)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i === chars.length - 1) trailingBreak = true;
      if (prevSpace) spaceBreak = true;
      prevSpace = false;
      prevBreak = true;
    } else {
      prevSpace = false;
      prevBreak = false;
    }
    precededByWhitespace = isBlankz(c);
  }
  const a: Analysis = { multiline: lineBreaks, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: true };
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) a.blockPlainAllowed = false;
  if (trailingSpace) a.blockAllowed = false;
  if (breakSpace) {
    a.blockPlainAllowed = false;
    a.singleQuotedAllowed = false;
  }
  // kubectl's emitter (sigs.k8s.io/yaml's go-yaml v3 fork) also keeps a string with a tab out of block styles:
  // "first\n\tsecond" comes out double-quoted, not as a literal block.
  if (spaceBreak || tabs || special) {
    a.blockPlainAllowed = false;
    a.singleQuotedAllowed = false;
    a.blockAllowed = false;
  }
  if (lineBreaks) a.blockPlainAllowed = false;
  if (blockIndicators) a.blockPlainAllowed = false;
  return a;
}

/** The emitter's mutable position, as libyaml tracks it. */
class Writer {
  out: string[] = [];
  column = 0;
  whitespace = true;
  indention = true;
  indent = -1;

  put(s: string): void {
    this.out.push(s);
    this.column += s.length;
  }

  /** Writes one character (a code point), counting it as one column. */
  putChar(c: string): void {
    this.out.push(c);
    this.column++;
  }

  putBreak(): void {
    this.out.push('\n');
    this.column = 0;
    this.indention = true;
  }

  writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak();
    if (this.column < indent) this.put(' '.repeat(indent - this.column));
    this.whitespace = true;
  }

  indicator(s: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    this.put(s);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  writeBreakChar(c: string): void {
    if (c === '\n') this.putBreak();
    else {
      this.putChar(c);
      this.column = 0;
      this.indention = true;
    }
  }

  plain(chars: string[], allowBreaks: boolean): void {
    if (chars.length > 0 && !this.whitespace) this.put(' ');
    let spaces = false;
    let breaks = false;
    for (const [i, c] of chars.entries()) {
      if (isSpace(c)) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && !isSpace(chars[i + 1])) this.writeIndent();
        else this.putChar(c);
        spaces = true;
      } else if (isBreak(c)) {
        if (!breaks && c === '\n') this.putBreak();
        this.writeBreakChar(c);
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.putChar(c);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    if (chars.length > 0) this.whitespace = false;
    this.indention = false;
  }

  single(chars: string[], allowBreaks: boolean): void {
    this.indicator("'", true, false, false);
    let spaces = false;
    let breaks = false;
    for (const [i, c] of chars.entries()) {
      if (isSpace(c)) {
        if (
          allowBreaks &&
          !spaces &&
          this.column > BEST_WIDTH &&
          i > 0 &&
          i < chars.length - 1 &&
          !isSpace(chars[i + 1])
        )
          this.writeIndent();
        else this.putChar(c);
        spaces = true;
      } else if (isBreak(c)) {
        if (!breaks && c === '\n') this.putBreak();
        this.writeBreakChar(c);
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (c === "'") this.putChar("'");
        this.putChar(c);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    this.indicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  double(chars: string[], allowBreaks: boolean): void {
    let spaces = false;
    this.indicator('"', true, false, false);
    // go-yaml's is_bom looks at the start of the value, not at the character: a value that starts with a BOM has
    // every character escaped (`"\uFEFF\x78"`).
    const bom = chars[0] === '\uFEFF';
    for (const [i, c] of chars.entries()) {
      if (bom || !isPrintable(c) || isBreak(c) || c === '"' || c === '\\') {
        this.put(escapeChar(c));
        spaces = false;
      } else if (isSpace(c)) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i > 0 && i < chars.length - 1) {
          this.writeIndent();
          if (isSpace(chars[i + 1])) this.put('\\');
        } else this.putChar(c);
        spaces = true;
      } else {
        this.putChar(c);
        spaces = false;
      }
    }
    this.indicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  literal(chars: string[]): void {
    this.indicator('|', true, false, false);
    if (isSpace(chars[0]) || isBreak(chars[0])) this.indicator(String(BEST_INDENT), false, false, false);
    let chomp = '';
    const n = chars.length;
    if (n === 0 || !isBreak(chars[n - 1])) chomp = '-';
    else if (n === 1 || isBreak(chars[n - 2])) chomp = '+';
    if (chomp) this.indicator(chomp, false, false, false);
    // go-yaml v3 ends the header line before the body (process_line_comment_linebreak), so a leading break in the
    // text shows as an empty first line.
    this.putBreak();
    this.whitespace = true;
    let breaks = true;
    for (const c of chars) {
      if (isBreak(c)) {
        this.writeBreakChar(c);
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.putChar(c);
        this.indention = false;
        breaks = false;
      }
    }
  }
}

const ESCAPES: Record<number, string> = {
  0x00: '0',
  0x07: 'a',
  0x08: 'b',
  0x09: 't',
  0x0a: 'n',
  0x0b: 'v',
  0x0c: 'f',
  0x0d: 'r',
  0x1b: 'e',
  0x22: '"',
  0x5c: '\\',
  0x85: 'N',
  0xa0: '_',
  0x2028: 'L',
  0x2029: 'P',
};

function escapeChar(c: string): string {
  const v = c.codePointAt(0);
  if (v === undefined) return '';
  const short = ESCAPES[v];
  if (short !== undefined) return `\\${short}`;
  const hex = v.toString(16).toUpperCase();
  if (v <= 0xff) return `\\x${hex.padStart(2, '0')}`;
  if (v <= 0xffff) return `\\u${hex.padStart(4, '0')}`;
  return `\\U${hex.padStart(8, '0')}`;
}

/** go-yaml's encoder choice for a Go string, then the emitter's fallback when that style cannot hold the text. */
function stringStyle(s: string, a: Analysis, simpleKey: boolean): Style {
  let style: Style = s.includes('\n') ? 'literal' : needsQuotes(s) ? 'double' : 'plain';
  if (simpleKey && a.multiline) style = 'double';
  if (style === 'plain' && (!a.blockPlainAllowed || (s.length === 0 && simpleKey))) style = 'single';
  if (style === 'single' && !a.singleQuotedAllowed) style = 'double';
  if (style === 'literal' && (!a.blockAllowed || simpleKey)) style = 'double';
  return style;
}

function writeString(w: Writer, s: string, simpleKey: boolean): void {
  const chars = Array.from(s);
  const a = analyze(chars);
  switch (stringStyle(s, a, simpleKey)) {
    case 'plain':
      return w.plain(chars, !simpleKey);
    case 'single':
      return w.single(chars, !simpleKey);
    case 'double':
      return w.double(chars, !simpleKey);
    case 'literal':
      return w.literal(chars);
  }
}

/**
 * A float as kubectl prints it after kustomize's JSON round trip: a whole number below 1e21 becomes JSON's digits
 * (`12345678901234567000`), which read back as an int64 or uint64 when they fit; anything else stays a float.
 */
function wholeFloatText(v: number): string {
  if (!Number.isInteger(v) || Math.abs(v) >= 1e21) return formatGoFloat(v);
  const text = v.toString();
  const n = BigInt(text);
  return n >= -(2n ** 63n) && n < 2n ** 64n ? text : formatGoFloat(v);
}

function scalarText(v: unknown): string | undefined {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  // Integers beyond 2^53 are parsed as bigint, so a number past that range was a float in the source.
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v.toFixed(0) : wholeFloatText(v);
  return undefined;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function writeScalar(w: Writer, v: unknown): void {
  const saved = w.indent;
  w.indent = w.indent < 0 ? BEST_INDENT : w.indent + BEST_INDENT;
  if (typeof v === 'string') writeString(w, v, false);
  else w.plain(Array.from(scalarText(v) ?? String(v)), true);
  w.indent = saved;
}

function writeNode(w: Writer, v: unknown, mappingContext: boolean): void {
  if (Array.isArray(v)) {
    if (v.length === 0) {
      w.indicator('[', true, true, false);
      w.indicator(']', false, false, false);
      return;
    }
    writeSequence(w, v, mappingContext);
  } else if (isMap(v)) {
    const keys = Object.keys(v);
    if (keys.length === 0) {
      w.indicator('{', true, true, false);
      w.indicator('}', false, false, false);
      return;
    }
    writeMapping(w, v, keys);
  } else writeScalar(w, v);
}

function writeSequence(w: Writer, items: unknown[], mappingContext: boolean): void {
  const saved = w.indent;
  const indentless = mappingContext && !w.indention;
  if (w.indent < 0) w.indent = 0;
  else if (!indentless) w.indent += BEST_INDENT;
  for (const item of items) {
    w.writeIndent();
    w.indicator('-', true, false, true);
    writeNode(w, item, false);
  }
  w.indent = saved;
}

const BREAKS = /[\n\r\u0085\u2028\u2029]/;
const utf8 = new TextEncoder();

/** libyaml's check_simple_key for a scalar: at most 128 bytes and on one line (no line break of any kind). */
function isSimpleKey(key: string): boolean {
  if (BREAKS.test(key)) return false;
  // A UTF-16 unit is at most 3 bytes of UTF-8, so short keys need no counting.
  return key.length <= 42 || utf8.encode(key).length <= 128;
}

function writeMapping(w: Writer, m: Record<string, unknown>, keys: string[]): void {
  const saved = w.indent;
  w.indent = w.indent < 0 ? 0 : w.indent + BEST_INDENT;
  keys.sort(naturalCompare);
  for (const key of keys) {
    w.writeIndent();
    const keySaved = w.indent;
    w.indent += BEST_INDENT;
    if (isSimpleKey(key)) {
      writeString(w, key, true);
      w.indent = keySaved;
      w.indicator(':', false, false, false);
    } else {
      // libyaml's complex key: `? key` and `: value` on lines of their own.
      w.indicator('?', true, false, true);
      writeString(w, key, false);
      w.indent = keySaved;
      w.writeIndent();
      w.indicator(':', true, false, true);
    }
    writeNode(w, m[key], true);
  }
  w.indent = saved;
}

/** One object (or any value) as a YAML document body, ending in a newline. */
export function toYaml(value: unknown): string {
  const w = new Writer();
  writeNode(w, value, false);
  w.indent = -1;
  w.writeIndent();
  return w.out.join('');
}

/** A stream of documents as kustomize prints it: documents separated by `---`. */
export function toYamlStream(values: readonly unknown[]): string {
  return values.map(toYaml).join('---\n');
}
