import { describe, expect, it } from 'vitest';
import { isKnownCapability, linuxCapabilities } from './capabilities.js';

describe('linuxCapabilities', () => {
  it('lists every capability up to CAP_CHECKPOINT_RESTORE in kernel number order', () => {
    expect(linuxCapabilities).toHaveLength(41);
    expect(linuxCapabilities.indexOf('CAP_CHOWN')).toBe(0);
    expect(linuxCapabilities.indexOf('CAP_SETPCAP')).toBe(8);
    expect(linuxCapabilities.indexOf('CAP_SYS_ADMIN')).toBe(21);
    expect(linuxCapabilities.indexOf('CAP_MKNOD')).toBe(27);
    expect(linuxCapabilities.indexOf('CAP_AUDIT_READ')).toBe(37);
    expect(linuxCapabilities.indexOf('CAP_CHECKPOINT_RESTORE')).toBe(40);
  });

  it('has unique names that fit the features schema pattern', () => {
    expect(new Set(linuxCapabilities).size).toBe(linuxCapabilities.length);
    for (const name of linuxCapabilities) expect(name).toMatch(/^CAP_[A-Z_]+$/);
  });
});

describe('isKnownCapability', () => {
  it('knows every listed name, exactly as written', () => {
    for (const name of linuxCapabilities) expect(isKnownCapability(name)).toBe(true);
  });

  it.each(['', 'CHOWN', 'cap_chown', 'CAP_chown', 'CAP_NET_ADMINN', ' CAP_KILL', 'CAP_KILL '])('does not know %j', (name) => {
    expect(isKnownCapability(name)).toBe(false);
  });
});
