import { useEffect } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { Progress } from '@backstage/core-components';
import { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import useAsync from 'react-use/esm/useAsync';
import useDebounce from 'react-use/esm/useDebounce';
import { useState } from 'react';
import { baseImagesApiRef } from '../../api';
import { VariantChip } from '../AttestationStatus/AttestationStatus';

export interface BaseImagePreviewOptions {
  /** python or node: which runtime the template builds. */
  runtime?: string;
}

const pick = (data: Record<string, unknown>, key: string) =>
  typeof data[key] === 'string' && data[key]
    ? (data[key] as string)
    : undefined;

/**
 * Scaffolder field: shows, as the user picks owner, system and runtime, which
 * base image the policy will choose and why. Its value is the chosen runtime
 * image (informational; the resolve step decides again on the server).
 */
export function BaseImagePreviewField(
  props: FieldExtensionComponentProps<string, BaseImagePreviewOptions>,
) {
  const api = useApi(baseImagesApiRef);
  const { onChange, uiSchema, formContext } = props;
  const data = ((
    formContext as { formData?: Record<string, unknown> } | undefined
  )?.formData ?? {}) as Record<string, unknown>;
  const input = {
    runtime: uiSchema?.['ui:options']?.runtime ?? pick(data, 'runtime') ?? '',
    version: pick(data, 'version'),
    flavor: pick(data, 'flavor'),
    situation: pick(data, 'situation'),
    owner: pick(data, 'owner'),
    system: pick(data, 'system'),
  };
  const key = JSON.stringify(input);
  const [debouncedKey, setDebouncedKey] = useState(key);
  useDebounce(() => setDebouncedKey(key), 300, [key]);
  const { value, loading, error } = useAsync(
    () => api.preview(JSON.parse(debouncedKey)),
    [api, debouncedKey],
  );

  useEffect(() => {
    if (value?.runtimeImage) onChange(value.runtimeImage);
  }, [value?.runtimeImage, onChange]);

  return (
    <Box
      mt={1}
      mb={2}
      p={2}
      border={1}
      borderColor="grey.400"
      borderRadius={4}
      data-testid="base-image-preview"
    >
      <Typography variant="subtitle2">
        Base image the policy will choose
      </Typography>
      {loading ? <Progress /> : null}
      {error ? (
        <Typography variant="body2" color="error" role="alert">
          {error.message}
        </Typography>
      ) : null}
      {value && !loading ? (
        <>
          <Box display="flex" alignItems="center" my={1}>
            <Typography
              variant="body1"
              style={{ fontFamily: 'monospace', marginRight: 8 }}
              data-testid="base-image-preview-image"
            >
              {value.runtimeImage}
            </Typography>
            <VariantChip variant={value.variant} />
          </Box>
          <Typography variant="body2" color="textSecondary">
            Build stage: <code>{value.builderImage}</code>
            {value.authRequired
              ? ` · needs docker login ${value.loginRegistries.join(', ')}`
              : ''}
          </Typography>
          <ul style={{ margin: '8px 0 0' }}>
            {value.reasons.map(reason => (
              <li key={reason}>
                <Typography variant="body2">{reason}</Typography>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </Box>
  );
}
