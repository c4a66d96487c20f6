// Renders bench rows as a text table, Markdown, JSON and a hand-written SVG chart (no dependencies).

const ms = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const fig = (s) => (s ? `${ms(s.median)} (${ms(s.min)}-${ms(s.max)}, n=${s.runs})` : '-');
const ratio = (r) =>
  r.ratio === undefined ? '-' : `${r.ratio < 0.1 ? r.ratio.toFixed(3) : r.ratio.toFixed(2)}x`;
const verdict = (r) => (r.na ? 'n/a' : r.met === undefined ? '-' : r.met ? 'met' : 'NOT MET');
const oursFig = (r) => (r.na ? 'n/a' : fig(r.ours));

/** Plain-text table, columns padded to width. */
export function textTable(rows) {
  const head = [
    'scenario',
    'ours ms: median (min-max, n)',
    'notary* ms: median (min-max, n)',
    'ratio',
    'goal',
    '',
  ];
  const body = rows.map((r) => [r.name, oursFig(r), fig(r.theirs), ratio(r), r.goal || '-', verdict(r)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [
    line(head),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...body.map(line),
    '* the Notary client, or the baseline the scenario names (JSON.stringify, python-tuf ngclient)',
  ].join('\n');
}

export function markdownTable(rows) {
  const out = [
    '| scenario | ours ms: median (min-max, n) | notary* ms: median (min-max, n) | ratio | goal | |',
    '|---|--:|--:|--:|---|---|',
  ];
  for (const r of rows) {
    out.push(
      `| ${r.name} | ${oursFig(r)} | ${fig(r.theirs)} | ${ratio(r)} | ${r.goal || '-'} | ${verdict(r)} |`,
    );
  }
  out.push('', '\\* the Notary client, or the baseline the scenario names (JSON.stringify)');
  return out.join('\n');
}

export function cryptoTable(crypto) {
  const v = crypto.verifiesPerSecond ?? {};
  const backends = Object.keys(v);
  const types = [...new Set(backends.flatMap((b) => Object.keys(v[b])))];
  const out = [
    `| key type | ${backends.map((b) => `verify/s, backend ${b}`).join(' | ')} |`,
    `|---|${backends.map(() => '--:').join('|')}|`,
  ];
  for (const t of types)
    out.push(`| ${t} | ${backends.map((b) => v[b][t]?.toLocaleString('en') ?? '-').join(' | ')} |`);
  return out.join('\n');
}

const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Horizontal bars of ours/notary (log scale, 1.0x marked); each bar coloured by its goal
 * (green met, red not met, grey no goal) with the goal ratio drawn as a tick when it is a ratio.
 */
export function svgChart(rows, title) {
  const rs = rows.filter((r) => r.ratio !== undefined);
  const W = 960;
  const left = 430;
  const right = W - 70;
  const rowH = 26;
  const top = 64;
  const H = top + rs.length * rowH + 40;
  const lo = Math.log10(0.001);
  const hi = Math.log10(Math.max(20, ...rs.map((r) => r.ratio * 1.5)));
  const x = (v) => left + ((Math.log10(Math.max(v, 0.001)) - lo) / (hi - lo)) * (right - left);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12" role="img" aria-label="${esc(title)}">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<text x="10" y="36" fill="#555">time of content-trust / time of the Notary client in the same run on the same server (canonical JSON rows: / JSON.stringify).</text>`,
    `<text x="10" y="52" fill="#555">Log scale, lower is better. Green: goal met, red: not met, grey: no goal. Black tick: a ratio goal; absolute goals are written after the bar.</text>`,
  ];
  for (const g of [0.001, 0.01, 0.1, 1, 10, 100]) {
    if (Math.log10(g) > hi) break;
    const gx = x(g);
    parts.push(
      `<line x1="${gx}" y1="${top - 4}" x2="${gx}" y2="${H - 30}" stroke="${g === 1 ? '#333' : '#ddd'}" ${g === 1 ? 'stroke-dasharray="4 3"' : ''}/>`,
      `<text x="${gx}" y="${H - 16}" text-anchor="middle" fill="#555">${g}x</text>`,
    );
  }
  rs.forEach((r, i) => {
    const y = top + i * rowH;
    const colour = r.met === undefined ? '#9e9e9e' : r.met ? '#3c9d5d' : '#d9534f';
    const x0 = x(0.001);
    parts.push(
      `<text x="${left - 8}" y="${y + 16}" text-anchor="end">${esc(r.name.length > 64 ? `${r.name.slice(0, 62)}...` : r.name)}</text>`,
      `<rect x="${x0}" y="${y + 5}" width="${Math.max(1, x(r.ratio) - x0)}" height="15" fill="${colour}"/>`,
      `<text x="${x(r.ratio) + 5}" y="${y + 17}">${esc(ratio(r))}${r.goalRatio === undefined && r.goal ? esc(` (${ms(r.ours.median)} ms; goal ${r.goal})`) : ''}</text>`,
    );
    if (r.goalRatio !== undefined) {
      parts.push(
        `<line x1="${x(r.goalRatio)}" y1="${y + 2}" x2="${x(r.goalRatio)}" y2="${y + 23}" stroke="#000" stroke-width="2"/>`,
      );
    }
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
