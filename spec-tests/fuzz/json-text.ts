/**
 * config.json as the fuzzer writes it: a tree of JSON text, so a case can hold what a JS value
 * cannot (a key written twice, an integer beyond 2^53 spelled exactly, 1e400) and still be
 * shrunk by fast-check. `emit` writes the text; `evaluate` reads it back as a careful reader
 * would (the last of duplicate keys wins, as in JSON.parse and Go; integers exact, as bigint
 * beyond 2^53), which is what a case's observations are compared with.
 */

export type JsonNode =
  | { kind: 'raw'; text: string }
  | { kind: 'object'; entries: [string, JsonNode][] }
  | { kind: 'array'; items: JsonNode[] }
  | { kind: 'string'; value: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'null' };

export type Path = readonly (string | number)[];

export const raw = (text: string): JsonNode => ({ kind: 'raw', text });
export const str = (value: string): JsonNode => ({ kind: 'string', value });

/** A plain JSON value as a tree (numbers exactly as JSON.stringify writes them). */
export function toNode(value: unknown): JsonNode {
  if (value === null || value === undefined) return { kind: 'null' };
  if (typeof value === 'string') return str(value);
  if (typeof value === 'boolean') return { kind: 'bool', value };
  if (typeof value === 'number' || typeof value === 'bigint') return raw(String(value));
  if (Array.isArray(value)) return { kind: 'array', items: value.map(toNode) };
  return { kind: 'object', entries: Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).map(([k, v]) => [k, toNode(v)]) };
}

/** The JSON text. Not recursive: a case may nest 100 000 levels deep. */
export function emit(node: JsonNode): string {
  const out: string[] = [];
  const stack: (JsonNode | string)[] = [node];
  while (stack.length > 0) {
    const top = stack.pop()!;
    if (typeof top === 'string') {
      out.push(top);
      continue;
    }
    switch (top.kind) {
      case 'raw':
        out.push(top.text);
        break;
      case 'string':
        out.push(JSON.stringify(top.value));
        break;
      case 'bool':
        out.push(String(top.value));
        break;
      case 'null':
        out.push('null');
        break;
      case 'array': {
        const parts: (JsonNode | string)[] = ['['];
        top.items.forEach((item, i) => parts.push(...(i > 0 ? [','] : []), item));
        parts.push(']');
        stack.push(...parts.reverse());
        break;
      }
      case 'object': {
        const parts: (JsonNode | string)[] = ['{'];
        top.entries.forEach(([key, value], i) => parts.push(`${i > 0 ? ',' : ''}${JSON.stringify(key)}:`, value));
        parts.push('}');
        stack.push(...parts.reverse());
        break;
      }
    }
  }
  return out.join('');
}

/** An exact JSON number: a bigint for an integer JSON.parse would round, else a number. */
export function exactNumber(text: string): number | bigint {
  if (/^-?(0|[1-9][0-9]*)$/.test(text)) {
    const n = BigInt(text);
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  }
  return Number(text);
}

/** The value a careful reader takes from the text (last duplicate wins, integers exact); not recursive either. */
export function evaluate(node: JsonNode, depthLimit = 10_000): unknown {
  const scalar = (n: JsonNode): unknown => (n.kind === 'raw' ? rawValue(n.text) : n.kind === 'string' || n.kind === 'bool' ? n.value : null);
  const build = (n: JsonNode, depth: number): unknown => {
    if (n.kind !== 'array' && n.kind !== 'object') return scalar(n);
    if (depth > depthLimit) return undefined;
    if (n.kind === 'array') return n.items.map((item) => build(item, depth + 1));
    const obj: Record<string, unknown> = {};
    for (const [k, v] of n.entries) obj[k] = build(v, depth + 1);
    return obj;
  };
  return build(node, 0);
}

/**
 * Raw text read back: a number exactly; anything else (an object or array written as text)
 * with its long integers exact too. Too deep for JSON.parse: undefined (no reader takes it).
 */
function rawValue(text: string): unknown {
  if (/^\s*-?[0-9]/.test(text)) return exactNumber(text.trim());
  try {
    const marked = text.replace(/([:[,]\s*)(-?\d{16,})(?=\s*[,\]}])/g, '$1"#exact#$2"');
    return JSON.parse(marked, (_, v: unknown) => (typeof v === 'string' && v.startsWith('#exact#') ? exactNumber(v.slice(7)) : v));
  } catch {
    return undefined;
  }
}

/** The node at `path` (the last entry of a duplicated key), or undefined. */
export function nodeAt(node: JsonNode, path: Path): JsonNode | undefined {
  let at: JsonNode | undefined = node;
  for (const key of path) {
    if (at?.kind === 'object') at = at.entries.findLast(([k]) => k === key)?.[1];
    else if (at?.kind === 'array' && typeof key === 'number') at = at.items[key];
    else return undefined;
  }
  return at;
}

/** A copy of `node` with `value` at `path`: missing objects are made on the way, an index past the end appends. */
export function setAt(node: JsonNode, path: Path, value: JsonNode | undefined): JsonNode {
  if (path.length === 0) return value ?? { kind: 'null' };
  const [key, ...rest] = path;
  if (node.kind === 'array' && typeof key === 'number') {
    const items = [...node.items];
    const child = items[key] ?? { kind: 'object', entries: [] };
    if (value === undefined && rest.length === 0) items.splice(key, 1);
    else if (key >= items.length) items.push(setAt(child, rest, value));
    else items[key] = setAt(child, rest, value);
    return { kind: 'array', items };
  }
  const entries = node.kind === 'object' ? [...node.entries] : [];
  const at = entries.findLastIndex(([k]) => k === String(key));
  if (value === undefined && rest.length === 0) return { kind: 'object', entries: entries.filter(([k]) => k !== String(key)) };
  const child = at >= 0 ? entries[at]![1] : typeof rest[0] === 'number' ? ({ kind: 'array', items: [] } as JsonNode) : ({ kind: 'object', entries: [] } as JsonNode);
  const updated = setAt(child, rest, value);
  if (at >= 0) entries[at] = [String(key), updated];
  else entries.push([String(key), updated]);
  return { kind: 'object', entries };
}

/** A copy with `key` written once more in the object at `path` (the new value last, so it wins in JSON.parse). */
export function duplicateKey(node: JsonNode, path: Path, key: string, value: JsonNode): JsonNode {
  const target = nodeAt(node, path);
  if (target?.kind !== 'object') return setAt(node, [...path, key], value);
  return setAt(node, path, { kind: 'object', entries: [...target.entries, [key, value]] });
}

/**
 * `depth` arrays (or objects) nested around `inner`, as raw text: the case's tree stays shallow,
 * so fast-check can copy, shrink and print it whatever the depth.
 */
export function nested(depth: number, shape: 'array' | 'object', inner = '0'): JsonNode {
  return shape === 'array' ? raw(`${'['.repeat(depth)}${inner}${']'.repeat(depth)}`) : raw(`${'{"a":'.repeat(depth)}${inner}${'}'.repeat(depth)}`);
}
