/**
 * Checks every solver makes before touching anything: the task is of its type, and the parts it
 * will put in a path, a DNS name or a certificate are what ACME allows (a token is base64url, so it
 * can never climb out of the challenge directory).
 */
import { ChallengeError } from './errors.js';
import type { ChallengeTask, ChallengeType } from './types.js';

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const DNS_NAME = /^(?=.{1,253}$)([A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.?$/;

export function assertTask(solverType: ChallengeType, task: ChallengeTask): void {
  if (task.type !== solverType) {
    throw new ChallengeError(`a ${solverType} solver was given a ${task.type} challenge for ${task.domain}`);
  }
  if (!DNS_NAME.test(task.domain)) {
    throw new ChallengeError(`not a DNS name: ${JSON.stringify(task.domain)} (wildcards arrive as the base name with wildcard: true)`);
  }
  if (task.wildcard && solverType !== 'dns-01') {
    throw new ChallengeError(`*.${task.domain} can only be validated with dns-01 (the CA only offers dns-01 for wildcards)`);
  }
  if (!BASE64URL.test(task.token)) throw new ChallengeError(`challenge token for ${task.domain} is not base64url`);
}

/** One key per task a solver keeps state for. */
export function taskKey(task: ChallengeTask): string {
  return `${task.domain.toLowerCase()}\n${task.token}`;
}
