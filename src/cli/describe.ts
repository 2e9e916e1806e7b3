/** How the CLI words a manifest's policy and a version's role, in `status`, `publish` and the policy commands. */
import { DEFAULT_ALPHA } from '../health/defaults.js';
import type { HealthPolicy, Manifest } from '../types.js';

export function roleOf(m: Manifest, version: string): string {
  const p = m.policy;
  const roles: string[] = [];
  if (p.stable === version) roles.push('stable');
  if (p.candidate?.version === version) roles.push(`candidate ${p.candidate.percent}%`);
  if (p.pinned === version) roles.push('pinned');
  for (const arm of p.ab?.arms ?? []) if (arm.version === version) roles.push(`arm ${arm.name}`);
  if (p.killed.includes(version)) roles.push('killed');
  return roles.join(', ') || '-';
}

export function describePolicy(m: Manifest): string {
  const p = m.policy;
  const parts = [`stable ${p.stable}`];
  if (p.candidate) {
    const stages = p.candidate.stages?.map((s) => `${s.percent}%${s.after ? `@${s.after}` : ''}${s.minHealthyRuns ? `/${s.minHealthyRuns}runs` : ''}`);
    parts.push(`candidate ${p.candidate.version} at ${stages ? `stages ${stages.join(' → ')}` : `${p.candidate.percent}%`}`);
  }
  if (p.pinned) parts.push(`pinned to ${p.pinned}`);
  if (p.ab) parts.push(`A/B ${p.ab.arms.map((a) => `${a.name}=${a.version}×${a.weight}`).join(' / ')}`);
  if (p.killed.length) parts.push(`killed ${p.killed.join(', ')}`);
  return parts.join(', ');
}

/** The health gates as `baton health` sets them, flag by flag. */
export function describeHealth(h: HealthPolicy): string {
  return [
    `promote after ${h.promoteAfterRequests} requests`,
    `baseline counted from ${h.minRequests} outcomes`,
    `window ${h.windowRequests} requests / ${h.windowMs / 1000}s`,
    `error rate +${h.maxErrorRateIncrease} at most`,
    `run time ×${h.maxP95Ratio} at most (paired)`,
    `shadow agreement ${h.minShadowAgreement} at least`,
    `false rollbacks ≤ ${h.alpha ?? DEFAULT_ALPHA}`,
  ].join(', ');
}

/** `1 chunk`, `3 chunks`. */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
