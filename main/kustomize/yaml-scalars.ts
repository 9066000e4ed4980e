/**
 * How kustomize (through go-yaml v3) reads plain scalars and chooses how to write strings. Kustomize decodes every
 * resource into Go values and re-encodes them, so its output depends only on the values: these rules are what make
 * our output byte-identical.
 */

// Maps, not object literals: a lookup must not find `constructor` or `toString` on the prototype.
const BOOLS = new Map([
  ['true', true],
  ['True', true],
  ['TRUE', true],
  ['false', false],
  ['False', false],
  ['FALSE', false],
]);
const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const SPECIAL_FLOATS = new Map([
  ['.nan', NaN],
  ['.NaN', NaN],
  ['.NAN', NaN],
  ['.inf', Infinity],
  ['.Inf', Infinity],
  ['.INF', Infinity],
  ['+.inf', Infinity],
  ['+.Inf', Infinity],
  ['+.INF', Infinity],
  ['-.inf', -Infinity],
  ['-.Inf', -Infinity],
  ['-.INF', -Infinity],
]);
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const OLD_BOOLS = new Set([
  'y',
  'Y',
  'yes',
  'Yes',
  'YES',
  'n',
  'N',
  'no',
  'No',
  'NO',
  'on',
  'On',
  'ON',
  'off',
  'Off',
  'OFF',
]);
const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

/** A resolved plain scalar: what go-yaml v3 decodes it to. Timestamps become Go's RFC 3339 text. */
export type Resolved =
  | { tag: 'str'; value: string }
  | { tag: 'null'; value: null }
  | { tag: 'bool'; value: boolean }
  | { tag: 'int'; value: number | bigint }
  | { tag: 'float'; value: number }
  | { tag: 'timestamp'; value: string };

/** Go's strconv.ParseInt/ParseUint with base 0 (prefixes 0x, 0o, 0b and a leading 0 for octal). */
function parseGoInt(text: string): bigint | undefined {
  let s = text;
  let neg = false;
  if (s.startsWith('+') || s.startsWith('-')) {
    neg = s.startsWith('-');
    s = s.slice(1);
  }
  let digits: RegExp;
  let prefix = '';
  if (/^0[xX]/.test(s)) {
    digits = /^[0-9a-fA-F]+$/;
    prefix = '0x';
    s = s.slice(2);
  } else if (/^0[oO]/.test(s)) {
    digits = /^[0-7]+$/;
    prefix = '0o';
    s = s.slice(2);
  } else if (/^0[bB]/.test(s)) {
    digits = /^[01]+$/;
    prefix = '0b';
    s = s.slice(2);
  } else if (s.length > 1 && s.startsWith('0')) {
    digits = /^[0-7]+$/;
    prefix = '0o';
    s = s.slice(1);
  } else {
    digits = /^[0-9]+$/;
  }
  if (!digits.test(s)) return undefined;
  const v = BigInt(prefix + s);
  return neg ? -v : v;
}

function intValue(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Go time.Time formatted with time.RFC3339Nano, for the timestamp forms go-yaml v3 accepts. */
function parseTimestamp(s: string): string | undefined {
  if (!/^[0-9]{4}-/.test(s)) return undefined;
  const m =
    /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:[Tt]|( ))([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.([0-9]{1,9}))?(Z|[+-][0-9]{2}:[0-9]{2})?)?$/.exec(
      s,
    );
  if (!m) return undefined;
  const [, y, mo, d, space, h, mi, se, frac, zone] = m;
  if (h !== undefined && space === undefined && zone === undefined) return undefined;
  if (space !== undefined && zone !== undefined) return undefined;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  const pad = (v: string | undefined): string => (v ?? '0').padStart(2, '0');
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59 || Number(se) > 59)) return undefined;
  let out = `${y}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(se)}`;
  const f = (frac ?? '').replace(/0+$/, '');
  if (f) out += `.${f}`;
  out += zone === undefined || zone === 'Z' || zone === '+00:00' ? 'Z' : zone;
  return out;
}

