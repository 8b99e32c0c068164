import {
  ATTESTATION_STATUSES,
  AttestationStatus,
  OverviewRow,
  OverviewSummary,
} from '@internal/backstage-plugin-base-images-common';
import { Knex } from 'knex';
import { FleetRow, FleetVerdict } from './fleetRow';

const TABLE = 'base_images_fleet';
/** Rows per insert or IN list: well under SQLite's bound-parameter limit. */
const BATCH = 500;

/** What GET /overview narrows the fleet to; every field optional. */
export interface FleetFilter {
  status?: AttestationStatus;
  variant?: string;
  /** A framework id (lower case). */
  framework?: string;
  verdict?: FleetVerdict;
  /** Drift or error: any verdict but compliant. */
  notCompliant?: boolean;
  /** Owner entity ref (`group:default/team`). */
  owner?: string;
  /** Part of the entity ref, any case. */
  search?: string;
}

export interface FleetPage {
  items: OverviewRow[];
  totalCount: number;
  summary: OverviewSummary;
}

/** The verdict part of a stored row: what the refresh compares old and new by. */
export interface StoredVerdict {
  status: AttestationStatus;
  verdict: FleetVerdict;
  severity: number;
  listed: boolean;
  image?: string;
}

interface GroupCount {
  status: AttestationStatus;
  verdict: FleetVerdict;
  owner: string | null;
  count: number;
}

/** `%`, `_` and the escape itself taken literally in a LIKE pattern. */
const likeLiteral = (text: string) => text.replace(/[\\%_]/g, c => `\\${c}`);

/** Counts per status, verdict and owner from grouped counts. */
export function summarize(groups: GroupCount[]): OverviewSummary {
  const summary: OverviewSummary = {
    total: 0,
    byStatus: Object.fromEntries(
      ATTESTATION_STATUSES.map(status => [status, 0]),
    ) as OverviewSummary['byStatus'],
    byVerdict: { compliant: 0, drift: 0, error: 0 },
    byOwner: [],
  };
  const owners = new Map<string, OverviewSummary['byOwner'][number]>();
  for (const { status, verdict, owner, count } of groups) {
    summary.total += count;
    summary.byStatus[status] = (summary.byStatus[status] ?? 0) + count;
    summary.byVerdict[verdict] += count;
    const name = owner ?? '';
    let entry = owners.get(name);
    if (!entry) {
      entry = { owner: name, total: 0, drift: 0, byStatus: {} };
      owners.set(name, entry);
    }
    entry.total += count;
    if (verdict === 'drift') entry.drift += count;
    entry.byStatus[status] = (entry.byStatus[status] ?? 0) + count;
  }
  summary.byOwner = [...owners.values()].sort(
    (a, b) =>
      b.drift - a.drift || b.total - a.total || a.owner.localeCompare(b.owner),
  );
  return summary;
}

function toOverviewRow(row: {
  response: string;
  title: string | null;
  owner: string | null;
}): OverviewRow {
  return {
    ...JSON.parse(row.response),
    title: row.title ?? undefined,
    owner: row.owner ?? undefined,
  };
}

/**
 * The fleet's rows in the plugin database: written by the fleet refresh (and
 * by a first card view), read by GET /overview, which filters, sorts, pages
 * and counts them in SQL instead of computing every component per request.
 */
export class FleetStore {
  constructor(private readonly db: Knex) {}

  async upsert(rows: FleetRow[], updatedAt: Date): Promise<void> {
    for (let i = 0; i < rows.length; i += BATCH) {
      await this.db(TABLE)
        .insert(
          rows.slice(i, i + BATCH).map(row => ({
            entity_ref: row.entityRef,
            title: row.title ?? null,
            owner: row.owner ?? null,
            listed: row.listed,
            status: row.status,
            variant: row.variant ?? null,
            verdict: row.verdict,
            frameworks: `,${row.frameworks.join(',')},`,
            severity: row.severity,
            response: JSON.stringify(row.response),
            updated_at: updatedAt,
          })),
        )
        .onConflict('entity_ref')
        .merge();
    }
  }

  async has(entityRef: string): Promise<boolean> {
    return !!(await this.db(TABLE)
      .where('entity_ref', entityRef)
      .first('entity_ref'));
  }

