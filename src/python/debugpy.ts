/**
 * What debugpy says about the exception a Python program stopped on, as Python would have
 * printed it, so the terminal's traceback parser reads debugger stops too.
 */

/**
 * debugpy's exceptionInfo.details.stackTrace is a traceback printed innermost frame first, with
 * chained exceptions as sections and the qualified exception line last. Turned around into the
 * order Python prints (the last section, the one that stopped the program), the terminal's parser
 * reads it as it reads any traceback.
 */
export function tracebackFromDebugpy(stackTrace: string): string | undefined {
  const lines = stackTrace.replace(/\r\n/g, '\n').split('\n');
  const last = [...lines].reverse().find((l) => l.trim() !== '');
  if (!last || !/^[A-Za-z_][\w.]*(:|$)/.test(last)) return undefined;
  const sections = lines
    .join('\n')
    .split(
      /\n(?:During handling of the above exception, another exception occurred:|The above exception was the direct cause of the following exception:)\n/,
    );
  const final = sections[sections.length - 1]!.split('\n');
  const frames: string[][] = [];
  for (const l of final) {
    if (/^\s*File "/.test(l)) frames.push([l.replace(/ \(Current frame\)\s*$/, '')]);
    else if (frames.length && /^\s{4,}\S/.test(l)) frames[frames.length - 1]!.push(l);
  }
  if (frames.length === 0) return undefined;
  return `Traceback (most recent call last):\n${frames.reverse().flat().join('\n')}\n${last}\n\n`;
}
