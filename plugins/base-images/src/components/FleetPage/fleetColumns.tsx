import { parseEntityRef } from '@backstage/catalog-model';
import { TableColumn } from '@backstage/core-components';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import {
  ImageFigures,
  OverviewRow,
} from '@internal/backstage-plugin-base-images-common';
import Typography from '@material-ui/core/Typography';
import {
  AttestationStatusLabel,
  VariantChip,
} from '../AttestationStatus/AttestationStatus';

/** "12 MB": a compressed size, for the figures column. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} kB`;
  return `${Math.round(bytes / (1024 * 1024))} MB`;
}

/** Packages, vulnerabilities and size from the verified attestations, when there are any. */
export function figuresText(figures?: ImageFigures): string | undefined {
  if (!figures) return undefined;
  const parts: string[] = [];
  if (figures.packages !== undefined)
    parts.push(`${figures.packages} packages`);
  if (figures.vulnerabilities)
    parts.push(`${figures.vulnerabilities.total} vulnerabilities`);
  if (figures.sizeBytes !== undefined)
    parts.push(formatBytes(figures.sizeBytes));
  return parts.length ? parts.join(' · ') : undefined;
}

/** "2 of 3 verified": the attestations the frameworks require that are verified. */
export function evidenceText(row: OverviewRow): string | undefined {
  const evidence = row.policy.evidence;
  if (!evidence?.length) return undefined;
  const verified = evidence.filter(e => e.status === 'verified').length;
  return `${verified} of ${evidence.length} verified`;
}

function policyText(row: OverviewRow): string {
  if (row.policy.error) return `Policy error: ${row.policy.error}`;
  if (!row.image) return 'No base image';
  return row.policy.compliant
    ? 'Compliant'
    : `Drift: needs ${row.policy.required ?? 'a stronger image'}`;
}

const dash = <Typography color="textSecondary">—</Typography>;

/** The fleet table's columns; the server sorts, so none is sortable here. */
export const fleetColumns: TableColumn<OverviewRow>[] = [
  {
    title: 'Component',
    render: row => (
      <EntityRefLink
        entityRef={parseEntityRef(row.entityRef)}
        title={row.title}
      />
    ),
  },
  {
    title: 'Owner',
    render: row =>
      row.owner ? (
        <EntityRefLink entityRef={row.owner} defaultKind="group" />
      ) : (
        dash
      ),
  },
  {
    title: 'Base image',
    render: row => (
      <>
        <code>{row.image?.ref ?? '—'}</code>
        {row.image?.discoveredFrom ? (
          <Typography variant="caption" display="block" color="textSecondary">
            from {row.image.discoveredFrom}
          </Typography>
        ) : null}
        {row.image?.outdated ? (
          <Typography variant="caption" display="block">
            outdated: the tag has moved
          </Typography>
        ) : null}
        {row.findings?.length ? (
          <Typography
            variant="caption"
            display="block"
            title={row.findings.map(f => f.message).join('\n')}
          >
            {row.findings.length} finding{row.findings.length === 1 ? '' : 's'}
          </Typography>
        ) : null}
      </>
    ),
  },
  { title: 'Variant', render: row => <VariantChip variant={row.variant} /> },
  {
    title: 'Frameworks',
    render: row => row.policy.frameworks.map(f => f.id).join(', ') || '—',
  },
  { title: 'Policy', render: row => policyText(row) },
  {
    title: 'Attestation',
    render: row => <AttestationStatusLabel status={row.attestation.status} />,
  },
  { title: 'Evidence', render: row => evidenceText(row) ?? dash },
  {
    title: 'Figures',
    render: row => figuresText(row.attestation.figures) ?? dash,
  },
];
