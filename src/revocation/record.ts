/**
 * Drills and revocations leave a record in the state store (RunRecords): the evidence an incident report
 * (CCADB asks for counts revoked / not yet revoked) or an auditor wants, and what `report` reads.
 * Each record is written whole or not at all; `latest.json` is replaced only after it.
 */

/** A file name from a time: 2026-11-22T12:00:00.123Z -> 2026-11-22T12-00-00-123Z (no colons: portable). */
export function recordId(at: Date): string {
  return at.toISOString().replace(/[:.]/g, '-');
}
