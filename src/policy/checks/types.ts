import type { Finding } from '../../inventory/model.js';
import type { PlacedCertificate } from '../leaf-or-root.js';
import type { PolicyTimeline } from '../timeline.js';

export interface CheckContext {
  /** Evaluation time, epoch ms (injected: tests and `--as-of` move it). */
  now: number;
  timeline: PolicyTimeline;
}

/**
 * A check looks at one certificate and returns a finding, or nothing. It gets the inventory
 * record when there is one (its sources say whether it is served as a leaf); a bare
 * CertificateInfo is checked as found in a file.
 */
export type CertificateCheck = (cert: PlacedCertificate, context: CheckContext) => Finding | undefined;
