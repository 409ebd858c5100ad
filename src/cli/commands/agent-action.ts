/** `certfleet agent --once`: this host's part of the fleet's deployments, and what it did. */
import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { ExitCode, UsageError } from '../../errors.js';
import { runAgentOnce, type AgentCertificateOutcome, type AgentResult } from '../../fleet/agent.js';
import { FileStateStore } from '../../store/file-state-store.js';
import { openStateStore } from '../../store/open-store.js';
import type { DeploymentRecords, StateStore } from '../../store/ports.js';
import { runnerId } from '../../store/with-lease.js';
import type { GlobalOptions } from '../main.js';
import { writeOutput } from '../output.js';
import { escapeControls } from '../render/escape.js';
import { commandStoreIo } from './command-store.js';
import { loadManagedSettings } from './managed-settings.js';

/** As renew-schema.ts checks the names in a spec's hosts: a host no spec could name is a typo. */
const HOST_NAME = /^[A-Za-z0-9._-]+$/;

export async function runAgent(flags: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  if (flags.once !== true) throw new UsageError('certfleet agent runs one pass for now: give --once', 'run `certfleet agent --once` from a systemd timer or cron');
  const host = typeof flags.host === 'string' ? flags.host : hostname();
  if (!HOST_NAME.test(host)) throw new UsageError(`"${host}" is not a host name a spec's hosts: can hold (letters, digits, dot, dash and underscore)`, 'give --host with the name the specs use');
  const root = typeof flags.root === 'string' ? rootDir(flags.root) : undefined;
  const { settings, logger } = await loadManagedSettings(flags, globals, false, { lazyCertificates: true });
  if (!settings.store) {
    throw new UsageError('certfleet agent deploys what the shared store holds: the config needs store.postgres', 'configure store.postgres (and the encryption key) as the runners have it');
  }
  const io = commandStoreIo(logger);
  const shared = await openStateStore(settings, io);
  let result: AgentResult;
  try {
    if (!shared.deployments) throw new UsageError(`the ${shared.kind} store keeps no per-host deployments`);
    const local = new FileStateStore(settings.stateDir, { pid: process.pid, now: () => Date.now() });
    try {
      result = await runAgentOnce(
        { host, ...(root !== undefined ? { root } : {}), specs: settings.specs, policy: settings.policy, shared: shared as StateStore & { deployments: DeploymentRecords }, local },
        { now: () => new Date(), random: Math.random, logger, commandEnv: process.env, owner: runnerId(process.pid) },
      );
    } finally {
      await local.close();
    }
  } finally {
    await shared.close();
  }
  await writeOutput([render(result, (flags.format as 'table' | 'json' | undefined) ?? 'table')], undefined);
  return result.summary.failed > 0 ? ExitCode.findings : ExitCode.ok;
}

function rootDir(flag: string): string {
  const dir = resolve(process.cwd(), flag);
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--root ${flag}: no such directory`, 'give the directory the deploy paths are under (an image or a container root)');
  return dir;
}

function render(result: AgentResult, format: 'table' | 'json'): string {
  if (format === 'json') return `${JSON.stringify(result, null, 2)}\n`;
  const s = result.summary;
  if (s.assigned === 0) return `nothing assigned to host ${escapeControls(result.host)} (no applied spec names it in hosts:; an agent may start before its certificates are applied)\n`;
  const lines = result.certificates.map(line);
  const busy = s.busy > 0 ? `, ${s.busy} busy` : '';
  lines.push(`host ${result.host}: ${s.assigned} assigned: ${s.deployed} deployed, ${s.alreadyDeployed} already deployed, ${s.waiting} waiting${busy}, ${s.failed} failed`);
  return lines.map(escapeControls).join('\n') + '\n';
}

function line(c: AgentCertificateOutcome): string {
  switch (c.status) {
    case 'deployed':
      return `${c.name}: deployed ${c.version} (serial ${c.serialNumber})`;
    case 'already-deployed':
      return `${c.name}: already deployed (${c.version})`;
    case 'waiting':
      return `${c.name}: waiting for its first issuance`;
    case 'busy':
      return `${c.name}: another certfleet on this host is deploying it; left to it`;
    case 'failed':
      return `${c.name}: FAILED: ${c.error ?? 'unknown error'}`;
  }
}
