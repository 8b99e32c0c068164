import {
  AttestationReport,
  AttestationResult,
  familiarImageReference,
  ImageFigures,
  ImageReference,
  matchesPredicateType,
  notCheckedReport,
  SignatureResult,
} from '@internal/backstage-plugin-base-images-common';
import {
  AttestedContent,
  createdAtOf,
  imageFigures,
  isFigureContent,
} from '../analysis/figures';
import {
  CheckBudget,
  CheckLimits,
  DEFAULT_CHECK_LIMITS,
} from '../registry/CheckBudget';
import {
  notInAllowListMessage,
  ObjectTooLargeError,
  RegistryError,
} from '../registry/errors';
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
import { dhiKeys, KeyRing, keyRingFor, TrustedKey } from '../trust/keys';
import { resolveRepositoryTrust } from '../trust/repositoryTrust';
import {
  checkStatement,
  SignatureCap,
  verifyCosignSignature,
  verifyDsseEnvelope,
  verifySigstoreBundle,
} from '../verify/signatures';

/** A finished check: the report and what it is about. */
export interface CheckResult {
  /** The digest the reference resolves to: the index of a multi-platform image. */
  digest?: string;
  /** The platform (`os/architecture[/variant]`) whose manifest was checked. */
  platform?: string;
  /** That platform's manifest, when the image has one for it. */
  platformDigest?: string;
  report: AttestationReport;
}

/** Resolving a tag is one manifest request, plus a token request and a redirect or two. */
const RESOLVE_MAX_REQUESTS = 5;
/** Largest signature payload: a simple-signing payload is well under 1 KiB. */
const MAX_PAYLOAD_BYTES = 64 * 1024;
/** Largest statement, envelope or bundle read: SBOMs of large images reach a few MiB. */
export const MAX_STATEMENT_BYTES = 8 * 1024 * 1024;
/** Largest image config read (for its build time): configs with a long history are tens of KiB. */
const MAX_CONFIG_BYTES = 1024 * 1024;
const IMAGE_CONFIG_TYPES = new Set([
  'application/vnd.oci.image.config.v1+json',
  'application/vnd.docker.container.image.v1+json',
]);
/** The messages of attestations that are listed but say nothing wrong: unsigned BuildKit ones, and those too large to read. */
const UNSIGNED = 'unsigned';
const NOT_READ = 'not read';

export interface ImageCheckerOptions {
  requiredAttestations: string[];
  platform: string;
  /** Overrides of the per-check limits (DEFAULT_CHECK_LIMITS otherwise). */
  limits?: Partial<CheckLimits>;
  /**
   * Docker's DHI keys, as PEM: the keyring's dhi-2 and dhi-1 unless given.
   * Tests pass their own in Docker's place.
   */
  dhiKeys?: string[];
}

interface Location {
  host: string;
  repository: string;
  /** The attestationsHost copy: a refusal there means "none found". */
  copy?: boolean;
}

interface CheckState {
  budget: CheckBudget;
  keys: KeyRing;
  /** What the reference resolves to: the index, or the only manifest. */
  top: FetchedManifest;
  /** The manifest of the configured platform. */
  platform?: FetchedManifest;
  /** Digests that count as "the image": the index and the selected platform manifest. */
  imageDigests: Set<string>;
  manifests: Map<string, Buffer>;
  signatures: SignatureResult[];
  attestations: AttestationResult[];
  /** Content of the SBOM, scan and VEX attestations, for the figures. */
  contents: AttestedContent[];
  /** Attestation manifests whose own signature has been looked up already. */
  seen: Set<string>;
  /** What the report should say beyond the verdict (a copy that had nothing). */
  notes: string[];
}

