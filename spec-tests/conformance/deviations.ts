/**
 * deviations.md, the hand-written notes that explain each known deviation: one `### RUNTIME:
 * PROPERTY-ID` heading per deviation, the explanation below it until the next heading. A
 * failure with a note is reported as explained (TAP `# TODO`) and does not fail the run.
 */
export interface DeviationNote {
  runtime: string;
  property: string;
  /** The note's text (markdown), without its heading. */
  text: string;
}

export function parseDeviations(markdown: string): DeviationNote[] {
  const notes: DeviationNote[] = [];
  let current: DeviationNote | undefined;
  for (const line of markdown.split('\n')) {
    const heading = /^###\s+([A-Za-z0-9_.-]+):\s+(\S+)\s*$/.exec(line);
    if (heading) {
      current = { runtime: heading[1], property: heading[2], text: '' };
      notes.push(current);
    } else if (/^#{1,3}\s/.test(line)) {
      current = undefined;
    } else if (current) {
      current.text += `${line}\n`;
    }
  }
  for (const note of notes) note.text = note.text.trim();
  return notes;
}

export function findNote(notes: readonly DeviationNote[], runtime: string, property: string): DeviationNote | undefined {
  return notes.find((n) => n.runtime === runtime && n.property === property);
}
