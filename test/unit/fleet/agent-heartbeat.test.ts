/**
 * Agents' heartbeats, with a fake clock: when an agent counts as silent (src/fleet/agent-silence.ts,
 * the one home of the rule), how report sorts the hosts its specs name into never heard from and
 * silent (src/report/fleet-hosts.ts, build.ts, state.ts), how replace/revoke/drill's per-host view
 * takes the newer of a heartbeat and a deployment report (src/revocation/fleet-view.ts), and the
 * agent's write (src/fleet/heartbeat.ts): first in every pass, never failing one.
 */
import { describe, expect, it } from 'vitest';
import { renderReport } from '../../../src/cli/render/report.js';
import { agentLiveness, lastSeen, SILENT_FLOOR_MS, silentAfterMs } from '../../../src/fleet/agent-silence.js';
import { DEFAULT_INTERVAL_MS } from '../../../src/fleet/agent-loop.js';
import { withHeartbeat } from '../../../src/fleet/heartbeat.js';
import { recordingLogger } from '../../../src/logger.js';
import { shippedTimeline } from '../../../src/policy/timeline.js';
import { buildReport } from '../../../src/report/build.js';
import { agentsOf } from '../../../src/report/fleet-hosts.js';
import { readInventoryFile } from '../../../src/report/read-inventory.js';
import { readStoredState } from '../../../src/report/state.js';
import type { ManagedCertificate } from '../../../src/renewal/managed.js';
import type { AffectedCertificate } from '../../../src/revocation/affected.js';
import { fleetView } from '../../../src/revocation/fleet-view.js';
import type { AgentHeartbeat, DeploymentRecords, HostSignsOfLife, RunRecords, SeenHeartbeat, StateStore } from '../../../src/store/ports.js';
import { fixtureDir } from '../report/fixture.js';

const H = 3_600_000;
const NOW = Date.parse('2026-12-03T18:00:00.000Z');
const at = (msBeforeNow: number) => new Date(NOW - msBeforeNow).toISOString();
const beat = (seenAt: string, intervalMs?: number): SeenHeartbeat => ({
  host: 'h',
  seenAt,
  agentVersion: '1.0.0',
  hostname: 'machine',
  pid: 42,
  ...(intervalMs !== undefined ? { intervalMs } : {}),
  listening: [],
});

describe('when an agent is silent', () => {
  it('after three of its intervals, never less than 3 hours; an agent with no interval recorded is taken at the default hour', () => {
    expect(SILENT_FLOOR_MS).toBe(3 * H);
    expect(DEFAULT_INTERVAL_MS).toBe(H);
    expect(silentAfterMs(undefined)).toBe(3 * H); // --once from a timer, or a report without a heartbeat
    expect(silentAfterMs(10_000)).toBe(3 * H); // a short interval does not make a short leash
    expect(silentAfterMs(H)).toBe(3 * H);
    expect(silentAfterMs(4 * H)).toBe(12 * H);
  });

  it('is judged from the newer of its heartbeat and its last report, at the clock given', () => {
    expect(agentLiveness({}, NOW)).toEqual({ state: 'never' });
    // Exactly at the limit it is still live; a millisecond later, silent since its last sign.
    expect(agentLiveness({ heartbeat: beat(at(3 * H)) }, NOW)).toEqual({ state: 'live', lastSeen: at(3 * H) });
    expect(agentLiveness({ heartbeat: beat(at(3 * H + 1)) }, NOW)).toEqual({ state: 'silent', lastSeen: at(3 * H + 1) });
    // An old report and a fresh heartbeat: an idle, healthy agent.
    expect(agentLiveness({ lastReport: at(72 * H), heartbeat: beat(at(20 * 60_000)) }, NOW)).toEqual({ state: 'live', lastSeen: at(20 * 60_000) });
    // A report and no heartbeat (an agent older than the heartbeats, or one that cannot write them): the report counts.
    expect(agentLiveness({ lastReport: at(H) }, NOW)).toEqual({ state: 'live', lastSeen: at(H) });
    expect(agentLiveness({ lastReport: at(5 * H) }, NOW)).toEqual({ state: 'silent', lastSeen: at(5 * H) });
    // The agent's own interval: 4 h between passes is live at 10 h, silent past 12 h.
    expect(agentLiveness({ heartbeat: beat(at(10 * H), 4 * H) }, NOW).state).toBe('live');
    expect(agentLiveness({ heartbeat: beat(at(13 * H), 4 * H) }, NOW).state).toBe('silent');
  });

  it('lastSeen is the newer of the two, whichever it is', () => {
    expect(lastSeen({})).toBeUndefined();
    expect(lastSeen({ lastReport: at(H) })).toBe(at(H));
    expect(lastSeen({ heartbeat: beat(at(H)) })).toBe(at(H));
    expect(lastSeen({ lastReport: at(H), heartbeat: beat(at(2 * H)) })).toBe(at(H));
    expect(lastSeen({ lastReport: at(2 * H), heartbeat: beat(at(H)) })).toBe(at(H));
  });
});

