/**
 * Where `certfleet remove` archives a certificate: its whole state (every version, its keys) taken
 * out of every run, never deleted (a revocation may still need the keys), so that the same name
 * configured again is a new certificate.
 * - The file store moves `<stateDir>/certificates/NAME` to `<stateDir>/removed/NAME-STAMP/state`.
 * - The shared store moves the rows to the archived certificate `NAME/removed-STAMP` (a name no
 *   config can give: names have no slash), in the database like every other state.
 * What was found at the deploy paths before certfleet is a file of this host: it is kept in
 * `<stateDir>/removed/NAME-STAMP/found` with either store (only when there is something to keep,
 * so a database runner's state directory stays empty otherwise).
 */
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Fence, StateStore } from './ports.js';

export interface CertificateArchive {
  /** Where the state goes, for messages and the command's result. */
  location: string;
  /** This host's directory for what was found at the deploy paths before certfleet. */
  foundDir: string;
  /** Ready the archive before anything is moved into it. */
  prepare(): Promise<void>;
  /** Move the certificate's state into the archive (under its lease: `fence`). */
  archiveState(fence: Fence): Promise<void>;
}

/** `stamp`: the removal's time (`20260301T120000Z`), which makes the archive's name unique. */
export function certificateArchive(store: StateStore, stateDir: string, name: string, stamp: string): CertificateArchive {
  const hostDir = join(stateDir, 'removed', `${name}-${stamp}`);
  if (store.kind === 'file') {
    return {
      location: hostDir,
      foundDir: join(hostDir, 'found'),
      prepare: async () => {
        await mkdir(hostDir, { recursive: true, mode: 0o700 });
      },
      archiveState: () => rename(join(store.location, 'certificates', name), join(hostDir, 'state')),
    };
  }
  const records = store.certificates;
  const archive = records.archive;
  if (archive === undefined) throw new Error(`the ${store.kind} store cannot archive a certificate`);
  const archivedName = `${name}/removed-${stamp}`;
  return {
    location: `${store.location} (as ${archivedName})`,
    foundDir: join(hostDir, 'found'),
    prepare: () => Promise.resolve(),
    archiveState: (fence) => archive.call(records, name, archivedName, fence),
  };
}
