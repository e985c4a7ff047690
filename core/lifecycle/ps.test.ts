import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { filterPsOutput } from './ps.js';
import { engineFixture } from './test-support/engine-fixture.js';
import { failure } from './test-support/failure.js';

const psEf = `UID          PID    PPID  C STIME TTY          TIME CMD
root           1       0  0 02:00 ?        00:00:01 /sbin/init
root         123       1  0 02:01 ?        00:00:00 /bin/busybox sleep 30
root        1234     123  0 02:01 ?        00:00:00 sh -c echo 123
root          12       1  0 02:01 ?        00:00:00 [kworker/0:1]
`;

describe('filterPsOutput: runc\'s table format', () => {
  it('keeps the header and the rows whose PID column holds one of the pids, in ps\'s order', () => {
    expect(filterPsOutput(psEf, [1234, 123])).toBe(`${psEf.split('\n')[0]}\n${psEf.split('\n')[2]}\n${psEf.split('\n')[3]}\n`);
  });

  it('matches the PID column exactly: 12 is not 123 or 1234, and a pid in the command is not a pid', () => {
    const out = filterPsOutput(psEf, [12]);
    expect(out.trim().split('\n')).toEqual([psEf.split('\n')[0], psEf.split('\n')[4]]);
  });

  it('finds the PID column wherever the ps options put it (not PPID)', () => {
    const custom = '  PPID   PID CMD\n     1   123 sleep\n   123     1 init\n';
    expect(filterPsOutput(custom, [123])).toBe('  PPID   PID CMD\n     1   123 sleep\n');
  });

  it('prints only the header when no process matches', () => {
    expect(filterPsOutput(psEf, [])).toBe(`${psEf.split('\n')[0]}\n`);
  });

  it('refuses ps options that drop the PID column', () => {
    expect(() => filterPsOutput('CMD\nsleep\n', [1])).toThrow('the ps options must keep the PID column in the output');
  });
});

describe('filterPsOutput (property)', () => {
  it('keeps exactly the rows of the given pids, in order, under the header', () => {
    const row = fc.record({ pid: fc.integer({ min: 1, max: 99999 }), cmd: fc.stringMatching(/^[a-z0-9 ]{1,12}$/) });
    fc.assert(
      fc.property(fc.uniqueArray(row, { selector: (r) => r.pid, maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 99999 }), { maxLength: 6 }), (rows, extra) => {
        const wanted = [...rows.filter((_, i) => i % 2 === 0).map((r) => r.pid), ...extra];
        const lines = rows.map((r) => `root ${String(r.pid).padStart(6)} 1 ${r.cmd}`);
        const out = filterPsOutput(['USER PID PPID CMD', ...lines].join('\n'), wanted);
        expect(out).toBe(['USER PID PPID CMD', ...lines.filter((_, i) => wanted.includes(rows[i]!.pid))].map((l) => `${l}\n`).join(''));
      }),
    );
  });
});

describe('PsOperation', () => {
  let f: ReturnType<typeof engineFixture>;
  afterEach(() => f?.cleanup());

  it('lists the backend\'s pids once each, in ascending order', async () => {
    f = engineFixture();
    const pid = await f.container('s1');
    expect(await f.ps.processes('s1')).toEqual([pid]);
  });

  it('refuses a stopped container with "container not running", an unknown one with "does not exist"', async () => {
    f = engineFixture();
    await f.container('s2');
    await f.stop('s2');
    expect((await failure(f.ps.processes('s2'))).message).toBe('s2: container not running');
    expect((await failure(f.ps.processes('ghost'))).message).toBe('ghost: container does not exist');
  });

  it('a backend without processes refuses ps by name', async () => {
    f = engineFixture();
    await f.container('s3', { edit: (s) => (s.annotations = { 'run.berth.backend': 'minimal' }) });
    expect((await failure(f.ps.processes('s3'))).message).toBe('s3: the minimal backend does not support ps');
  });
});
