/** RFC 6901 JSON pointers: how every config diagnostic names its field. */

export function escapeToken(token: string | number): string {
  return String(token).replaceAll('~', '~0').replaceAll('/', '~1');
}

export function unescapeToken(token: string): string {
  return token.replaceAll('~1', '/').replaceAll('~0', '~');
}

export function pointerOf(...tokens: (string | number)[]): string {
  return tokens.map((t) => `/${escapeToken(t)}`).join('');
}

export function tokensOf(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`not a JSON pointer: ${pointer}`);
  return pointer.slice(1).split('/').map(unescapeToken);
}

/** The value the pointer names, or undefined when there is none. */
export function valueAt(document: unknown, pointer: string): unknown {
  let current: unknown = document;
  for (const token of tokensOf(pointer)) {
    if (current === null || typeof current !== 'object') return undefined;
    // On an array only an index names a member (RFC 6901 §4), never `length` or `-`.
    if (Array.isArray(current) && !/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(current, token)) return undefined;
    current = (current as Record<string, unknown>)[token];
  }
  return current;
}
