import { matchesPredicateType } from '@internal/backstage-plugin-base-images-common';

/** CycloneDX BOMs as attestation predicates (DHI: `…/bom/v1.6`; cosign: bare). */
export const CYCLONEDX_PREDICATE = 'https://cyclonedx.org/bom';
/** SPDX 2.x documents (DHI and BuildKit: bare `https://spdx.dev/Document`). */
export const SPDX_PREDICATE = 'https://spdx.dev/Document';

/**
 * Components an SBOM lists are walked without recursion and at most this
 * many: an attestation is bounded in bytes (8 MiB), this bounds the work.
 */
const MAX_COMPONENTS = 200_000;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown) =>
  typeof value === 'string' && value.length > 0 ? value : undefined;

/**
 * Packages in a CycloneDX BOM: `components`, nested ones included, the image
 * itself (`metadata.component`) and files not counted, each package once
 * (by `bom-ref`, else purl, else name@version). Scout counts by a rule of
 * its own ("N packages found"), so the numbers may differ slightly.
 */
function countCycloneDx(bom: Record<string, unknown>): number | undefined {
  if (!Array.isArray(bom.components)) return undefined;
  const root = isObject(bom.metadata) ? bom.metadata.component : undefined;
  const rootRef = isObject(root) ? text(root['bom-ref']) : undefined;
  const seen = new Set<string>();
  const pending: unknown[] = [...bom.components];
  let visited = 0;
  while (pending.length > 0 && visited < MAX_COMPONENTS) {
    const component = pending.pop();
    visited += 1;
    if (!isObject(component)) continue;
    // one at a time: spreading a huge list into push() overflows the stack
    if (Array.isArray(component.components))
      for (const child of component.components) pending.push(child);
    const ref = text(component['bom-ref']);
    if (component.type === 'file' || (ref && ref === rootRef)) continue;
    const name = text(component.name);
    const key =
      ref ??
      text(component.purl) ??
      (name ? `${name}@${text(component.version) ?? ''}` : undefined);
    if (key) seen.add(key);
  }
  return seen.size;
}

/**
 * Packages in an SPDX 2.x document: `packages` by SPDXID, less what the
 * document describes (the image itself, named by `documentDescribes` or a
 * DESCRIBES relationship of SPDXRef-DOCUMENT).
 */
function countSpdx(document: Record<string, unknown>): number | undefined {
  if (!Array.isArray(document.packages)) return undefined;
  const roots = new Set<string>(
    Array.isArray(document.documentDescribes)
      ? document.documentDescribes.filter(
          (id): id is string => typeof id === 'string',
        )
      : [],
  );
  for (const relationship of Array.isArray(document.relationships)
    ? document.relationships
    : []) {
    if (
      isObject(relationship) &&
      relationship.spdxElementId === 'SPDXRef-DOCUMENT' &&
      relationship.relationshipType === 'DESCRIBES' &&
      typeof relationship.relatedSpdxElement === 'string'
    )
      roots.add(relationship.relatedSpdxElement);
  }
  const ids = new Set<string>();
  for (const pkg of document.packages.slice(0, MAX_COMPONENTS)) {
    if (!isObject(pkg)) continue;
    const id = text(pkg.SPDXID);
    if (id && !roots.has(id)) ids.add(id);
  }
  return ids.size;
}

/**
 * How many packages an SBOM predicate lists, or undefined when it is not an
 * SBOM this reads (SPDX 3 is a different graph and is not read).
 */
export function countSbomPackages(
  predicateType: string,
  predicate: unknown,
): number | undefined {
  if (!isObject(predicate)) return undefined;
  if (matchesPredicateType(CYCLONEDX_PREDICATE, predicateType))
    return countCycloneDx(predicate);
  if (
    matchesPredicateType(SPDX_PREDICATE, predicateType) &&
    !predicateType.startsWith(`${SPDX_PREDICATE}/v3`)
  )
    return countSpdx(predicate);
  return undefined;
}
