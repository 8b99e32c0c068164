import { InputError, NotFoundError } from '@backstage/errors';

/**
 * Errors the policy engine raises. Each names the input at fault and what to
 * change, so the scaffolder and the status API can show it as is.
 * @public
 */
export abstract class PolicyError extends Error {}

/**
 * A compliance annotation whose value cannot be read.
 * @public
 */
export class MalformedAnnotationError extends PolicyError {
  readonly name = 'MalformedAnnotationError';
  constructor(
    readonly entityRef: string,
    readonly annotation: string,
    problem: string,
  ) {
    super(
      `Annotation '${annotation}' on ${entityRef} is malformed: ${problem}`,
    );
  }
}

/**
 * A framework id that no `baseImages.policy.frameworks` entry defines.
 * @public
 */
export class UnknownFrameworkError extends PolicyError {
  readonly name = 'UnknownFrameworkError';
  constructor(
    readonly framework: string,
    readonly source: string,
    known: string[],
  ) {
    super(
      `Compliance framework '${framework}' (from ${source}) has no policy. ` +
        `Known frameworks: ${known.join(
          ', ',
        )}. Fix the 'compliance/frameworks' annotation on ${source}, ` +
        `or define it under 'baseImages.policy.frameworks.${framework}' in app-config`,
    );
  }
}

/**
 * A runtime the policy has no images for.
 * @public
 */
export class UnsupportedRuntimeError extends PolicyError {
  readonly name = 'UnsupportedRuntimeError';
  constructor(readonly runtime: string, supported: readonly string[]) {
    super(
      `Runtime ${JSON.stringify(
        runtime,
      )} is not supported; choose one of ${supported.join(', ')} ` +
        `(images per runtime are configured under 'baseImages.runtimes')`,
    );
  }
}

/**
 * A requirement that the configured images and tags cannot meet. Never downgraded silently.
 * @public
 */
export class UnmeetableRequirementError extends PolicyError {
  readonly name = 'UnmeetableRequirementError';
  constructor(
    readonly requirement: string,
    readonly source: string | undefined,
    readonly configKey: string,
    detail: string,
  ) {
    super(
      `Cannot meet ${requirement}${
        source ? ` (from ${source})` : ''
      }: ${detail}. ` +
        `Configure '${configKey}' in app-config, or change the entity's compliance annotations`,
    );
  }
}

/**
 * Bad input to the policy (version, flavor) that names the parameter.
 * @public
 */
export class InvalidPolicyInputError extends PolicyError {
  readonly name = 'InvalidPolicyInputError';
  constructor(readonly parameter: string, problem: string) {
    super(`Invalid ${parameter}: ${problem}`);
  }
}

/**
 * Input that is not what it must be (an entity ref, one line of text, a
 * list of ids); the message names the field and the rule.
 * @public
 */
export class InvalidInputError extends PolicyError {
  readonly name = 'InvalidInputError';
}

/**
 * An owner, system or domain that the catalog does not have (or the caller may not read).
 * @public
 */
export class MissingEntityError extends PolicyError {
  readonly name = 'MissingEntityError';
  constructor(readonly entityRefs: string[]) {
    super(
      `${entityRefs.join(', ')} ${
        entityRefs.length > 1 ? 'are' : 'is'
      } not in the catalog, or you may not read ${
        entityRefs.length > 1 ? 'them' : 'it'
      }; pick an existing owner and system`,
    );
  }
}

/**
 * The Backstage error a policy error stands for, so the HTTP API and the
 * scaffolder actions answer alike: entities that are missing (or unreadable)
 * are 404 Not Found, every other policy error is the caller's input (400).
 * Anything else is returned as it is.
 * @public
 */
export function toBackstageError(error: unknown): unknown {
  if (error instanceof MissingEntityError)
    return new NotFoundError(error.message);
  if (error instanceof PolicyError) return new InputError(error.message);
  return error;
}
