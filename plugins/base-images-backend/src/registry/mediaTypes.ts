export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const DOCKER_LIST =
  'application/vnd.docker.distribution.manifest.list.v2+json';
export const DOCKER_MANIFEST =
  'application/vnd.docker.distribution.manifest.v2+json';
export const MANIFEST_ACCEPT = [
  OCI_INDEX,
  OCI_MANIFEST,
  DOCKER_LIST,
  DOCKER_MANIFEST,
].join(', ');
export const INDEX_TYPES = new Set([OCI_INDEX, DOCKER_LIST]);

export const COSIGN_SIMPLE_SIGNING =
  'application/vnd.dev.cosign.simplesigning.v1+json';
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const COSIGN_SIG_ARTIFACT =
  'application/vnd.dev.cosign.artifact.sig.v1+json';
export const DSSE_ENVELOPE = 'application/vnd.dsse.envelope.v1+json';
export const IN_TOTO = 'application/vnd.in-toto+json';
export const SIGSTORE_BUNDLE_PREFIX = 'application/vnd.dev.sigstore.bundle';
export const PREDICATE_TYPE_ANNOTATION = 'in-toto.io/predicate-type';
export const BUILDKIT_REFERENCE_TYPE = 'vnd.docker.reference.type';
export const BUILDKIT_REFERENCE_DIGEST = 'vnd.docker.reference.digest';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string; variant?: string };
}

export interface Manifest {
  schemaVersion?: number;
  mediaType?: string;
  artifactType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Checks the shape of a parsed manifest or index, so later code can trust its fields. */
export function checkManifestShape(value: unknown, what: string): Manifest {
  const isDescriptor = (d: any) =>
    d &&
    typeof d === 'object' &&
    typeof d.mediaType === 'string' &&
    typeof d.digest === 'string' &&
    DIGEST.test(d.digest) &&
    typeof d.size === 'number' &&
    (d.annotations === undefined ||
      (typeof d.annotations === 'object' && d.annotations !== null));
  const m = value as Manifest;
  const ok =
    !!m &&
    typeof m === 'object' &&
    !Array.isArray(m) &&
    (m.layers === undefined ||
      (Array.isArray(m.layers) && m.layers.every(isDescriptor))) &&
    (m.manifests === undefined ||
      (Array.isArray(m.manifests) && m.manifests.every(isDescriptor))) &&
    (m.config === undefined || isDescriptor(m.config)) &&
    (m.subject === undefined || isDescriptor(m.subject));
  if (!ok) throw new Error(`${what} is not a valid OCI manifest or index`);
  return m;
}
