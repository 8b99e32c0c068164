import { useMemo, useState } from 'react';
import { parseEntityRef } from '@backstage/catalog-model';
import {
  Content,
  Header,
  Page,
  Progress,
  ResponseErrorPanel,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import {
  ATTESTATION_STATUSES,
  OverviewRow,
} from '@internal/backstage-plugin-base-images-common';
import Box from '@material-ui/core/Box';
import FormControl from '@material-ui/core/FormControl';
import InputLabel from '@material-ui/core/InputLabel';
import MenuItem from '@material-ui/core/MenuItem';
import Select from '@material-ui/core/Select';
import Typography from '@material-ui/core/Typography';
import useAsync from 'react-use/esm/useAsync';
import { baseImagesApiRef } from '../../api';
import {
  AttestationStatusLabel,
  statusLabel,
  VariantChip,
} from '../AttestationStatus/AttestationStatus';

const ALL = 'all';

function FilterSelect(props: {
  label: string;
  value: string;
  options: Array<[string, string]>;
  onChange: (value: string) => void;
}) {
  const id = `fleet-filter-${props.label.toLowerCase()}`;
  return (
    <FormControl
      variant="outlined"
      size="small"
      style={{ minWidth: 180, marginRight: 16 }}
    >
      <InputLabel id={id}>{props.label}</InputLabel>
      <Select
        labelId={id}
        label={props.label}
        value={props.value}
        onChange={e => props.onChange(e.target.value as string)}
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

const columns: TableColumn<OverviewRow>[] = [
  {
    title: 'Component',
    field: 'entityRef',
    render: row => <EntityRefLink entityRef={parseEntityRef(row.entityRef)} />,
  },
  {
    title: 'Base image',
    field: 'image.ref',
    render: row => <code>{row.image?.ref ?? '—'}</code>,
  },
  {
    title: 'Variant',
    field: 'variant',
    render: row => <VariantChip variant={row.variant} />,
  },
  {
    title: 'Frameworks',
    render: row => row.policy.frameworks.map(f => f.id).join(', ') || '—',
    customFilterAndSearch: (term, row) =>
      row.policy.frameworks.some(f => f.id.includes(term.toLowerCase())),
  },
  {
    title: 'Policy',
    render: row => {
      if (row.policy.error) return 'Policy error';
      return row.policy.compliant
        ? 'Compliant'
        : `Drift: needs ${row.policy.required ?? 'a stronger image'}`;
    },
  },
  {
    title: 'Attestation',
    field: 'attestation.status',
    render: row => <AttestationStatusLabel status={row.attestation.status} />,
  },
];

/** Every component with a base image: its variant, policy verdict and attestation status. */
export function FleetPage() {
  const api = useApi(baseImagesApiRef);
  const { value, loading, error } = useAsync(() => api.getOverview(), [api]);
  const [status, setStatus] = useState(ALL);
  const [variant, setVariant] = useState(ALL);
  const [framework, setFramework] = useState(ALL);

  const frameworks = useMemo(
    () =>
      [
        ...new Set(
          (value?.items ?? []).flatMap(row =>
            row.policy.frameworks.map(f => f.id),
          ),
        ),
      ].sort(),
    [value],
  );
  const rows = useMemo(
    () =>
      (value?.items ?? []).filter(
        row =>
          (status === ALL || row.attestation.status === status) &&
          (variant === ALL || row.variant === variant) &&
          (framework === ALL ||
            row.policy.frameworks.some(f => f.id === framework)),
      ),
    [value, status, variant, framework],
  );

  let content: React.ReactNode;
  if (loading) content = <Progress />;
  else if (error) content = <ResponseErrorPanel error={error} />;
  else {
    content = (
      <>
        <Box mb={2} display="flex" alignItems="center">
          <FilterSelect
            label="Status"
            value={status}
            onChange={setStatus}
            options={ATTESTATION_STATUSES.map(s => [s, statusLabel(s)])}
          />
          <FilterSelect
            label="Variant"
            value={variant}
            onChange={setVariant}
            options={[
              ['slim', 'slim'],
              ['dhi', 'DHI'],
              ['dhi-fips', 'DHI FIPS'],
            ]}
          />
          <FilterSelect
            label="Framework"
            value={framework}
            onChange={setFramework}
            options={frameworks.map(f => [f, f])}
          />
          <Typography variant="body2" color="textSecondary">
            {rows.length} of {value?.totalCount ?? 0} components
          </Typography>
        </Box>
        <Table<OverviewRow>
          title="Base images"
          options={{ paging: true, pageSize: 20, search: true }}
          columns={columns}
          data={rows}
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
