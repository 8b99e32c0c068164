/**
 * Parsing of container image references following the grammar of the
 * distribution project's `reference` package, with Docker Hub's defaults
 * (`docker.io`, `library/`).
 */

import { TAG_PATTERN } from '../patterns';

/**
 * A parsed, normalized image reference.
 * @public
 */
export interface ImageReference {
  /** Registry host, with port when given: `docker.io`, `dhi.io`, `127.0.0.1:5000`. */
  registry: string;
  /** Full repository path inside the registry: `library/python`, `acme/dhi-python`. */
  repository: string;
  /** Everything before the last path component (`library`, `acme`), or '' when none. */
  namespace: string;
  /** Last path component: `python`. */
  name: string;
  tag?: string;
  digest?: string;
}

/** @public */
export class InvalidImageReferenceError extends Error {
  readonly name = 'InvalidImageReferenceError';
  constructor(readonly reference: string, readonly problem: string) {
    super(
      `Invalid image reference ${JSON.stringify(
        reference.length > 200 ? `${reference.slice(0, 200)}…` : reference,
      )}: ${problem}. Expected [registry[:port]/][namespace/]repository[:tag][@sha256:<64 hex>], for example dhi.io/python:3.13`,
    );
  }
}

/** @public */
export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ALIASES = new Set([
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
]);

const MAX_REFERENCE_LENGTH = 512;
const MAX_REPOSITORY_LENGTH = 255;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const HOST_LABEL = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
/** distribution/reference: bracketed hex and colons only (no zone, no dotted IPv4 tail). */
const IPV6_HOST = /^\[[a-fA-F0-9:]+\]$/;
/** A bare image ID, which Docker refuses as a name (distribution/reference `anchoredIdentifierRegexp`). */
const IMAGE_ID = /^[a-f0-9]{64}$/;

function isRegistryComponent(first: string): boolean {
  return (
    first.includes('.') ||
    first.includes(':') ||
    first === 'localhost' ||
    first !== first.toLowerCase()
  );
}

function checkRegistry(reference: string, registry: string): void {
  let host = registry;
  let port: string | undefined;
  const portMatch = /^(.*):([^:\]]*)$/.exec(registry);
  if (portMatch && !IPV6_HOST.test(registry)) {
    host = portMatch[1];
    port = portMatch[2];
  }
  if (port !== undefined) {
    const portNumber = Number(port);
    if (!/^\d{1,5}$/.test(port) || portNumber < 1 || portNumber > 65535) {
      throw new InvalidImageReferenceError(
        reference,
        `registry port ${JSON.stringify(port)} is not a number from 1 to 65535`,
      );
    }
  }
  if (IPV6_HOST.test(host)) return;
  if (
    host.length === 0 ||
    host.length > 253 ||
    !host.split('.').every(label => HOST_LABEL.test(label))
  ) {
    throw new InvalidImageReferenceError(
      reference,
      `registry host ${JSON.stringify(host)} is not a valid host name`,
    );
  }
}

/**
 * Parses an image reference. Throws {@link InvalidImageReferenceError} naming
 * the input and the problem for anything that is not a valid reference.
 * @public
 */
