import {
  makeValidator,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { parseRegistryHost } from '@internal/backstage-plugin-base-images-common';

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
export const MAX_ENTITY_REF_LENGTH = 300;

/**
 * Characters that end or break a line somewhere a value is written: C0 and C1
 * controls (\n, \r, \v, \f, NEL), U+2028 and U+2029 (line breaks to
 * JavaScript and YAML 1.1).
 */
const CONTROL_CHARACTER = /[\p{Cc}\p{Zl}\p{Zp}]/u;
const CONTROL_CHARACTERS = /[\p{Cc}\p{Zl}\p{Zp}]+/gu;

const hex = (character: string) =>
  character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');

const codePoint = (character: string) => `U+${hex(character)}`;

/** A value quoted for an error message, itself one line (JSON leaves U+2028, U+2029 and C1 as they are). */
export const quote = (value: unknown, max = 80) =>
  JSON.stringify(String(value).slice(0, max)).replace(CONTROL_CHARACTERS, run =>
    [...run].map(c => `\\u${hex(c)}`).join(''),
  );

/** Refuses text that is not one line: generated files must keep the skeleton's lines. */
export function checkOneLine(field: string, value: string): string {
  const match = CONTROL_CHARACTER.exec(value);
  if (match) {
    throw new InputError(
      `${field} ${quote(value)} contains the control character ${codePoint(
        match[0],
      )} at position ${
        match.index
      }; it must be one line of text, without line breaks or control characters`,
    );
  }
  return value;
}

/** One line for display text we did not write (policy reasons, sources): controls become spaces. */
export function toOneLine(value: string): string {
  return value.replace(CONTROL_CHARACTERS, ' ');
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

const entityNaming = makeValidator();

/**
 * Parses an entity ref the way the catalog reads one (kind and namespace
 * defaulted) and holds each part to the catalog's own naming rules, so a ref
 * can only be a ref: no line breaks, no extra '/' or ':' in the name, no
 * overlong parts. Returns the full `kind:namespace/name` form.
 */
export function checkEntityRef(
  field: string,
  value: unknown,
  options: { defaultKind: string; kinds: string[] },
): string {
  const expected = `[${options.defaultKind}:][namespace/]name`;
  if (typeof value !== 'string')
    throw new InputError(`${field} must be an entity ref, ${expected}`);
  if (value.length > MAX_ENTITY_REF_LENGTH) {
    throw new InputError(
      `${field} is ${value.length} characters long; an entity ref has at most ${MAX_ENTITY_REF_LENGTH}`,
    );
  }
  checkOneLine(field, value);
  let ref;
  try {
    ref = parseEntityRef(value, {
      defaultKind: options.defaultKind,
      defaultNamespace: 'default',
    });
  } catch (error) {
    throw new InputError(
      `${field} ${quote(value)} is not an entity ref (${
        (error as Error).message
      }); use ${expected}`,
    );
  }
  const problems = [
    !entityNaming.isValidKind(ref.kind) &&
      `kind ${quote(
        ref.kind,
      )} must be letters and digits, starting with a letter`,
    // refs are case-insensitive; the namespace itself is lowercase
    !entityNaming.isValidNamespace(ref.namespace.toLowerCase()) &&
      `namespace ${quote(
        ref.namespace,
      )} must be 1-63 lowercase letters, digits and "-"`,
    !entityNaming.isValidEntityName(ref.name) &&
      `name ${quote(
        ref.name,
      )} must be 1-63 letters, digits and "-", "_" or ".", starting and ending with a letter or digit`,
  ].filter(Boolean);
  if (problems.length > 0) {
    throw new InputError(
      `${field} ${quote(
        value,
      )} breaks the catalog's naming rules: ${problems.join('; ')}`,
    );
  }
  const kind = ref.kind.toLowerCase();
  if (!options.kinds.includes(kind)) {
    throw new InputError(
      `${field} ${quote(value)} is a ${kind}; it must be a ${options.kinds.join(
        ' or ',
      )}`,
    );
  }
  return stringifyEntityRef(ref);
}

export const OWNER_REF = { defaultKind: 'group', kinds: ['group', 'user'] };
export const SYSTEM_REF = { defaultKind: 'system', kinds: ['system'] };

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
