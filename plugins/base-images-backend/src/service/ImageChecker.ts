import {
  AttestationReport,
  AttestationResult,
  familiarImageReference,
  ImageReference,
  notCheckedReport,
  SignatureResult,
} from '@internal/backstage-plugin-base-images-common';
import {
  CheckBudget,
  CheckLimits,
  DEFAULT_CHECK_LIMITS,
} from '../registry/CheckBudget';
import { notInAllowListMessage, RegistryError } from '../registry/errors';
import {
  BUILDKIT_REFERENCE_DIGEST,
  BUILDKIT_REFERENCE_TYPE,
  COSIGN_SIGNATURE_ANNOTATION,
  COSIGN_SIMPLE_SIGNING,
  Descriptor,
  DSSE_ENVELOPE,
  INDEX_TYPES,
  IN_TOTO,
  PREDICATE_TYPE_ANNOTATION,
  SIGSTORE_BUNDLE_PREFIX,
} from '../registry/mediaTypes';
import { FetchedManifest, RegistryClient } from '../registry/RegistryClient';
import { TrustedKey, trustedKeysFor } from '../trust/keys';
import {
  checkStatement,
  SignatureCap,
  verifyCosignSignature,
  verifyDsseEnvelope,
  verifySigstoreBundle,
} from '../verify/signatures';

/** A finished check: the report and the digest it is about. */
export interface CheckResult {
  digest?: string;
  report: AttestationReport;
}

/** Resolving a tag is one manifest request, plus a token request and a redirect or two. */
const RESOLVE_MAX_REQUESTS = 5;
/** Largest signature payload: a simple-signing payload is well under 1 KiB. */
const MAX_PAYLOAD_BYTES = 64 * 1024;
/** Largest statement, envelope or bundle: SBOMs of large images reach a few MiB. */
const MAX_STATEMENT_BYTES = 8 * 1024 * 1024;

export interface ImageCheckerOptions {
  requiredAttestations: string[];
  platform: string;
  /** Overrides of the per-check limits (DEFAULT_CHECK_LIMITS otherwise). */
  limits?: Partial<CheckLimits>;
}

interface Location {
  host: string;
  repository: string;
}

interface CheckState {
  budget: CheckBudget;
  keys: TrustedKey[];
  /** Digests that count as "the image": the index and the selected platform manifest. */
  imageDigests: Set<string>;
  manifests: Map<string, Buffer>;
  signatures: SignatureResult[];
  attestations: AttestationResult[];
  /** Attestation manifests whose own signature has been looked up already. */
  seen: Set<string>;
}

const short = (digest: string) => digest.slice(0, 19);

/** A registry listing something twice gains nothing: each is fetched and verified once. */
function uniqueBy<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter(item => {
    const value = key(item);
    if (seen.has(value)) return false;
    seen.add(value);
    return true;
  });
}

/**
 * Verifies one image: resolves it, then finds and checks its signatures and
 * attestations (OCI referrers or their tag fallback, cosign `.sig`/`.att`
 * tags, BuildKit in-index attestations, DHI's signed attestation manifests).
 * Each check has its own budget (CheckBudget): a registry that lists, serves
 * or waits without end stops the check as `unavailable` instead.
 */
export class ImageChecker {
  private readonly limits: CheckLimits;

  constructor(
    private readonly client: RegistryClient,
    private readonly options: ImageCheckerOptions,
  ) {
    this.limits = { ...DEFAULT_CHECK_LIMITS, ...options.limits };
  }

  /**
   * The digest the image's tag resolves to now (the index for multi-platform
   * images): what a new service pins and what "outdated" compares with. One
   * manifest request, under a small budget of its own.
   */
  async resolveDigest(image: ImageReference): Promise<string> {
    const budget = new CheckBudget(familiarImageReference(image), {
      ...this.limits,
      maxRequests: RESOLVE_MAX_REQUESTS,
    });
    const top = await this.client.getManifest(
      image.registry,
      image.repository,
      image.tag ?? 'latest',
      budget,
    );
    if (!top) {
      throw new RegistryError(
        'unavailable',
        `${image.registry}/${image.repository}:${
          image.tag ?? 'latest'
        } was not found`,
      );
    }
    return top.digest;
  }

