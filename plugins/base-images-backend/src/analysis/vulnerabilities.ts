import { ImageFigures } from '@internal/backstage-plugin-base-images-common';

/** in-toto's vulnerability-scan predicate (DHI: `…/vulns/v0.1`). */
export const VULNS_PREDICATE = 'https://in-toto.io/attestation/vulns';
/** OpenVEX documents (DHI: `https://openvex.dev/ns/v0.2.0`). */
export const OPENVEX_PREDICATE = 'https://openvex.dev/ns';

type Severity = 'critical' | 'high' | 'medium' | 'low';
const RANK: Record<Severity, number> = {
  low: 1,
  medium: 2,
  high: 3,
  critical: 4,
};
/** VEX statuses under which a vulnerability does not count (OpenVEX spec). */
const SUPPRESSING = new Set(['not_affected', 'fixed']);
/** Entries read from one scan result or VEX document: a bound on the work, not on any real image. */
const MAX_ENTRIES = 100_000;

const isObject = (value: unknown): value is Record<string, any> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const list = (value: unknown): unknown[] =>
  Array.isArray(value) ? value.slice(0, MAX_ENTRIES) : [];

/**
 * A severity from one `severity[]` entry's score: a word (`HIGH`,
 * `Moderate`), or a CVSS base score (9.0 critical, 7.0 high, 4.0 medium,
 * above 0 low). Vectors without a score say nothing here.
 */
function severityOf(score: unknown): Severity | undefined {
  if (typeof score === 'string') {
    const word = score.trim().toLowerCase();
    if (word === 'critical' || word === 'high' || word === 'low') return word;
    if (word === 'medium' || word === 'moderate') return 'medium';
    if (word === 'negligible') return 'low';
  }
  const value = typeof score === 'number' ? score : Number(score);
  if (typeof score === 'string' && !/^\d+(\.\d+)?$/.test(score.trim()))
    return undefined;
  if (!Number.isFinite(value) || value <= 0) return undefined;
  if (value >= 9) return 'critical';
  if (value >= 7) return 'high';
  if (value >= 4) return 'medium';
  return 'low';
}

/**
 * The vulnerabilities an in-toto vulns predicate lists, by id, with their
 * highest severity. v0.1's text and example disagree on where the id is
 * (`result[].vulnerability.id` or `result[].id`) and v0.2 uses the latter:
 * both are read.
 */
function scanResults(predicate: unknown): Map<string, Severity | undefined> {
  const found = new Map<string, Severity | undefined>();
  const scanner = isObject(predicate) ? predicate.scanner : undefined;
  for (const entry of list(isObject(scanner) ? scanner.result : undefined)) {
    if (!isObject(entry)) continue;
    const vulnerability = isObject(entry.vulnerability)
      ? entry.vulnerability
      : {};
    const id = entry.id ?? vulnerability.id;
    if (typeof id !== 'string' || id.length === 0) continue;
    let severity = found.get(id);
    for (const rating of list(entry.severity ?? vulnerability.severity)) {
      const next = isObject(rating) ? severityOf(rating.score) : undefined;
      if (next && (!severity || RANK[next] > RANK[severity])) severity = next;
    }
    found.set(id, severity);
  }
  return found;
}

interface VexVerdict {
  status: string;
  time: number;
  order: number;
}

/**
 * The latest VEX status of each vulnerability name or alias, over every
 * statement of every document: statements form a time sequence, a later one
 * overriding an earlier (OpenVEX spec); a statement without a timestamp
 * takes its document's, and among equal times the later one listed wins.
 * Products are not compared: each VEX attestation's signed subject already
 * binds it to this image's platform manifest.
 */
function vexVerdicts(documents: unknown[]): Map<string, VexVerdict> {
  const verdicts = new Map<string, VexVerdict>();
  let order = 0;
  for (const document of documents) {
    if (!isObject(document)) continue;
    for (const statement of list(document.statements)) {
      order += 1;
      if (!isObject(statement) || typeof statement.status !== 'string')
        continue;
      const vulnerability = isObject(statement.vulnerability)
        ? statement.vulnerability
        : {};
      const names = [vulnerability.name, ...list(vulnerability.aliases)].filter(
        (name): name is string => typeof name === 'string' && name.length > 0,
      );
      const own = Date.parse(
        String(statement.timestamp ?? document.timestamp ?? ''),
      );
      const time = Number.isFinite(own) ? own : 0;
      for (const name of names) {
        const earlier = verdicts.get(name);
        if (
          !earlier ||
          time > earlier.time ||
          (time === earlier.time && order > earlier.order)
        )
          verdicts.set(name, { status: statement.status, time, order });
      }
    }
  }
  return verdicts;
}

/**
 * Known vulnerabilities after VEX: the scan results' ids (merged over every
 * vulns predicate), less those whose latest VEX status is `not_affected` or
 * `fixed`, counted by severity. Undefined without a scan result: VEX alone
 * says nothing about what was found.
 */
export function vulnerabilitiesAfterVex(
  scans: unknown[],
  vexDocuments: unknown[],
): ImageFigures['vulnerabilities'] {
  if (scans.length === 0) return undefined;
  const found = new Map<string, Severity | undefined>();
  for (const scan of scans) {
    for (const [id, severity] of scanResults(scan)) {
      const known = found.get(id);
      if (
        !found.has(id) ||
        (severity && (!known || RANK[severity] > RANK[known]))
      )
        found.set(id, severity);
    }
  }
  const verdicts = vexVerdicts(vexDocuments);
  const counts = { total: 0, critical: 0, high: 0, medium: 0, low: 0 };
  let suppressedByVex = 0;
  for (const [id, severity] of found) {
    if (SUPPRESSING.has(verdicts.get(id)?.status ?? '')) {
      suppressedByVex += 1;
      continue;
    }
    counts.total += 1;
    if (severity) counts[severity] += 1;
  }
  return { ...counts, suppressedByVex };
}
