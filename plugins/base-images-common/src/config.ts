import {
  makeValidator,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import type { Config } from '@backstage/config';
import { parseImageReference, parseRegistryHost } from './image/imageReference';
import {
  FRAMEWORK_ID_PATTERN,
  LOOPBACK_HOST_PATTERN,
  TAG_PATTERN,
  VERSION_PATTERN,
} from './patterns';
import {
  DEFAULT_DHI_KEYS_HOST,
  DEFAULT_DHI_REGISTRY,
  DEFAULT_FRAMEWORKS,
  DEFAULT_REQUIRED_ATTESTATIONS,
  DEFAULT_RUNTIMES,
  DEFAULT_SITUATIONS,
} from './policy/defaults';
import {
  BaseImagesConfig,
  Capability,
  CAPABILITIES,
  Flavor,
  FLAVORS,
  FrameworkPolicy,
  RegistryConfig,
  RepositoryScope,
  Runtime,
  RUNTIMES,
  Situation,
  SITUATIONS,
} from './policy/types';

/**
 * A `baseImages` config value that is missing, misspelled or malformed.
 * @public
 */
export class BaseImagesConfigError extends Error {
  readonly name = 'BaseImagesConfigError';
  constructor(readonly key: string, problem: string) {
    super(`Invalid app-config at '${key}': ${problem}`);
  }
}

const ROOT = 'baseImages';

/**
 * Every key `baseImages` understands, by path, for the typo check:
 * `baseImages.status` and `baseImages.publish` belong to the status backend
 * and the scaffolder module, which check their own keys. Tests compare this
 * with the config.d.ts schemas.
 * @public
 */
export const BASE_IMAGES_CONFIG_KEYS: Record<string, string[]> = {
  [ROOT]: [
    'admins',
    'defaults',
    'runtimes',
    'dhi',
    'policy',
    'registries',
    'requiredAttestations',
    'status',
    'publish',
  ],
  [`${ROOT}.defaults`]: ['flavor'],
  [`${ROOT}.runtimes.*`]: ['defaultVersion', 'dhiTags'],
  [`${ROOT}.dhi`]: ['registry', 'mirror'],
  [`${ROOT}.dhi.mirror`]: [
    'registry',
    'namespace',
    'repositoryPrefix',
    'useForAll',
    'extendedSupport',
  ],
  [`${ROOT}.policy`]: ['frameworks', 'situations'],
  [`${ROOT}.policy.frameworks.*`]: [
    'requires',
    'aliases',
    'description',
    'evidence',
  ],
  [`${ROOT}.registries[]`]: [
    'host',
    'insecure',
    'publicKeys',
    'dhiKeys',
    'credentials',
    'attestationsHost',
    'attestationsRepository',
    'requiredAttestations',
    'repositories',
    'extraHosts',
    'endpoint',
  ],
  [`${ROOT}.registries[].credentials`]: ['username', 'password'],
  [`${ROOT}.registries[].repositories[]`]: [
    'prefix',
    'dhiKeys',
    'publicKeys',
    'attestationsHost',
    'attestationsRepository',
    'requiredAttestations',
  ],
};

function closest(word: string, candidates: string[]): string | undefined {
  const distance = (a: string, b: string) => {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
      let previous = row[0];
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const current = row[j];
        row[j] = Math.min(
          row[j] + 1,
          row[j - 1] + 1,
          previous + (a[i - 1] === b[j - 1] ? 0 : 1),
        );
        previous = current;
      }
    }
    return row[b.length];
  };
  const best = candidates
    .map(candidate => ({
      candidate,
      d: distance(word.toLowerCase(), candidate.toLowerCase()),
    }))
    .sort((x, y) => x.d - y.d)[0];
  return best && best.d <= Math.max(2, Math.floor(word.length / 3))
    ? best.candidate
    : undefined;
}

/**
 * Fails with a {@link BaseImagesConfigError} naming the first key of `config`
 * (found at `path`) that is not in `known`, with the closest known key as a hint.
 * @public
 */
export function assertKnownConfigKeys(
  config: Config,
  path: string,
  known: string[],
): void {
  for (const key of config.keys()) {
    if (!known.includes(key)) {
      const suggestion = closest(key, known);
      throw new BaseImagesConfigError(
        `${path}.${key}`,
        `unknown key${
          suggestion ? `; did you mean '${path}.${suggestion}'?` : ''
        } Known keys here: ${known.join(', ')}`,
      );
    }
  }
}