  async check(image: ImageReference): Promise<CheckResult> {
    const now = new Date().toISOString();
    const registry = this.client.registryFor(image.registry);
    if (!registry) {
      return {
        report: {
          ...notCheckedReport(notInAllowListMessage(image.registry)),
          checkedAt: now,
        },
      };
    }
    const required =
      registry.requiredAttestations ?? this.options.requiredAttestations;
    const budget = new CheckBudget(familiarImageReference(image), this.limits);
    const state: CheckState = {
      budget,
      keys: trustedKeysFor(registry),
      imageDigests: new Set(),
      manifests: new Map(),
      signatures: [],
      attestations: [],
      seen: new Set(),
    };
    const home: Location = {
      host: image.registry,
      repository: image.repository,
    };
    const locations = [home];
    if (
      registry.attestationsHost &&
      registry.attestationsHost !== registry.host
    ) {
      if (!this.client.registryFor(registry.attestationsHost)) {
        throw new RegistryError(
          'unavailable',
          `attestations host ${registry.attestationsHost} is not in baseImages.registries`,
        );
      }
      locations.push({
        host: registry.attestationsHost,
        repository: image.repository,
      });
    }

    const top = await this.client.getManifest(
      image.registry,
      image.repository,
      image.digest ?? image.tag ?? 'latest',
      budget,
    );
    if (!top) {
      const reference = image.digest
        ? `@${image.digest}`
        : `:${image.tag ?? 'latest'}`;
      throw new RegistryError(
        'unavailable',
        `${image.registry}/${image.repository}${reference} was not found`,
      );
    }
    state.imageDigests.add(top.digest);
    state.manifests.set(top.digest, top.bytes);
    const buildkit: Descriptor[] = [];
    if (INDEX_TYPES.has(top.mediaType) || top.manifest.manifests) {
      const entries = budget.cap(
        top.manifest.manifests ?? [],
        'maxIndexEntries',
        'the image index',
        'entries',
      );
      const [os, architecture, variant] = this.options.platform.split('/');
      const platform = entries.find(
        m =>
          m.annotations?.[BUILDKIT_REFERENCE_TYPE] !== 'attestation-manifest' &&
          m.platform?.os === os &&
          m.platform?.architecture === architecture &&
          (!variant || m.platform?.variant === variant),
      );
      if (platform) {
        const manifest = await this.client.getManifest(
          image.registry,
          image.repository,
          platform.digest,
          budget,
        );
        if (!manifest)
          throw new RegistryError(
            'integrity',
            `platform manifest ${short(
              platform.digest,
            )} listed in the index is missing`,
          );
        state.imageDigests.add(manifest.digest);
        state.manifests.set(manifest.digest, manifest.bytes);
      }
      buildkit.push(
        ...entries.filter(
          m =>
            m.annotations?.[BUILDKIT_REFERENCE_TYPE] === 'attestation-manifest',
        ),
      );
    }

    for (const descriptor of buildkit) {
      const target = descriptor.annotations?.[BUILDKIT_REFERENCE_DIGEST];
      await this.readAttestationManifest(
        home,
        descriptor,
        'buildkit',
        state,
        target,
      );
    }
    for (const digest of [...state.imageDigests]) {
      for (const location of locations) {
        await this.examineSubject(location, digest, state);
      }
    }

    return {
      digest: [...state.imageDigests][state.imageDigests.size - 1],
      report: this.decide(state, required, now),
    };
  }

