// JSON pointers (/steps/2/maxLag) and the dotted form diagnostics show (steps[2].maxLag).
import { splitPointer } from './yaml-source.js';

export function joinPointer(segments: ReadonlyArray<string | number>): string {
  return segments.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

/** /steps/2/guards/0/on -> steps[2].guards[0].on ; odd keys are quoted: vars["a b"]. */
export function displayPath(pointer: string): string {
  let out = '';
  for (const seg of splitPointer(pointer)) {
    if (/^\d+$/.test(seg)) out += `[${seg}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(seg)) out += out === '' ? seg : '.' + seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}
