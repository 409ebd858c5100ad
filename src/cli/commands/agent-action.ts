/** `certfleet agent`: this host's part of the fleet's deployments: one pass and what it did (--once), or a service until stopped. */
import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { ExitCode, UsageError } from '../../errors.js';
import { parseDurationFlag } from '../../config/duration.js';
import { runAgentOnce, type AgentCertificateOutcome, type AgentResult } from '../../fleet/agent.js';
import { AgentLoop, DEFAULT_INTERVAL_MS } from '../../fleet/agent-loop.js';
import { serveHttp01Answers, type Http01Server } from '../../fleet/http-01-server.js';
import type { Logger } from '../../logger.js';
import { FileStateStore } from '../../store/file-state-store.js';
import { openStateStore } from '../../store/open-store.js';
import type { DeploymentRecords, StateStore } from '../../store/ports.js';
import { runnerId } from '../../store/with-lease.js';
import type { GlobalOptions } from '../main.js';
import { parseListenAddress, serveMetrics, type ListenAddress, type MetricsServer } from '../metrics-server.js';
import { writeOutput } from '../output.js';
import { renderAgentMetrics } from '../render/agent-metrics.js';
import { escapeControls } from '../render/escape.js';
import { commandStoreIo } from './command-store.js';
import { loadManagedSettings } from './managed-settings.js';

/** As renew-schema.ts checks the names in a spec's hosts: a host no spec could name is a typo. */
const HOST_NAME = /^[A-Za-z0-9._-]+$/;

export async function runAgent(flags: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const host = typeof flags.host === 'string' ? flags.host : hostname();
  if (!HOST_NAME.test(host)) throw new UsageError(`"${host}" is not a host name a spec's hosts: can hold (letters, digits, dot, dash and underscore)`, 'give --host with the name the specs use');
  const once = flags.once === true;
  if (once && (flags.interval !== undefined || flags.metricsListen !== undefined || flags.http01Listen !== undefined)) {
    throw new UsageError('--interval, --metrics-listen and --http-01-listen are for the long-running agent: leave out --once');
  }
  const intervalMs = typeof flags.interval === 'string' ? parseDurationFlag('--interval', flags.interval) : DEFAULT_INTERVAL_MS;
  if (intervalMs < 1000) throw new UsageError('--interval is at least 1s', 'the agent wakes on notifications; the interval is only its safety net (default 1h)');
  const metricsAt = typeof flags.metricsListen === 'string' ? parseListenAddress('--metrics-listen', flags.metricsListen) : undefined;
  const http01At = typeof flags.http01Listen === 'string' ? parseListenAddress('--http-01-listen', flags.http01Listen) : undefined;
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
    const input = { host, ...(root !== undefined ? { root } : {}), specs: settings.specs, policy: settings.policy, shared: shared as StateStore & { deployments: DeploymentRecords }, local };
    const agentIo = { now: () => new Date(), random: Math.random, logger, commandEnv: process.env, owner: runnerId(process.pid) };
    try {
      if (!once) {
        await runLongLived({ host, intervalMs, metricsAt, http01At, shared: input.shared, pass: (stop) => runAgentOnce(input, { ...agentIo, stop }) }, logger);
        return ExitCode.ok;
      }
      result = await runAgentOnce(input, agentIo);
    } finally {
      await local.close();
    }
  } finally {
    await shared.close();
  }
  await writeOutput([render(result, (flags.format as 'table' | 'json' | undefined) ?? 'table')], undefined);
  return result.summary.failed > 0 ? ExitCode.findings : ExitCode.ok;
}

/** The agent as a service: passes until SIGTERM or SIGINT, the pass under way finished first. */
async function runLongLived(
  options: { host: string; intervalMs: number; metricsAt: ListenAddress | undefined; http01At: ListenAddress | undefined; shared: StateStore & { deployments: DeploymentRecords }; pass: (stop: AbortSignal) => Promise<AgentResult> },
  logger: Logger,
): Promise<void> {
  const stopping = new AbortController();
  const stop = (signal: NodeJS.Signals) => {
    logger.info(`${signal}: stopping after the deployment under way`);
    stopping.abort();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const loop = new AgentLoop(
    { host: options.host, intervalMs: options.intervalMs, store: options.shared, pass: () => options.pass(stopping.signal) },
    {
      now: () => Date.now(),
      setTimer: (ms, fire) => {
        // setTimeout's limit (about 24.8 days); a longer wait simply wakes for a pass early.
        const t = setTimeout(fire, Math.min(ms, 2 ** 31 - 1));
        return () => clearTimeout(t);
      },
      signal: stopping.signal,
      logger,
    },
  );
  let metrics: MetricsServer | undefined;
  let http01: Http01Server | undefined;
  try {
    if (options.http01At) {
      http01 = await serveHttp01Answers(options.http01At, options.shared.challenges, logger);
      logger.info(`answering http-01 from the shared store on http://${hostLabel(http01.address.host)}:${http01.address.port}/.well-known/acme-challenge/`);
    }
    if (options.metricsAt) {
      metrics = await serveMetrics(options.metricsAt, () => [...renderAgentMetrics(loop.state)].join(''), logger);
      logger.info(`serving /metrics on http://${hostLabel(metrics.address.host)}:${metrics.address.port}/metrics`);
    }
    logger.info(`agent for host ${options.host}: deploying on notification from ${options.shared.location}, a safety pass every ${Math.round(options.intervalMs / 1000)} s`);
    await loop.run();
    logger.info(`agent for host ${options.host} stopped after ${loop.state.passes} passes`);
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    await metrics?.close();
    await http01?.close();
  }
}

function hostLabel(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
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
