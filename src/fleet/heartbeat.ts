/**
 * The agent's heartbeat: at the start of every pass (the first, each wake-up, a `--once` run) it
 * says in the shared store that it is alive, where it runs, how often it wakes and which challenges
 * it answers. Without it an idle, healthy agent reports nothing for days and looks like a dead
 * one (fleet/agent-silence.ts). A heartbeat that cannot be written is a warning, never a failed
 * pass: deploying matters more than saying so, and the pass's own errors say what is wrong.
 */
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AgentHeartbeat, AgentHeartbeats } from '../store/ports.js';

/** `pass` with the heartbeat written first; undefined heartbeats (a store that keeps none): `pass` itself. */
export function withHeartbeat<T>(pass: () => Promise<T>, heartbeats: Pick<AgentHeartbeats, 'beat'> | undefined, heartbeat: AgentHeartbeat, logger: Logger): () => Promise<T> {
  if (heartbeats === undefined) return pass;
  return async () => {
    try {
      await heartbeats.beat(heartbeat);
    } catch (err) {
      logger.warn(`host ${heartbeat.host}: the agent's heartbeat was not recorded (runners will see it as silent): ${describeError(err)}`);
    }
    return pass();
  };
}
