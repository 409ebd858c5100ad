// Servers started as child processes (named, pdns_server) by the DNS bench and the test harnesses
// (test/helpers/bind.ts, pdns.ts; types in child-process.d.mts): one wait until a server serves and
// one stop, each through the ChildProcess that was started, never by name.
import { once } from 'node:events';

/** SIGTERM, then SIGKILL after `graceMs`; resolves once it exited (at once when it already had). */
export async function stopChild(child, graceMs = 5_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Resolves once `serving()` is true (asked every 100 ms; a throw is "not listening yet"); throws
 * `messages.exited()` when the child exits first, `messages.timedOut()` after 20 s.
 */
export async function waitUntilServing(child, serving, messages) {
  const deadline = Date.now() + 20_000;
  let exited = child.exitCode !== null || child.signalCode !== null;
  child.once('exit', () => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(messages.exited());
    try {
      if (await serving()) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(messages.timedOut());
}
