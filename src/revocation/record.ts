/**
 * Drills and revocations leave a record in the state directory: the evidence an incident report
 * (CCADB asks for counts revoked / not yet revoked) or an auditor wants, and what `report` reads.
 * Each record is written whole or not at all; `latest.json` is replaced only after it.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../store/atomic-write.js';

export async function writeRecord(path: string, record: object, latestPath?: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const text = JSON.stringify(record, null, 2) + '\n';
  await writeFileAtomic(path, text);
  if (latestPath) await writeFileAtomic(latestPath, text);
}

/** A file name from a time: 2026-11-22T12:00:00.123Z -> 2026-11-22T12-00-00-123Z (no colons: portable). */
export function recordId(at: Date): string {
  return at.toISOString().replace(/[:.]/g, '-');
}
