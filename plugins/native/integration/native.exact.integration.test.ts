import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBerth } from '../../../core/cli/test-support/run-berth.js';
import { nativeSkipReason, scratchPerTest } from '../test-support/native-suite.js';

/**
 * 64-bit values of config.json as real native containers get them (issue 11): uint64 max is
 * RLIM_INFINITY and a seccomp mask of all ones, int64 max reaches the memory cgroup as its
 * digits, and an rlimit this host cannot grant is refused before anything is made. Root only;
 * ids and cgroups carry a random "ex-" prefix.
 */
const v1Memory = existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes');
const suite = nativeSkipReason ? describe.skip : describe;
const u64max = 18446744073709551615n;
const tag = `ex-${randomBytes(4).toString('hex')}`;
const scratch = scratchPerTest(`${tag}-`);

/** The host's processes whose command line contains `text` (zombies count as dead). */
function processesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(text) && !/\) Z /.test(readFileSync(`/proc/${p}/stat`, 'utf8'));
      } catch {
        return false;
      }
    })
    .map(Number);
}

suite(`native backend: 64-bit values${nativeSkipReason ? ` (skipped: ${nativeSkipReason})` : ''}`, () => {
  it('RLIMIT_CORE of 18446744073709551615 is unlimited in the container (it was 0)', () => {
    const b = scratch.bundle(['sh', '-c', 'echo "$(ulimit -Sc) $(ulimit -Hc)"'], (c) => {
      c.process.rlimits = [{ type: 'RLIMIT_CORE', hard: u64max, soft: u64max }];
    });
    expect(readFileSync(join(b, 'config.json'), 'utf8')).toContain('"hard": 18446744073709551615');
    expect(scratch.berth('run', '-b', b, `${tag}-core`)).toEqual({ code: 0, stdout: 'unlimited unlimited\n', stderr: '' });
  });

  it('RLIMIT_NOFILE of 18446744073709551615 is refused before anything is made, naming the field and why', () => {
    const marker = `${tag}-nofile-marker`;
    const hostHard = /^Max open files\s+\S+\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))![1]!;
    const cgroupsPath = `/${tag}-nofile`;
    const b = scratch.bundle(['sh', '-c', `echo ${marker}; exec sleep 100`], (c) => {
      c.process.rlimits = [{ type: 'RLIMIT_CORE', hard: 0, soft: 0 }, { type: 'RLIMIT_NOFILE', hard: u64max, soft: u64max }];
      c.linux.cgroupsPath = cgroupsPath;
    });
    const r = scratch.berth('create', '-b', b, `${tag}-nofile`);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`/process/rlimits/1/hard: RLIMIT_NOFILE hard limit 18446744073709551615 is above the host's hard limit ${hostHard}, and berth lacks CAP_SYS_RESOURCE to raise it (setting it would fail: operation not permitted)`);
    // Nothing left: no state, no cgroup in any hierarchy, no process.
    expect(existsSync(scratch.root) ? readdirSync(scratch.root) : []).toEqual([]);
    expect(readdirSync('/sys/fs/cgroup').filter((h) => existsSync(join('/sys/fs/cgroup', h, cgroupsPath)))).toEqual([]);
    expect(processesMentioning(marker)).toEqual([]);
    expect(scratch.berth('state', `${tag}-nofile`).code).not.toBe(0);
  });

  it('a seccomp mask of 18446744073709551615 keeps every bit: kill(-1) is refused as the rule says, kill of the shell is not', () => {
    // (arg0 & all ones) == 0xffffffff: kill's pid is an int, so -1 reaches the filter as 0xffffffff.
    // Wrapped to 0 the mask would match nothing and kill -0 -1 would succeed.
    const b = scratch.bundle(['sh', '-c', 'sleep 100 & kill -0 -1; echo "all=$?"; kill -0 $$; echo "self=$?"'], (c) => {
      c.linux.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, args: [{ index: 0, value: u64max, valueTwo: 4294967295, op: 'SCMP_CMP_MASKED_EQ' }] }],
      };
    });
    expect(scratch.berth('run', '-b', b, `${tag}-seccomp`)).toEqual({ code: 0, stdout: 'all=1\nself=0\n', stderr: 'sh: can\'t kill pid -1: Permission denied\n' });
  });

  it.skipIf(!v1Memory)('a memory limit of 9223372036854775807 reaches memory.limit_in_bytes as the kernel reads those digits, and so does update -r', () => {
    /** What the kernel makes of exactly these digits, in a scratch cgroup of our own. */
    const kernelReads = (digits: string) => {
      const probe = `/sys/fs/cgroup/memory/${tag}-probe`;
      mkdirSync(probe);
      try {
        writeFileSync(join(probe, 'memory.limit_in_bytes'), digits);
        return readFileSync(join(probe, 'memory.limit_in_bytes'), 'utf8').trim();
      } finally {
        rmdirSync(probe);
      }
    };
    const cgroupsPath = `/${tag}-memory`;
    const b = scratch.bundle(['sleep', '100'], (c) => {
      c.linux.resources = { memory: { limit: 9223372036854775807n } };
      c.linux.cgroupsPath = cgroupsPath;
    });
    const created = scratch.berth('create', '-b', b, `${tag}-memory`);
    expect(created.code, created.stderr).toBe(0);
    const limitFile = `/sys/fs/cgroup/memory${cgroupsPath}/memory.limit_in_bytes`;
    expect(readFileSync(limitFile, 'utf8').trim()).toBe(kernelReads('9223372036854775807'));
    // The kernel clamps int64 max and its double alike, so a value whose double lies in the next
    // page shows the digits too: 2^62 + 4096·1000 − 1 rounds to 2^62 + 4096·1000 as a double.
    const updated = runBerth(['--root', scratch.root, 'update', '-r', '-', `${tag}-memory`], { input: '{"memory": {"limit": 4611686018431483903}}' });
    expect(updated.code, updated.stderr).toBe(0);
    expect(readFileSync(limitFile, 'utf8').trim()).toBe(kernelReads('4611686018431483903'));
    expect(kernelReads('4611686018431483903')).not.toBe(kernelReads('4611686018431484000'));
    // The frozen config records the merged limit with every digit.
    expect(readFileSync(join(scratch.root, `${tag}-memory`, 'config.json'), 'utf8')).toContain('"memory":{"limit":4611686018431483903}');
    expect(scratch.berth('delete', '--force', `${tag}-memory`).code).toBe(0);
    expect(existsSync(`/sys/fs/cgroup/memory${cgroupsPath}`)).toBe(false);
  });
});
