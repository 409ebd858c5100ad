/**
 * ACME profiles (draft-ietf-acme-profiles): a CA lists profile names in its directory's
 * `meta.profiles`, a client names one in newOrder's `profile`. A requested profile is checked
 * before ordering so a typo fails with the list of names instead of an order for the default
 * profile. Asking a CA that offers no profiles is an error too, not a silent fallback: a config
 * that asks for `shortlived` and quietly gets 90-day certificates would be wrong in the worst way.
 */
import type { DirectoryMeta } from './directory.js';
import { AcmeProfileError } from './errors.js';

export function profileNames(meta: DirectoryMeta): string[] {
  return Object.keys(meta.profiles ?? {});
}

/** Throws AcmeProfileError unless `requested` is one of the CA's profiles. */
export function checkProfile(meta: DirectoryMeta, requested: string, directoryUrl: string): void {
  const names = profileNames(meta);
  if (!names.includes(requested)) throw new AcmeProfileError(requested, names, directoryUrl);
}
