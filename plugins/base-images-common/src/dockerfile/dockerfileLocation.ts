import {
  ANNOTATION_LOCATION,
  Entity,
  parseLocationRef,
} from '@backstage/catalog-model';

/**
 * Where the Dockerfile beside an entity's catalog-info.yaml is.
 * @public
 */
export type DockerfileLocation =
  | {
      type: 'file';
      /** Absolute path of the Dockerfile. */
      path: string;
      /** Absolute path of the catalog-info.yaml it sits beside. */
      catalogInfoPath: string;
    }
  | {
      type: 'url';
      /**
       * The Dockerfile's URL, resolved as a plain relative URL (what
       * ScmIntegrations.resolveUrl does for most hosts). Callers with
       * integrations should resolve `relativePath` against `target` with
       * them instead: some hosts keep the path in the query string.
       */
      url: string;
      /** URL of the catalog-info.yaml (the location target). */
      target: string;
      /** `./<dockerfilePath>`, to resolve against `target`. */
      relativePath: string;
    };

/**
 * A `dockerfilePath` that could leave the directory of catalog-info.yaml.
 * @public
 */
export class InvalidDockerfilePathError extends Error {
  readonly name = 'InvalidDockerfilePathError';
  constructor(readonly dockerfilePath: string, problem: string) {
    super(
      `Dockerfile path ${JSON.stringify(
        String(dockerfilePath).slice(0, 200),
      )} ${problem}; give a path relative to the directory of catalog-info.yaml, such as Dockerfile or docker/Dockerfile`,
    );
  }
}

const PATH_SEGMENT = /^[A-Za-z0-9_@+-][A-Za-z0-9._@+-]*$/;
const MAX_PATH_LENGTH = 256;

/** `Dockerfile`, `./Dockerfile`, `docker/Dockerfile.prod`; never absolute, `..`, `\` or URL syntax. */
function checkDockerfilePath(dockerfilePath: string): string {
  if (typeof dockerfilePath !== 'string' || dockerfilePath.length === 0)
    throw new InvalidDockerfilePathError(String(dockerfilePath), 'is empty');
  if (dockerfilePath.length > MAX_PATH_LENGTH) {
    throw new InvalidDockerfilePathError(
      dockerfilePath,
      `is longer than ${MAX_PATH_LENGTH} characters`,
    );
  }
  const relative = dockerfilePath.startsWith('./')
    ? dockerfilePath.slice(2)
    : dockerfilePath;
  const segments = relative.split('/');
  const bad = segments.find(segment => !PATH_SEGMENT.test(segment));
  if (bad !== undefined) {
    throw new InvalidDockerfilePathError(
      dockerfilePath,
      bad === '' || bad === '.' || bad === '..'
        ? 'has an empty, "." or ".." segment, or is absolute'
        : `has the segment ${JSON.stringify(
            bad.slice(0, 80),
          )}; use letters, digits, ".", "_", "@", "+" and "-"`,
    );
  }
  return relative;
}

/**
 * Where the Dockerfile of an entity is: `dockerfilePath` (default
 * `Dockerfile`) beside the catalog-info.yaml named by the entity's
 * `backstage.io/managed-by-location` annotation. Undefined when the entity
 * has no such location, or one that is neither an absolute `file:` path nor
 * a `url:`. Throws {@link InvalidDockerfilePathError} for a path that could
 * leave that directory. Pure: reads nothing.
 * @public
 */
export function dockerfileLocation(
  entity: Entity,
  dockerfilePath = 'Dockerfile',
): DockerfileLocation | undefined {
  const relative = checkDockerfilePath(dockerfilePath);
  const annotation = entity.metadata.annotations?.[ANNOTATION_LOCATION];
  if (!annotation) return undefined;
  let location: { type: string; target: string };
  try {
    location = parseLocationRef(annotation);
  } catch {
    return undefined;
  }
  if (location.type === 'file') {
    const target = location.target;
    // posix or windows absolute paths; the catalog makes file targets absolute
    const separator = /^[A-Za-z]:\\/.test(target) ? '\\' : '/';
    if (!target.startsWith('/') && separator === '/') return undefined;
    const directory = target.slice(0, target.lastIndexOf(separator));
    return {
      type: 'file',
      path: [directory, ...relative.split('/')].join(separator),
      catalogInfoPath: target,
    };
  }
  if (location.type === 'url') {
    let base: URL;
    try {
      base = new URL(location.target);
    } catch {
      return undefined;
    }
    const relativePath = `./${relative}`;
    const url = new URL(relativePath, base);
    url.search = base.search;
    return {
      type: 'url',
      url: url.toString(),
      target: location.target,
      relativePath,
    };
  }
  return undefined;
}
