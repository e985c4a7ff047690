import { describe, expect, it } from 'vitest';
import { signature } from './campaign.js';

describe('signature', () => {
  it('one failure whatever the log framing, ids and numbers around it', () => {
    const plain = signature({ crash: 'internal error', message: 'backend native: create failed: Invalid array length' });
    expect(signature({ crash: 'internal error', message: 'time="2026-12-02T18:53:50Z" level=debug msg="fz1-330: backend native (default)"\nbackend native: create failed: Invalid array length' })).toBe(plain);
    expect(signature({ crash: 'internal error', message: '{"level":"error","msg":"backend native: create failed: Invalid array length","time":"2026-12-02T18:53:50Z"}' })).toBe(plain);
    expect(signature({ crash: 'internal error', message: 'backend native: create failed: Maximum call stack size exceeded' })).not.toBe(plain);
  });
});
