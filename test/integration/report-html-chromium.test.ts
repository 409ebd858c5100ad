/**
 * The HTML report in a real headless Chromium (Debian's `chromium`), driven over the DevTools
 * protocol on a pipe (no extra npm package): laid out at desktop, phone and print widths, nothing
 * wider than the page, charts drawn with a size, no console error, and no request but the file
 * itself. A screenshot is kept in test-artifacts/report-html.png. The checker is proven able to
 * fail on a page with a wide element and an image to fetch.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../../src/cli/render/report.js';
import { repoRoot } from '../helpers/cli.js';
import { fixtureReport } from '../unit/report/fixture.js';

const CHROMIUM = '/usr/bin/chromium';

interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

/** Chromium with --remote-debugging-pipe: NUL-separated JSON messages on fds 3 (to it) and 4 (from it). */
class Chromium {
  private nextId = 0;
  private pending = new Map<number, (m: CdpMessage) => void>();
  readonly events: CdpMessage[] = [];
  private constructor(private readonly child: ChildProcess, private readonly profile: string) {
    let buffer = Buffer.alloc(0);
    (child.stdio[4] as Readable).on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (let end = buffer.indexOf(0); end >= 0; end = buffer.indexOf(0)) {
        const message = JSON.parse(buffer.subarray(0, end).toString('utf8')) as CdpMessage;
        buffer = buffer.subarray(end + 1);
        const waiter = message.id === undefined ? undefined : this.pending.get(message.id);
        if (waiter) {
          this.pending.delete(message.id!);
          waiter(message);
        } else this.events.push(message);
      }
    });
  }

  static launch(): Chromium {
    if (!existsSync(CHROMIUM)) throw new Error('chromium not installed: run npm test, which installs it (Debian package chromium)');
    const profile = mkdtempSync(join(tmpdir(), 'certfleet-chromium-'));
    const child = spawn(
      CHROMIUM,
      [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-extensions', '--mute-audio',
        // Belt and braces: whatever the page asked for could not leave this machine.
        '--proxy-server=127.0.0.1:9', '--host-resolver-rules=MAP * ~NOTFOUND',
        `--user-data-dir=${profile}`, '--remote-debugging-pipe', 'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
    );
    child.stderr!.resume();
    return new Chromium(child, profile);
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = ++this.nextId;
    const message: CdpMessage = { id, method, params };
    if (sessionId) message.sessionId = sessionId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method}: no answer from chromium in 20 s`)), 20_000);
      this.pending.set(id, (m) => {
        clearTimeout(timer);
        if (m.error) reject(new Error(`${method}: ${m.error.message}`));
        else resolve(m.result ?? {});
      });
      (this.child.stdio[3] as Writable).write(JSON.stringify(message) + '\0');
    });
  }

  async waitFor(method: string, sessionId: string, timeoutMs = 20_000): Promise<void> {
    const start = Date.now();
    while (!this.events.some((e) => e.method === method && e.sessionId === sessionId)) {
      if (Date.now() - start > timeoutMs) throw new Error(`chromium: no ${method} in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async close(): Promise<void> {
    await this.send('Browser.close').catch(() => undefined);
    await new Promise<void>((resolve) => {
      if (this.child.exitCode !== null) resolve();
      else this.child.once('exit', () => resolve());
      setTimeout(() => {
        this.child.kill('SIGKILL');
        resolve();
      }, 5000).unref();
    });
    rmSync(this.profile, { recursive: true, force: true });
  }
}

interface PageCheck {
  overflowing: string[];
  scrollWidth: number;
  viewportWidth: number;
  svgSizes: Array<[number, number]>;
  requests: string[];
  consoleErrors: string[];
  screenshot?: Buffer;
  pdfBytes?: number;
}

