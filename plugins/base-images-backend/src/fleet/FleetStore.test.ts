import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import {
  ATTESTATION_STATUSES,
  BaseImageStatusResponse,
  notCheckedReport,
  OverviewSummary,
} from '@internal/backstage-plugin-base-images-common';
import { migratedClient } from '../database/migrations';
import { FleetRow, fleetRowOf } from './fleetRow';
import { FleetFilter, FleetStore } from './FleetStore';

jest.setTimeout(60_000);

const OWNERS = ['team-a', 'team-b', 'team-c', 'team_d'];
const FRAMEWORKS = [[], ['hipaa'], ['soc2', 'pci_dss'], ['pcixdss']];

/** A deterministic fleet with every status, verdict, owner and framework mix. */
function fleet(size: number): FleetRow[] {
  return Array.from({ length: size }, (_, i) => {
    const name = `svc-${String(i).padStart(4, '0')}`;
    const status = ATTESTATION_STATUSES[i % ATTESTATION_STATUSES.length];
    const hasImage = i % 11 !== 0;
    const entity: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name,
        namespace: 'default',
        title: `Service ${i}`,
        // every 13th has neither annotation nor image: not listed
        annotations:
          i % 13 === 0 ? {} : { 'base-image/ref': 'dhi.io/python:3.13' },
      },
      spec: { owner: OWNERS[i % OWNERS.length] },
    };
    const response: BaseImageStatusResponse = {
      entityRef: `component:default/${entity.metadata.name}`,
      variant: (['slim', 'dhi', 'dhi-fips'] as const)[i % 3],
      image: hasImage
        ? {
            ref: 'dhi.io/python:3.13',
            registry: 'dhi.io',
            repository: 'python',
            tag: '3.13',
          }
        : undefined,
      policy: {
        frameworks: FRAMEWORKS[i % FRAMEWORKS.length].map(id => ({
          id,
          source: 'system:default/s',
          known: true,
        })),
        compliant: i % 5 !== 0,
        violations: [],
        reasons: [],
        error: i % 17 === 0 ? 'unknown framework' : undefined,
      },
      attestation: { ...notCheckedReport(`report ${i}`), status },
    };
    return fleetRowOf(entity, response);
  });
}

/** The summary, counted here row by row. */
function countedSummary(rows: FleetRow[]): OverviewSummary {
  const byStatus = Object.fromEntries(
    ATTESTATION_STATUSES.map(s => [s, rows.filter(r => r.status === s).length]),
  ) as OverviewSummary['byStatus'];
  const owners = [...new Set(rows.map(r => r.owner ?? ''))];
  return {
    total: rows.length,
    byStatus,
    byVerdict: {
      compliant: rows.filter(r => r.verdict === 'compliant').length,
      drift: rows.filter(r => r.verdict === 'drift').length,
      error: rows.filter(r => r.verdict === 'error').length,
    },
    byOwner: owners
      .map(owner => {
        const mine = rows.filter(r => (r.owner ?? '') === owner);
        const statuses: Record<string, number> = {};
        for (const r of mine)
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        return {
          owner,
          total: mine.length,
          drift: mine.filter(r => r.verdict === 'drift').length,
          byStatus: statuses,
        };
      })
      .sort(
        (a, b) =>
          b.drift - a.drift ||
          b.total - a.total ||
          a.owner.localeCompare(b.owner),
      ),
  };
}

const matches = (row: FleetRow, filter: FleetFilter) =>
  row.listed &&
  (!filter.status || row.status === filter.status) &&
  (!filter.variant || row.variant === filter.variant) &&
  (!filter.verdict || row.verdict === filter.verdict) &&
  (!filter.notCompliant || row.verdict !== 'compliant') &&
  (!filter.owner || row.owner === filter.owner) &&
  (!filter.framework || row.frameworks.includes(filter.framework)) &&
  (!filter.search ||
    row.entityRef.toLowerCase().includes(filter.search.toLowerCase()));

const byCodeUnits = (a: string, b: string) => {
  if (a === b) return 0;
  return a < b ? -1 : 1;
};

