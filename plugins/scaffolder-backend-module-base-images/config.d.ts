export interface Config {
  baseImages?: {
    /** Where the base-image templates publish new repositories. */
    publish?: {
      /**
       * `local` (default): a git repository under `localDirectory`, registered in
       * the catalog as a file location; works offline. `github`: `publish:github`
       * under `github.owner` (needs a GitHub integration).
       */
      target?: 'local' | 'github';
      /** Directory for local repositories, relative to the backend's working directory. Default `.generated-repos` under the repository root. */
      localDirectory?: string;
      github?: {
        /** Organisation or user that owns the new repositories. */
        owner: string;
        /** Default `github.com`. */
        host?: string;
      };
    };
  };
}
