import { HumanDuration } from '@backstage/types';

export interface Config {
  baseImages?: {
    /**
     * The status backend's checks. Durations take an object
     * (`{ minutes: 30 }`), an ISO 8601 string (`PT30M`) or a short string
     * (`30m`), as other Backstage backends read them. An unknown key fails
     * start-up with its name.
     */
    status?: {
      /** How often every distinct base image of the fleet is re-checked. Default 6 hours. */
      refresh?: HumanDuration | string;
      /**
       * How long one fleet refresh may run. With several replicas, another
       * replica takes the refresh over only after this. Default 30 minutes.
       */
      refreshTimeout?: HumanDuration | string;
      /** How long after start-up the first fleet refresh runs. Default 1 minute. */
      refreshInitialDelay?: HumanDuration | string;
      /** Timeout of one registry request. Default 10 seconds. */
      requestTimeout?: HumanDuration | string;
      /** How long a tag -> digest answer (and the result checked for it) is trusted. Default 5 minutes. */
      tagTtl?: HumanDuration | string;
      /** Platform picked from a multi-platform index, `os/architecture[/variant]`. Default `linux/amd64`. */
      platform?: string;
    };
  };
}