/** Most severe first, then by ref: the order every page follows. */
const inFleetOrder = (rows: FleetRow[]) =>
  [...rows].sort(
    (a, b) => a.severity - b.severity || byCodeUnits(a.entityRef, b.entityRef),
  );

const FILTERS: FleetFilter[] = [
  {},
  { status: 'invalid' },
  { verdict: 'drift' },
  { notCompliant: true },
  { variant: 'dhi-fips', status: 'verified' },
  { framework: 'hipaa' },
  // `_` is taken literally: pci_dss, not pcixdss
  { framework: 'pci_dss' },
  { owner: 'group:default/team_d' },
  { search: 'SVC-00' },
  { search: '%' },
  { owner: 'group:default/team-b', framework: 'soc2', notCompliant: true },
];

describe('FleetStore', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
  const rows = fleet(400);

  async function createStore(databaseId: Parameters<typeof databases.init>[0]) {
    const knex = await databases.init(databaseId);
    const store = new FleetStore(
      await migratedClient(mockServices.database({ knex })),
    );
    await store.upsert(rows, new Date());
    return store;
  }

  it.each(databases.eachSupportedId())(
    'filters, orders, pages and counts as a count done here does, %p',
    async databaseId => {
      const store = await createStore(databaseId);
      for (const filter of FILTERS) {
        const expected = inFleetOrder(rows.filter(r => matches(r, filter)));
        const first = await store.page(filter, { limit: 25, offset: 0 });
        expect({ filter, summary: first.summary }).toEqual({
          filter,
          summary: countedSummary(expected),
        });
        expect(first.totalCount).toBe(expected.length);
        const second = await store.page(filter, { limit: 25, offset: 25 });
        expect([...first.items, ...second.items].map(i => i.entityRef)).toEqual(
          expected.slice(0, 50).map(r => r.entityRef),
        );
      }
      const [top] = (await store.page({}, { limit: 1, offset: 0 })).items;
      expect(top).toMatchObject({
        attestation: { status: 'invalid' },
        title: expect.stringMatching(/^Service \d+$/),
        owner: expect.stringMatching(/^group:default\/team/),
      });
    },
  );

  it.each(databases.eachSupportedId())(
    'pages within the refs a caller may read, %p',
    async databaseId => {
      const store = await createStore(databaseId);
      const allowed = rows.filter((_, i) => i % 3 === 0);
      const allowedRefs = new Set(allowed.map(r => r.entityRef.toLowerCase()));
      for (const filter of FILTERS) {
        const expected = inFleetOrder(allowed.filter(r => matches(r, filter)));
        const page = await store.pageWithin(filter, allowedRefs, {
          limit: 10,
          offset: 5,
        });
        expect(page.summary).toEqual(countedSummary(expected));
        expect(page.items.map(i => i.entityRef)).toEqual(
          expected.slice(5, 15).map(r => r.entityRef),
        );
      }
      const none = await store.pageWithin({}, new Set(), {
        limit: 10,
        offset: 0,
      });
      expect(none).toMatchObject({ items: [], totalCount: 0 });
    },
  );

  it.each(databases.eachSupportedId())(
    'keeps verdicts, replaces rows and drops those of deleted components, %p',
    async databaseId => {
      const store = await createStore(databaseId);
      const verdicts = await store.verdicts();
      expect(verdicts.size).toBe(rows.length);
      expect(verdicts.get(rows[1].entityRef)).toEqual({
        status: rows[1].status,
        verdict: rows[1].verdict,
        severity: rows[1].severity,
        listed: true,
        image: 'dhi.io/python:3.13',
      });
      const changed = { ...rows[1], status: 'invalid' as const, severity: 0 };
      await store.upsert([changed], new Date());
      expect((await store.verdicts()).get(rows[1].entityRef)?.status).toBe(
        'invalid',
      );
      const keep = new Set(rows.slice(0, 10).map(r => r.entityRef));
      const gone = await store.retainOnly(keep);
      expect(gone).toHaveLength(rows.length - 10);
      expect(await store.has(rows[0].entityRef)).toBe(true);
      expect(await store.has(rows[20].entityRef)).toBe(false);
    },
  );
});
