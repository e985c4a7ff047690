import { describe, expect, it } from 'vitest';
import type { Message } from 'vscode-jsonrpc/node.js';
import { exactJsonDecoder, exactJsonEncoder, UnreadableMessage } from './exact-codec.js';

const options = { charset: 'utf-8' as BufferEncoding };

describe('the rpc JSON codec', () => {
  it('writes a bigint as a JSON number with every digit (JSON.stringify throws on one)', async () => {
    const message = { jsonrpc: '2.0', id: 1, method: 'berth/update', params: { resources: { memory: { limit: 9223372036854775807n } } } } as unknown as Message;
    expect(() => JSON.stringify(message)).toThrow(TypeError);
    expect(Buffer.from(await exactJsonEncoder.encode(message, options)).toString('utf8')).toBe('{"jsonrpc":"2.0","id":1,"method":"berth/update","params":{"resources":{"memory":{"limit":9223372036854775807}}}}');
  });

  it('reads an answer\'s 64-bit integer exactly and refuses a repeated key', async () => {
    const text = '{"jsonrpc":"2.0","id":2,"result":{"memory":{"usage":{"limit":18446744073709551615}}}}';
    expect(await exactJsonDecoder.decode(Buffer.from(text), options)).toEqual({ jsonrpc: '2.0', id: 2, result: { memory: { usage: { limit: 18446744073709551615n } } } });
    await expect(exactJsonDecoder.decode(Buffer.from('{"id":1,"id":2}'), options)).rejects.toThrow(UnreadableMessage);
  });
});
