import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Render the skeleton next to the template on the images chosen by base-images:resolve',
    example: yaml.stringify({
      steps: [
        {
          id: 'render',
          action: 'base-images:render',
          name: 'Render service',
          input: {
            runtime: 'python',
            name: '${{ parameters.name }}',
            description: '${{ parameters.description }}',
            owner: '${{ parameters.owner }}',
            system: '${{ parameters.system }}',
            skeleton: './skeleton',
            version: '${{ steps.resolve.output.version }}',
            images: {
              runtimeImage: '${{ steps.resolve.output.runtimeImage }}',
              builderImage: '${{ steps.resolve.output.builderImage }}',
              debugImage: '${{ steps.resolve.output.debugImage }}',
              variant: '${{ steps.resolve.output.variant }}',
            },
            shellless: '${{ steps.resolve.output.shellless }}',
            authRequired: '${{ steps.resolve.output.authRequired }}',
            loginRegistries: '${{ steps.resolve.output.loginRegistries }}',
            frameworks: '${{ steps.resolve.output.frameworks }}',
            reasons: '${{ steps.resolve.output.reasons }}',
          },
        },
      ],
    }),
  },
];
