import { BaseImageStatusResponse } from '@internal/backstage-plugin-base-images-common';
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

/** Whether the image's signatures and attestations verify, and each one found. */
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
