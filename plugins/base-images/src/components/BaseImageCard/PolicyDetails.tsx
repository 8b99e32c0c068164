import { StatusError, StatusOK } from '@backstage/core-components';
import { BaseImageStatusResponse } from '@internal/backstage-plugin-base-images-common';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';
import { Field } from './Field';

/** The compliance that applies and whether the image meets it (drift). */
export function PolicyDetails({ status }: { status: BaseImageStatusResponse }) {
  const { policy } = status;
  return (
    <>
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
    </>
  );
}
