import fs from 'node:fs';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { crypto as sigstoreCrypto } from '@sigstore/core';
import { RegistryConfig } from '@internal/backstage-plugin-base-images-common';

export interface TrustedKey {
  /** Hex SHA-256 of the key's SPKI DER: the key id shown to users. */
  id: string;
  key: sigstoreCrypto.KeyObject;
}

/** Docker's public DHI keys (docker-hardened-images/keyring): dhi-2 is the active one. */
const DHI_KEY_FILES = ['dhi-2.pub', 'dhi-1.pub'];
const DHI_HOSTS = new Set(['dhi.io', 'registry.scout.docker.com']);

export function toTrustedKey(pem: string): TrustedKey {
  const key = sigstoreCrypto.createPublicKey(pem);
  const der = key.export({ type: 'spki', format: 'der' });
  return { id: sigstoreCrypto.digest('sha256', der).toString('hex'), key };
}

let dhiKeys: TrustedKey[] | undefined;
function defaultDhiKeys(): TrustedKey[] {
  dhiKeys ??= DHI_KEY_FILES.map(file =>
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
  return dhiKeys;
}

/** The keys whose signatures count for a registry: its configured keys, or the DHI keys for DHI hosts. */
export function trustedKeysFor(registry: RegistryConfig): TrustedKey[] {
  if (registry.publicKeys.length > 0)
    return registry.publicKeys.map(toTrustedKey);
  return DHI_HOSTS.has(registry.host) ? defaultDhiKeys() : [];
}
