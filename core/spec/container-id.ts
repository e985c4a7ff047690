/**
 * Container ids. runc accepts `^[\w+-\.]+$` and refuses `.`/`..`; berth does the same and also
 * bounds the length, because the id becomes a directory name under --root and part of cgroup
 * paths (NAME_MAX is 255).
 */
const idPattern = /^[A-Za-z0-9_+.-]+$/;
export const maxIdLength = 255;

/** Why `id` is not a valid container id, or undefined when it is. */
export function containerIdProblem(id: string): string | undefined {
  if (id === '') return 'container id cannot be empty';
  if (id === '.' || id === '..') return `invalid container id ${JSON.stringify(id)}: cannot be "." or ".."`;
  if (id.length > maxIdLength) return `invalid container id: longer than ${maxIdLength} characters`;
  if (!idPattern.test(id)) {
    return `invalid container id ${JSON.stringify(id)}: only letters, digits and "_+.-" are allowed`;
  }
  return undefined;
}
