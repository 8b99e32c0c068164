import fs from 'node:fs';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { crypto as sigstoreCrypto } from '@sigstore/core';
import { RegistryConfig } from '@internal/backstage-plugin-base-images-common';
import { configuredScopes, RepositoryTrust } from './repositoryTrust';

export interface TrustedKey {
  /** Hex SHA-256 of the key's SPKI DER: the key id shown to users. */
  id: string;
  key: sigstoreCrypto.KeyObject;
}

/** A configured key with the scopes it is trusted for (`dhi.io`, `docker.io/example-org/dhi-`). */
export interface ScopedKey extends TrustedKey {
  scopes: string[];
}

/**
 * The keys one image is checked with: those trusted for its repository, and,
 * only to explain a failure, every other configured key with where it is
 * trusted ("signed by a key trusted for dhi.io, not for docker.io/evil/x").
 */
export interface KeyRing {
  /** The image's `<registry>/<repository>`, named in messages. */
  subject: string;
  trusted: TrustedKey[];
  /** Configured keys not trusted for this image, computed on first use. */
  elsewhere(): ScopedKey[];
}

/** Docker's public DHI keys (docker-hardened-images/keyring): dhi-2 is the active one. */
const DHI_KEY_FILES = ['dhi-2.pub', 'dhi-1.pub'];

export function toTrustedKey(pem: string): TrustedKey {
  const key = sigstoreCrypto.createPublicKey(pem);
  const der = key.export({ type: 'spki', format: 'der' });
  return { id: sigstoreCrypto.digest('sha256', der).toString('hex'), key };
}

let bundledDhiKeys: TrustedKey[] | undefined;
/** Docker's DHI keys, or stand-ins (tests sign with their own keys in Docker's place). */
export function dhiKeys(pems?: string[]): TrustedKey[] {
  if (pems) return pems.map(toTrustedKey);
  bundledDhiKeys ??= DHI_KEY_FILES.map(file =>
    toTrustedKey(
      fs.readFileSync(
        resolvePackagePath(
          '@internal/backstage-plugin-base-images-backend',
          'src/trust',
          file,
        ),
        'utf8',
      ),
    ),
  );
  return bundledDhiKeys;
}

function unique<T extends TrustedKey>(keys: T[]): T[] {
  return keys.filter((k, i) => keys.findIndex(o => o.id === k.id) === i);
}

/** The keys trusted for one repository (RepositoryTrust), and the rest of the configured ones for messages. */
export function keyRingFor(
  subject: string,
  trust: RepositoryTrust,
  registries: RegistryConfig[],
  dhi: TrustedKey[],
): KeyRing {
  const trusted = unique([
    ...(trust.dhiKeys ? dhi : []),
    ...trust.publicKeys.map(toTrustedKey),
  ]);
  let elsewhere: ScopedKey[] | undefined;
  return {
    subject,
    trusted,
    elsewhere() {
      if (!elsewhere) {
        const byId = new Map<string, ScopedKey>();
        for (const scope of configuredScopes(registries)) {
          for (const key of [
            ...(scope.dhiKeys ? dhi : []),
            ...scope.publicKeys.map(toTrustedKey),
          ]) {
            if (trusted.some(t => t.id === key.id)) continue;
            const known = byId.get(key.id) ?? { ...key, scopes: [] };
            if (!known.scopes.includes(scope.scope))
              known.scopes.push(scope.scope);
            byId.set(key.id, known);
          }
        }
        elsewhere = [...byId.values()];
      }
      return elsewhere;
    },
  };
}
