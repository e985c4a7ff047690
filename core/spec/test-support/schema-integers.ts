import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseExactJson } from '../exact-json.js';

/** An integer field the config schema declares, as a pointer pattern ("*" is any array index or map key) and its exact bounds. */
export interface SchemaInteger {
  pattern: string;
  minimum?: bigint;
  maximum?: bigint;
}

type Node = Record<string, unknown>;
const schemaDir = join(import.meta.dirname, '..', 'schema');

/**
 * Every integer field of the official config schema, found by walking it from
 * config-schema.json through each $ref, properties, items, additional/pattern properties and
 * allOf/anyOf/oneOf. The schema files are read exactly (their int64/uint64 bounds are beyond
 * what a double holds). Test-only: it reads the files.
 */
export function schemaIntegers(): SchemaInteger[] {
  const files = new Map<string, Node>();
  for (const file of readdirSync(schemaDir).filter((f) => f.endsWith('.json'))) {
    const parsed = parseExactJson(readFileSync(join(schemaDir, file), 'utf8'));
    if (!parsed.value) throw new Error(`${file}: ${JSON.stringify(parsed.diagnostics)}`);
    files.set(file, parsed.value as Node);
  }
  const resolve = (file: string, ref: string): { file: string; node: Node } => {
    // Upstream has one "#definitions/uint32" without its slash (see generate-validators.mjs).
    const [target = '', fragment = ''] = ref.replace('#definitions/', '#/definitions/').split('#');
    const inFile = target === '' ? file : target;
    let node = files.get(inFile) as unknown;
    for (const token of fragment.split('/').filter(Boolean)) node = (node as Node)[token];
    if (!node) throw new Error(`unresolved $ref ${ref} in ${file}`);
    return { file: inFile, node: node as Node };
  };
  const found = new Map<string, SchemaInteger>();
  const walk = (file: string, node: Node, pattern: string, seen: readonly string[]): void => {
    if (typeof node.$ref === 'string') {
      const key = `${file}${node.$ref}`;
      if (seen.includes(key)) return;
      const target = resolve(file, node.$ref);
      walk(target.file, target.node, pattern, [...seen, key]);
    }
    if (node.type === 'integer') {
      const bound = (v: unknown) => (typeof v === 'number' || typeof v === 'bigint' ? BigInt(v) : undefined);
      found.set(pattern, { pattern, ...(bound(node.minimum) !== undefined ? { minimum: bound(node.minimum) } : {}), ...(bound(node.maximum) !== undefined ? { maximum: bound(node.maximum) } : {}) });
    }
    for (const [name, child] of Object.entries((node.properties ?? {}) as Record<string, Node>)) walk(file, child, `${pattern}/${name}`, seen);
    for (const child of Object.values((node.patternProperties ?? {}) as Record<string, Node>)) walk(file, child, `${pattern}/*`, seen);
    if (typeof node.additionalProperties === 'object') walk(file, node.additionalProperties as Node, `${pattern}/*`, seen);
    // draft-04 tuple form: the nth schema is for index n.
    if (Array.isArray(node.items)) (node.items as Node[]).forEach((child, i) => walk(file, child, `${pattern}/${i}`, seen));
    else if (typeof node.items === 'object') walk(file, node.items as Node, `${pattern}/*`, seen);
    for (const list of ['allOf', 'anyOf', 'oneOf']) for (const child of (node[list] ?? []) as Node[]) walk(file, child, pattern, seen);
  };
  walk('config-schema.json', files.get('config-schema.json')!, '', []);
  return [...found.values()].sort((a, b) => a.pattern.localeCompare(b.pattern));
}
