import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  ANNOTATION_COMPLIANCE_FRAMEWORKS,
  ANNOTATION_COMPLIANCE_SUPPORT,
  MAX_ANNOTATION_LENGTH,
} from '../annotations';
import { FRAMEWORK_ID_PATTERN } from '../patterns';
import { InvalidPolicyInputError, MalformedAnnotationError } from './errors';
import {
  BaseImagesConfig,
  EffectiveCompliance,
  EffectiveFramework,
} from './types';

/** Group and domain parents are followed at most this deep (and never in a cycle). */
const MAX_PARENT_DEPTH = 20;

function checkLength(value: string, entityRef: string, annotation: string) {
  if (value.length > MAX_ANNOTATION_LENGTH) {
    throw new MalformedAnnotationError(
      entityRef,
      annotation,
      `the value is ${value.length} characters long; at most ${MAX_ANNOTATION_LENGTH} are read`,
    );
  }
}

/**
 * Reads `compliance/frameworks`: comma-separated, case-insensitive, spaces
 * around items ignored and inner spaces read as '-' (`PCI DSS` is `pci-dss`).
 * Empty items (stray commas) are skipped; duplicates collapse.
 * @public
 */
export function parseFrameworksAnnotation(
  value: string | undefined,
  entityRef: string,
): string[] {
  if (value === undefined) return [];
  checkLength(value, entityRef, ANNOTATION_COMPLIANCE_FRAMEWORKS);
  const ids: string[] = [];
  for (const item of value.split(',')) {
    const id = item.trim().toLowerCase().replace(/\s+/g, '-');
    if (id.length === 0) continue;
    if (!FRAMEWORK_ID_PATTERN.test(id)) {
      throw new MalformedAnnotationError(
        entityRef,
        ANNOTATION_COMPLIANCE_FRAMEWORKS,
        `${JSON.stringify(
          item.trim().slice(0, 80),
        )} is not a framework id; use comma-separated ids such as "soc2, hipaa"`,
      );
    }
    if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}

/**
 * Reads `compliance/support`: `extended` asks for DHI ELS; `standard` or empty asks for nothing.
 * @public
 */
export function parseSupportAnnotation(
  value: string | undefined,
  entityRef: string,
): boolean {
  if (value === undefined) return false;
  checkLength(value, entityRef, ANNOTATION_COMPLIANCE_SUPPORT);
  const normalized = value.trim().toLowerCase();
  if (normalized === '' || normalized === 'standard') return false;
  if (normalized === 'extended') return true;
  throw new MalformedAnnotationError(
    entityRef,
    ANNOTATION_COMPLIANCE_SUPPORT,
    `${JSON.stringify(value.slice(0, 80))} is not "extended" or "standard"`,
  );
}

/**
 * Maps a framework id or alias to the id its policy is defined under.
 * @public
 */
export function canonicalFrameworkId(
  id: string,
  config: BaseImagesConfig,
): { id: string; known: boolean } {
  const policy = config.frameworks.find(
    f => f.id === id || f.aliases.includes(id),
  );
  return policy ? { id: policy.id, known: true } : { id, known: false };
}

/**
 * What compliance is gathered for: a catalog entity, or a component not yet created.
 * @public
 */
export interface ComplianceSubject {
  /** Entity ref used as the source of the subject's own annotations. */
  ref: string;
  namespace: string;
  annotations?: Record<string, string>;
  /** Owner entity ref (default kind Group). */
  owner?: string;
  /** System entity ref (default kind System). */
  system?: string;
}

/** @public */
export function complianceSubjectOf(entity: Entity): ComplianceSubject {
  const spec = (entity.spec ?? {}) as { owner?: unknown; system?: unknown };
  return {
    ref: stringifyEntityRef(entity),
    namespace: entity.metadata.namespace ?? 'default',
    annotations: entity.metadata.annotations,
    owner: typeof spec.owner === 'string' ? spec.owner : undefined,
    system: typeof spec.system === 'string' ? spec.system : undefined,
  };
}

/**
 * Looks an entity up by ref (for example through the catalog with the caller's credentials).
 * @public
 */
export type EntityLoader = (entityRef: string) => Promise<Entity | undefined>;

interface Source {
  ref: string;
  annotations?: Record<string, string>;
}

function normalizeRef(
  ref: string,
  defaultKind: string,
  defaultNamespace: string,
): string {
  try {
    return stringifyEntityRef(
      parseEntityRef(ref, { defaultKind, defaultNamespace }),
    );
  } catch (error) {
    throw new InvalidPolicyInputError(
      `${defaultKind} reference ${JSON.stringify(ref.slice(0, 200))}`,
      `${(error as Error).message}; use [kind:][namespace/]name`,
    );
  }
}

async function followChain(
  startRef: string | undefined,
  defaultKind: string,
  namespace: string,
  parentOf: (entity: Entity) => string | undefined,
  load: EntityLoader,
  result: { sources: Source[]; missing: string[]; notes: string[] },
): Promise<Entity | undefined> {
  let ref = startRef
    ? normalizeRef(startRef, defaultKind, namespace)
    : undefined;
  const visited = new Set<string>();
  let first: Entity | undefined;
  for (let depth = 0; ref && depth <= MAX_PARENT_DEPTH; depth++) {
    if (visited.has(ref)) {
      result.notes.push(`stopped at ${ref}: its parents form a cycle`);
      break;
    }
    visited.add(ref);
    const entity = await load(ref);
    if (!entity) {
      result.missing.push(ref);
      break;
    }
    first ??= entity;
    result.sources.push({ ref, annotations: entity.metadata.annotations });
    const parent = parentOf(entity);
    ref = parent
      ? normalizeRef(
          parent,
          defaultKind,
          entity.metadata.namespace ?? namespace,
        )
      : undefined;
  }
  return first;
}

const specString = (entity: Entity, key: string): string | undefined => {
  const value = (entity.spec as Record<string, unknown> | undefined)?.[key];
  return typeof value === 'string' ? value : undefined;
};

/**
 * Gathers a subject's effective compliance: its own annotations, its system's,
 * that system's domain's (and parent domains'), and its owner group's (and
 * parent groups'). Each framework keeps the closest entity it came from.
 * @public
 */
export async function collectCompliance(
  subject: ComplianceSubject,
  load: EntityLoader,
  config: BaseImagesConfig,
): Promise<EffectiveCompliance> {
  const own = {
    sources: [
      { ref: subject.ref, annotations: subject.annotations },
    ] as Source[],
    missing: [] as string[],
    notes: [] as string[],
  };
  const viaSystem = {
    sources: [] as Source[],
    missing: [] as string[],
    notes: [] as string[],
  };
  const viaOwner = {
    sources: [] as Source[],
    missing: [] as string[],
    notes: [] as string[],
  };

  const systemChain = async () => {
    const system = await followChain(
      subject.system,
      'system',
      subject.namespace,
      () => undefined,
      load,
      viaSystem,
    );
    const domain = system && specString(system, 'domain');
    if (system && domain) {
      await followChain(
        domain,
        'domain',
        system.metadata.namespace ?? subject.namespace,
        e => specString(e, 'subdomainOf'),
        load,
        viaSystem,
      );
    }
  };
  const ownerChain = async () => {
    if (!subject.owner) return;
    const ownerRef = normalizeRef(subject.owner, 'group', subject.namespace);
    if (!ownerRef.startsWith('group:')) {
      own.notes.push(
        `owner ${ownerRef} is not a group; only groups carry compliance`,
      );
      return;
    }
    await followChain(
      subject.owner,
      'group',
      subject.namespace,
      e => specString(e, 'parent'),
      load,
      viaOwner,
    );
  };
  await Promise.all([systemChain(), ownerChain()]);

  const sources = [...own.sources, ...viaSystem.sources, ...viaOwner.sources];
  const frameworks: EffectiveFramework[] = [];
  let extendedSupport: EffectiveCompliance['extendedSupport'];
  for (const source of sources) {
    const annotations = source.annotations ?? {};
    for (const raw of parseFrameworksAnnotation(
      annotations[ANNOTATION_COMPLIANCE_FRAMEWORKS],
      source.ref,
    )) {
      const { id, known } = canonicalFrameworkId(raw, config);
      if (!frameworks.some(f => f.id === id))
        frameworks.push({ id, source: source.ref, known });
    }
    if (
      !extendedSupport &&
      parseSupportAnnotation(
        annotations[ANNOTATION_COMPLIANCE_SUPPORT],
        source.ref,
      )
    ) {
      extendedSupport = { source: source.ref };
    }
  }
  return {
    frameworks,
    extendedSupport,
    missing: [...viaSystem.missing, ...viaOwner.missing],
    notes: [...own.notes, ...viaSystem.notes, ...viaOwner.notes],
  };
}
