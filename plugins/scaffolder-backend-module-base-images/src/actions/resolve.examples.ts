import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Resolve the base images for a Python service from its owner and system',
    example: yaml.stringify({
      steps: [
        {
          id: 'resolve',
          action: 'base-images:resolve',
          name: 'Choose base image',
          input: {
            runtime: 'python',
            owner: '${{ parameters.owner }}',
            system: '${{ parameters.system }}',
          },
        },
      ],
    }),
  },
  {
    description:
      'Node 22 on Alpine with an extra framework on top of what the catalog says',
    example: yaml.stringify({
      steps: [
        {
          id: 'resolve',
          action: 'base-images:resolve',
          name: 'Choose base image',
          input: {
            runtime: 'node',
            version: '22',
            flavor: 'alpine',
            system: 'system:default/billing',
            frameworks: ['soc2'],
          },
        },
      ],
    }),
  },
];
