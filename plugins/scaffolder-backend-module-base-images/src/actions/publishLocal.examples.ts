import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Publish the rendered service as a local git repository',
    example: yaml.stringify({
      steps: [
        {
          id: 'publish',
          action: 'base-images:publish-local',
          name: 'Publish',
          input: { repoName: '${{ parameters.name }}' },
        },
      ],
    }),
  },
  {
    description:
      'Commit a change to an existing local repository on a new branch',
    example: yaml.stringify({
      steps: [
        {
          id: 'publish',
          action: 'base-images:publish-local',
          name: 'Commit on a branch',
          input: {
            repoName: '${{ steps.update.output.repoName }}',
            branch: '${{ steps.update.output.branchName }}',
            commitMessage: '${{ steps.update.output.title }}',
          },
        },
      ],
    }),
  },
];
