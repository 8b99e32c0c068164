import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Register the locally published repository in the catalog',
    example: yaml.stringify({
      steps: [
        {
          id: 'register',
          action: 'base-images:register-local',
          name: 'Register',
          input: {
            catalogInfoPath: '${{ steps.publish.output.catalogInfoPath }}',
          },
        },
      ],
    }),
  },
];