function checkKeys(config: Config, path: string, schemaPath: string): void {
  assertKnownConfigKeys(config, path, BASE_IMAGES_CONFIG_KEYS[schemaPath]);
}

function readEnum<T extends string>(
  config: Config,
  key: string,
  path: string,
  allowed: readonly T[],
): T | undefined {
  const value = config.getOptionalString(key);
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new BaseImagesConfigError(
      `${path}.${key}`,
      `${JSON.stringify(value)} is not one of ${allowed.join(', ')}`,
    );
  }
  return value as T;
}

function readCapabilities(
  config: Config,
  key: string,
  path: string,
): Capability[] {
  const values = config.getStringArray(key);
  for (const value of values) {
    if (!(CAPABILITIES as readonly string[]).includes(value)) {
      throw new BaseImagesConfigError(
        `${path}.${key}`,
        `${JSON.stringify(value)} is not one of ${CAPABILITIES.join(', ')}`,
      );
    }
  }
  return values as Capability[];
}

function readHost(value: string, key: string): string {
  try {
    return parseRegistryHost(value);
  } catch (error) {
    throw new BaseImagesConfigError(key, (error as Error).message);
  }
}

function readPrefixes(
  config: Config,
  key: string,
  path: string,
): string[] | undefined {
  const values = config.getOptionalStringArray(key);
  values?.forEach((value, i) => {
    if (!/^https?:\/\/\S+$/.test(value)) {
      throw new BaseImagesConfigError(
        `${path}.${key}[${i}]`,
        `${JSON.stringify(value)} is not a predicate-type URL prefix`,
      );
    }
  });
  return values;
}

function readRuntimes(
  config: Config | undefined,
): BaseImagesConfig['runtimes'] {
  const runtimes = { ...DEFAULT_RUNTIMES };
  if (!config) return runtimes;
  for (const runtime of config.keys()) {
    const path = `${ROOT}.runtimes.${runtime}`;
    if (!(RUNTIMES as readonly string[]).includes(runtime)) {
      throw new BaseImagesConfigError(
        path,
        `unknown runtime; supported runtimes are ${RUNTIMES.join(', ')}`,
      );
    }
    const entry = config.getConfig(runtime);
    checkKeys(entry, path, `${ROOT}.runtimes.*`);
    const defaults = DEFAULT_RUNTIMES[runtime as Runtime];
    const defaultVersion =
      entry.getOptionalString('defaultVersion') ?? defaults.defaultVersion;
    if (!VERSION_PATTERN.test(defaultVersion)) {
      throw new BaseImagesConfigError(
        `${path}.defaultVersion`,
        `${JSON.stringify(defaultVersion)} is not a version like 3.13 or 22`,
      );
    }
    const dhiTags = entry.getOptionalStringArray('dhiTags') ?? defaults.dhiTags;
    dhiTags.forEach((tag, i) => {
      if (!TAG_PATTERN.test(tag)) {
        throw new BaseImagesConfigError(
          `${path}.dhiTags[${i}]`,
          `${JSON.stringify(tag)} is not a valid image tag`,
        );
      }
    });
    runtimes[runtime as Runtime] = { defaultVersion, dhiTags };
  }
  return runtimes;
}

function readFrameworks(config: Config | undefined): FrameworkPolicy[] {
  if (!config) return DEFAULT_FRAMEWORKS;
  const byId = new Map(DEFAULT_FRAMEWORKS.map(f => [f.id, f]));
  for (const id of config.keys()) {
    const path = `${ROOT}.policy.frameworks.${id}`;
    if (!FRAMEWORK_ID_PATTERN.test(id)) {
      throw new BaseImagesConfigError(
        path,
        'framework ids are lowercase letters, digits, ".", "_" or "-" (at most 64)',
      );
    }
    const entry = config.getConfig(id);
    checkKeys(entry, path, `${ROOT}.policy.frameworks.*`);
    const aliases = (entry.getOptionalStringArray('aliases') ?? []).map(a =>
      a.toLowerCase(),
    );
    aliases.forEach((alias, i) => {
      if (!FRAMEWORK_ID_PATTERN.test(alias)) {
        throw new BaseImagesConfigError(
          `${path}.aliases[${i}]`,
          `${JSON.stringify(alias)} is not a valid framework id`,
        );
      }
    });
    byId.set(id, {
      id,
      requires: readCapabilities(entry, 'requires', path),
      aliases,
      description: entry.getOptionalString('description'),
      // a built-in framework keeps Docker's evidence unless it is restated
      evidence:
        readPrefixes(entry, 'evidence', path) ?? byId.get(id)?.evidence ?? [],
    });
  }
  const frameworks = [...byId.values()];
  const seen = new Map<string, string>();
  for (const framework of frameworks) {
    for (const name of [framework.id, ...framework.aliases]) {
      const other = seen.get(name);
      if (other && other !== framework.id) {
        throw new BaseImagesConfigError(
          `${ROOT}.policy.frameworks.${framework.id}`,
          `${JSON.stringify(name)} is also used by framework '${other}'`,
        );
      }
      seen.set(name, framework.id);
    }
  }
  return frameworks;
}