describe("report's hosts without an agent and silent agents", () => {
  const signs: HostSignsOfLife[] = [
    { host: 'dead', lastReport: at(50 * H), heartbeat: beat(at(49 * H)) },
    { host: 'idle', lastReport: at(72 * H), heartbeat: beat(at(10 * 60_000)) },
    { host: 'new', heartbeat: beat(at(60_000)) }, // an agent with nothing deployed yet: it is there
    { host: 'nobody' },
    { host: 'cut-off', lastReport: at(4 * H) },
  ];

  it('sorts them: never heard from, or silent since their last sign of life; live ones are neither', () => {
    expect(agentsOf(signs, NOW)).toEqual({
      without: ['nobody'],
      silent: [
        { host: 'cut-off', since: at(4 * H) },
        { host: 'dead', since: at(49 * H) },
      ],
    });
  });

  it('builds the Fleet section from them, judged when they were read, not at the as-of date', () => {
    const inventory = readInventoryFile(`${fixtureDir}inventory.json`);
    const options = { asOf: new Date('2027-06-01T00:00:00Z'), timeline: shippedTimeline() };
    const r = buildReport({ inventory, agentSigns: { hosts: signs, readAt: NOW } }, options);
    expect(r.fleetHosts).toEqual({
      hostsWithoutAgent: ['nobody'],
      silentAgents: [
        { host: 'cut-off', since: at(4 * H) },
        { host: 'dead', since: at(49 * H) },
      ],
    });
    const summary = [...renderReport(r, 'summary', { color: false, cwd: '/', toolVersion: '0' })].join('');
    expect(summary).toContain('hosts without an agent (never heard from): nobody');
    expect(summary).toContain(`agents silent (no heartbeat or report for 3 of their intervals, at least 3 h): cut-off (since ${at(4 * H)}), dead (since ${at(49 * H)})`);
    // Every agent live: nothing to say.
    expect(buildReport({ inventory, agentSigns: { hosts: [signs[1]!, signs[2]!], readAt: NOW } }, options).fleetHosts).toBeUndefined();
  });

  it('readStoredState asks a store with heartbeats for them instead of the hosts without reports', async () => {
    const store = {
      kind: 'postgres' as const,
      location: 'postgres://db.example/certfleet',
      runs: { readSummary: () => Promise.resolve(undefined), latestRecord: () => Promise.resolve(undefined), recordLocation: (k: string, id: string) => `postgres:${k}/${id}` } as unknown as RunRecords,
      deployments: { hostsWithoutReports: () => Promise.reject(new Error('not asked')) } as unknown as DeploymentRecords,
      heartbeats: { beat: () => Promise.resolve(), forHosts: () => Promise.resolve(new Map()), fleetHosts: () => Promise.resolve(signs) },
    } satisfies Pick<StateStore, 'kind' | 'location' | 'runs' | 'deployments'> & { heartbeats: unknown };
    const state = await readStoredState(store, NOW);
    expect(state).toEqual({ agentSigns: { hosts: signs, readAt: NOW } });
  });
});

describe("replace/revoke/drill's per-host view", () => {
  const cert = (name: string, hosts: string[]) => ({ name, hosts }) as ManagedCertificate;
  const affected = (name: string) => ({ name, domains: [], ca: 'https://ca', hosts: [] }) as AffectedCertificate;
  const settings = { certificates: [cert('web', ['idle', 'busy', 'nobody', 'old'])] };

  it("shows each host's agent as last seen at the newer of its heartbeat and its last report, in one read of each", async () => {
    const asked: string[][] = [];
    const deployments = {
      lastReports: (hosts: readonly string[]) => {
        asked.push([...hosts]);
        return Promise.resolve(new Map([['idle', at(72 * H)], ['busy', at(60_000)], ['old', at(5 * H)]]));
      },
    };
    const heartbeats = {
      forHosts: (hosts: readonly string[]) => {
        asked.push([...hosts]);
        return Promise.resolve(new Map([['idle', beat(at(5 * 60_000))], ['busy', beat(at(H))]]));
      },
    };
    const view = (await fleetView(settings, [affected('web')], deployments, heartbeats))!;
    expect(asked.map((a) => a.sort())).toEqual([
      ['busy', 'idle', 'nobody', 'old'],
      ['busy', 'idle', 'nobody', 'old'],
    ]);
    expect(view.hosts).toEqual([
      { host: 'busy', certificates: 1, agentLastSeen: at(60_000) },
      { host: 'idle', certificates: 1, agentLastSeen: at(5 * 60_000) },
      { host: 'nobody', certificates: 1, agentLastSeen: null },
      { host: 'old', certificates: 1, agentLastSeen: at(5 * H) },
    ]);
    expect(view.hostsNeverReported).toEqual(['nobody']);
  });
});

describe("the agent's heartbeat", () => {
  const heartbeat: AgentHeartbeat = { host: 'web-1', agentVersion: '1.0.0', hostname: 'machine', pid: 42, intervalMs: H, listening: ['http-01'] };

  it('is written before each pass, every time the pass runs', async () => {
    const events: string[] = [];
    const pass = withHeartbeat(
      () => {
        events.push('pass');
        return Promise.resolve('done');
      },
      {
        beat: (b) => {
          events.push(`beat ${b.host}`);
          return Promise.resolve();
        },
      },
      heartbeat,
      recordingLogger(),
    );
    expect(await pass()).toBe('done');
    expect(await pass()).toBe('done');
    expect(events).toEqual(['beat web-1', 'pass', 'beat web-1', 'pass']);
  });

  it('that cannot be written is a warning, and the pass runs all the same', async () => {
    const logger = recordingLogger();
    let passes = 0;
    const pass = withHeartbeat(() => Promise.resolve(++passes), { beat: () => Promise.reject(new Error('new row violates row-level security policy')) }, heartbeat, logger);
    expect(await pass()).toBe(1);
    expect(logger.lines).toEqual([
      { level: 'warn', message: expect.stringMatching(/^host web-1: the agent's heartbeat was not recorded \(runners will see it as silent\): .*row-level security/) as string },
    ]);
  });

  it('is not written by a store that keeps none: the pass is the pass itself', () => {
    const pass = () => Promise.resolve(1);
    expect(withHeartbeat(pass, undefined, heartbeat, recordingLogger())).toBe(pass);
  });
});
