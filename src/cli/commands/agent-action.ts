/** `certfleet agent`: this host's part of the fleet's deployments: one pass and what it did (--once), or a service until stopped. */
import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { canonicalHostName, hostNameProblem } from '../../config/host-names.js';
import { ExitCode, UsageError } from '../../errors.js';
import { parseDurationFlag } from '../../config/duration.js';
import { runAgentOnce, type AgentCertificateOutcome, type AgentResult } from '../../fleet/agent.js';
import { loadOrCreateAgentKey, registerAgentKey } from '../../fleet/agent-key.js';
import { AgentLoop, DEFAULT_INTERVAL_MS } from '../../fleet/agent-loop.js';
import { withHeartbeat } from '../../fleet/heartbeat.js';
import { serveHttp01Answers, type Http01Server } from '../../fleet/http-01-server.js';
import { serveTlsAlpn01Answers, type TlsAlpn01Server } from '../../fleet/tls-alpn-01-server.js';
import type { Logger } from '../../logger.js';
import { FileStateStore } from '../../store/file-state-store.js';
import { openStateStore } from '../../store/open-store.js';
import { agentHeartbeats, hostKeyRecords, type AgentHeartbeat, type DeploymentRecords, type StateStore } from '../../store/ports.js';
import { runnerId } from '../../store/with-lease.js';
import type { GlobalOptions } from '../main.js';
import { parseListenAddress, serveMetrics, type ListenAddress, type MetricsServer } from '../metrics-server.js';
import { writeOutput } from '../output.js';
import { packageVersion } from '../version.js';
import { renderAgentMetrics } from '../render/agent-metrics.js';
import { escapeControls } from '../render/escape.js';
import { commandStoreIo } from './command-store.js';
import { loadManagedSettings } from './managed-settings.js';