function readSituations(
  config: Config | undefined,
): Record<Situation, Capability[]> {
  const situations = { ...DEFAULT_SITUATIONS };
  if (!config) return situations;
  for (const situation of config.keys()) {
    const path = `${ROOT}.policy.situations`;
    if (!(SITUATIONS as readonly string[]).includes(situation)) {
      throw new BaseImagesConfigError(
        `${path}.${situation}`,
        `unknown situation; known situations are ${SITUATIONS.join(', ')}`,
      );
    }
    situations[situation as Situation] = readCapabilities(
      config,
      situation,
      path,
    );
  }
  return situations;
}

function readPublicKeys(config: Config, path: string): string[] {
  const publicKeys = config.getOptionalStringArray('publicKeys') ?? [];
  publicKeys.forEach((key, k) => {
    if (
      !/-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----/.test(key)
    ) {
      throw new BaseImagesConfigError(
        `${path}.publicKeys[${k}]`,
        'not a PEM public key (-----BEGIN PUBLIC KEY----- … -----END PUBLIC KEY-----)',
      );
    }
  });
  return publicKeys;
}

/**
 * A repository-name prefix: its first path component (a Docker Hub
 * namespace) whole, then, after a '/', any start of the rest.
 */
const REPOSITORY_PREFIX =
  /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9._/-]*)?$/;

/** `attestationsRepository`: repository path characters and `{repository}`. */
function readAttestationsRepository(
  config: Config,
  path: string,
): string | undefined {
  const value = config.getOptionalString('attestationsRepository');
  if (value === undefined) return undefined;
  let valid = /^(?:[a-z0-9._/-]|\{repository\})+$/.test(value);
  if (valid) {
    try {
      const probe = parseImageReference(
        `registry.invalid/${value.replaceAll('{repository}', 'a/b')}`,
      );
      valid = !probe.tag && !probe.digest;
    } catch {
      valid = false;
    }
  }
  if (!valid) {
    throw new BaseImagesConfigError(
      `${path}.attestationsRepository`,
      `${JSON.stringify(
        value,
      )} is not a repository path; use lowercase path components and {repository} for the image's own, for example 'dhi/{repository}'`,
    );
  }
  return value;
}

function readOptionalHost(
  config: Config,
  key: string,
  path: string,
): string | undefined {
  const value = config.getOptionalString(key);
  return value === undefined ? undefined : readHost(value, `${path}.${key}`);
}

function readRepositoryScopes(
  configs: Config[] | undefined,
  path: string,
): RepositoryScope[] {
  const scopes: RepositoryScope[] = [];
  (configs ?? []).forEach((entry, i) => {
    const scopePath = `${path}.repositories[${i}]`;
    checkKeys(entry, scopePath, `${ROOT}.registries[].repositories[]`);
    const prefix = entry.getString('prefix');
    if (!REPOSITORY_PREFIX.test(prefix)) {
      throw new BaseImagesConfigError(
        `${scopePath}.prefix`,
        `${JSON.stringify(
          prefix,
        )} is not a repository-name prefix: start with a whole lowercase namespace, for example 'example-org/dhi-' or 'python'`,
      );
    }
    if (scopes.some(s => s.prefix === prefix)) {
      throw new BaseImagesConfigError(
        `${scopePath}.prefix`,
        `${JSON.stringify(prefix)} is listed twice`,
      );
    }
    scopes.push({
      prefix,
      dhiKeys: entry.getOptionalBoolean('dhiKeys'),
      publicKeys: readPublicKeys(entry, scopePath),
      attestationsHost: readOptionalHost(entry, 'attestationsHost', scopePath),
      attestationsRepository: readAttestationsRepository(entry, scopePath),
      requiredAttestations: readPrefixes(
        entry,
        'requiredAttestations',
        scopePath,
      ),
    });
  });
  return scopes;
}

