import { useState } from 'react';
import { humanizeEntityRef } from '@backstage/plugin-catalog-react';
import { parseEntityRef } from '@backstage/catalog-model';
import {
  ATTESTATION_STATUSES,
  AttestationStatus,
  OverviewSummary,
} from '@internal/backstage-plugin-base-images-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Paper from '@material-ui/core/Paper';
import Typography from '@material-ui/core/Typography';
import { FleetVerdict } from '../../api';
import { statusLabel } from '../AttestationStatus/AttestationStatus';

/** Owners listed before "Show all owners". */
const OWNERS_SHOWN = 8;

const VERDICT_LABELS: Record<FleetVerdict, string> = {
  compliant: 'Compliant',
  drift: 'Drift',
  error: 'No verdict',
};

function ownerName(owner: string): string {
  if (!owner) return 'No owner';
  try {
    return humanizeEntityRef(parseEntityRef(owner), { defaultKind: 'group' });
  } catch {
    return owner;
  }
}

/** One count that narrows the table to what it counts when clicked. */
function Count(props: {
  label: string;
  count: number;
  active: boolean;
  onClick: () => void;
}) {
  return (
    <Button
      size="small"
      variant={props.active ? 'contained' : 'outlined'}
      color={props.active ? 'primary' : 'default'}
      onClick={props.onClick}
      aria-pressed={props.active}
      aria-label={`${props.label}: ${props.count}`}
      style={{ marginRight: 8, marginBottom: 8, textTransform: 'none' }}
    >
      {props.label}&nbsp;<strong>{props.count}</strong>
    </Button>
  );
}

function Group(props: { title: string; children: React.ReactNode }) {
  return (
    <Box mb={1}>
      <Typography variant="overline" component="h3" color="textSecondary">
        {props.title}
      </Typography>
      <Box display="flex" flexWrap="wrap">
        {props.children}
      </Box>
    </Box>
  );
}

/**
 * Counts over every component that matches the filters (not only the page):
 * per attestation status, per policy verdict and per owner. Clicking a count
 * filters the table to it; clicking it again clears that filter.
 */
export function FleetSummary(props: {
  summary: OverviewSummary;
  status?: AttestationStatus;
  verdict?: FleetVerdict;
  owner?: string;
  onStatus: (status?: AttestationStatus) => void;
  onVerdict: (verdict?: FleetVerdict) => void;
  onOwner: (owner?: string) => void;
}) {
  const { summary } = props;
  const [allOwners, setAllOwners] = useState(false);
  const owners = allOwners
    ? summary.byOwner
    : summary.byOwner.slice(0, OWNERS_SHOWN);
  return (
    <Paper
      variant="outlined"
      style={{ padding: 16, marginBottom: 16 }}
      data-testid="fleet-summary"
    >
      <Typography variant="h6" component="h2">
        {summary.total} component{summary.total === 1 ? '' : 's'}
      </Typography>
      <Group title="Attestation">
        {ATTESTATION_STATUSES.map(status => (
          <Count
            key={status}
            label={statusLabel(status)}
            count={summary.byStatus[status] ?? 0}
            active={props.status === status}
            onClick={() =>
              props.onStatus(props.status === status ? undefined : status)
            }
          />
        ))}
      </Group>
      <Group title="Policy">
        {(Object.keys(VERDICT_LABELS) as FleetVerdict[]).map(verdict => (
          <Count
            key={verdict}
            label={VERDICT_LABELS[verdict]}
            count={summary.byVerdict[verdict]}
            active={props.verdict === verdict}
            onClick={() =>
              props.onVerdict(props.verdict === verdict ? undefined : verdict)
            }
          />
        ))}
      </Group>
      <Group title="Owners (most drift first)">
        {owners.map(owner => (
          <Count
            key={owner.owner}
            label={`${ownerName(owner.owner)} (${owner.drift} drift)`}
            count={owner.total}
            active={props.owner === owner.owner}
            onClick={() =>
              props.onOwner(
                props.owner === owner.owner ? undefined : owner.owner,
              )
            }
          />
        ))}
        {summary.byOwner.length > OWNERS_SHOWN ? (
          <Button size="small" onClick={() => setAllOwners(!allOwners)}>
            {allOwners
              ? 'Show fewer owners'
              : `Show all ${summary.byOwner.length} owners`}
          </Button>
        ) : null}
      </Group>
    </Paper>
  );
}
