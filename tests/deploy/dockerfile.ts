/**
 * A Dockerfile read into stages and instructions, enough to check what an image will contain without a
 * Docker engine: line continuations joined, comments and parser directives dropped, exec-form arguments
 * (JSON arrays) decoded.
 */

export interface Instruction {
  /** Upper case: FROM, RUN, COPY, USER… */
  keyword: string;
  /** Everything after the keyword, continuations joined with single spaces. */
  args: string;
  /** Exec form (`["node", "x.js"]`), decoded; undefined for the shell form. */
  exec?: string[];
  line: number;
}

export interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const instructions: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!;
    if (/^\s*(#.*)?$/.test(line)) continue;
    // A trailing backslash continues the instruction; comment lines inside a continuation are skipped.
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      line = line.replace(/\\\s*$/, ' ');
      i++;
      if (!/^\s*#/.test(lines[i]!)) line += lines[i]!.trim();
    }
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!match) throw new Error(`Dockerfile line ${start + 1}: not an instruction: ${line}`);
    const args = match[2]!.replace(/\s+/g, ' ').trim();
    const instruction: Instruction = { keyword: match[1]!.toUpperCase(), args, line: start + 1 };
    const exec = execForm(args);
    if (exec) instruction.exec = exec;
    instructions.push(instruction);
  }
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const from = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (!from) throw new Error(`Dockerfile line ${instruction.line}: FROM ${instruction.args}`);
      stages.push({ image: from[1]!, ...(from[2] ? { name: from[2] } : {}), instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword !== 'ARG') throw new Error(`Dockerfile line ${instruction.line}: ${instruction.keyword} before FROM`);
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return stages;
}

function execForm(args: string): string[] | undefined {
  // HEALTHCHECK options come before CMD: `--interval=30s CMD ["node", …]`.
  const json = /^(?:(?:--\S+\s+)*CMD\s+)?(\[.*\])$/.exec(args)?.[1];
  if (!json) return undefined;
  try {
    const parsed: unknown = JSON.parse(json);
    return Array.isArray(parsed) && parsed.every((part) => typeof part === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The instructions of one kind in a stage. */
export function all(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword);
}

/** KEY=value pairs of a stage's ENV instructions (the `ENV KEY value` form too). */
export function env(stage: Stage): Record<string, string> {
  const values: Record<string, string> = {};
  for (const { args } of all(stage, 'ENV')) {
    if (!args.includes('=')) {
      const [key, ...rest] = args.split(' ');
      values[key!] = rest.join(' ');
      continue;
    }
    for (const match of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) values[match[1]!] = match[2]!.replace(/^"|"$/g, '');
  }
  return values;
}