/** go-yaml v3 `resolve("", s)` for a plain (unquoted, untagged) scalar. */
export function resolvePlain(s: string): Resolved {
  if (NULLS.has(s)) return { tag: 'null', value: null };
  const c = s.charCodeAt(0);
  const isDigit = c >= 48 && c <= 57;
  const isSign = c === 43 || c === 45;
  const bool = BOOLS.get(s);
  if (bool !== undefined) return { tag: 'bool', value: bool };
  const special = SPECIAL_FLOATS.get(s);
  if (special !== undefined) return { tag: 'float', value: special };
  if (s.startsWith('.')) {
    if (/^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(s)) return { tag: 'float', value: Number(s) };
    return { tag: 'str', value: s };
  }
  if (!isDigit && !isSign) return { tag: 'str', value: s };
  const ts = parseTimestamp(s);
  if (ts !== undefined) return { tag: 'timestamp', value: ts };
  const plain = s.replaceAll('_', '');
  const i = parseGoInt(plain);
  if (i !== undefined && i >= INT64_MIN && i <= UINT64_MAX) return { tag: 'int', value: intValue(i) };
  if (YAML_STYLE_FLOAT.test(plain)) return { tag: 'float', value: Number(plain) };
  return { tag: 'str', value: s };
}

/** True when go-yaml v3 writes the string unquoted only at the risk of it reading back as something else. */
export function needsQuotes(s: string): boolean {
  return resolvePlain(s).tag !== 'str' || BASE60_FLOAT.test(s) || OLD_BOOLS.has(s);
}

/** Go's strconv.FormatFloat(f, 'g', -1, 64), with go-yaml's spellings of infinities and NaN. */
export function formatGoFloat(f: number): string {
  if (Number.isNaN(f)) return '.nan';
  if (f === Infinity) return '.inf';
  if (f === -Infinity) return '-.inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const [mant = '', expText = '0'] = f.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const e = Math.abs(exp);
    return `${mant}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  // Shortest digits without exponent: JS and Go agree on the digits; only the layout differs.
  const digits = mant.replace('-', '').replace('.', '');
  const sign = f < 0 ? '-' : '';
  const point = exp + 1;
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

const LETTER = /\p{L}/u;
const DIGIT = /\p{Nd}/u;

/** The value Go's sorter gives the digit at `i` (its code minus '0', as Go computes it), or undefined if none. */
function digitAt(chars: readonly string[], i: number): number | undefined {
  const c = chars[i];
  return c !== undefined && DIGIT.test(c) ? c.charCodeAt(0) - 48 : undefined;
}

/** go-yaml v3's map key order (sorter.go keyList.Less): natural order, numbers inside keys compared by value. */
export function naturalLess(a: string, b: string): boolean {
  const ar = Array.from(a);
  const br = Array.from(b);
  let digits = false;
  for (const [i, ac] of ar.entries()) {
    const bc = br[i];
    if (bc === undefined) break;
    if (ac === bc) {
      digits = DIGIT.test(ac);
      continue;
    }
    const al = LETTER.test(ac);
    const bl = LETTER.test(bc);
    if (al && bl) return ac < bc;
    if (al || bl) return digits ? al : bl;
    let an = 0;
    let bn = 0;
    if (ac === '0' || bc === '0') {
      for (let j = i - 1; digitAt(ar, j) !== undefined; j--) {
        if (ar[j] !== '0') {
          an = 1;
          bn = 1;
          break;
        }
      }
    }
    let ai = i;
    let bi = i;
    for (let d = digitAt(ar, ai); d !== undefined; d = digitAt(ar, ++ai)) an = an * 10 + d;
    for (let d = digitAt(br, bi); d !== undefined; d = digitAt(br, ++bi)) bn = bn * 10 + d;
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ac < bc;
  }
  return ar.length < br.length;
}

export function naturalCompare(a: string, b: string): number {
  if (a === b) return 0;
  return naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0;
}
