import { parse, stringify } from 'lossless-json';
import type { Diagnostic } from '../errors/runtime-error.js';
import { escapeToken } from './json-pointer.js';

/**
 * JSON text ↔ values without losing an integer: what config.json, `exec --process`,
 * `update --resources`, the frozen config and the rpc wire are read and written with. Pure.
 *
 * - A safe integer (|n| ≤ 2^53−1) is a number; a larger integer a bigint, exactly. An integer
 *   written with a fraction or an exponent (`1.8446744073709551615e19`, `20.0`) counts as the
 *   integer it is. Every other number is a number.
 * - Refused, each at its JSON pointer: an integer of more than `maxIntegerDigits` digits (more
 *   than any field holds: uint64 has 20; so `1e999999999` never becomes a huge bigint), a
 *   number that is not an integer but would become one as a double (`0.99999999999999999999`,
 *   `1e-400`), a key given twice in one object (Go's encoding/json takes the last, a validator
 *   might see another: ambiguous), and nesting deeper than `maxJsonDepth`.
 *
 * lossless-json builds the values and reports syntax errors; it recurses once per level, so a
 * scan of our own (iterative, no recursion) checks depth, keys and numbers first.
 */

/** The deepest nesting read: config.json's deepest field is 7 levels down; deeper is no config, only a way to exhaust the stack. */
export const maxJsonDepth = 256;
/** uint64's largest value, 18446744073709551615, has 20 digits: an integer with more is out of range for every field. */
export const maxIntegerDigits = 20;

export interface ExactJsonResult {
  /** Present when the text is valid and nothing was refused. */
  value?: unknown;
  diagnostics: Diagnostic[];
}

export function parseExactJson(text: string): ExactJsonResult {
  const scan = scanJson(text);
  if (scan.tooDeep) return { diagnostics: [scan.tooDeep] };
  let value: unknown;
  try {
    value = parse(text, null, {
      // The scan reports every number without an exact value, and every repeated key, with its
      // pointer; lossless-json only has to get through them to find any syntax error.
      parseNumber: (token) => {
        const n = exactNumber(token);
        return typeof n === 'object' ? Number.NaN : n;
      },
      onDuplicateKey: ({ newValue }) => newValue,
    });
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    return { diagnostics: [{ pointer: '', message: `is not valid JSON: ${e.message}` }] };
  }
  if (scan.diagnostics.length > 0) return { diagnostics: scan.diagnostics };
  return { value, diagnostics: [] };
}

/** JSON text with every bigint as its plain digits (JSON.stringify throws on one). */
export function stringifyExactJson(value: unknown, space?: number | string): string {
  const text = stringify(value, undefined, space);
  if (text === undefined) throw new TypeError('stringifyExactJson: the value has no JSON form');
  return text;
}

/** A number's exact value: a number, a bigint beyond ±(2^53−1), or why it has none. */
export function exactNumber(token: string): number | bigint | { problem: string } {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(token);
  if (!match) return { problem: `is not a JSON number: ${token}` };
  const [, sign, whole, fraction = '', exponent = '0'] = match;
  // value = digits × 10^power, with the digits stripped of leading and trailing zeros.
  let digits = `${whole}${fraction}`.replace(/^0+/, '');
  let power = Number(exponent) - fraction.length;
  if (digits === '') return sign ? -0 : 0;
  const trailing = digits.length - digits.replace(/0+$/, '').length;
  digits = digits.slice(0, digits.length - trailing);
  power += trailing;
  if (power >= 0) {
    const length = digits.length + power;
    if (length > maxIntegerDigits) {
      return { problem: `is out of range: ${shortToken(token)} has ${length > 1e6 ? 'more than a million' : length} digits, more than any integer field holds (uint64 has ${maxIntegerDigits})` };
    }
    const n = BigInt(`${sign}${digits}${'0'.repeat(power)}`);
    return n >= -maxSafe && n <= maxSafe ? Number(n) : n;
  }
  const n = Number(token);
  if (!Number.isFinite(n)) return { problem: `is out of range: ${shortToken(token)} is beyond what a number can hold` };
  if (Number.isInteger(n)) return { problem: `is not an integer, but as a number ${shortToken(token)} would become ${n}: give the value berth should use` };
  return n;
}

const maxSafe = BigInt(Number.MAX_SAFE_INTEGER);

function shortToken(token: string): string {
  return token.length > 40 ? `${token.slice(0, 37)}...` : token;
}

interface Frame {
  pointer: string;
  /** An object's keys so far, with the offset of each; undefined for an array. */
  keys?: Map<string, number>;
  /** The member key whose value comes next (objects), or the next index (arrays). */
  key?: string;
  index: number;
  /** In an object: the next string is a key. */
  expectKey: boolean;
}

interface Scan {
  tooDeep?: Diagnostic;
  diagnostics: Diagnostic[];
}

/**
 * One pass over the text with an explicit stack: depth, repeated keys and numbers without an
 * exact value, each with its pointer. It stops quietly at anything that is not JSON, which
 * lossless-json then reports with its position.
 */
function scanJson(text: string): Scan {
  const diagnostics: Diagnostic[] = [];
  const stack: Frame[] = [];
  const number = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const valuePointer = (): string => {
    const top = stack.at(-1);
    if (!top) return '';
    if (top.keys) return `${top.pointer}/${escapeToken(top.key ?? '')}`;
    return `${top.pointer}/${top.index++}`;
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\n' || c === '\r' || c === '\t' || c === ':') {
      i++;
    } else if (c === ',') {
      const top = stack.at(-1);
      if (top?.keys) top.expectKey = true;
      i++;
    } else if (c === '{' || c === '[') {
      const pointer = valuePointer();
      if (stack.length >= maxJsonDepth) {
        return { diagnostics, tooDeep: { pointer, message: `nests deeper than ${maxJsonDepth} levels, the most berth reads` } };
      }
      stack.push({ pointer, index: 0, expectKey: c === '{', ...(c === '{' ? { keys: new Map() } : {}) });
      i++;
    } else if (c === '}' || c === ']') {
      stack.pop();
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) break;
      const top = stack.at(-1);
      if (top?.keys && top.expectKey) {
        let key: string;
        try {
          key = JSON.parse(text.slice(i, j + 1)) as string;
        } catch {
          break;
        }
        const first = top.keys.get(key);
        if (first !== undefined) {
          diagnostics.push({ pointer: `${top.pointer}/${escapeToken(key)}`, message: `is given twice in one object (first at position ${first}): a repeated key is ambiguous, so berth refuses it` });
        } else {
          top.keys.set(key, i);
        }
        top.key = key;
        top.expectKey = false;
      } else {
        valuePointer();
      }
      i = j + 1;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      number.lastIndex = i;
      const token = number.exec(text)?.[0];
      if (!token) break;
      const pointer = valuePointer();
      const n = exactNumber(token);
      if (typeof n === 'object') diagnostics.push({ pointer, message: n.problem });
      i += token.length;
    } else if (text.startsWith('true', i) || text.startsWith('null', i) || text.startsWith('false', i)) {
      valuePointer();
      i += c === 'f' ? 5 : 4;
    } else {
      break;
    }
  }
  return { diagnostics };
}
