import { useCallback, useState } from 'react';
import {
  getCompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
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
import IconButton from '@material-ui/core/IconButton';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import RefreshIcon from '@material-ui/icons/Refresh';
import useAsync from 'react-use/esm/useAsync';
import { baseImagesApiRef } from '../../api';
import { AttestationDetails } from './AttestationDetails';
import { EvidenceDetails } from './EvidenceDetails';
import { ImageDetails } from './ImageDetails';
import { PolicyDetails } from './PolicyDetails';

export function BaseImageStatusView({
  status,
}: {
  status: BaseImageStatusResponse;
}) {
  return (
    <Box>
      <ImageDetails status={status} />
      <PolicyDetails status={status} />
      <EvidenceDetails status={status} />
      <AttestationDetails status={status} />
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
  const refreshPermission = usePermission({
    permission: baseImagesEntityRefreshPermission,
    resourceRef: stringifyEntityRef(entity),
  });
  const { value, loading, error } = useAsync(
    () => api.getEntityStatus(entityRef),
    [api, entityRef.kind, entityRef.namespace, entityRef.name],
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
  // nothing to show: no base-image/ref, no Dockerfile base image, no finding
  const unknown = !!status && !status.image && !status.findings?.length;
  const refreshDenied =
    !refreshPermission.loading && !refreshPermission.allowed;
  const action = status?.image ? (
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
  if (loading || refreshing) {
    content = <Progress />;
  } else if (error || refreshError) {
    content = <ResponseErrorPanel error={(refreshError ?? error)!} />;
  } else if (unknown) {
    content = (
      <Typography variant="body2">
        No base image recorded: no <code>{ANNOTATION_BASE_IMAGE_REF}</code>{' '}
        annotation, and no Dockerfile beside this entity's catalog-info.yaml.
        Add the annotation (for example <code>dhi.io/python:3.13</code>) or a
        Dockerfile.
      </Typography>
    );
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
