import { InputError } from '@backstage/errors';

/**
 * Rules for names and free text shared by the schemas and the handlers. The
 * handlers check them again because actions can be called with inputs that
 * never went through the scaffolder's schema validation.
 */
export const SERVICE_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const SERVICE_NAME_RULE =
  'must be 1-63 lowercase letters, digits and "-", starting and ending with a letter or digit';
export const MAX_DESCRIPTION_LENGTH = 1000;

export function checkServiceName(field: string, value: unknown): string {
  if (typeof value !== 'string' || !SERVICE_NAME.test(value)) {
    throw new InputError(
      `${field} ${JSON.stringify(
        String(value).slice(0, 80),
      )} ${SERVICE_NAME_RULE}`,
    );
  }
  return value;
}

export function checkDescription(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value !== 'string')
    throw new InputError('description must be text');
  if (value.length > MAX_DESCRIPTION_LENGTH) {
    throw new InputError(
      `description is ${value.length} characters long; at most ${MAX_DESCRIPTION_LENGTH} are allowed`,
    );
  }
  return value;
}