  /** Everything that refers to `digest`: referrers (or their tag), cosign .sig and .att tags. */
  private async examineSubject(
    location: Location,
    digest: string,
    state: CheckState,
  ): Promise<void> {
    const { source, descriptors } = await this.client.getReferrers(
      location.host,
      location.repository,
      digest,
      state.budget,
    );
    for (const descriptor of uniqueBy(descriptors, d => d.digest)) {
      await this.readReferrer(location, descriptor, digest, source, state);
    }
    const tag = digest.replace(':', '-');
    const sig = await this.client.getManifest(
      location.host,
      location.repository,
      `${tag}.sig`,
      state.budget,
    );
    if (sig)
      await this.readSignatureManifest(
        location,
        sig,
        digest,
        'cosign-tag',
        state,
      );
    const att = await this.client.getManifest(
      location.host,
      location.repository,
      `${tag}.att`,
      state.budget,
    );
    if (att) await this.readDsseLayers(location, att, 'cosign-tag', state);
  }

  private async readReferrer(
    location: Location,
    descriptor: Descriptor,
    subject: string,
    source: string,
    state: CheckState,
  ) {
    const manifest = await this.client.getManifest(
      location.host,
      location.repository,
      descriptor.digest,
      state.budget,
    );
    if (!manifest) {
      state.signatures.push({
        source,
        subjectDigest: subject,
        format: 'cosign',
        verified: false,
        message: `referrer ${short(descriptor.digest)} is listed but missing`,
      });
      return;
    }
    if (
      manifest.manifest.subject &&
      manifest.manifest.subject.digest !== subject
    ) {
      state.signatures.push({
        source,
        subjectDigest: subject,
        format: 'cosign',
        verified: false,
        message: `referrer ${short(descriptor.digest)} has another subject`,
      });
      return;
    }
    const artifactType =
      descriptor.artifactType ??
      manifest.manifest.artifactType ??
      manifest.manifest.config?.mediaType ??
      '';
    const layers = this.layersOf(manifest, 'referrer', state);
    if (layers.some(l => l.mediaType === COSIGN_SIMPLE_SIGNING)) {
      await this.readSignatureManifest(
        location,
        manifest,
        subject,
        source,
        state,
      );
    } else if (
      artifactType.startsWith(SIGSTORE_BUNDLE_PREFIX) ||
      layers.some(l => l.mediaType.startsWith(SIGSTORE_BUNDLE_PREFIX))
    ) {
      await this.readBundles(location, manifest, subject, source, state);
    } else if (layers.some(l => l.mediaType === DSSE_ENVELOPE)) {
      await this.readDsseLayers(location, manifest, source, state);
    } else if (
      artifactType === IN_TOTO ||
      layers.some(l => l.mediaType === IN_TOTO)
    ) {
      await this.readAttestationManifest(
        location,
        descriptor,
        source,
        state,
        subject,
        manifest,
      );
    }
  }

  private async readSignatureManifest(
    location: Location,
    manifest: FetchedManifest,
    subject: string,
    source: string,
    state: CheckState,
  ) {
    const layers = this.layersOf(manifest, 'signature manifest', state).filter(
      l => l.mediaType === COSIGN_SIMPLE_SIGNING,
    );
    // Signatures by several keys share one payload: the pair is the unit.
    for (const layer of uniqueBy(
      layers,
      l => `${l.digest} ${l.annotations?.[COSIGN_SIGNATURE_ANNOTATION]}`,
    )) {
      const payload = await this.client.getBlob(
        location.host,
        location.repository,
        layer.digest,
        state.budget,
        MAX_PAYLOAD_BYTES,
      );
      await state.budget.pause();
      const result = verifyCosignSignature(
        payload,
        layer.annotations?.[COSIGN_SIGNATURE_ANNOTATION],
        state.keys,
        subject,
      );
      state.signatures.push({
        source,
        subjectDigest: subject,
        format: 'cosign',
        ...result,
      });
    }
  }

