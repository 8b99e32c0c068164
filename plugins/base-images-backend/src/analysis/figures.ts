import {
  ImageFigures,
  matchesPredicateType,
} from '@internal/backstage-plugin-base-images-common';
import { Manifest } from '../registry/mediaTypes';
import { countSbomPackages, CYCLONEDX_PREDICATE, SPDX_PREDICATE } from './sbom';
import {
  OPENVEX_PREDICATE,
  VULNS_PREDICATE,
  vulnerabilitiesAfterVex,
} from './vulnerabilities';

/** An attestation's content, kept by the check for the figures. */
export interface AttestedContent {
  predicateType: string;
  predicate: unknown;
  /** Signed by a trusted key (else an unsigned BuildKit attestation). */
  verified: boolean;
}

/** Predicate types the figures are read from; the check keeps only these. */
export const FIGURE_PREDICATES = [
  CYCLONEDX_PREDICATE,
  SPDX_PREDICATE,
  VULNS_PREDICATE,
  OPENVEX_PREDICATE,
];

export const isFigureContent = (predicateType: string) =>
  FIGURE_PREDICATES.some(prefix => matchesPredicateType(prefix, predicateType));

const of = (contents: AttestedContent[], prefix: string) =>
  contents.filter(c => matchesPredicateType(prefix, c.predicateType));

/**
 * The seed's "Security Benefits" figures for one platform image:
 * - packages: from a verified SBOM (CycloneDX first, then SPDX); for an image
 *   nobody signs (the slim ones), from its unsigned BuildKit SBOM, flagged
 *   `unsignedSbom`: bound to the image by digest, vouched for by no one;
 * - vulnerabilities after VEX: from verified scan and VEX attestations only;
 * - size: the platform manifest's layers (compressed), and its build time.
 */
export function imageFigures(input: {
  contents: AttestedContent[];
  platformManifest?: Manifest;
  createdAt?: string;
}): ImageFigures | undefined {
  const figures: ImageFigures = {};
  const sboms = [
    ...of(input.contents, CYCLONEDX_PREDICATE),
    ...of(input.contents, SPDX_PREDICATE),
  ];
  for (const verified of [true, false]) {
    for (const sbom of sboms.filter(s => s.verified === verified)) {
      const packages = countSbomPackages(sbom.predicateType, sbom.predicate);
      if (packages === undefined) continue;
      figures.packages = packages;
      if (!verified) figures.unsignedSbom = true;
      break;
    }
    if (figures.packages !== undefined) break;
  }
  const trusted = input.contents.filter(c => c.verified);
  const vulnerabilities = vulnerabilitiesAfterVex(
    of(trusted, VULNS_PREDICATE).map(c => c.predicate),
    of(trusted, OPENVEX_PREDICATE).map(c => c.predicate),
  );
  if (vulnerabilities) figures.vulnerabilities = vulnerabilities;
  const layers = input.platformManifest?.layers;
  if (layers?.length)
    figures.sizeBytes = layers.reduce((sum, layer) => sum + layer.size, 0);
  if (input.createdAt) figures.createdAt = input.createdAt;
  return Object.keys(figures).length ? figures : undefined;
}

/** An image config's `created`, when it is a time (ISO 8601 as the OCI spec writes it). */
export function createdAtOf(config: unknown): string | undefined {
  const created = (config as { created?: unknown } | null)?.created;
  if (typeof created !== 'string' || created.length > 64) return undefined;
  const time = Date.parse(created);
  return Number.isFinite(time) ? new Date(time).toISOString() : undefined;
}
