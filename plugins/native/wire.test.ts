import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Op, PlanFlag, wireMagic, wireVersion } from './wire.js';

/** The wire format is declared twice, in wire.ts and native/wire.h: they must say the same. */
const header = readFileSync(join(import.meta.dirname, '..', '..', 'native', 'wire.h'), 'utf8');

describe('wire.ts and native/wire.h', () => {
  it('agree on version, magic and flags', () => {
    expect(header).toMatch(new RegExp(`#define BERTH_WIRE_VERSION ${wireVersion}\\b`));
    expect(header).toContain(`#define BERTH_WIRE_MAGIC "${wireMagic}"`);
    expect(header).toMatch(new RegExp(`#define BERTH_PLAN_FOREGROUND ${PlanFlag.foreground}\\b`));
  });

  it('agree on every operation code, and neither has one the other lacks', () => {
    const fromHeader = Object.fromEntries([...header.matchAll(/^\s*BERTH_OP_([A-Z_]+)\s*=\s*(\d+),/gm)].map((m) => [m[1], Number(m[2])]));
    expect(fromHeader).toEqual({ ...Op });
  });
});
