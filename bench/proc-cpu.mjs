// CPU time and memory of processes from /proc (Linux), for the benches that say where a run's CPU
// went (fleet.mjs, fleet-drill.mjs). Every reader returns 0 / [] / '' / undefined once the process
// is gone, so a snapshot taken as a child exits never throws.
import { readFileSync } from 'node:fs';

const TICK_MS = 1000 / 100; // USER_HZ, 100 on Linux: the unit of /proc's CPU times

/** utime + stime of a process in ms (with `reaped`, its waited-for children's too); 0 once gone. */
export function processCpuMs(pid, reaped = false) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state): utime is f[11]
    return (Number(f[11]) + Number(f[12]) + (reaped ? Number(f[13]) + Number(f[14]) : 0)) * TICK_MS;
  } catch {
    return 0;
  }
}

export function childPids(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** A process's CPU and its descendants' (a server and its workers). */
export const treeCpuMs = (pid) => processCpuMs(pid, true) + childPids(pid).reduce((sum, kid) => sum + treeCpuMs(kid), 0);

export function commOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Busy time of the whole machine (every core), ms. */
export function machineBusyMs() {
  const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  return (user + nice + system + irq + softirq + steal) * TICK_MS;
}