export function parseImageReference(reference: string): ImageReference {
  if (typeof reference !== 'string' || reference.length === 0) {
    throw new InvalidImageReferenceError(
      String(reference ?? ''),
      'it is empty',
    );
  }
  if (reference.length > MAX_REFERENCE_LENGTH) {
    throw new InvalidImageReferenceError(
      reference,
      `it is longer than ${MAX_REFERENCE_LENGTH} characters`,
    );
  }
  if (/\s/.test(reference)) {
    throw new InvalidImageReferenceError(reference, 'it contains white space');
  }

  if (IMAGE_ID.test(reference)) {
    throw new InvalidImageReferenceError(
      reference,
      'a bare 64-hex string is an image ID, not a reference; name the repository, for example dhi.io/python@sha256:<hex>',
    );
  }

  let rest = reference;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) {
      throw new InvalidImageReferenceError(
        reference,
        `digest ${JSON.stringify(
          digest,
        )} is not sha256:<64 lowercase hex> or sha512:<128 lowercase hex>`,
      );
    }
  }

  const components = rest.split('/');
  let registry = DOCKER_HUB;
  if (components.length > 1 && isRegistryComponent(components[0])) {
    const given = components.shift()!;
    checkRegistry(reference, given);
    registry = DOCKER_HUB_ALIASES.has(given.toLowerCase())
      ? DOCKER_HUB
      : given.toLowerCase();
  }

  let tag: string | undefined;
  const last = components[components.length - 1];
  const colon = last.lastIndexOf(':');
  if (colon !== -1) {
    tag = last.slice(colon + 1);
    components[components.length - 1] = last.slice(0, colon);
    if (!TAG_PATTERN.test(tag)) {
      throw new InvalidImageReferenceError(
        reference,
        `tag ${JSON.stringify(
          tag,
        )} must be 1-128 of [A-Za-z0-9_.-], not starting with '.' or '-'`,
      );
    }
  }

  for (const component of components) {
    if (component.length === 0) {
      throw new InvalidImageReferenceError(
        reference,
        'the repository is missing or has an empty path component',
      );
    }
    if (!PATH_COMPONENT.test(component)) {
      const why =
        component !== component.toLowerCase()
          ? 'repository names must be lowercase'
          : 'use lowercase letters and digits separated by single ".", "_", "__" or "-"';
      throw new InvalidImageReferenceError(
        reference,
        `repository path component ${JSON.stringify(
          component,
        )} is invalid (${why})`,
      );
    }
  }
  if (registry === DOCKER_HUB && components.length === 1) {
    components.unshift('library');
  }
  const repository = components.join('/');
  if (repository.length > MAX_REPOSITORY_LENGTH) {
    throw new InvalidImageReferenceError(
      reference,
      `the repository is longer than ${MAX_REPOSITORY_LENGTH} characters`,
    );
  }

  return {
    registry,
    repository,
    namespace: components.slice(0, -1).join('/'),
    name: components[components.length - 1],
    tag,
    digest,
  };
}

/**
 * Parses a bare registry host (`dhi.io`, `127.0.0.1:5000`, `[::1]:5000`), as
 * config and the CI login steps name registries; returns it normalised
 * (`index.docker.io` is `docker.io`). Throws for anything with a scheme, a
 * path, white space or a bad port.
 * @public
 */
export function parseRegistryHost(value: string): string {
  const problem = `${JSON.stringify(
    String(value).slice(0, 200),
  )} is not a registry host[:port] (no scheme, path or spaces), for example dhi.io`;
  if (typeof value !== 'string' || value.length === 0) throw new Error(problem);
  let registry: string;
  try {
    registry = parseImageReference(`${value}/probe`).registry;
  } catch {
    throw new Error(problem);
  }
  const host = value.toLowerCase();
  const dockerHub =
    registry === DOCKER_HUB && ['docker.io', 'index.docker.io'].includes(host);
  if (registry !== host && !dockerHub) throw new Error(problem);
  return registry;
}

/**
 * The fully qualified form: `docker.io/library/python:3.13-slim@sha256:…`.
 * @public
 */
export function formatImageReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${
    ref.digest ? `@${ref.digest}` : ''
  }`;
}

/**
 * The short form people write: `python:3.13-slim`, `dhi.io/python:3.13`. As
 * distribution/reference's FamiliarName: `library/` is dropped only for
 * single-segment official images (`library/foo/bar` keeps it).
 * @public
 */
export function familiarImageReference(ref: ImageReference): string {
  let path = `${ref.registry}/${ref.repository}`;
  if (ref.registry === DOCKER_HUB) {
    const official = /^library\/[^/]+$/.test(ref.repository);
    path = official ? ref.repository.slice('library/'.length) : ref.repository;
  }
  return `${path}${ref.tag ? `:${ref.tag}` : ''}${
    ref.digest ? `@${ref.digest}` : ''
  }`;
}