  private async readBundles(
    location: Location,
    manifest: FetchedManifest,
    subject: string,
    source: string,
    state: CheckState,
  ) {
    const layers = state.budget.cap(
      manifest.manifest.layers ?? [],
      'maxBundleLayers',
      `the bundle manifest ${short(manifest.digest)}`,
      'bundles',
    );
    for (const layer of uniqueBy(layers, l => l.digest)) {
      const bytes = await this.client.getBlob(
        location.host,
        location.repository,
        layer.digest,
        state.budget,
        MAX_STATEMENT_BYTES,
      );
      await state.budget.pause();
      const result = verifySigstoreBundle(
        bytes,
        state.keys,
        state.imageDigests,
        state.manifests.get(subject),
        this.signatureCap(`the Sigstore bundle ${short(layer.digest)}`, state),
      );
      if (result.predicateType) {
        state.attestations.push({
          predicateType: result.predicateType,
          verified: result.verified,
          signer: result.signer,
          digest: layer.digest,
          message: result.message,
        });
      }
      state.signatures.push({
        source,
        subjectDigest: subject,
        format: 'sigstore-bundle',
        verified: result.verified,
        signer: result.signer,
        message: result.message,
      });
    }
  }

  private async readDsseLayers(
    location: Location,
    manifest: FetchedManifest,
    source: string,
    state: CheckState,
  ) {
    const layers = this.layersOf(
      manifest,
      'attestation manifest',
      state,
    ).filter(l => l.mediaType === DSSE_ENVELOPE);
    for (const layer of uniqueBy(layers, l => l.digest)) {
      const bytes = await this.client.getBlob(
        location.host,
        location.repository,
        layer.digest,
        state.budget,
        MAX_STATEMENT_BYTES,
      );
      await state.budget.pause();
      const result = verifyDsseEnvelope(
        bytes,
        state.keys,
        state.imageDigests,
        this.signatureCap(`the DSSE envelope ${short(layer.digest)}`, state),
      );
      state.attestations.push({
        predicateType:
          result.predicateType ??
          layer.annotations?.[PREDICATE_TYPE_ANNOTATION] ??
          'unknown',
        verified: result.verified,
        signer: result.signer,
        digest: layer.digest,
        message: result.message,
      });
      state.signatures.push({
        source,
        subjectDigest: manifest.digest,
        format: 'dsse',
        verified: result.verified,
        signer: result.signer,
        message: result.message,
      });
    }
  }

  /**
   * An attestation manifest whose layers are plain in-toto statements (BuildKit,
   * DHI). It counts as verified only when a trusted signature covers the
   * attestation manifest itself (DHI signs each one).
   */
  private async readAttestationManifest(
    location: Location,
    descriptor: Descriptor,
    source: string,
    state: CheckState,
    expectedSubject?: string,
    fetched?: FetchedManifest,
  ) {
    if (state.seen.has(descriptor.digest)) return;
    state.seen.add(descriptor.digest);
    const manifest =
      fetched ??
      (await this.client.getManifest(
        location.host,
        location.repository,
        descriptor.digest,
        state.budget,
      ));
    if (!manifest)
      throw new RegistryError(
        'integrity',
        `attestation manifest ${short(
          descriptor.digest,
        )} is listed but missing`,
      );
    if (expectedSubject && !state.imageDigests.has(expectedSubject)) {
      state.attestations.push({
        predicateType: 'unknown',
        verified: false,
        digest: manifest.digest,
        message: `attestation manifest ${short(
          manifest.digest,
        )} refers to another image`,
      });
      return;
    }

    // The attestation manifest's own signatures, found like any subject's.
    const before = state.signatures.length;
    const { source: refSource, descriptors } = await this.client.getReferrers(
      location.host,
      location.repository,
      manifest.digest,
      state.budget,
    );
    for (const referrer of uniqueBy(descriptors, d => d.digest)) {
      const signatureManifest = await this.client.getManifest(
        location.host,
        location.repository,
        referrer.digest,
        state.budget,
      );
      if (
        signatureManifest?.manifest.layers?.some(
          l => l.mediaType === COSIGN_SIMPLE_SIGNING,
        )
      ) {
        await this.readSignatureManifest(
          location,
          signatureManifest,
          manifest.digest,
          `${refSource} (attestation)`,
          state,
        );
      }
    }
    const sig = await this.client.getManifest(
      location.host,
      location.repository,
      `${manifest.digest.replace(':', '-')}.sig`,
      state.budget,
    );
    if (sig)
      await this.readSignatureManifest(
        location,
        sig,
        manifest.digest,
        'cosign-tag (attestation)',
        state,
      );
    const ownSignatures = state.signatures.slice(before);
    const signer = ownSignatures.find(s => s.verified)?.signer;
    const signed =
      ownSignatures.length > 0 && ownSignatures.every(s => s.verified);

    const layers = this.layersOf(
      manifest,
      'attestation manifest',
      state,
    ).filter(
      l =>
        l.mediaType === IN_TOTO ||
        l.mediaType.startsWith('application/vnd.in-toto'),
    );
    for (const layer of uniqueBy(layers, l => l.digest)) {
      const bytes = await this.client.getBlob(
        location.host,
        location.repository,
        layer.digest,
        state.budget,
        MAX_STATEMENT_BYTES,
      );
      await state.budget.pause();
      const statement = checkStatement(bytes, state.imageDigests);
      const predicateType =
        statement.predicateType ??
        layer.annotations?.[PREDICATE_TYPE_ANNOTATION] ??
        'unknown';
      if (statement.message) {
        state.attestations.push({
          predicateType,
          verified: false,
          signer,
          digest: layer.digest,
          message: statement.message,
        });
      } else if (signed) {
        state.attestations.push({
          predicateType,
          verified: true,
          signer,
          digest: layer.digest,
        });
      } else {
        const message = ownSignatures.length
          ? 'the attestation manifest signature does not verify'
          : `unsigned (${source})`;
        state.attestations.push({
          predicateType,
          verified: false,
          digest: layer.digest,
          message,
        });
      }
    }
  }

