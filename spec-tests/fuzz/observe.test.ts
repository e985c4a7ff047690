import { describe, expect, it } from 'vitest';
import { evaluate, raw, setAt, toNode } from './json-text.js';
import { disagreement, parseProbeReport } from './observe.js';

const config = { process: { args: ['/berth-probe', '--'], env: ['PATH=/bin', 'HOME=/'], cwd: '/tmp/', user: { uid: 1000, gid: 5, additionalGids: [7, 7] }, rlimits: [{ type: 'RLIMIT_NOFILE', soft: 512, hard: 1024 }] }, hostname: 'h' };
const report = {
  uid: 1000, euid: 1000, gid: 5, egid: 5, groups: [7], umask: 0o022, cwd: '/tmp', hostname: 'h', env: ['PATH=/bin', 'HOME=/'], args: ['/berth-probe', '--'],
  rlimits: { RLIMIT_NOFILE: { soft: 512, hard: 1024 } }, oomScoreAdj: 0, mounts: [],
};

describe('disagreement', () => {
  it('none when the container has what the config says', () => {
    expect(disagreement(config, report)).toBeUndefined();
  });

  it('names the field and both values when they differ', () => {
    expect(disagreement(config, { ...report, euid: 0 })).toBe('/process/user/uid: the config says 1000, the container has 0');
    expect(disagreement(config, { ...report, env: ['PATH=/bin'] })).toMatch(/^\/process\/env: /);
    expect(disagreement({ ...config, process: { ...config.process, env: ['PATH=/bin'] } }, { ...report, env: ['PATH=/bin', 'HOME=/root'] })).toBeUndefined();
  });

  it('compares integers beyond 2^53 exactly, and 2^64-1 as unlimited', () => {
    const text = setAt(toNode(config), ['process', 'rlimits', 0, 'soft'], raw('9007199254740993'));
    const probe = parseProbeReport(JSON.stringify({ ...report, rlimits: { RLIMIT_NOFILE: { soft: 1, hard: 1024 } } }).replace('"soft":1,', '"soft":9007199254740992,'));
    expect(disagreement(evaluate(text), probe)).toBe('/process/rlimits/0: the config says {"soft":"9007199254740993","hard":1024}, the container has {"soft":"9007199254740992","hard":1024}');
    const unlimited = setAt(setAt(toNode(config), ['process', 'rlimits', 0, 'soft'], raw('18446744073709551615')), ['process', 'rlimits', 0, 'hard'], raw('18446744073709551615'));
    expect(disagreement(evaluate(unlimited), { ...report, rlimits: { RLIMIT_NOFILE: { soft: 'unlimited', hard: 'unlimited' } } })).toBeUndefined();
  });
});
