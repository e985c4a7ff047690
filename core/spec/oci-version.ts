/**
 * Which config ociVersions berth accepts: every release from 1.0.0 to 1.3.x, with pre-release
 * and build suffixes (`1.0.2-dev`, `1.2.0-rc.1`) that runtimes commonly write. crun 1.8
 * refuses 1.2+; berth must not.
 */
export const ociVersionMin = '1.0.0';
export const ociVersionMax = '1.3.0';
/** What `state` reports as berth's own ociVersion (the version of the spec berth implements). */
export const implementedOciVersion = '1.3.0';

const semver = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

/** Why `version` is not accepted, or undefined when it is. */
export function ociVersionProblem(version: string): string | undefined {
  const m = semver.exec(version);
  if (!m) return `${JSON.stringify(version)} is not a semantic version (expected MAJOR.MINOR.PATCH, such as "1.2.0")`;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major !== 1 || minor > 3) {
    return `ociVersion ${version} is not supported: berth implements ${ociVersionMin} to 1.3.x`;
  }
  return undefined;
}