  /** The layers of a manifest this check reads, within the layer limit. */
  private layersOf(
    manifest: FetchedManifest,
    kind: string,
    state: CheckState,
  ): Descriptor[] {
    return state.budget.cap(
      manifest.manifest.layers ?? [],
      'maxLayers',
      `the ${kind} ${short(manifest.digest)}`,
      'layers',
    );
  }

  /** Counts an envelope's or bundle's signatures against the limit before any is verified. */
  private signatureCap(what: string, state: CheckState): SignatureCap {
    return (items, noun) =>
      state.budget.cap(items, 'maxSignatures', what, noun);
  }

  private decide(
    state: CheckState,
    required: string[],
    checkedAt: string,
  ): AttestationReport {
    const { signatures, attestations } = state;
    const base = { checkedAt, signatures, attestations };
    const failures = [
      ...signatures
        .filter(s => !s.verified)
        .map(s => s.message ?? 'a signature does not verify'),
      ...attestations
        .filter(
          a => !a.verified && a.message && !a.message.startsWith('unsigned'),
        )
        .map(a => `${a.predicateType}: ${a.message}`),
    ];
    if (failures.length > 0) {
      return {
        ...base,
        status: 'invalid',
        message: [...new Set(failures)].join('; '),
      };
    }
    if (signatures.length === 0) {
      const unsigned = attestations.length;
      return {
        ...base,
        status: 'unsigned',
        message: unsigned
          ? `no signature found; ${unsigned} unsigned attestation${
              unsigned > 1 ? 's' : ''
            } listed`
          : 'no signature found',
      };
    }
    const verifiedTypes = attestations
      .filter(a => a.verified)
      .map(a => a.predicateType);
    const missing = required.filter(
      prefix => !verifiedTypes.some(type => type.startsWith(prefix)),
    );
    if (missing.length > 0) {
      return {
        ...base,
        status: 'incomplete',
        message: `signatures verify, but these required attestations are missing or unsigned: ${missing.join(
          ', ',
        )}`,
      };
    }
    const imageSigned = signatures.some(
      s => s.verified && state.imageDigests.has(s.subjectDigest),
    );
    return {
      ...base,
      status: 'verified',
      message: imageSigned
        ? `signed by a trusted key; ${
            verifiedTypes.length
          } verified attestation${verifiedTypes.length === 1 ? '' : 's'}`
        : `every required attestation is signed by a trusted key`,
    };
  }
}