const short = (digest: string) => digest.slice(0, 19);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

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
 * Verifies one image the way Docker publishes Docker Hardened Images
 * (docs.docker.com dhi/how-to/verify, dhi/how-to/mirror; the keyring README):
 * - the image is what its reference resolves to, the index for a
 *   multi-platform image, and a trusted key must sign that digest (cosign
 *   `.sig` tag, cosign signature referrer, or cosign 3 Sigstore bundle);
 * - attestations are referrers of the platform manifest (artifactType
 *   `application/vnd.in-toto+json`), each attestation manifest signed in its
 *   own right, its statement about that platform manifest; read from the
 *   image's registry and, where configured, from a second copy (Docker Scout's
 *   registry for mirrored images);
 * - cosign's own layouts (`.att` DSSE envelopes, bundles) and BuildKit's
 *   unsigned in-index attestations are read too.
 * Keys are those trusted for the image's repository (RepositoryTrust). Each
 * check has its own budget (CheckBudget): a registry that lists, serves or
 * waits without end stops the check as `unavailable` instead.
 */
export class ImageChecker {
  private readonly limits: CheckLimits;
  private dhi?: TrustedKey[];

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
    const trust = resolveRepositoryTrust(
      registry,
      image.repository,
      this.options.requiredAttestations,
    );
    this.dhi ??= dhiKeys(this.options.dhiKeys);
    const keys = keyRingFor(
      `${image.registry}/${image.repository}`,
      trust,
      this.client.registries,
      this.dhi,
    );
    const budget = new CheckBudget(familiarImageReference(image), this.limits);
    const home: Location = {
      host: image.registry,
      repository: image.repository,
    };
    const locations = [home];
    if (trust.attestations)
      locations.push({ ...trust.attestations, copy: true });

