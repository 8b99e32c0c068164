import { CompoundEntityRef } from '@backstage/catalog-model';
import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  BaseImageStatusResponse,
  ImageSelection,
  NewServiceInput,
  OverviewResponse,
} from '@internal/backstage-plugin-base-images-common';
import { BaseImagesApi, OverviewQuery } from './BaseImagesApi';

/** @public */
export class BaseImagesClient implements BaseImagesApi {
  constructor(
    private readonly options: {
      discoveryApi: DiscoveryApi;
      fetchApi: FetchApi;
    },
  ) {}

  private async call<T>(path: string, init?: RequestInit): Promise<T> {
    const baseUrl = await this.options.discoveryApi.getBaseUrl('base-images');
    const response = await this.options.fetchApi.fetch(
      `${baseUrl}${path}`,
      init,
    );
    if (!response.ok) throw await ResponseError.fromResponse(response);
    return (await response.json()) as T;
  }

  private entityPath({ kind, namespace, name }: CompoundEntityRef) {
    return `/entities/${encodeURIComponent(
      kind.toLowerCase(),
    )}/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
  }

  getEntityStatus(entity: CompoundEntityRef) {
    return this.call<BaseImageStatusResponse>(this.entityPath(entity));
  }

  refreshEntityStatus(entity: CompoundEntityRef) {
    return this.call<BaseImageStatusResponse>(
      `${this.entityPath(entity)}/refresh`,
      { method: 'POST' },
    );
  }

  getOverview(query: OverviewQuery = {}) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== '') params.set(key, String(value));
    }
    const search = params.toString();
    return this.call<OverviewResponse>(
      `/overview${search ? `?${search}` : ''}`,
    );
  }

  preview(input: NewServiceInput) {
    return this.call<ImageSelection>('/preview', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input),
    });
  }
}
