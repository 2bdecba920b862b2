// A small SVG line plot for the load sweep (bench/net.ts): panels of series over a shared x axis,
// linear scales from 0, a few ticks, a legend. Plain text; no dependency for a few lines of SVG.

export interface Series {
  readonly name: string;
  readonly colour: string;
  readonly points: readonly (readonly [number, number])[];
  readonly dashed?: boolean;
}

export interface Panel {
  readonly yLabel: string;
  readonly series: readonly Series[];
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** "Nice" tick step for a range [0, max] with about `n` ticks. */
function step(max: number, n: number): number {
  const raw = max / n;
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

function fmt(v: number): string {
  if (v >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (v >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return `${+v.toFixed(2)}`;
}

export function linePlot(options: {
  title: string;
  xLabel: string;
  panels: readonly Panel[];
  width?: number;
  panelHeight?: number;
}): string {
  const width = options.width ?? 720;
  const ph = options.panelHeight ?? 260;
  const m = { left: 70, right: 170, top: 40, bottom: 50 };
  const height = m.top + options.panels.length * (ph + 30) + m.bottom;
  const plotW = width - m.left - m.right;
  const all = options.panels.flatMap((p) => p.series.flatMap((s) => s.points));
  const xMax = Math.max(1, ...all.map(([x]) => x));
  const xStep = step(xMax, 6);
  const xEnd = Math.ceil(xMax / xStep) * xStep;
  const X = (x: number): number => m.left + (x / xEnd) * plotW;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${esc(options.title)}</text>`,
  ];
  options.panels.forEach((panel, pi) => {
    const top = m.top + pi * (ph + 30);
    const yMax = Math.max(1e-9, ...panel.series.flatMap((s) => s.points.map(([, y]) => y)));
    const yStep = step(yMax, 5);
    const yEnd = Math.ceil(yMax / yStep) * yStep;
    const Y = (y: number): number => top + ph - (y / yEnd) * ph;
    out.push(
      `<rect x="${m.left}" y="${top}" width="${plotW}" height="${ph}" fill="none" stroke="#999"/>`,
    );
    for (let y = 0; y <= yEnd + 1e-9; y += yStep) {
      out.push(
        `<line x1="${m.left}" x2="${m.left + plotW}" y1="${Y(y)}" y2="${Y(y)}" stroke="#eee"/>`,
      );
      out.push(`<text x="${m.left - 6}" y="${Y(y) + 4}" text-anchor="end">${fmt(y)}</text>`);
    }
    for (let x = 0; x <= xEnd + 1e-9; x += xStep) {
      out.push(`<line x1="${X(x)}" x2="${X(x)}" y1="${top}" y2="${top + ph}" stroke="#eee"/>`);
      if (pi === options.panels.length - 1) {
        out.push(`<text x="${X(x)}" y="${top + ph + 16}" text-anchor="middle">${fmt(x)}</text>`);
      }
    }
    out.push(
      `<text transform="translate(18 ${top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(panel.yLabel)}</text>`,
    );
    panel.series.forEach((s, si) => {
      const d = s.points
        .map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${X(x).toFixed(1)},${Y(y).toFixed(1)}`)
        .join(' ');
      out.push(
        `<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''}/>`,
      );
      for (const [x, y] of s.points)
        out.push(
          `<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="3" fill="${s.colour}"/>`,
        );
      const ly = top + 16 + 18 * si;
      out.push(
        `<line x1="${width - m.right + 12}" x2="${width - m.right + 36}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.colour}" stroke-width="2"/>`,
      );
      out.push(`<text x="${width - m.right + 42}" y="${ly}">${esc(s.name)}</text>`);
    });
  });
  out.push(
    `<text x="${m.left + plotW / 2}" y="${height - 12}" text-anchor="middle">${esc(options.xLabel)}</text>`,
    '</svg>',
  );
  return out.join('\n');
}
