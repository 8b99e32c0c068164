import { InputError } from '@backstage/errors';
import {
  checkEntityRef as checkCommonEntityRef,
  checkOneLine as checkCommonOneLine,
  EntityRefRule,
  parseRegistryHost,
  quoteInput,
  toBackstageError,
} from '@internal/backstage-plugin-base-images-common';

export {
  MAX_ENTITY_REF_LENGTH,
  OWNER_REF,
  SYSTEM_REF,
  toOneLine,
} from '@internal/backstage-plugin-base-images-common';

/**
 * Rules for names and free text shared by the schemas and the handlers. The
 * handlers check them again because actions can be called with inputs that
 * never went through the scaffolder's schema validation, and because the
 * scaffolder validates inputs against the JSON Schema made from the zod
 * schemas, which drops every `.superRefine`.
 */
export const SERVICE_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const SERVICE_NAME_RULE =
  'must be 1-63 lowercase letters, digits and "-", starting and ending with a letter or digit';
export const MAX_DESCRIPTION_LENGTH = 1000;

/** A value quoted for an error message, itself one line. */
export const quote = quoteInput;

/** Refuses text that is not one line (the shared rule, as the action's error). */
export function checkOneLine(field: string, value: string): string {
  return asInputError(() => checkCommonOneLine(field, value));
}

export function checkServiceName(field: string, value: unknown): string {
  if (typeof value !== 'string' || !SERVICE_NAME.test(value)) {
    throw new InputError(`${field} ${quote(value)} ${SERVICE_NAME_RULE}`);
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
  return checkOneLine('description', value);
}

/** An entity ref checked by the shared rule (-common), as the action's error. */
export function checkEntityRef(
  field: string,
  value: unknown,
  rule: EntityRefRule,
): string {
  return asInputError(() => checkCommonEntityRef(field, value, rule));
}

/** Runs a shared input rule; its error becomes the InputError actions throw. */
function asInputError<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    throw toBackstageError(error);
  }
}

/** A registry host[:port], read as `baseImages.registries[].host` is. */
export function checkRegistryHost(field: string, value: unknown): string {
  try {
    parseRegistryHost(value as string);
  } catch {
    throw new InputError(
      `${field} ${quote(
        value,
      )} is not a registry host[:port] (no scheme, path or spaces), for example dhi.io`,
    );
  }
  return value as string;
}

/** Framework ids as the policy reads them from `compliance/frameworks`. */
const FRAMEWORK_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function checkFrameworkId(field: string, value: unknown): string {
  if (typeof value !== 'string' || !FRAMEWORK_ID.test(value)) {
    throw new InputError(
      `${field} ${quote(
        value,
      )} is not a framework id: 1-64 lowercase letters, digits, ".", "_" and "-"`,
    );
  }
  return value;
}

/**
 * Adapts a throwing check to zod's `superRefine`, so a schema and its handler
 * report the same rule in the same words.
 */
export function zodRule<T>(check: (value: T) => unknown) {
  return (
    value: T,
    ctx: { addIssue(issue: { code: 'custom'; message: string }): void },
  ) => {
    try {
      check(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  };
}

const BRANCH_CHARACTERS = /^[A-Za-z0-9._/-]{1,200}$/;

/**
 * A branch name git accepts (git check-ref-format --branch), from a narrow
 * character set: letters, digits, ".", "_", "-" and "/" between components
 * that neither start with "." nor end with ".lock"; no "..", no leading "-".
 */
export function checkBranchName(field: string, value: unknown): string {
  const problem =
    typeof value !== 'string' || !BRANCH_CHARACTERS.test(value)
      ? 'must be 1-200 letters, digits, ".", "_", "-" and "/"'
      : (value.startsWith('-') && 'must not start with "-"') ||
        (value.includes('..') && 'must not contain ".."') ||
        (value.endsWith('.') && 'must not end with "."') ||
        (value
          .split('/')
          .some(
            part =>
              part === '' || part.startsWith('.') || part.endsWith('.lock'),
          ) &&
          'must not have empty components, components starting with "." or ending with ".lock"');
  if (problem) throw new InputError(`${field} ${quote(value)} ${problem}`);
  return value as string;
}