function readRegistries(configs: Config[] | undefined): RegistryConfig[] {
  const registries: RegistryConfig[] = [];
  (configs ?? []).forEach((entry, i) => {
    const path = `${ROOT}.registries[${i}]`;
    checkKeys(entry, path, `${ROOT}.registries[]`);
    const host = readHost(entry.getString('host'), `${path}.host`);
    const endpointValue = entry.getOptionalString('endpoint');
    let endpoint: string | undefined;
    if (endpointValue !== undefined) {
      let url: URL;
      try {
        url = new URL(endpointValue);
      } catch {
        throw new BaseImagesConfigError(
          `${path}.endpoint`,
          `${JSON.stringify(endpointValue)} is not a URL`,
        );
      }
      if (
        !['http:', 'https:'].includes(url.protocol) ||
        url.pathname !== '/' ||
        url.search ||
        url.username
      ) {
        throw new BaseImagesConfigError(
          `${path}.endpoint`,
          'must be http(s)://host[:port] with no path, query or credentials',
        );
      }
      endpoint = `${url.protocol}//${url.host}`;
    }
    const insecure = entry.getOptionalBoolean('insecure') ?? false;
    const contacted = endpoint ? new URL(endpoint).host : host;
    if (insecure && !LOOPBACK_HOST_PATTERN.test(contacted)) {
      throw new BaseImagesConfigError(
        `${path}.insecure`,
        `plain HTTP is only allowed for loopback hosts, not ${contacted}`,
      );
    }
    if (endpoint?.startsWith('http:') && !insecure) {
      throw new BaseImagesConfigError(
        `${path}.endpoint`,
        'an http:// endpoint needs insecure: true (loopback only)',
      );
    }
    if (registries.some(r => r.host === host)) {
      throw new BaseImagesConfigError(
        `${path}.host`,
        `${host} is listed twice`,
      );
    }
    const credentialsConfig = entry.getOptionalConfig('credentials');
    let credentials: RegistryConfig['credentials'];
    if (credentialsConfig) {
      checkKeys(
        credentialsConfig,
        `${path}.credentials`,
        `${ROOT}.registries[].credentials`,
      );
      credentials = {
        username: credentialsConfig.getString('username'),
        password: credentialsConfig.getString('password'),
      };
    }
    const extraHosts = (entry.getOptionalStringArray('extraHosts') ?? []).map(
      (extra, k) => readHost(extra, `${path}.extraHosts[${k}]`),
    );
    registries.push({
      host,
      insecure,
      publicKeys: readPublicKeys(entry, path),
      dhiKeys:
        entry.getOptionalBoolean('dhiKeys') ?? host === DEFAULT_DHI_KEYS_HOST,
      credentials,
      attestationsHost: readOptionalHost(entry, 'attestationsHost', path),
      attestationsRepository: readAttestationsRepository(entry, path),
      requiredAttestations: readPrefixes(entry, 'requiredAttestations', path),
      repositories: readRepositoryScopes(
        entry.getOptionalConfigArray('repositories'),
        path,
      ),
      extraHosts,
      endpoint,
    });
  });
  // attestations are only read from registries the allow-list names
  registries.forEach((registry, i) => {
    const scopes: Array<[string, { attestationsHost?: string }]> = [
      [`${ROOT}.registries[${i}]`, registry],
      ...registry.repositories.map(
        (scope, k) =>
          [`${ROOT}.registries[${i}].repositories[${k}]`, scope] as [
            string,
            RepositoryScope,
          ],
      ),
    ];
    for (const [path, scope] of scopes) {
      if (
        scope.attestationsHost &&
        !registries.some(r => r.host === scope.attestationsHost)
      ) {
        throw new BaseImagesConfigError(
          `${path}.attestationsHost`,
          `${scope.attestationsHost} is not in baseImages.registries; list it there (with its credentials) so it may be contacted`,
        );
      }
    }
  });
  return registries;
}

/** Kinds whose refs may be listed in `baseImages.admins`. */
const ADMIN_KINDS = ['user', 'group'];
const entityRefParts = makeValidator();

/**
 * `baseImages.admins`, each a `user:` or `group:` ref with its kind spelled
 * out (a bare name could mean either), normalised to
 * `kind:namespace/name` in lowercase as the auth backend issues them.
 */
