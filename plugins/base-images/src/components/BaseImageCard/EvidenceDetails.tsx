import {
  StatusError,
  StatusOK,
  StatusWarning,
} from '@backstage/core-components';
import {
  BaseImageStatusResponse,
  FrameworkEvidence,
  matchesPredicateType,
} from '@internal/backstage-plugin-base-images-common';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { Field } from './Field';

/** What Docker's DHI attestations are called in its documentation. */
const NAMES: Array<[string, string]> = [
  ['https://docker.com/dhi/fips/', 'FIPS attestation'],
  ['https://docker.com/dhi/stig/', 'STIG scan'],
  ['https://slsa.dev/verification_summary/', 'SLSA verification summary'],
  ['https://slsa.dev/provenance/', 'SLSA provenance'],
  ['https://cyclonedx.org/bom', 'CycloneDX SBOM'],
  ['https://spdx.dev/Document', 'SPDX SBOM'],
  ['https://openvex.dev/ns', 'VEX'],
];

/** The name of a predicate type, or of a configured prefix (`…/fips/` names itself). */
const nameOf = (predicateType: string) => {
  const type = predicateType.replace(/\/$/, '');
  return NAMES.find(([prefix]) => matchesPredicateType(prefix, type))?.[1];
};

function EvidenceStatus({ evidence }: { evidence: FrameworkEvidence }) {
  switch (evidence.status) {
    case 'verified':
      return <StatusOK>Verified</StatusOK>;
    case 'unverified':
      return <StatusWarning>Present, not verified</StatusWarning>;
    default:
      return <StatusError>Missing</StatusError>;
  }
}

/** Per framework, the attestation that proves it: verified, present but not verified, or missing. */
export function EvidenceDetails({
  status,
}: {
  status: BaseImageStatusResponse;
}) {
  const evidence = status.policy.evidence ?? [];
  if (evidence.length === 0) return null;
  return (
    <Field label="Evidence">
      <Table size="small" aria-label="Compliance evidence">
        <TableHead>
          <TableRow>
            <TableCell>Framework</TableCell>
            <TableCell>Attestation</TableCell>
            <TableCell>Status</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {evidence.map(item => (
            <TableRow key={`${item.framework} ${item.predicateType}`}>
              <TableCell>{item.framework}</TableCell>
              <TableCell>
                <Typography variant="body2">
                  {nameOf(item.predicateType) ?? 'Attestation'}
                </Typography>
                <Typography
                  variant="caption"
                  color="textSecondary"
                  style={{ fontFamily: 'monospace' }}
                >
                  {item.provenBy ?? item.predicateType}
                </Typography>
              </TableCell>
              <TableCell>
                <EvidenceStatus evidence={item} />
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Field>
  );
}