  /** Every row's verdict, by entity ref. */
  async verdicts(): Promise<Map<string, StoredVerdict>> {
    const rows = await this.db(TABLE).select(
      'entity_ref',
      'status',
      'verdict',
      'severity',
      'listed',
      'response',
    );
    return new Map(
      rows.map(row => [
        row.entity_ref,
        {
          status: row.status,
          verdict: row.verdict,
          severity: Number(row.severity),
          listed: !!row.listed,
          image: JSON.parse(row.response).image?.ref,
        },
      ]),
    );
  }

  /** Deletes the rows of components not in `keep`; returns their refs. */
  async retainOnly(keep: Set<string>): Promise<string[]> {
    const gone = (await this.db(TABLE).pluck('entity_ref')).filter(
      (ref: string) => !keep.has(ref),
    );
    for (let i = 0; i < gone.length; i += BATCH) {
      await this.db(TABLE)
        .whereIn('entity_ref', gone.slice(i, i + BATCH))
        .delete();
    }
    return gone;
  }

  /** Listed rows matching the filter. */
  private filtered(filter: FleetFilter): Knex.QueryBuilder {
    const query = this.db(TABLE).where('listed', true);
    if (filter.status) query.where('status', filter.status);
    if (filter.variant) query.where('variant', filter.variant);
    if (filter.verdict) query.where('verdict', filter.verdict);
    if (filter.notCompliant) query.whereNot('verdict', 'compliant');
    if (filter.owner) query.where('owner', filter.owner);
    if (filter.framework) {
      query.whereRaw(`?? like ? escape '\\'`, [
        'frameworks',
        `%,${likeLiteral(filter.framework)},%`,
      ]);
    }
    if (filter.search) {
      query.whereRaw(`lower(??) like ? escape '\\'`, [
        'entity_ref',
        `%${likeLiteral(filter.search.toLowerCase())}%`,
      ]);
    }
    return query;
  }

  /** One page of the filtered fleet, most severe first, with counts over all of it. */
  async page(
    filter: FleetFilter,
    page: { limit: number; offset: number },
  ): Promise<FleetPage> {
    const [groups, rows] = await Promise.all([
      this.filtered(filter)
        .select('status', 'verdict', 'owner')
        .count({ count: '*' })
        .groupBy('status', 'verdict', 'owner'),
      this.filtered(filter)
        .select('response', 'title', 'owner')
        .orderBy([
          { column: 'severity', order: 'asc' },
          { column: 'entity_ref', order: 'asc' },
        ])
        .limit(page.limit)
        .offset(page.offset),
    ]);
    const summary = summarize(
      groups.map((g: any) => ({ ...g, count: Number(g.count) })),
    );
    return {
      items: rows.map(toOverviewRow),
      totalCount: summary.total,
      summary,
    };
  }

  /**
   * The same as {@link FleetStore.page}, over only the rows whose entity ref
   * is in `allowed` (lower case): for callers the permission policy lets
   * read some entities only.
   */
  async pageWithin(
    filter: FleetFilter,
    allowed: Set<string>,
    page: { limit: number; offset: number },
  ): Promise<FleetPage> {
    const candidates: Array<GroupCount & { entity_ref: string }> =
      await this.filtered(filter)
        .select('entity_ref', 'status', 'verdict', 'owner')
        .orderBy([
          { column: 'severity', order: 'asc' },
          { column: 'entity_ref', order: 'asc' },
        ]);
    const visible = candidates.filter(row =>
      allowed.has(row.entity_ref.toLowerCase()),
    );
    const summary = summarize(visible.map(row => ({ ...row, count: 1 })));
    const pageRefs = visible
      .slice(page.offset, page.offset + page.limit)
      .map(row => row.entity_ref);
    const rows = pageRefs.length
      ? await this.db(TABLE)
          .whereIn('entity_ref', pageRefs)
          .select('entity_ref', 'response', 'title', 'owner')
      : [];
    const byRef = new Map(rows.map((row: any) => [row.entity_ref, row]));
    return {
      items: pageRefs.map(ref => toOverviewRow(byRef.get(ref))),
      totalCount: summary.total,
      summary,
    };
  }
}
