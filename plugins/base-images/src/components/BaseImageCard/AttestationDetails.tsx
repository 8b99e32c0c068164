import {
  BaseImageStatusResponse,
  ImageFigures,
} from '@internal/backstage-plugin-base-images-common';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import {
  AttestationStatusLabel,
  statusLabel,
  statusMeaning,
} from '../AttestationStatus/AttestationStatus';
import { age, Field, shortDigest, shortKey } from './Field';

/** Bytes as the seed's table writes sizes: 41 MB, 3.3 kB. */
function formatBytes(bytes: number): string {
  const units: Array<[number, string]> = [
    [1e9, 'GB'],
    [1e6, 'MB'],
    [1e3, 'kB'],
  ];
  for (const [size, unit] of units) {
    if (bytes >= size) {
      const value = bytes / size;
      return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${unit}`;
    }
  }
  return `${bytes} B`;
}

function vulnerabilityLine(
  vulnerabilities: NonNullable<ImageFigures['vulnerabilities']>,
): string {
  const bySeverity = (['critical', 'high', 'medium', 'low'] as const)
    .filter(severity => vulnerabilities[severity])
    .map(severity => `${vulnerabilities[severity]} ${severity}`);
  const suppressed = vulnerabilities.suppressedByVex
    ? `; ${vulnerabilities.suppressedByVex} not applicable per VEX`
    : '';
  return `${vulnerabilities.total} known after VEX${
    bySeverity.length ? ` (${bySeverity.join(', ')})` : ''
  }${suppressed}`;
}

/** The seed's "Security Benefits" figures, from the image's attestations and manifest. */
function Figures({ figures }: { figures?: ImageFigures }) {
  if (!figures) return null;
  return (
    <>
      {figures.packages !== undefined ? (
        <Field label="Packages">
          <Typography variant="body2" data-testid="figure-packages">
            {figures.packages} (SBOM
            {figures.unsignedSbom ? ', unsigned: nobody vouches for it' : ''})
          </Typography>
        </Field>
      ) : null}
      {figures.vulnerabilities ? (
        <Field label="Vulnerabilities">
          <Typography variant="body2" data-testid="figure-vulnerabilities">
            {vulnerabilityLine(figures.vulnerabilities)}
          </Typography>
        </Field>
      ) : null}
      {figures.sizeBytes !== undefined ? (
        <Field label="Size">
          <Typography variant="body2" data-testid="figure-size">
            {formatBytes(figures.sizeBytes)} compressed
            {figures.createdAt ? `, built ${age(figures.createdAt)}` : ''}
          </Typography>
        </Field>
      ) : null}
    </>
  );
}

/** Whether the image's signatures and attestations verify, each one found, and what they say. */
export function AttestationDetails({
  status,
}: {
  status: BaseImageStatusResponse;
}) {
  const { attestation } = status;
  return (
    <>
      <Field label="Attestation">
        <AttestationStatusLabel status={attestation.status} />
        <Typography
          variant="body2"
          color="textSecondary"
          title={statusMeaning(attestation.status)}
        >
          {attestation.message || statusMeaning(attestation.status)}
        </Typography>
        {attestation.lastKnown ? (
          <Typography variant="body2">
            Last known result: {statusLabel(attestation.lastKnown.status)},{' '}
            {age(attestation.lastKnown.checkedAt)}
          </Typography>
        ) : null}
      </Field>
      <Field label="Checked">{age(attestation.checkedAt)}</Field>
      <Figures figures={attestation.figures} />

      {attestation.signatures.length + attestation.attestations.length > 0 ? (
        <Table size="small" aria-label="Signatures and attestations">
          <TableHead>
            <TableRow>
              <TableCell>Signature or attestation</TableCell>
              <TableCell>Verified</TableCell>
              <TableCell>Signer key</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {attestation.signatures.map((s, i) => (
              <TableRow key={`s${i}`}>
                <TableCell>
                  {s.format} signature of {shortDigest(s.subjectDigest)} (
                  {s.source})
                </TableCell>
                <TableCell>
                  {s.verified
                    ? 'yes'
                    : `no${s.message ? `: ${s.message}` : ''}`}
                </TableCell>
                <TableCell style={{ fontFamily: 'monospace' }}>
                  {shortKey(s.signer)}
                </TableCell>
              </TableRow>
            ))}
            {attestation.attestations.map((a, i) => (
              <TableRow key={`a${i}`}>
                <TableCell>{a.predicateType}</TableCell>
                <TableCell>
                  {a.verified
                    ? 'yes'
                    : `no${a.message ? `: ${a.message}` : ''}`}
                </TableCell>
                <TableCell style={{ fontFamily: 'monospace' }}>
                  {shortKey(a.signer)}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      ) : null}
    </>
  );
}
