import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { ContainerEvent } from '../spec/stats.js';
import { parseDuration } from './events.js';
import { engineFixture } from './test-support/engine-fixture.js';
import { failure } from './test-support/failure.js';
import { processBackendStats } from './test-support/process-backend.js';

describe('parseDuration: Go durations for --interval', () => {
  it.each([
    ['5s', 5000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['1.5h', 5_400_000],
    ['2h45m10s', 9_910_000],
    ['250us', 0.25],
    ['250µs', 0.25],
    ['250μs', 0.25],
    ['1000000ns', 1],
    ['0', 0],
    ['0s', 0],
  ])('%j is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each(['', 'x', '5', '-5s', '5 s', 's', '5d', '5S', '1h 30m', '00', '5s!'])('%j is malformed', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('parseDuration (property)', () => {
  it('a sequence of parts is the sum of the parts', () => {
    const units = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;
    const part = fc.tuple(fc.nat({ max: 1000 }), fc.constantFrom(...(Object.keys(units) as (keyof typeof units)[])));
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 5 }), (parts) => {
        const text = parts.map(([n, u]) => `${n}${u}`).join('');
        expect(parseDuration(text)).toBe(parts.reduce((sum, [n, u]) => sum + n * units[u], 0));
      }),
    );
  });
});

describe('EventsOperation', () => {
  let f: ReturnType<typeof engineFixture>;
  afterEach(() => f?.cleanup());

  it('--stats emits exactly one stats record with the backend\'s figures', async () => {
    f = engineFixture();
    await f.container('v1');
    const seen: ContainerEvent[] = [];
    await f.events.stream('v1', { once: true, intervalMs: 5000 }, (e) => seen.push(e));
    expect(seen).toEqual([{ type: 'stats', id: 'v1', data: processBackendStats }]);
  });

  it('streams a stats record every interval and an oom record per OOM kill, and ends when the container stops', async () => {
    f = engineFixture();
    await f.container('v2');
    const seen: ContainerEvent[] = [];
    const streaming = f.events.stream('v2', { once: false, intervalMs: 50 }, (e) => seen.push(e));
    await until(() => seen.length >= 2);
    await until(() => f.backend.simulateOom('v2'));
    await until(() => seen.some((e) => e.type === 'oom'));
    await f.stop('v2');
    await streaming;
    expect(seen.filter((e) => e.type === 'oom')).toEqual([{ type: 'oom', id: 'v2' }]);
    expect(seen.filter((e) => e.type === 'stats').length).toBeGreaterThanOrEqual(2);
    // The OOM watch was stopped with the stream.
    expect(f.backend.simulateOom('v2')).toBe(false);
  });

  it('carries on with stats when the OOM watch fails, warning once', async () => {
    f = engineFixture();
    f.backend.oomWatchFailure = new Error('no memory.oom_control here');
    await f.container('v3');
    const seen: ContainerEvent[] = [];
    const streaming = f.events.stream('v3', { once: false, intervalMs: 20 }, (e) => seen.push(e));
    await until(() => seen.length >= 3);
    await f.stop('v3');
    await streaming;
    expect(f.log.lines.filter((l) => l.level === 'warning').map((l) => l.msg)).toEqual(['v3: watching for OOM kills failed: backend native: watchOom failed: no memory.oom_control here']);
  });

  it('refuses a stopped container with "container not running"', async () => {
    f = engineFixture();
    await f.container('v4');
    await f.stop('v4');
    expect((await failure(f.events.stream('v4', { once: true, intervalMs: 1 }, () => {}))).message).toBe('v4: container not running');
  });

  it('a backend without stats refuses events by name', async () => {
    f = engineFixture();
    await f.container('v5', { edit: (s) => (s.annotations = { 'run.berth.backend': 'minimal' }) });
    expect((await failure(f.events.stream('v5', { once: true, intervalMs: 1 }, () => {}))).message).toBe('v5: the minimal backend does not support events');
  });
});

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
