import { useCallback, useState } from 'react';
import {
  getCompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
  StatusError,
  StatusOK,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  ANNOTATION_BASE_IMAGE_REF,
  BaseImageStatusResponse,
  baseImagesEntityRefreshPermission,
} from '@internal/backstage-plugin-base-images-common';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import IconButton from '@material-ui/core/IconButton';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import RefreshIcon from '@material-ui/icons/Refresh';
import useAsync from 'react-use/esm/useAsync';
import { baseImagesApiRef } from '../../api';
import {
  AttestationStatusLabel,
  statusLabel,
  statusMeaning,
  VariantChip,
} from '../AttestationStatus/AttestationStatus';

export const shortDigest = (digest?: string) =>
  digest ? digest.replace('sha256:', '').slice(0, 12) : undefined;
const shortKey = (keyId?: string) => (keyId ? keyId.slice(0, 8) : '—');

function age(iso?: string): string {
  if (!iso) return 'never';
  const seconds = Math.max(
    0,
    Math.round((Date.now() - new Date(iso).getTime()) / 1000),
  );
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} days ago`;
}

function Field({
  label,
  children,
}: {
  label: string;
  children: React.ReactNode;
}) {
  return (
    <Box display="flex" mb={1}>
      <Typography
        variant="body2"
        color="textSecondary"
        style={{ minWidth: 120 }}
      >
        {label}
      </Typography>
      <Box flex={1}>{children}</Box>
    </Box>
  );
}

export function BaseImageStatusView({
  status,
}: {
  status: BaseImageStatusResponse;
}) {
  const { image, policy, attestation } = status;
  return (
    <Box>
      {image ? (
        <>
          <Field label="Image">
            <Typography
              variant="body2"
              style={{ fontFamily: 'monospace' }}
              data-testid="base-image-ref"
            >
              {image.ref}
            </Typography>
          </Field>
          <Field label="Registry">{image.registry}</Field>
          <Field label="Tag">{image.tag ?? '—'}</Field>
          <Field label="Digest">
            <Tooltip title={image.digest ?? 'not resolved'}>
              <span style={{ fontFamily: 'monospace' }}>
                {shortDigest(image.digest) ?? '—'}
              </span>
            </Tooltip>
          </Field>
          <Field label="Variant">
            <VariantChip variant={status.variant} />
          </Field>
        </>
      ) : null}

      <Field label="Compliance">
        {policy.frameworks.length === 0 ? (
          <Typography variant="body2">No framework applies</Typography>
        ) : (
          policy.frameworks.map(f => (
            <Chip
              key={f.id}
              size="small"
              style={{ marginRight: 4, marginBottom: 4 }}
              label={`${f.id} (from ${f.source})`}
            />
          ))
        )}
      </Field>
      <Field label="Policy">
        {policy.error ? <StatusError>{policy.error}</StatusError> : null}
        {!policy.error && policy.compliant ? (
          <StatusOK>Compliant</StatusOK>
        ) : null}
        {!policy.error && !policy.compliant ? (
          <Box>
            <StatusError>
              Drift: this image does not meet its compliance
            </StatusError>
            <ul style={{ margin: '4px 0' }}>
              {policy.violations.map(v => (
                <li key={v}>
                  <Typography variant="body2">{v}</Typography>
                </li>
              ))}
            </ul>
            {policy.required ? (
              <Typography variant="body2">
                Required image: <code>{policy.required}</code>
              </Typography>
            ) : null}
          </Box>
        ) : null}
      </Field>

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
    </Box>
  );
}

/** Entity card: the base image, its policy verdict and its attestation status. */
export function BaseImageCard() {
  const { entity } = useEntity();
  const api = useApi(baseImagesApiRef);
  const entityRef = getCompoundEntityRef(entity);
  const [refreshed, setRefreshed] = useState<BaseImageStatusResponse>();
  const [refreshing, setRefreshing] = useState(false);
  const [refreshError, setRefreshError] = useState<Error>();
  const annotated = !!entity.metadata.annotations?.[ANNOTATION_BASE_IMAGE_REF];
  const refreshPermission = usePermission({
    permission: baseImagesEntityRefreshPermission,
    resourceRef: stringifyEntityRef(entity),
  });
  const { value, loading, error } = useAsync(
    async () => (annotated ? api.getEntityStatus(entityRef) : undefined),
    [api, annotated, entityRef.kind, entityRef.namespace, entityRef.name],
  );
  const refresh = useCallback(async () => {
    setRefreshing(true);
    setRefreshError(undefined);
    try {
      setRefreshed(await api.refreshEntityStatus(entityRef));
    } catch (e) {
      setRefreshError(e as Error);
    } finally {
      setRefreshing(false);
    }
  }, [api, entityRef]);

  const status = refreshed ?? value;
  const refreshDenied =
    !refreshPermission.loading && !refreshPermission.allowed;
  const action = annotated ? (
    <Tooltip
      title={
        refreshDenied
          ? 'Only base-image admins may force a re-check; the status is re-checked on a schedule'
          : 'Re-check now'
      }
    >
      {/* a disabled button fires no events: the span keeps the tooltip working */}
      <span>
        <IconButton
          aria-label="Re-check base image"
          onClick={refresh}
          disabled={!refreshPermission.allowed || refreshing || loading}
        >
          <RefreshIcon />
        </IconButton>
      </span>
    </Tooltip>
  ) : undefined;

  let content: React.ReactNode;
  if (!annotated) {
    content = (
      <Typography variant="body2">
        No base image recorded. Add the <code>{ANNOTATION_BASE_IMAGE_REF}</code>{' '}
        annotation (for example <code>dhi.io/python:3.13</code>) to this
        entity's catalog-info.yaml.
      </Typography>
    );
  } else if (loading || refreshing) {
    content = <Progress />;
  } else if (error || refreshError) {
    content = <ResponseErrorPanel error={(refreshError ?? error)!} />;
  } else if (status) {
    content = <BaseImageStatusView status={status} />;
  }
  return (
    <div data-testid="base-image-card">
      <InfoCard title="Base image" action={action}>
        {content}
      </InfoCard>
    </div>
  );
}
