import { useEffect, useMemo, useRef, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import {
  Content,
  Header,
  Page,
  Progress,
  ResponseErrorPanel,
  Table,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import {
  ATTESTATION_STATUSES,
  AttestationStatus,
  OverviewResponse,
  OverviewRow,
  Variant,
} from '@internal/backstage-plugin-base-images-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import FormControl from '@material-ui/core/FormControl';
import InputLabel from '@material-ui/core/InputLabel';
import MenuItem from '@material-ui/core/MenuItem';
import Select from '@material-ui/core/Select';
import TextField from '@material-ui/core/TextField';
import useAsync from 'react-use/esm/useAsync';
import useDebounce from 'react-use/esm/useDebounce';
import { baseImagesApiRef, FleetVerdict, OverviewQuery } from '../../api';
import { statusLabel } from '../AttestationStatus/AttestationStatus';
import { fleetColumns } from './fleetColumns';
import { FleetSummary } from './FleetSummary';

const ALL = 'all';
const PAGE_SIZES = [20, 50, 100];
const VARIANTS: Array<[Variant, string]> = [
  ['slim', 'slim'],
  ['dhi', 'DHI'],
  ['dhi-fips', 'DHI FIPS'],
];
const VERDICTS: Array<[FleetVerdict, string]> = [
  ['compliant', 'Compliant'],
  ['drift', 'Drift'],
  ['error', 'No verdict'],
];

function FilterSelect(props: {
  label: string;
  value?: string;
  options: Array<[string, string]>;
  onChange: (value?: string) => void;
}) {
  const id = `fleet-filter-${props.label.toLowerCase()}`;
  return (
    <FormControl
      variant="outlined"
      size="small"
      style={{ minWidth: 160, marginRight: 16 }}
    >
      <InputLabel id={id}>{props.label}</InputLabel>
      <Select
        labelId={id}
        label={props.label}
        value={props.value ?? ALL}
        onChange={e => {
          const value = e.target.value as string;
          props.onChange(value === ALL ? undefined : value);
        }}
        inputProps={{ 'aria-label': props.label }}
      >
        <MenuItem value={ALL}>All</MenuItem>
        {props.options.map(([value, label]) => (
          <MenuItem key={value} value={value}>
            {label}
          </MenuItem>
        ))}
      </Select>
    </FormControl>
  );
}

/** The filters and the page, kept in the URL so a view can be shared and reloaded. */
function useFleetParams() {
  const [params, setParams] = useSearchParams();
  const get = (key: string) => params.get(key) || undefined;
  const pageSize = PAGE_SIZES.includes(Number(get('pageSize')))
    ? Number(get('pageSize'))
    : PAGE_SIZES[0];
  const page = Math.max(0, Math.floor(Number(get('page') ?? 0)) || 0);
  const filters = {
    status: get('status') as AttestationStatus | undefined,
    variant: get('variant') as Variant | undefined,
    verdict: get('verdict') as FleetVerdict | undefined,
    framework: get('framework'),
    owner: get('owner'),
    q: get('q'),
  };
  /** Sets (or clears, with undefined) parameters; any filter change goes back to the first page. */
  const update = (changes: Record<string, string | number | undefined>) =>
    setParams(
      current => {
        const next = new URLSearchParams(current);
        if (!('page' in changes)) next.delete('page');
        for (const [key, value] of Object.entries(changes)) {
          if (value === undefined || value === '' || value === 0)
            next.delete(key);
          else next.set(key, String(value));
        }
        return next;
      },
      { replace: true },
    );
  return { filters, page, pageSize, update };
}

/**
 * Every component with a base image, a page at a time: the backend filters,
 * sorts (most severe first) and pages, and counts over every match for the
 * summary above the table.
 */
export function FleetPage() {
  const api = useApi(baseImagesApiRef);
  const { filters, page, pageSize, update } = useFleetParams();
  const query: OverviewQuery = useMemo(
    () => ({ ...filters, limit: pageSize, offset: page * pageSize }),
    // the filters are strings: compare them, not the object
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [JSON.stringify(filters), page, pageSize],
  );
  const { value, loading, error } = useAsync(
    () => api.getOverview(query),
    [api, query],
  );
  // the last page stays on screen while the next one loads
  const shown = useRef<OverviewResponse>();
  if (value) shown.current = value;
  const overview = value ?? shown.current;

  const [search, setSearch] = useState(filters.q ?? '');
  useDebounce(
    () => {
      if ((filters.q ?? '') !== search) update({ q: search });
    },
    300,
    [search],
  );
  useEffect(() => setSearch(filters.q ?? ''), [filters.q]);

  const frameworks = useMemo(() => {
    const ids = new Set(
      (overview?.items ?? []).flatMap(row =>
        row.policy.frameworks.map(f => f.id),
      ),
    );
    if (filters.framework) ids.add(filters.framework);
    return [...ids].sort().map(id => [id, id] as [string, string]);
  }, [overview, filters.framework]);

  let content: React.ReactNode;
  if (error && !overview) content = <ResponseErrorPanel error={error} />;
  else if (!overview) content = <Progress />;
  else {
    const filtered = Object.values(filters).some(Boolean);
    content = (
      <>
        {error ? <ResponseErrorPanel error={error} /> : null}
        {overview.summary ? (
          <FleetSummary
            summary={overview.summary}
            status={filters.status}
            verdict={filters.verdict}
            owner={filters.owner}
            onStatus={status => update({ status })}
            onVerdict={verdict => update({ verdict })}
            onOwner={owner => update({ owner })}
          />
        ) : null}
        <Box mb={2} display="flex" alignItems="center" flexWrap="wrap">
          <FilterSelect
            label="Status"
            value={filters.status}
            onChange={status => update({ status })}
            options={ATTESTATION_STATUSES.map(s => [s, statusLabel(s)])}
          />
          <FilterSelect
            label="Policy"
            value={filters.verdict}
            onChange={verdict => update({ verdict })}
            options={VERDICTS}
          />
          <FilterSelect
            label="Variant"
            value={filters.variant}
            onChange={variant => update({ variant })}
            options={VARIANTS}
          />
          <FilterSelect
            label="Framework"
            value={filters.framework}
            onChange={framework => update({ framework })}
            options={frameworks}
          />
          <TextField
            id="fleet-search"
            label="Search components"
            variant="outlined"
            size="small"
            value={search}
            onChange={e => setSearch(e.target.value)}
            style={{ marginRight: 16 }}
          />
          {filtered ? (
            <Button
              onClick={() =>
                update({
                  status: undefined,
                  verdict: undefined,
                  variant: undefined,
                  framework: undefined,
                  owner: undefined,
                  q: undefined,
                })
              }
            >
              Clear filters
            </Button>
          ) : null}
        </Box>
        <Table<OverviewRow>
          title="Base images"
          subtitle="Most severe first"
          isLoading={loading}
          options={{
            paging: true,
            pageSize,
            pageSizeOptions: PAGE_SIZES,
            search: false,
            sorting: false,
            padding: 'dense',
          }}
          columns={fleetColumns}
          data={overview.items}
          page={Math.min(
            page,
            Math.max(0, Math.ceil(overview.totalCount / pageSize) - 1),
          )}
          totalCount={overview.totalCount}
          onPageChange={(next, size) =>
            update(
              size !== pageSize
                ? {
                    page: 0,
                    pageSize: size === PAGE_SIZES[0] ? undefined : size,
                  }
                : { page: next },
            )
          }
        />
      </>
    );
  }
  return (
    <Page themeId="tool">
      <Header
        title="Base images"
        subtitle="Which base image each service runs on, and whether its supply chain checks out"
      />
      <Content>{content}</Content>
    </Page>
  );
}
