import type { ChildProcess } from 'node:child_process';

export function stopChild(child: ChildProcess, graceMs?: number): Promise<void>;
export function waitUntilServing(child: ChildProcess, serving: () => boolean | Promise<boolean>, messages: { exited: () => string; timedOut: () => string }): Promise<void>;
