import type { Message } from 'vscode-jsonrpc/node.js';
import { parseExactJson, stringifyExactJson } from '../../core/plugin-api.js';

/**
 * The JSON of berth's rpc messages, as protocol.ts declares it: a 64-bit integer travels as a
 * JSON number with every digit (18446744073709551615), exactly as config.json writes it, and
 * comes back the same way; vscode-jsonrpc's own JSON.stringify would throw on a bigint and its
 * JSON.parse round an answer beyond 2^53. The framing (Content-Length) is vscode-jsonrpc's.
 */
export const exactJsonEncoder = {
  name: 'application/json',
  encode: async (message: Message, options: { charset: BufferEncoding }): Promise<Uint8Array> => Buffer.from(stringifyExactJson(message), options.charset),
};

/** What the decoder throws for a message berth refuses; vscode-jsonrpc reports it through the connection's onError. */
export class UnreadableMessage extends Error {}

export const exactJsonDecoder = {
  name: 'application/json',
  decode: async (buffer: Uint8Array, options: { charset: BufferEncoding }): Promise<Message> => {
    const { value, diagnostics } = parseExactJson(Buffer.from(buffer).toString(options.charset));
    if (value === undefined) throw new UnreadableMessage(`the backend sent a message that is not JSON berth reads: ${diagnostics.map((d) => `${d.pointer || '/'}: ${d.message}`).join('; ')}`);
    return value as Message;
  },
};