export async function runAgent(flags: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const given = typeof flags.host === 'string' ? flags.host : hostname();
  // As renew-schema.ts checks the names in a spec's hosts: a host no spec could name is a typo.
  const problem = hostNameProblem(given);
  if (problem) throw new UsageError(`${typeof flags.host === 'string' ? '--host' : "this machine's hostname"} "${given}" ${problem}, so no spec's hosts: can name it`, 'give --host with the name the specs use');
  const host = canonicalHostName(given);
  const once = flags.once === true;
  if (once && (flags.interval !== undefined || flags.metricsListen !== undefined || flags.http01Listen !== undefined || flags.tlsAlpn01Listen !== undefined)) {
    throw new UsageError('--interval, --metrics-listen, --tls-alpn-01-listen and --http-01-listen are for the long-running agent: leave out --once');
  }
  const intervalMs = typeof flags.interval === 'string' ? parseDurationFlag('--interval', flags.interval) : DEFAULT_INTERVAL_MS;
  if (intervalMs < 1000) throw new UsageError('--interval is at least 1s', 'the agent wakes on notifications; the interval is only its safety net (default 1h)');
  const metricsAt = typeof flags.metricsListen === 'string' ? parseListenAddress('--metrics-listen', flags.metricsListen) : undefined;
  const http01At = typeof flags.http01Listen === 'string' ? parseListenAddress('--http-01-listen', flags.http01Listen) : undefined;
  const tlsAlpn01At = typeof flags.tlsAlpn01Listen === 'string' ? parseListenAddress('--tls-alpn-01-listen', flags.tlsAlpn01Listen) : undefined;
  const root = typeof flags.root === 'string' ? rootDir(flags.root) : undefined;
  // The agent orders nothing: its config needs only store (renew-options.ts role 'agent').
  const { settings, logger } = await loadManagedSettings(flags, globals, false, { lazyCertificates: true, role: 'agent' });
  if (flags.printPublicKey !== true && !settings.store) {
    throw new UsageError('certfleet agent deploys what the shared store holds: the config needs store.postgres', 'configure store.postgres as the runners have it');
  }
  const hostKey = loadOrCreateAgentKey(settings.stateDir, (m) => logger.warn(m));
  if (hostKey.created) logger.info(`made this agent's key pair (${hostKey.path})`);
  if (flags.printPublicKey === true) {
    await writeOutput([hostKey.publicKeyPem], undefined);
    return ExitCode.ok;
  }
  const io = commandStoreIo(logger);
  // The data key is optional here: the keys wrapped to this host's key need none.
  const shared = await openStateStore(settings, io, { dataKey: 'optional' });
  let result: AgentResult;
  try {
    if (!shared.deployments) throw new UsageError(`the ${shared.kind} store keeps no per-host deployments`);
    const hostKeys = hostKeyRecords(shared);
    if (hostKeys) await registerAgentKey(host, hostKey, hostKeys, logger);
    const local = new FileStateStore(settings.stateDir, { pid: process.pid, now: () => Date.now() });
    const concurrency = typeof flags.concurrency === 'number' ? flags.concurrency : undefined;
    const input = { host, ...(root !== undefined ? { root } : {}), ...(concurrency !== undefined ? { concurrency } : {}), specs: settings.specs, policy: settings.policy, shared: shared as StateStore & { deployments: DeploymentRecords }, local, hostKey };
    const agentIo = { now: () => new Date(), random: Math.random, logger, commandEnv: process.env, owner: runnerId(process.pid) };
    // Every pass starts with a heartbeat (fleet/heartbeat.ts), the first and a --once run's too.
    const heartbeats = agentHeartbeats(shared);
    const heartbeat = heartbeatOf(host, once ? undefined : intervalMs, { http01At, tlsAlpn01At });
    try {
      if (!once) {
        // A service waits: the spec naming it may be applied after it starts, and a notification wakes it then.
        if ((await input.shared.deployments.assignedTo(host)).length === 0 && (await neverReported(host, input.shared.deployments))) logger.warn(unknownHost(host));
        const pass = (stop: AbortSignal) => withHeartbeat(() => runAgentOnce(input, { ...agentIo, stop }), heartbeats, heartbeat, logger)();
        await runLongLived({ host, intervalMs, metricsAt, http01At, tlsAlpn01At, shared: input.shared, pass }, logger);
        return ExitCode.ok;
      }
      result = await withHeartbeat(() => runAgentOnce(input, agentIo), heartbeats, heartbeat, logger)();
      if (result.summary.assigned === 0 && (await neverReported(host, input.shared.deployments))) logger.warn(unknownHost(host));
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
  options: { host: string; intervalMs: number; metricsAt: ListenAddress | undefined; http01At: ListenAddress | undefined; tlsAlpn01At: ListenAddress | undefined; shared: StateStore & { deployments: DeploymentRecords }; pass: (stop: AbortSignal) => Promise<AgentResult> },
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
  let tlsAlpn01: TlsAlpn01Server | undefined;
  try {
    if (options.http01At) {
      http01 = await serveHttp01Answers(options.http01At, options.shared.challenges, logger);
      logger.info(`answering http-01 from the shared store on http://${hostLabel(http01.address.host)}:${http01.address.port}/.well-known/acme-challenge/`);
    }
    if (options.tlsAlpn01At) {
      tlsAlpn01 = await serveTlsAlpn01Answers(options.tlsAlpn01At, options.shared.challenges, logger);
      logger.info(`answering tls-alpn-01 from the shared store on ${hostLabel(tlsAlpn01.address.host)}:${tlsAlpn01.address.port} (ALPN acme-tls/1)`);
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
    await tlsAlpn01?.close();
  }
}

/**
 * A host no active spec names and whose agent never reported: a typo in --host or in a spec's
 * hosts:, or an agent installed before its specs were applied. A warning, and exit 0: the second is
 * normal when a host is provisioned (a timer's run failing until someone applies a spec would be an
 * alert about nothing, a service exiting would not be there when the spec arrives), nothing was
 * deployed or recorded, and the first shows up where the responder looks: the host the spec does
 * name stays "never reported" in report and in the plan of replace/revoke/drill. A host that has
 * reported before and has nothing now is not warned about: its certificates moved elsewhere.
 */
async function neverReported(host: string, deployments: DeploymentRecords): Promise<boolean> {
  return !(await deployments.lastReports([host])).has(host);
}

function unknownHost(host: string): string {
  return `no certificate is assigned to host ${host} and no agent has ever reported as ${host}: check hosts: in the specs (certfleet apply) and --host (default: this machine's hostname)`;
}

/** What this agent says of itself at each pass: --once has no interval; the listeners are the challenges it answers. */
function heartbeatOf(host: string, intervalMs: number | undefined, listeners: { http01At: ListenAddress | undefined; tlsAlpn01At: ListenAddress | undefined }): AgentHeartbeat {
  const listening = [...(listeners.http01At ? ['http-01'] : []), ...(listeners.tlsAlpn01At ? ['tls-alpn-01'] : [])];
  return { host, agentVersion: packageVersion(), hostname: hostname(), pid: process.pid, ...(intervalMs !== undefined ? { intervalMs } : {}), listening };
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