function readAdmins(config: Config | undefined): string[] {
  const values = config?.getOptionalStringArray('admins') ?? [];
  return values.map((value, i) => {
    const key = `${ROOT}.admins[${i}]`;
    let ref: { kind: string; namespace: string; name: string };
    try {
      ref = parseEntityRef(value);
    } catch {
      throw new BaseImagesConfigError(
        key,
        `${JSON.stringify(
          value,
        )} is not an entity ref; write user:<namespace>/<name> or group:<namespace>/<name>`,
      );
    }
    if (!ADMIN_KINDS.includes(ref.kind.toLowerCase())) {
      throw new BaseImagesConfigError(
        key,
        `${JSON.stringify(value)} is a ${
          ref.kind
        } ref; only user: and group: refs can be admins`,
      );
    }
    // refs are case-insensitive; namespaces are validated as stored (lowercase)
    if (
      !entityRefParts.isValidNamespace(ref.namespace.toLowerCase()) ||
      !entityRefParts.isValidEntityName(ref.name)
    ) {
      throw new BaseImagesConfigError(
        key,
        `${JSON.stringify(value)} has an invalid namespace or name`,
      );
    }
    return stringifyEntityRef(ref);
  });
}

/**
 * Reads and validates everything under `baseImages`, filling in the seed's
 * defaults. Throws {@link BaseImagesConfigError} naming the offending key, so a
 * typo fails start-up instead of silently falling back to a default.
 * @public
 */
export function readBaseImagesConfig(root: Config): BaseImagesConfig {
  const config = root.getOptionalConfig(ROOT);
  if (config) checkKeys(config, ROOT, ROOT);

  const defaults = config?.getOptionalConfig('defaults');
  if (defaults) checkKeys(defaults, `${ROOT}.defaults`, `${ROOT}.defaults`);
  const defaultFlavor: Flavor =
    (defaults && readEnum(defaults, 'flavor', `${ROOT}.defaults`, FLAVORS)) ??
    'standard';

  const dhi = config?.getOptionalConfig('dhi');
  if (dhi) checkKeys(dhi, `${ROOT}.dhi`, `${ROOT}.dhi`);
  const dhiRegistry = dhi?.getOptionalString('registry');
  const mirrorConfig = dhi?.getOptionalConfig('mirror');
  let mirror: BaseImagesConfig['dhi']['mirror'];
  if (mirrorConfig) {
    const path = `${ROOT}.dhi.mirror`;
    checkKeys(mirrorConfig, path, path);
    const namespace = mirrorConfig.getString('namespace');
    if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/.test(namespace)) {
      throw new BaseImagesConfigError(
        `${path}.namespace`,
        `${JSON.stringify(
          namespace,
        )} is not a valid registry namespace (lowercase)`,
      );
    }
    const registry = mirrorConfig.getOptionalString('registry');
    const repositoryPrefix =
      mirrorConfig.getOptionalString('repositoryPrefix') ?? 'dhi-';
    if (!/^[a-z0-9._-]*$/.test(repositoryPrefix)) {
      throw new BaseImagesConfigError(
        `${path}.repositoryPrefix`,
        `${JSON.stringify(
          repositoryPrefix,
        )} may only hold lowercase letters, digits, ".", "_" and "-"`,
      );
    }
    mirror = {
      registry: registry ? readHost(registry, `${path}.registry`) : 'docker.io',
      namespace,
      repositoryPrefix,
      useForAll: mirrorConfig.getOptionalBoolean('useForAll') ?? false,
      extendedSupport:
        mirrorConfig.getOptionalBoolean('extendedSupport') ?? false,
    };
  }

  const policy = config?.getOptionalConfig('policy');
  if (policy) checkKeys(policy, `${ROOT}.policy`, `${ROOT}.policy`);

  return {
    admins: readAdmins(config),
    defaultFlavor,
    runtimes: readRuntimes(config?.getOptionalConfig('runtimes')),
    dhi: {
      registry: dhiRegistry
        ? readHost(dhiRegistry, `${ROOT}.dhi.registry`)
        : DEFAULT_DHI_REGISTRY,
      mirror,
    },
    frameworks: readFrameworks(policy?.getOptionalConfig('frameworks')),
    situations: readSituations(policy?.getOptionalConfig('situations')),
    registries: readRegistries(config?.getOptionalConfigArray('registries')),
    requiredAttestations:
      (config && readPrefixes(config, 'requiredAttestations', ROOT)) ??
      DEFAULT_REQUIRED_ATTESTATIONS,
  };
}
