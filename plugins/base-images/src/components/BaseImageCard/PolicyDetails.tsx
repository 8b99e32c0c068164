import { LinkButton, StatusError, StatusOK } from '@backstage/core-components';
import { useRouteRef } from '@backstage/core-plugin-api';
import { scaffolderPlugin } from '@backstage/plugin-scaffolder';
import { BaseImageStatusResponse } from '@internal/backstage-plugin-base-images-common';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';
import { Field } from './Field';

/** The template that moves an existing service to its required base image. */
const UPDATE_TEMPLATE = {
  namespace: 'default',
  templateName: 'update-base-image',
};
/** Where the scaffolder is in this portal when its route cannot be resolved. */
const SCAFFOLDER_FALLBACK = '/create';

/**
 * The page of a scaffolder template, through the scaffolder's own route
 * (wherever the app mounts it); a plain /create link when the scaffolder's
 * route is not mounted, since useRouteRef throws for a missing route.
 */
function useTemplatePath(): string {
  let selectedTemplate:
    | ((params: typeof UPDATE_TEMPLATE) => string)
    | undefined;
  try {
    // called on every render, before anything can throw: the hook order holds
    // eslint-disable-next-line react-hooks/rules-of-hooks
    selectedTemplate = useRouteRef(scaffolderPlugin.routes.selectedTemplate);
  } catch {
    selectedTemplate = undefined;
  }
  return selectedTemplate
    ? selectedTemplate(UPDATE_TEMPLATE)
    : `${SCAFFOLDER_FALLBACK}/templates/${UPDATE_TEMPLATE.namespace}/${UPDATE_TEMPLATE.templateName}`;
}

/** Opens update-base-image prefilled for this entity (the scaffolder reads `formData` from the query). */
function MoveButton({ status }: { status: BaseImageStatusResponse }) {
  const templatePath = useTemplatePath();
  const formData = JSON.stringify({ entity: status.entityRef });
  return (
    <LinkButton
      to={`${templatePath}?${new URLSearchParams({ formData })}`}
      variant="outlined"
      color="primary"
      size="small"
      style={{ marginTop: 8, textTransform: 'none' }}
    >
      Move to {status.policy.required}
    </LinkButton>
  );
}

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
            {policy.required && status.image ? (
              <MoveButton status={status} />
            ) : null}
          </Box>
        ) : null}
      </Field>
    </>
  );
}
