import { StatusWarning } from '@backstage/core-components';
import {
  ANNOTATION_BASE_IMAGE_REF,
  BaseImageStatusResponse,
} from '@internal/backstage-plugin-base-images-common';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import { VariantChip } from '../AttestationStatus/AttestationStatus';
import { age, Field, shortDigest } from './Field';

/** What its owners should look at: a Dockerfile that disagrees or cannot be read, a pin the tag has left. */
function Findings({ status }: { status: BaseImageStatusResponse }) {
  if (!status.findings?.length) return null;
  return (
    <Field label="Findings">
      <ul style={{ margin: 0, paddingLeft: 16 }} aria-label="Findings">
        {status.findings.map(finding => (
          <li key={`${finding.kind}:${finding.message}`}>
            <Typography variant="body2">{finding.message}</Typography>
          </li>
        ))}
      </ul>
    </Field>
  );
}

/** Which image the service runs on: reference, where it was read, registry, tag, digest, variant, findings. */
export function ImageDetails({ status }: { status: BaseImageStatusResponse }) {
  const { image } = status;
  if (!image) return <Findings status={status} />;
  return (
    <>
      <Field label="Image">
        <Typography
          variant="body2"
          style={{ fontFamily: 'monospace' }}
          data-testid="base-image-ref"
        >
          {image.ref}
        </Typography>
        <Typography
          variant="caption"
          display="block"
          color="textSecondary"
          data-testid="base-image-source"
        >
          {image.discoveredFrom
            ? `Read from ${image.discoveredFrom} (the final stage); this service has no ${ANNOTATION_BASE_IMAGE_REF} annotation`
            : `Declared by the ${ANNOTATION_BASE_IMAGE_REF} annotation`}
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
        {image.outdated ? (
          <Tooltip
            title={`pinned ${image.outdated.pinnedDigest}, now ${image.outdated.currentDigest}`}
          >
            <Typography variant="body2" component="div">
              <StatusWarning>
                {`Outdated: tag ${image.tag} now points at ${shortDigest(
                  image.outdated.currentDigest,
                )}${
                  image.outdated.pinnedCreatedAt
                    ? `; the pinned image was built ${age(
                        image.outdated.pinnedCreatedAt,
                      )}`
                    : ''
                }`}
              </StatusWarning>
            </Typography>
          </Tooltip>
        ) : null}
      </Field>
      <Field label="Variant">
        <VariantChip variant={status.variant} />
      </Field>
      <Findings status={status} />
    </>
  );
}
