import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findNote, parseDeviations } from './deviations.js';
import { allProperties } from './groups/index.js';

describe('parseDeviations', () => {
  it('takes each "### runtime: property" heading and the text under it, up to the next heading of any level', () => {
    const notes = parseDeviations(['# Known deviations', 'intro', '## runc', '### runc: lifecycle/x', '', 'Because **reasons**.', '', 'More.', '### crun: hooks/y', 'Other.', '## berth', 'not a note', '### not a note heading', 'ignored'].join('\n'));
    expect(notes).toEqual([
      { runtime: 'runc', property: 'lifecycle/x', text: 'Because **reasons**.\n\nMore.' },
      { runtime: 'crun', property: 'hooks/y', text: 'Other.' },
    ]);
    expect(findNote(notes, 'crun', 'hooks/y')?.text).toBe('Other.');
    expect(findNote(notes, 'berth', 'hooks/y')).toBeUndefined();
  });

  it('every note in the committed deviations.md names a property that exists and says something', () => {
    const notes = parseDeviations(readFileSync(join(import.meta.dirname, 'deviations.md'), 'utf8'));
    expect(notes.length).toBeGreaterThan(0);
    const ids = new Set(allProperties.map((p) => p.id));
    for (const note of notes) {
      expect(ids, `${note.runtime}: ${note.property}`).toContain(note.property);
      expect(note.text.length, `${note.runtime}: ${note.property}`).toBeGreaterThan(40);
    }
  });
});
