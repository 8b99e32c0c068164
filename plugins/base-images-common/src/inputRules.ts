import {
  makeValidator,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InvalidInputError } from './policy/errors';

/**
 * Rules for entity refs and free text that reach generated files, API
 * answers and messages: the scaffolder actions and the status backend's
 * preview check input with the same functions. Each throws
 * {@link InvalidInputError} naming the field and the rule.
 */

/**
 * The longest entity ref accepted as input.
 * @public
 */
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

/**
 * A value quoted for an error message, itself one line (JSON leaves U+2028,
 * U+2029 and C1 as they are).
 * @public
 */
export const quoteInput = (value: unknown, max = 80) =>
  JSON.stringify(String(value).slice(0, max)).replace(CONTROL_CHARACTERS, run =>
    [...run].map(c => `\\u${hex(c)}`).join(''),
  );

/**
 * Refuses text that is not one line: generated files must keep the
 * skeleton's lines.
 * @public
 */
export function checkOneLine(field: string, value: string): string {
  const match = CONTROL_CHARACTER.exec(value);
  if (match) {
    throw new InvalidInputError(
      `${field} ${quoteInput(value)} contains the control character U+${hex(
        match[0],
      )} at position ${
        match.index
      }; it must be one line of text, without line breaks or control characters`,
    );
  }
  return value;
}

/**
 * One line for display text we did not write (policy reasons, sources):
 * controls become spaces.
 * @public
 */
export function toOneLine(value: string): string {
  return value.replace(CONTROL_CHARACTERS, ' ');
}

const entityNaming = makeValidator();

/**
 * What kinds of entity a ref may name, and the kind it has when it names none.
 * @public
 */
export interface EntityRefRule {
  defaultKind: string;
  kinds: string[];
}

/**
 * An owner: a group (the default) or a user.
 * @public
 */
export const OWNER_REF: EntityRefRule = {
  defaultKind: 'group',
  kinds: ['group', 'user'],
};

/**
 * A system.
 * @public
 */
export const SYSTEM_REF: EntityRefRule = {
  defaultKind: 'system',
  kinds: ['system'],
};

/**
 * Parses an entity ref the way the catalog reads one (kind and namespace
 * defaulted) and holds each part to the catalog's own naming rules, so a ref
 * can only be a ref: no line breaks, no extra '/' or ':' in the name, no
 * overlong parts. Returns the full `kind:namespace/name` form.
 * @public
 */
export function checkEntityRef(
  field: string,
  value: unknown,
  rule: EntityRefRule,
): string {
  const expected = `[${rule.defaultKind}:][namespace/]name`;
  if (typeof value !== 'string')
    throw new InvalidInputError(`${field} must be an entity ref, ${expected}`);
  if (value.length > MAX_ENTITY_REF_LENGTH) {
    throw new InvalidInputError(
      `${field} is ${value.length} characters long; an entity ref has at most ${MAX_ENTITY_REF_LENGTH}`,
    );
  }
  checkOneLine(field, value);
  let ref;
  try {
    ref = parseEntityRef(value, {
      defaultKind: rule.defaultKind,
      defaultNamespace: 'default',
    });
  } catch (error) {
    throw new InvalidInputError(
      `${field} ${quoteInput(value)} is not an entity ref (${
        (error as Error).message
      }); use ${expected}`,
    );
  }
  const problems = [
    !entityNaming.isValidKind(ref.kind) &&
      `kind ${quoteInput(
        ref.kind,
      )} must be letters and digits, starting with a letter`,
    // refs are case-insensitive; the namespace itself is lowercase
    !entityNaming.isValidNamespace(ref.namespace.toLowerCase()) &&
      `namespace ${quoteInput(
        ref.namespace,
      )} must be 1-63 lowercase letters, digits and "-"`,
    !entityNaming.isValidEntityName(ref.name) &&
      `name ${quoteInput(
        ref.name,
      )} must be 1-63 letters, digits and "-", "_" or ".", starting and ending with a letter or digit`,
  ].filter(Boolean);
  if (problems.length > 0) {
    throw new InvalidInputError(
      `${field} ${quoteInput(
        value,
      )} breaks the catalog's naming rules: ${problems.join('; ')}`,
    );
  }
  const kind = ref.kind.toLowerCase();
  if (!rule.kinds.includes(kind)) {
    throw new InvalidInputError(
      `${field} ${quoteInput(
        value,
      )} is a ${kind}; it must be a ${rule.kinds.join(' or ')}`,
    );
  }
  return stringifyEntityRef(ref);
}
