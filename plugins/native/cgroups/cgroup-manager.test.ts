import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyResources, createCgroups, type CgroupPaths } from './cgroup-manager.js';
import type { AttachDeviceFilter } from './device-filter.js';
import { effectiveDeviceRules } from './resource-writes.js';

/**
 * What the cgroup manager writes, on directory trees that stand in for cgroupfs (plain files
 * where the kernel would have its own). The real hierarchy is in cgroup-v2.integration.test.ts.
 */

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'berth-cgroup-manager-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A directory standing in for a cgroup, with the kernel's files the test needs. */
function fakeCgroup(dir: string, files: Record<string, string> = {}): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

function recordingAttacher(): { attach: AttachDeviceFilter; calls: { dir: string; instructions: number }[] } {
  const calls: { dir: string; instructions: number }[] = [];
  return { attach: (dir, program) => calls.push({ dir, instructions: program.length / 8 }), calls };
}

const defaultDeviceRules = effectiveDeviceRules([{ allow: false, access: 'rwm' }], []);

describe('createCgroups on pure cgroup v2', () => {
  it('enables the available controllers in every existing ancestor, also above the parents it makes', () => {
    fakeCgroup(root, { 'cgroup.controllers': 'cpu memory pids\n' });
    fakeCgroup(join(root, 'existing'), { 'cgroup.controllers': 'cpu memory\n' });
    const paths: CgroupPaths = { mode: 'v2', v1: [], v2: join(root, 'existing', 'made', 'container'), v2Root: root, created: [] };
    const created = createCgroups(paths);
    expect(created.created).toEqual([join(root, 'existing', 'made'), join(root, 'existing', 'made', 'container')]);
    expect(readFileSync(join(root, 'cgroup.subtree_control'), 'utf8')).toBe('+cpu +memory +pids');
    expect(readFileSync(join(root, 'existing', 'cgroup.subtree_control'), 'utf8')).toBe('+cpu +memory');
  });
});

describe('applyResources and device rules', () => {
  it('on pure v2 compiles the rules into one program for the container\'s directory', () => {
    const dir = fakeCgroup(join(root, 'container'), { 'cgroup.controllers': '' });
    const { attach, calls } = recordingAttacher();
    applyResources({ mode: 'v2', v1: [], v2: dir, v2Root: root, created: [] }, {}, defaultDeviceRules, 'config.json', attach);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.dir).toBe(dir);
    expect(calls[0]!.instructions).toBeGreaterThan(defaultDeviceRules.length);
  });

  it('on pure v2 without device rules (an update that leaves them) keeps the filter there is', () => {
    const dir = fakeCgroup(join(root, 'container'), { 'cgroup.controllers': '', 'cgroup.max.depth': 'max' });
    const { attach, calls } = recordingAttacher();
    applyResources({ mode: 'v2', v1: [], v2: dir, v2Root: root, created: [] }, { unified: { 'cgroup.max.depth': '3' } }, undefined, 'the update', attach);
    expect(calls).toEqual([]);
    expect(readFileSync(join(dir, 'cgroup.max.depth'), 'utf8')).toBe('3');
  });

  it('on pure v2 reports device rules it cannot express with the other problems, and writes and attaches nothing', () => {
    const dir = fakeCgroup(join(root, 'container'), { 'cgroup.controllers': '', 'cgroup.max.depth': 'max' });
    const { attach, calls } = recordingAttacher();
    const apply = () =>
      applyResources({ mode: 'v2', v1: [], v2: dir, v2Root: root, created: [] }, { memory: { kernel: 1 }, unified: { 'cgroup.max.depth': '3' } }, [{ rule: { allow: true, access: 'rwq' }, pointer: '/linux/resources/devices/0' }], 'config.json', attach);
    expect(apply).toThrow(
      'invalid config.json: 2 problems: /linux/resources/memory/kernel: a kernel memory limit exists only on cgroup v1; /linux/resources/devices/0/access: must be made of r, w and m, got "rwq"',
    );
    expect(calls).toEqual([]);
    expect(readFileSync(join(dir, 'cgroup.max.depth'), 'utf8')).toBe('max');
  });

  it('on hybrid writes the rules to the v1 devices controller and attaches no program to the cgroup2 directory', () => {
    const devices = fakeCgroup(join(root, 'devices', 'container'), { 'devices.allow': '', 'devices.deny': '' });
    const v2 = fakeCgroup(join(root, 'unified', 'container'), { 'cgroup.controllers': '' });
    const { attach, calls } = recordingAttacher();
    const paths: CgroupPaths = { mode: 'hybrid', v1: [{ options: 'devices', controllers: ['devices'], dir: devices }], v2, v2Root: join(root, 'unified'), created: [] };
    applyResources(paths, {}, defaultDeviceRules, 'config.json', attach);
    expect(calls).toEqual([]);
    // Plain files keep only the last line written to each.
    expect(readFileSync(join(devices, 'devices.deny'), 'utf8')).toBe('a *:* rwm');
    expect(readFileSync(join(devices, 'devices.allow'), 'utf8')).toBe('c 5:2 rwm');
  });
});
