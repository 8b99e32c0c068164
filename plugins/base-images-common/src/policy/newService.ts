import { ANNOTATION_COMPLIANCE_FRAMEWORKS } from '../annotations';
import { collectCompliance, EntityLoader } from './compliance';
import {
  checkEntityRef,
  checkOneLine,
  OWNER_REF,
  SYSTEM_REF,
} from '../inputRules';
import { InvalidInputError, MissingEntityError } from './errors';
import { selectImages, SelectImagesInput } from './selectImages';
import { BaseImagesConfig, ImageSelection } from './types';

/**
 * Source named for frameworks given directly as template input.
 * @public
 */
export const TEMPLATE_INPUT_SOURCE = 'template input';

/** @public */
export interface NewServiceInput extends SelectImagesInput {
  owner?: string;
  system?: string;
  /** Frameworks asked for on top of what the catalog says. */
  frameworks?: string[];
}

/** Frameworks one request may add on top of what the catalog says. */
const MAX_EXTRA_FRAMEWORKS = 20;
const MAX_FRAMEWORK_ID_LENGTH = 64;
/** Runtime, version, flavor and situation are short words; the policy checks their values. */
const MAX_WORD_LENGTH = 40;

/**
 * Reads a new service's input (runtime, version, flavor, situation, owner,
 * system, frameworks) from anything a caller sent: `base-images:resolve` and
 * `POST /preview` (the form's preview) both read it with this one function,
 * so a value one accepts the other accepts too. Owner and system come back
 * as full entity refs; the policy then checks what the values mean.
 * Throws {@link InvalidInputError} naming the field.
 * @public
 */
export function checkNewServiceInput(value: unknown): NewServiceInput {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidInputError(
      'the input must be an object with runtime and, optionally, version, flavor, situation, owner, system and frameworks',
    );
  }
  const input = value as Record<string, unknown>;
  const given = (field: string) =>
    input[field] !== undefined && input[field] !== null && input[field] !== '';
  const word = (field: string) => {
    if (!given(field)) return undefined;
    const text = input[field];
    if (typeof text !== 'string' || text.length > MAX_WORD_LENGTH) {
      throw new InvalidInputError(
        `${field} must be text of at most ${MAX_WORD_LENGTH} characters`,
      );
    }
    return checkOneLine(field, text);
  };
  const runtime = word('runtime');
  if (!runtime) throw new InvalidInputError('runtime is required');
  let frameworks: string[] | undefined;
  if (given('frameworks')) {
    const list = input.frameworks;
    if (!Array.isArray(list) || list.length > MAX_EXTRA_FRAMEWORKS) {
      throw new InvalidInputError(
        `frameworks must be a list of at most ${MAX_EXTRA_FRAMEWORKS} ids`,
      );
    }
    frameworks = list.map((id, i) => {
      if (typeof id !== 'string' || id.length > MAX_FRAMEWORK_ID_LENGTH) {
        throw new InvalidInputError(
          `frameworks[${i}] must be an id of at most ${MAX_FRAMEWORK_ID_LENGTH} characters`,
        );
      }
      return checkOneLine(`frameworks[${i}]`, id);
    });
  }
  return {
    runtime,
    version: word('version'),
    flavor: word('flavor'),
    situation: word('situation'),
    owner: given('owner')
      ? checkEntityRef('owner', input.owner, OWNER_REF)
      : undefined,
    system: given('system')
      ? checkEntityRef('system', input.system, SYSTEM_REF)
      : undefined,
    frameworks,
  };
}

/**
 * The images for a service that does not exist yet: the compliance of its
 * chosen owner and system (through `load`), plus any frameworks given, through
 * the policy. The scaffolder action and the form preview both use this, so
 * they cannot disagree.
 * @public
 */
export async function resolveNewService(
  input: NewServiceInput,
  load: EntityLoader,
  config: BaseImagesConfig,
): Promise<ImageSelection> {
  const compliance = await collectCompliance(
    {
      ref: TEMPLATE_INPUT_SOURCE,
      namespace: 'default',
      annotations: input.frameworks?.length
        ? { [ANNOTATION_COMPLIANCE_FRAMEWORKS]: input.frameworks.join(',') }
        : undefined,
      owner: input.owner || undefined,
      system: input.system || undefined,
    },
    load,
    config,
  );
  if (compliance.missing.length > 0)
    throw new MissingEntityError(compliance.missing);
  const selection = selectImages(input, compliance, config);
  return { ...selection, reasons: [...compliance.notes, ...selection.reasons] };
}