/** Open `file` in a new tab at `width` (screen or print media) and measure it. */
async function checkPage(browser: Chromium, file: string, width: number, media: 'screen' | 'print', extras: { screenshot?: boolean; pdf?: boolean } = {}): Promise<PageCheck> {
  const { targetId } = (await browser.send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
  const { sessionId } = (await browser.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
  const s = (method: string, params?: Record<string, unknown>) => browser.send(method, params, sessionId);
  const url = pathToFileURL(file).href;
  await s('Network.enable');
  await s('Runtime.enable');
  await s('Log.enable');
  await s('Page.enable');
  // Every network request pauses here: the document itself may load, anything else is failed before it leaves.
  await s('Fetch.enable', { patterns: [{ urlPattern: '*' }] });
  const seen: CdpMessage[] = [];
  const onPaused = setInterval(() => {
    for (const e of browser.events.splice(0)) {
      if (e.method === 'Fetch.requestPaused' && e.sessionId === sessionId) {
        const { requestId, request } = e.params as { requestId: string; request: { url: string } };
        void s(request.url === url ? 'Fetch.continueRequest' : 'Fetch.failRequest', request.url === url ? { requestId } : { requestId, errorReason: 'BlockedByClient' }).catch(() => undefined);
      }
      seen.push(e);
    }
  }, 5);
  try {
    await s('Emulation.setDeviceMetricsOverride', { width, height: 900, deviceScaleFactor: 1, mobile: width < 500 });
    await s('Emulation.setEmulatedMedia', { media });
    await s('Page.navigate', { url });
    const start = Date.now();
    while (!seen.some((e) => e.method === 'Page.loadEventFired' && e.sessionId === sessionId)) {
      if (Date.now() - start > 20_000) throw new Error('chromium: the page did not load in 20 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    const evaluated = (await s('Runtime.evaluate', {
      returnByValue: true,
      expression: `(() => {
        const width = document.documentElement.clientWidth;
        const overflowing = [...document.querySelectorAll('body *')]
          .filter((el) => { const r = el.getBoundingClientRect(); return r.width > 0 && (r.right > width + 0.5 || r.left < -0.5); })
          .map((el) => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className : '') + ' ' + (el.textContent || '').slice(0, 40));
        const svgSizes = [...document.querySelectorAll('svg')].map((el) => { const r = el.getBoundingClientRect(); return [r.width, r.height]; });
        return { overflowing, scrollWidth: document.documentElement.scrollWidth, viewportWidth: width, svgSizes };
      })()`,
    })) as { result: { value: Omit<PageCheck, 'requests' | 'consoleErrors'> } };
    const check: PageCheck = { ...evaluated.result.value, requests: [], consoleErrors: [] };
    if (extras.screenshot) {
      const metrics = (await s('Page.getLayoutMetrics')) as { cssContentSize: { width: number; height: number } };
      const shot = (await s('Page.captureScreenshot', {
        format: 'png',
        captureBeyondViewport: true,
        clip: { x: 0, y: 0, width: metrics.cssContentSize.width, height: Math.min(metrics.cssContentSize.height, 16_000), scale: 1 },
      })) as { data: string };
      check.screenshot = Buffer.from(shot.data, 'base64');
    }
    if (extras.pdf) {
      const pdf = (await s('Page.printToPDF', { printBackground: true, paperWidth: 8.27, paperHeight: 11.69 })) as { data: string };
      check.pdfBytes = Buffer.from(pdf.data, 'base64').length;
    }
    await new Promise((r) => setTimeout(r, 100)); // late console messages
    for (const e of [...seen, ...browser.events]) {
      if (e.sessionId !== sessionId) continue;
      const p = e.params as {
        request?: { url: string };
        exceptionDetails?: { text?: string };
        type?: string;
        args?: unknown;
        entry?: { level: string; source: string; text: string };
      };
      if (e.method === 'Network.requestWillBeSent' && p.request) check.requests.push(p.request.url);
      if (e.method === 'Runtime.exceptionThrown') check.consoleErrors.push(String(p.exceptionDetails?.text));
      if (e.method === 'Runtime.consoleAPICalled' && (p.type === 'error' || p.type === 'warning')) check.consoleErrors.push(JSON.stringify(p.args));
      if (e.method === 'Log.entryAdded' && p.entry && (p.entry.level === 'error' || p.entry.level === 'warning')) check.consoleErrors.push(`${p.entry.source}: ${p.entry.text}`);
    }
    return check;
  } finally {
    clearInterval(onPaused);
    await browser.send('Target.closeTarget', { targetId }).catch(() => undefined);
  }
}

let browser: Chromium;
let dir: string;
let reportFile: string;

beforeAll(() => {
  browser = Chromium.launch();
  dir = mkdtempSync(join(tmpdir(), 'certfleet-html-'));
  reportFile = join(dir, 'report.html');
  writeFileSync(reportFile, [...renderReport(fixtureReport(), 'html', { color: false, cwd: '/srv', toolVersion: 'test' })].join(''));
});

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the HTML report in headless Chromium', () => {
  it('desktop: nothing overflows, both charts have a size, no error, no request but the file; screenshot kept', async () => {
    const page = await checkPage(browser, reportFile, 1280, 'screen', { screenshot: true });
    expect(page.overflowing).toEqual([]);
    expect(page.scrollWidth).toBeLessThanOrEqual(page.viewportWidth);
    expect(page.svgSizes).toHaveLength(2);
    for (const [w, h] of page.svgSizes) {
      expect(w).toBeGreaterThan(200);
      expect(h).toBeGreaterThan(50);
    }
    expect(page.consoleErrors).toEqual([]);
    expect(page.requests).toEqual([pathToFileURL(reportFile).href]);
    mkdirSync(join(repoRoot, 'test-artifacts'), { recursive: true });
    writeFileSync(join(repoRoot, 'test-artifacts', 'report-html.png'), page.screenshot!);
    expect(page.screenshot!.subarray(1, 4).toString()).toBe('PNG');
  });

  it('phone width: still nothing wider than the screen', async () => {
    const page = await checkPage(browser, reportFile, 390, 'screen');
    expect(page.overflowing).toEqual([]);
    expect(page.scrollWidth).toBeLessThanOrEqual(page.viewportWidth);
    for (const [w, h] of page.svgSizes) expect(w * h).toBeGreaterThan(0);
  });

  it('printed (A4): fits the printable width and makes a PDF', async () => {
    const page = await checkPage(browser, reportFile, 690, 'print', { pdf: true });
    expect(page.overflowing).toEqual([]);
    expect(page.scrollWidth).toBeLessThanOrEqual(page.viewportWidth);
    expect(page.pdfBytes).toBeGreaterThan(10_000);
    expect(page.consoleErrors).toEqual([]);
  });

  it('the checker itself catches an overflowing element and a page that tries to fetch something', async () => {
    const bad = join(dir, 'bad.html');
    writeFileSync(bad, '<!DOCTYPE html><html><body><div style="width:3000px">wide</div><img src="http://127.0.0.1:9/pixel.png" alt=""></body></html>');
    const page = await checkPage(browser, bad, 1280, 'screen');
    expect(page.overflowing.length).toBeGreaterThan(0);
    expect(page.requests).toContain('http://127.0.0.1:9/pixel.png');
    expect(page.consoleErrors.length).toBeGreaterThan(0);
  });
});
