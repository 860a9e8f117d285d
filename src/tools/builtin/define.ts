import { z } from 'zod';
import { ToolError, type ToolCallEnv, type ToolDefinition } from '../types.js';

/**
 * A built-in tool from a zod schema: the JSON Schema the model sees and the validation of what it sends
 * come from the same source, so they cannot disagree. Invalid arguments become TOOL_INPUT_INVALID with
 * zod's explanation, which the model can act on.
 */
export function defineTool<S extends z.ZodObject>(spec: {
  name: string;
  description: string;
  schema: S;
  readOnly: boolean;
  run(args: z.infer<S>, env: ToolCallEnv): Promise<string>;
}): ToolDefinition {
  const { $schema: _ignored, ...parameters } = z.toJSONSchema(spec.schema) as Record<string, unknown>;
  return {
    name: spec.name,
    description: spec.description,
    parameters,
    readOnly: spec.readOnly,
    async run(args, env) {
      const parsed = spec.schema.safeParse(args);
      if (!parsed.success) throw new ToolError('TOOL_INPUT_INVALID', `invalid arguments: ${z.prettifyError(parsed.error)}`);
      return spec.run(parsed.data, env);
    },
  };
}
