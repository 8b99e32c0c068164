import Ajv from 'ajv';
import {
  ActionContext,
  TemplateAction,
  TemplateExample,
} from '@backstage/plugin-scaffolder-node';
import { JsonObject, JsonValue } from '@backstage/types';
import yaml from 'yaml';
import { mockContext } from './fixtures';

/** One step of an example, as a template's YAML declares it. */
export interface ExampleStep {
  id: string;
  name?: string;
  action: string;
  if?: JsonValue;
  input?: JsonObject;
}

/** What an example's expressions read: the template's parameters and the outputs of earlier steps by step id. */
export interface ExampleContext {
  parameters?: JsonObject;
  steps?: Record<string, { output: JsonObject }>;
}

/** `${{ a.b.c }}` as the whole string: the scaffolder keeps such a value's type. */
const WHOLE_EXPRESSION = /^\$\{\{\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*\}\}$/;

/** Every step of an example, parsed from its YAML. */
export function exampleSteps(example: TemplateExample): ExampleStep[] {
  const parsed = yaml.parse(example.example);
  if (!Array.isArray(parsed?.steps)) {
    throw new Error(`The example "${example.description}" has no steps list`);
  }
  return parsed.steps;
}

/** The one step of `example` that runs `actionId`: an example of another action fails here. */
export function exampleStepOf(
  example: TemplateExample,
  actionId: string,
): ExampleStep {
  const steps = exampleSteps(example);
  const ours = steps.filter(step => step.action === actionId);
  if (ours.length !== 1) {
    throw new Error(
      `The example "${
        example.description
      }" must have exactly one step running ${actionId}; its steps run ${
        steps.map(step => step.action).join(', ') || 'nothing'
      }`,
    );
  }
  return ours[0];
}

function lookUp(path: string, expression: string, context: ExampleContext) {
  let value: unknown = context;
  const keys = path.split('.');
  keys.forEach((key, i) => {
    if (
      value === null ||
      typeof value !== 'object' ||
      !Object.prototype.hasOwnProperty.call(value, key) ||
      (value as Record<string, unknown>)[key] === undefined
    ) {
      const reached = keys.slice(0, i).join('.') || 'the context';
      const has =
        value !== null && typeof value === 'object'
          ? Object.keys(value).join(', ') || 'nothing'
          : 'no keys';
      throw new Error(
        `${expression}: ${reached} has no ${key} (it has ${has})`,
      );
    }
    value = (value as Record<string, unknown>)[key];
  });
  return value as JsonValue;
}

/**
 * Replaces every whole-string `${{ path.to.value }}` in `value` with the
 * value at that path in `context`, keeping its type. Hand-written rather than
 * rendered with nunjucks as the scaffolder does, because nunjucks turns a
 * missing output into an empty value, and an example that reads an output no
 * step gives must fail; any other expression form throws too.
 */
export function fillExpressions(
  value: JsonValue,
  context: ExampleContext,
): JsonValue {
  if (typeof value === 'string') {
    if (!value.includes('${{')) return value;
    const match = WHOLE_EXPRESSION.exec(value);
    if (!match) {
      throw new Error(
        `${JSON.stringify(
          value,
        )}: only a whole-string \${{ path.to.value }} expression can be filled in`,
      );
    }
    return lookUp(match[1], value, context);
  }
  if (Array.isArray(value))
    return value.map(item => fillExpressions(item, context));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        fillExpressions(item as JsonValue, context),
      ]),
    );
  }
  return value;
}

/** Refuses input that the scaffolder would refuse before the handler runs: it checks it against the action's input schema. */
function checkInputSchema(
  action: TemplateAction<any, any, any>,
  input: JsonObject,
) {
  if (!action.schema?.input) return;
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validate = ajv.compile(action.schema.input);
  if (!validate(input)) {
    throw new Error(
      `The input of ${action.id} does not match its schema: ${ajv.errorsText(
        validate.errors,
      )}`,
    );
  }
}

/**
 * Runs the step of `example` that uses `action`, with its expressions filled
 * in from `context`, and returns its outputs and the context extended with
 * them under the step's id, for the examples of later steps.
 */
export async function runExample(
  action: TemplateAction<any, any, any>,
  example: TemplateExample,
  options: {
    context?: ExampleContext;
    workspacePath?: string;
    templateInfo?: ActionContext<JsonObject>['templateInfo'];
    isDryRun?: boolean;
  } = {},
) {
  const step = exampleStepOf(example, action.id);
  const context = options.context ?? {};
  const input = fillExpressions(step.input ?? {}, context) as JsonObject;
  checkInputSchema(action, input);
  const ctx = mockContext({
    input,
    workspacePath: options.workspacePath,
    templateInfo: options.templateInfo,
    isDryRun: options.isDryRun,
  });
  await action.handler(ctx);
  const outputs = ctx.outputs();
  return {
    step,
    input,
    ctx,
    outputs,
    context: {
      ...context,
      steps: { ...context.steps, [step.id]: { output: outputs } },
    } as ExampleContext,
  };
}
