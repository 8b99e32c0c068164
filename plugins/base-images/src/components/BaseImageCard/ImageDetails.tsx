import { BaseImageStatusResponse } from '@internal/backstage-plugin-base-images-common';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import { VariantChip } from '../AttestationStatus/AttestationStatus';
import { Field, shortDigest } from './Field';

/** Which image the service runs on: reference, registry, tag, digest, variant. */
export function ImageDetails({ status }: { status: BaseImageStatusResponse }) {
  const { image } = status;
  if (!image) return null;
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
  );
}
