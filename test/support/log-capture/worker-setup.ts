/** In each test worker: copy what it writes to stdout and stderr into the run's capture. */
import { captureOutput } from './capture.ts';

for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    captureOutput(
      typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'),
    );
    return write(chunk, ...rest);
  }) as typeof stream.write;
}
