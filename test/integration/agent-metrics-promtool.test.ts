/**
 * `certfleet agent --metrics-listen`: the exposition (render/agent-metrics.ts) read by Prometheus'
 * own parser and linter (`promtool check metrics`) for an agent that knows everything, one that has
 * not finished a pass, and a certificate name that needs escaping; and the /metrics endpoint
 * (metrics-server.ts): the text with its content type, 404 elsewhere, loopback when only a port is given.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseListenAddress, serveMetrics } from '../../src/cli/metrics-server.js';
import { renderAgentMetrics } from '../../src/cli/render/agent-metrics.js';
import { CertfleetError } from '../../src/errors.js';
import type { AgentLoopState } from '../../src/fleet/agent-loop.js';

function promtool(text: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('promtool not installed: run npm test, which installs it (Debian package prometheus)');
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

const t = Date.parse('2026-03-10T12:00:00Z');
const full: AgentLoopState = {
  host: 'web-1',
  passes: 7,
  lastPassAt: t,
  connected: true,
  certificates: new Map([
    ['www', { status: 'deployed', deployedVersion: 'v2', notAfter: t + 40 * 86_400_000 }],
    ['api "edge"\\\n', { status: 'failed', deployedVersion: 'v1', notAfter: t + 3 * 86_400_000 }],
    ['new', { status: undefined }],
  ]),
};
const fresh: AgentLoopState = { host: 'web-1', passes: 0, lastPassAt: undefined, connected: false, certificates: new Map() };
const text = (s: AgentLoopState) => [...renderAgentMetrics(s)].join('');

describe('agent metrics', () => {
  it('passes promtool check metrics, with and without facts', () => {
    for (const s of [full, fresh, { ...full, connected: undefined }]) {
      const r = promtool(text(s));
      expect(r.output).toBe('');
      expect(r.status).toBe(0);
    }
    const out = text(full);
    expect(out).toContain(`certfleet_agent_certificate_expiration_timestamp_seconds{host="web-1",name="www"} ${(t + 40 * 86_400_000) / 1000}\n`);
    expect(out).toContain('certfleet_agent_certificate_deployed{host="web-1",name="api \\"edge\\"\\\\\\n"} 0\n');
    expect(out).toContain('certfleet_agent_certificate_deployed{host="web-1",name="www"} 1\n');
    expect(out).not.toMatch(/name="new"/);
    expect(out).toContain(`certfleet_agent_last_pass_timestamp_seconds{host="web-1"} ${t / 1000}\n`);
    expect(out).toContain('certfleet_agent_passes{host="web-1"} 7\n');
    expect(out).toContain('certfleet_agent_store_connected{host="web-1"} 1\n');
    expect(text(fresh)).toContain('certfleet_agent_store_connected{host="web-1"} 0\n');
    expect(text(fresh)).not.toContain('last_pass');
  });

  it('promtool rejects a broken exposition (so the check above can fail)', () => {
    expect(promtool(text(full).replace('{host="web-1",name="www"}', '{host="web-1",name="www}')).status).not.toBe(0);
  });

  it('serves /metrics with the text content type, 404 elsewhere', async () => {
    const server = await serveMetrics({ host: '127.0.0.1', port: 0 }, () => text(full));
    try {
      const base = `http://127.0.0.1:${server.address.port}`;
      const res = await fetch(`${base}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(await res.text()).toBe(text(full));
      expect((await fetch(`${base}/`)).status).toBe(404);
      expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('reads --metrics-listen: loopback for a bare port, an address when given, a clear error otherwise', () => {
    expect(parseListenAddress('--metrics-listen', '9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListenAddress('--metrics-listen', '0.0.0.0:9464')).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(parseListenAddress('--metrics-listen', '[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    for (const bad of ['', 'host:', ':9464x', '127.0.0.1:70000', 'http://x:1']) {
      expect(() => parseListenAddress('--metrics-listen', bad)).toThrow(CertfleetError);
    }
  });
});