    const reference = image.digest ?? image.tag ?? 'latest';
    const top = await this.client.getManifest(
      home.host,
      home.repository,
      reference,
      budget,
    );
    if (!top) {
      throw new RegistryError(
        'unavailable',
        `${image.registry}/${image.repository}${
          image.digest ? `@${image.digest}` : `:${reference}`
        } was not found`,
      );
    }
    const state: CheckState = {
      budget,
      keys,
      top,
      imageDigests: new Set([top.digest]),
      manifests: new Map([[top.digest, top.bytes]]),
      signatures: [],
      attestations: [],
      contents: [],
      seen: new Set(),
      notes: [],
    };
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
          home.host,
          home.repository,
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
        state.platform = manifest;
        state.imageDigests.add(manifest.digest);
        state.manifests.set(manifest.digest, manifest.bytes);
      } else {
        state.notes.push(
          `the index lists no ${this.options.platform} manifest, so no attestation of one was looked for`,
        );
      }
      buildkit.push(
        ...entries.filter(
          m =>
            m.annotations?.[BUILDKIT_REFERENCE_TYPE] === 'attestation-manifest',
        ),
      );
    } else {
      state.platform = top;
    }

    for (const descriptor of buildkit) {
      await this.readAttestationManifest(
        home,
        descriptor,
        'buildkit',
        state,
        descriptor.annotations?.[BUILDKIT_REFERENCE_DIGEST],
      );
    }
    for (const location of locations) {
      await this.atLocation(location, state, async () => {
        for (const digest of state.imageDigests)
          await this.examineSubject(location, digest, state);
      });
    }
    const figures = await this.figures(home, state);
    return {
      digest: top.digest,
      platform: this.options.platform,
      platformDigest: state.platform?.digest,
      report: {
        ...this.decide(state, trust.requiredAttestations, now, reference),
        ...(figures ? { figures } : {}),
      },
    };
  }

  /**
   * Reads one location. At the attestations copy, a refusal (401, 403) or
   * 404 for a repository with credentials configured means it holds nothing
   * for this image (Scout answers so for repositories that are not DHI):
   * "none found", not an outage. Missing credentials still stop the check.
   */
  private async atLocation(
    location: Location,
    state: CheckState,
    read: () => Promise<void>,
  ): Promise<void> {
    try {
      await read();
    } catch (error) {
      const status = error instanceof RegistryError ? error.httpStatus : 0;
      const configured = this.client.registryFor(location.host)?.credentials;
      if (
        !location.copy ||
        !status ||
        ![401, 403, 404].includes(status) ||
        (status !== 404 && !configured)
      ) {
        throw error;
      }
      state.notes.push(
        `${location.host}/${location.repository} holds no attestations for this image (HTTP ${status})`,
      );
    }
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
    if (att) await this.readDsseLayers(location, att, state);
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
      manifest.manifest.artifactType ??
      descriptor.artifactType ??
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
      await this.readDsseLayers(location, manifest, state);
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

  /**
   * A statement-sized blob, or undefined (with the attestation reported as
   * not read) when it is over the limit: a large SBOM is no reason to call a
   * good image invalid. A blob that does not hash to its digest still is.
   */
  private async readStatementBlob(
    location: Location,
    layer: Descriptor,
    predicateType: string,
    state: CheckState,
  ): Promise<Buffer | undefined> {
    const notRead = () => {
      state.attestations.push({
        predicateType,
        verified: false,
        digest: layer.digest,
        message: `${NOT_READ}: ${layer.size} bytes, over the ${MAX_STATEMENT_BYTES}-byte limit of one attestation`,
      });
      return undefined;
    };
    if (layer.size > MAX_STATEMENT_BYTES) return notRead();
    try {
      return await this.client.getBlob(
        location.host,
        location.repository,
        layer.digest,
        state.budget,
        MAX_STATEMENT_BYTES,
      );
    } catch (error) {
      if (error instanceof ObjectTooLargeError) return notRead();
      throw error;
    }
  }

  /**
   * Sigstore bundle referrers (cosign 3): a signature of `subject` when its
   * statement is cosign's signing predicate about `subject` itself, an
   * attestation of the image otherwise.
   */
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
    const hint =
      manifest.manifest.annotations?.['dev.sigstore.bundle.predicateType'] ??
      'unknown';
    for (const layer of uniqueBy(layers, l => l.digest)) {
      const bytes = await this.readStatementBlob(location, layer, hint, state);
      if (!bytes) continue;
      await state.budget.pause();
      const result = verifySigstoreBundle(
        bytes,
        state.keys,
        {
          signature: new Set([subject]),
          attestation: state.imageDigests.has(subject)
            ? state.imageDigests
            : new Set([subject]),
        },
        state.manifests.get(subject),
        this.signatureCap(`the Sigstore bundle ${short(layer.digest)}`, state),
      );
      if (result.kind === 'signature') {
        state.signatures.push({
          source,
          subjectDigest: subject,
          format: 'sigstore-bundle',
          verified: result.verified,
          signer: result.signer,
          message: result.message,
        });
      } else {
        this.recordAttestation(state, {
          predicateType: result.predicateType ?? hint,
          verified: result.verified,
          signer: result.signer,
          digest: layer.digest,
          message: result.message,
          predicate: result.predicate,
        });
      }
    }
  }

  /** cosign's `.att` layout: DSSE envelopes signed in themselves. */
  private async readDsseLayers(
    location: Location,
    manifest: FetchedManifest,
    state: CheckState,
  ) {
    const layers = this.layersOf(
      manifest,
      'attestation manifest',
      state,
    ).filter(l => l.mediaType === DSSE_ENVELOPE);
    for (const layer of uniqueBy(layers, l => l.digest)) {
      const hint = layer.annotations?.[PREDICATE_TYPE_ANNOTATION] ?? 'unknown';
      const bytes = await this.readStatementBlob(location, layer, hint, state);
      if (!bytes) continue;
      await state.budget.pause();
      const result = verifyDsseEnvelope(
        bytes,
        state.keys,
        state.imageDigests,
        this.signatureCap(`the DSSE envelope ${short(layer.digest)}`, state),
      );
      this.recordAttestation(state, {
        predicateType: result.predicateType ?? hint,
        verified: result.verified,
        signer: result.signer,
        digest: layer.digest,
        message: result.message,
        predicate: result.predicate,
      });
    }
  }

  /** The signatures of an attestation manifest: referrers (cosign signatures or bundles) and its `.sig` tag. */
  private async readAttestationSignatures(
    location: Location,
    attestation: FetchedManifest,
    state: CheckState,
  ): Promise<SignatureResult[]> {
    const before = state.signatures.length;
    const { source, descriptors } = await this.client.getReferrers(
      location.host,
      location.repository,
      attestation.digest,
      state.budget,
    );
    for (const referrer of uniqueBy(descriptors, d => d.digest)) {
      const manifest = await this.client.getManifest(
        location.host,
        location.repository,
        referrer.digest,
        state.budget,
      );
      if (!manifest) continue;
      if (
        manifest.manifest.subject &&
        manifest.manifest.subject.digest !== attestation.digest
      )
        continue;
      const layers = manifest.manifest.layers ?? [];
      if (layers.some(l => l.mediaType === COSIGN_SIMPLE_SIGNING)) {
        await this.readSignatureManifest(
          location,
          manifest,
          attestation.digest,
          `${source} (attestation)`,
          state,
        );
      } else if (
        (
          manifest.manifest.artifactType ??
          referrer.artifactType ??
          ''
        ).startsWith(SIGSTORE_BUNDLE_PREFIX) ||
        layers.some(l => l.mediaType.startsWith(SIGSTORE_BUNDLE_PREFIX))
      ) {
        await this.readBundles(
          location,
          manifest,
          attestation.digest,
          `${source} (attestation)`,
          state,
        );
      }
    }
    const sig = await this.client.getManifest(
      location.host,
      location.repository,
      `${attestation.digest.replace(':', '-')}.sig`,
      state.budget,
    );
    if (sig)
      await this.readSignatureManifest(
        location,
        sig,
        attestation.digest,
        'cosign-tag (attestation)',
        state,
      );
    return state.signatures
      .slice(before)
      .filter(s => s.subjectDigest === attestation.digest);
  }

  /**
   * An attestation manifest whose layers are plain in-toto statements:
   * DHI's (a referrer of the platform manifest, signed in its own right) or
   * BuildKit's (an index entry, unsigned). It counts as verified only when a
   * trusted signature covers the attestation manifest and its statement is
   * about the manifest it is attached to (`expectedSubject`).
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
    const subjects = new Set(
      expectedSubject ? [expectedSubject] : state.imageDigests,
    );
    const layers = this.layersOf(
      manifest,
      'attestation manifest',
      state,
    ).filter(
      l =>
        l.mediaType === IN_TOTO ||
        l.mediaType.startsWith('application/vnd.in-toto'),
    );
    const own = await this.readAttestationSignatures(location, manifest, state);
    const signer = own.find(s => s.verified)?.signer;
    const signed = own.length > 0 && own.every(s => s.verified);

    for (const layer of uniqueBy(layers, l => l.digest)) {
      // unsigned hints, covered by the signed manifest digest: compared below
      const annotated =
        layer.annotations?.[PREDICATE_TYPE_ANNOTATION] ??
        manifest.manifest.annotations?.[PREDICATE_TYPE_ANNOTATION];
      const bytes = await this.readStatementBlob(
        location,
        layer,
        annotated ?? 'unknown',
        state,
      );
      if (!bytes) continue;
      await state.budget.pause();
      const statement = checkStatement(bytes, subjects);
      const predicateType = statement.predicateType ?? annotated ?? 'unknown';
      let message = statement.message;
      if (!message && annotated && annotated !== statement.predicateType) {
        message = `the manifest names predicate type ${annotated.slice(
          0,
          120,
        )}, its statement ${predicateType.slice(0, 120)}`;
      }
      if (message) {
        state.attestations.push({
          predicateType,
          verified: false,
          signer,
          digest: layer.digest,
          message,
        });
      } else {
        let unverified: string | undefined;
        if (!signed)
          unverified = own.length
            ? 'the attestation manifest signature does not verify'
            : `${UNSIGNED} (${source})`;
        this.recordAttestation(state, {
          predicateType,
          verified: signed,
          signer: signed ? signer : undefined,
          digest: layer.digest,
          message: unverified,
          predicate: statement.predicate,
        });
      }
    }
  }

  /** Lists an attestation; keeps the content the figures are read from. */
  private recordAttestation(
    state: CheckState,
    result: AttestationResult & { predicate?: unknown },
  ) {
    const { predicate, ...attestation } = result;
    state.attestations.push(attestation);
    const buildkit = attestation.message?.startsWith(UNSIGNED);
    if (
      (attestation.verified || buildkit) &&
      predicate !== undefined &&
      isFigureContent(attestation.predicateType)
    ) {
      state.contents.push({
        predicateType: attestation.predicateType,
        predicate,
        verified: attestation.verified,
      });
    }
  }

  /** The platform image's figures: SBOM, vulnerabilities after VEX, size, build time. */
  private async figures(
    home: Location,
    state: CheckState,
  ): Promise<ImageFigures | undefined> {
    const config = state.platform?.manifest.config;
    let createdAt: string | undefined;
    if (config && IMAGE_CONFIG_TYPES.has(config.mediaType)) {
      try {
        const bytes = await this.client.getBlob(
          home.host,
          home.repository,
          config.digest,
          state.budget,
          MAX_CONFIG_BYTES,
        );
        createdAt = createdAtOf(JSON.parse(bytes.toString('utf8')));
      } catch (error) {
        // a config too large or not JSON only costs the build time
        if (
          error instanceof RegistryError &&
          !(error instanceof ObjectTooLargeError)
        )
          throw error;
      }
    }
    return imageFigures({
      contents: state.contents,
      platformManifest: state.platform?.manifest,
      createdAt,
    });
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
    reference: string,
  ): AttestationReport {
    const { signatures, attestations, top } = state;
    const base = { checkedAt, signatures, attestations };
    const notes = state.notes.length ? `; ${state.notes.join('; ')}` : '';
    const failures = [
      ...signatures
        .filter(s => !s.verified)
        .map(s => s.message ?? 'a signature does not verify'),
      ...attestations
        .filter(
          a =>
            !a.verified &&
            a.message &&
            !a.message.startsWith(UNSIGNED) &&
            !a.message.startsWith(NOT_READ),
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
    const verifiedTypes = attestations
      .filter(a => a.verified)
      .map(a => a.predicateType);
    const imageSigned = signatures.some(
      s => s.verified && s.subjectDigest === top.digest,
    );
    if (!imageSigned) {
      const listed = attestations.length;
      if (signatures.length === 0 && verifiedTypes.length === 0) {
        return {
          ...base,
          status: 'unsigned',
          message: `${
            listed
              ? `no signature found; ${plural(
                  listed,
                  'unsigned attestation',
                )} listed`
              : 'no signature found'
          }${notes}`,
        };
      }
      const what = state.platform === top ? 'manifest' : 'index';
      const resolved = /^sha(256|512):/.test(reference)
        ? ''
        : ` that ${reference} resolves to`;
      const one = verifiedTypes.length === 1;
      const parts = verifiedTypes.length
        ? `; its ${plural(verifiedTypes.length, 'attestation')} verif${
            one ? 'ies' : 'y'
          }, but ${one ? 'it does' : 'they do'} not vouch for the ${what}`
        : '';
      return {
        ...base,
        status: 'unsigned',
        message: `the ${what} ${short(
          top.digest,
        )}${resolved} carries no trusted signature${parts}${
          what === 'index' ? ' (Docker signs the index itself)' : ''
        }${notes}`,
      };
    }
    const missing = required.filter(
      prefix => !verifiedTypes.some(type => matchesPredicateType(prefix, type)),
    );
    if (missing.length > 0) {
      const notRead = attestations
        .filter(a => a.message?.startsWith(NOT_READ))
        .map(a => `${a.predicateType} was ${a.message}`);
      return {
        ...base,
        status: 'incomplete',
        message: `signatures verify, but these required attestations are missing or unsigned: ${missing.join(
          ', ',
        )}${notRead.length ? `; ${notRead.join('; ')}` : ''}${notes}`,
      };
    }
    return {
      ...base,
      status: 'verified',
      message: `signed by a trusted key; ${plural(
        verifiedTypes.length,
        'verified attestation',
      )}`,
    };
  }
}
