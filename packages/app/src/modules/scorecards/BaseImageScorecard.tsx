import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
  StatusError,
  StatusOK,
} from '@backstage/core-components';
import {
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { ResponseError } from '@backstage/errors';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { useEffect, useState } from 'react';

/**
 * The checks the base-images Tech Insights module defines
 * (plugins/tech-insights-backend-module-base-images), in the order shown.
 */
export const BASE_IMAGE_CHECK_IDS = [
  'base-images-verified',
  'base-images-compliant',
];

/** The part of a Tech Insights check result the card shows. */
export interface CheckResult {
  check: { id: string; name: string; description: string };
  result: boolean;
}

type Load =
  | { state: 'loading' }
  | { state: 'error'; error: Error }
  | { state: 'done'; results: CheckResult[] };

/**
 * The base-image scorecard: each base-image check of Tech Insights for this
 * entity, passed or failed, as `POST /api/tech-insights/checks/run/...`
 * evaluates it over the latest facts.
 *
 * Our own card, not the community scorecards card
 * (@backstage-community/plugin-tech-insights): that frontend package is not
 * on the npm registry this project installs from, while the backend and its
 * HTTP API are.
 */
export function BaseImageScorecard() {
  const { entity } = useEntity();
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const { kind } = entity;
  const { name, namespace = 'default' } = entity.metadata;

  useEffect(() => {
    let cancelled = false;
    setLoad({ state: 'loading' });
    (async () => {
      const baseUrl = await discoveryApi.getBaseUrl('tech-insights');
      const path = [namespace, kind, name].map(encodeURIComponent).join('/');
      const response = await fetchApi.fetch(`${baseUrl}/checks/run/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ checks: BASE_IMAGE_CHECK_IDS }),
      });
      if (!response.ok) throw await ResponseError.fromResponse(response);
      const results = (await response.json()) as CheckResult[];
      const order = (r: CheckResult) =>
        BASE_IMAGE_CHECK_IDS.indexOf(r.check.id);
      return [...results].sort((a, b) => order(a) - order(b));
    })().then(
      results => !cancelled && setLoad({ state: 'done', results }),
      error => !cancelled && setLoad({ state: 'error', error }),
    );
    return () => {
      cancelled = true;
    };
  }, [discoveryApi, fetchApi, kind, namespace, name]);

  return (
    <InfoCard title="Base-image scorecard">
      {load.state === 'loading' && <Progress />}
      {load.state === 'error' && <ResponseErrorPanel error={load.error} />}
      {load.state === 'done' && load.results.length === 0 && (
        <Typography variant="body2">
          No base-image facts for this entity yet: Tech Insights collects them
          on the schedule of
          techInsights.factRetrievers.baseImagesFactRetriever.
        </Typography>
      )}
      {load.state === 'done' && load.results.length > 0 && (
        <Box component="ul" aria-label="Base-image checks" m={0} p={0}>
          {load.results.map(({ check, result }) => (
            <Box
              component="li"
              key={check.id}
              aria-label={check.name}
              display="flex"
              alignItems="center"
              justifyContent="space-between"
              py={1}
            >
              <Box pr={2}>
                <Typography variant="subtitle2">{check.name}</Typography>
                <Typography variant="body2" color="textSecondary">
                  {check.description}
                </Typography>
              </Box>
              {result ? (
                <StatusOK>Passed</StatusOK>
              ) : (
                <StatusError>Failed</StatusError>
              )}
            </Box>
          ))}
        </Box>
      )}
    </InfoCard>
  );
}
