import { ANNOTATION_COMPLIANCE_FRAMEWORKS } from '../annotations';
import { collectCompliance, EntityLoader } from './compliance';
import { MissingEntityError } from './errors';
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
