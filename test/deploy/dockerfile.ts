/**
 * Reads a Dockerfile into its instructions, so a test can replay what the image build does
 * instead of a hand-written copy of it that would drift from the real file.
 */
export interface DockerInstruction {
  keyword: string;
  /** The arguments as written, with line continuations joined. */
  args: string;
}

export interface DockerImageSteps {
  from: string;
  workdir: string;
  env: Record<string, string>;
  /** Source paths (relative to the build context) and their destination, in order. */
  copies: Array<{ sources: string[]; destination: string }>;
  runs: string[];
  user: string | undefined;
  exposedPorts: number[];
  /** The exec form of CMD and of HEALTHCHECK CMD. */
  cmd: string[];
  healthcheck: string[] | undefined;
}

export function parseDockerfile(text: string): DockerInstruction[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  const instructions: DockerInstruction[] = [];
  for (const rawLine of joined.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^(\S+)\s+(.*)$/.exec(line);
    if (!match?.[1] || match[2] === undefined)
      throw new Error(`unreadable Dockerfile line: ${line}`);
    instructions.push({ keyword: match[1].toUpperCase(), args: match[2].trim() });
  }
  return instructions;
}

/** `KEY=value KEY2="value 2"` (the only ENV form this project writes). */
function parseEnv(args: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const match of args.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S+)/g)) {
    const [, key, value] = match;
    if (key && value !== undefined) env[key] = value.startsWith('"') ? JSON.parse(value) : value;
  }
  return env;
}

function parseExecForm(args: string, what: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === 'string')) {
    throw new Error(`${what} must use the exec form (a JSON array of strings)`);
  }
  return parsed;
}

export function imageSteps(instructions: readonly DockerInstruction[]): DockerImageSteps {
  const steps: DockerImageSteps = {
    from: '',
    workdir: '/',
    env: {},
    copies: [],
    runs: [],
    user: undefined,
    exposedPorts: [],
    cmd: [],
    healthcheck: undefined,
  };
  for (const { keyword, args } of instructions) {
    switch (keyword) {
      case 'FROM':
        steps.from = args;
        break;
      case 'WORKDIR':
        steps.workdir = args;
        break;
      case 'ENV':
        Object.assign(steps.env, parseEnv(args));
        break;
      case 'COPY': {
        const parts = args.split(/\s+/).filter((part) => !part.startsWith('--'));
        const destination = parts.pop();
        if (!destination || parts.length === 0)
          throw new Error(`COPY needs sources and a destination: ${args}`);
        steps.copies.push({ sources: parts, destination });
        break;
      }
      case 'RUN':
        steps.runs.push(args);
        break;
      case 'USER':
        steps.user = args;
        break;
      case 'EXPOSE':
        steps.exposedPorts.push(...args.split(/\s+/).map((port) => Number.parseInt(port, 10)));
        break;
      case 'CMD':
        steps.cmd = parseExecForm(args, 'CMD');
        break;
      case 'HEALTHCHECK': {
        const cmdAt = args.indexOf('CMD ');
        if (cmdAt < 0) throw new Error('HEALTHCHECK needs a CMD');
        steps.healthcheck = parseExecForm(args.slice(cmdAt + 'CMD '.length), 'HEALTHCHECK CMD');
        break;
      }
      case 'STOPSIGNAL':
        break;
      default:
        throw new Error(`the install replay does not know Dockerfile instruction ${keyword}`);
    }
  }
  return steps;
}
