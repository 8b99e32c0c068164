import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { readBaseImagesConfig } from '../config';
import { EntityLoader } from './compliance';

/** Test helpers: a tiny in-memory catalog and config. */
export function entity(
  kind: string,
  name: string,
  spec: NonNullable<Entity['spec']> = {},
  annotations: Record<string, string> = {},
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind,
    metadata: { name, namespace: 'default', annotations },
    spec,
  };
}

export function loaderFor(
  entities: Entity[],
): EntityLoader & { calls: string[] } {
  const calls: string[] = [];
  const byRef = new Map(
    entities.map(e => [
      `${e.kind.toLowerCase()}:${e.metadata.namespace ?? 'default'}/${
        e.metadata.name
      }`,
      e,
    ]),
  );
  const load = async (ref: string) => {
    calls.push(ref);
    return byRef.get(ref);
  };
  return Object.assign(load, { calls });
}

export function configWith(baseImages: object = {}) {
  return readBaseImagesConfig(new ConfigReader({ baseImages }));
}
