import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      "Move a service's Dockerfile to the base images its compliance requires and open a pull request",
    example: yaml.stringify({
      steps: [
        {
          id: 'update',
          action: 'base-images:update-dockerfile',
          name: 'Rewrite the FROM lines',
          input: { entity: '${{ parameters.entity }}' },
        },
        {
          id: 'pull-request',
          action: 'publish:github:pull-request',
          name: 'Open a pull request',
          if: '${{ steps.update.output.changed }}',
          input: {
            repoUrl: '${{ steps.update.output.repoUrl }}',
            branchName: '${{ steps.update.output.branchName }}',
            targetBranchName: '${{ steps.update.output.targetBranchName }}',
            title: '${{ steps.update.output.title }}',
            description: '${{ steps.update.output.description }}',
          },
        },
      ],
    }),
  },
  {
    description: 'A Dockerfile that is not beside catalog-info.yaml',
    example: yaml.stringify({
      steps: [
        {
          id: 'update',
          action: 'base-images:update-dockerfile',
          name: 'Rewrite the FROM lines',
          input: {
            entity: 'component:default/payments-api',
            dockerfilePath: 'docker/Dockerfile.production',
          },
        },
      ],
    }),
  },
];
