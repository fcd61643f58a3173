/**
 * Models add markdown even when told not to, and a voice would read the symbols out. This turns a
 * reply into plain spoken sentences: formatting marks go, list items and headings become
 * sentences, link text stays and URLs go.
 */
const SENTENCE_END = /[.!?:;,]$/;

function plainLine(line: string): string {
  return line
    .replace(/^\s{0,3}#{1,6}\s+/, '')
    .replace(/^\s*>\s?/, '')
    .replace(/^\s*(?:[-*+•]|\d+[.)])\s+/, '')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/(^|[^\w*])[*_]([^*_\s][^*_]*?)[*_](?=[^\w*]|$)/g, '$1$2')
    .replace(/~~(.+?)~~/g, '$1')
    .replace(/\|/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const isRule = (line: string) =>
  /^\s*(?:[-*_=]\s*){3,}$/.test(line) || /^\s*\|?[\s:|-]+\|?\s*$/.test(line);

export function toSpeech(text: string): string {
  const lines = text
    .replace(/```[a-z]*\n?/gi, '')
    .split(/\r?\n/)
    .filter((line) => !isRule(line))
    .map(plainLine)
    .filter((line) => line.length > 0);
  return lines
    .map((line, i) => (i < lines.length - 1 && !SENTENCE_END.test(line) ? `${line}.` : line))
    .join(' ');
}
