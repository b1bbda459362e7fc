/**
 * The report as a page a person looks at: one self-contained HTML file (inline CSS, SVG charts drawn
 * here, no script, nothing fetched), from the JSON that --report writes. A pure function: report in,
 * HTML out. Every text that came from the documents (site names, unit texts, sample documents, ids,
 * reject messages) is escaped; sample text carries dir="auto" (Arabic pages read right to left).
 */
import type { RunReport } from '../stats.js';
import type { Reason } from '../strip.js';

/** Escape text for HTML content and attribute values. */
export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

const num = (n: number): string => n.toLocaleString('en-US');
const pct = (x: number, digits = 1): string => `${(x * 100).toFixed(digits)}%`;
const siteName = (s: string): string => (s === '' ? '(no site)' : s);

function bytes(n: number): string {
  if (n < 1e3) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

/** Reasons a span was removed, with their colours (marks in samples, tags in tables). */
const REASONS: Record<Reason, { color: string; meaning: string }> = {
  line: { color: '#f4a3a3', meaning: 'a whole line frequent in its site' },
  segment: { color: '#f7c08a', meaning: 'a segment of a chain line (ticker or menu item)' },
  chain: { color: '#f2d56b', meaning: 'a whole ticker or menu line' },
  prefix: { color: '#b9d98b', meaning: 'a templated line by its label before a separator' },
  suffix: { color: '#8fd3c1', meaning: 'a templated line by its label after the last separator' },
  shape: { color: '#9cc3f0', meaning: 'a dateline or timestamp by its shape' },
  teaser: { color: '#c7a8ef', meaning: 'a teaser (cut off with an ellipsis) of another article' },
  block: { color: '#eaa5d6', meaning: 'a list of recurring lines around chrome' },
  page: { color: '#d9b38c', meaning: 'chrome by its shape on the page alone (a ticker of headlines, a publication stamp)' },
  gap: { color: '#e3e3e3', meaning: 'blank lines between removed lines' },
  structure: { color: '#b0b7c3', meaning: 'an HTML block the block decision removed' },
};
const reasonColor = (r: string): string => REASONS[r as Reason]?.color ?? '#dddddd';

/** Sites in the chart (by documents); the table lists more. */
const CHART_SITES = 25;
const TABLE_SITES = 200;
/** Sites whose top units are listed, and units per site. */
const UNIT_SITES = 12;
const UNITS_PER_SITE = 8;

/** Horizontal bars: removed share of characters for each of the largest sites. */
function siteChart(sites: RunReport['sites']): string {
  const shown = sites.slice(0, CHART_SITES);
  if (shown.length === 0) return '<p class="muted">No site had a document with text.</p>';
  const labelW = 240;
  const barW = 680;
  const valueW = 180;
  const rowH = 24;
  const top = 28;
  const width = labelW + barW + valueW;
  const height = top + rowH * shown.length + 8;
  const maxShare = Math.max(0.05, ...shown.map((s) => share(s)));
  // Ticks at a round step, at most 10 of them; the axis ends at the first tick past the largest share.
  const step = [0.01, 0.02, 0.05, 0.1, 0.2].find((st) => maxShare / st <= 10) ?? 0.2;
  const ticks = Math.min(Math.ceil(maxShare / step - 1e-9), Math.round(1 / step));
  const axisMax = Math.min(1, ticks * step);
  const x = (v: number): number => labelW + (barW * v) / axisMax;
  const parts: string[] = [];
  parts.push(`<svg class="chart" id="site-chart" role="img" aria-labelledby="site-chart-title" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">`);
  parts.push(`<title id="site-chart-title">Share of characters removed, per site (${shown.length} largest by documents)</title>`);
  for (let t = 0; t <= ticks; t++) {
    const v = t * step;
    const gx = x(v).toFixed(1);
    parts.push(`<line x1="${gx}" x2="${gx}" y1="${top - 6}" y2="${height - 6}" class="grid"/>`);
    parts.push(`<text x="${gx}" y="${top - 10}" class="axis" text-anchor="middle">${Math.round(v * 100)}%</text>`);
  }
  shown.forEach((s, i) => {
    const y = top + i * rowH;
    const sh = share(s);
    const w = Math.max(sh > 0 ? 1 : 0, x(sh) - labelW);
    const name = siteName(s.site);
    const label = name.length > 32 ? `${name.slice(0, 31)}…` : name;
    parts.push(`<g class="bar-row"><title>${esc(name)}: ${pct(sh)} of ${num(s.charsIn)} characters removed; ${num(s.changed)} of ${num(s.docs)} documents changed</title>`);
    parts.push(`<text x="${labelW - 8}" y="${y + rowH / 2 + 4}" text-anchor="end" class="label">${esc(label)}</text>`);
    parts.push(`<rect x="${labelW}" y="${y + 4}" width="${barW}" height="${rowH - 8}" class="track"/>`);
    parts.push(`<rect x="${labelW}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 8}" class="${s.fallback ? 'bar fallback' : 'bar'}"/>`);
    parts.push(`<text x="${labelW + barW + 8}" y="${y + rowH / 2 + 4}" class="value">${pct(sh)} · ${num(s.docs)} docs</text></g>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

function share(s: { charsIn: number; charsOut: number }): number {
  return s.charsIn > 0 ? (s.charsIn - s.charsOut) / s.charsIn : 0;
}

/**
 * One stacked bar: documents changed, all chrome, unchanged (and records without text, rejected); the
 * segments sum to the records in. `docs.changed` counts the documents written changed: under --on-empty
 * empty that takes in the ones all chrome (written empty), under keep (written unchanged) and drop (not
 * written) it does not.
 */
export function docsOutcomes(r: RunReport): { label: string; n: number; color: string }[] {
  const passed = Object.values(r.records.passedThrough ?? {}).reduce((a, b) => a + b, 0);
  const onEmpty = r.options?.onEmpty ?? 'keep';
  const { cleaned, emptied } = r.docs;
  const changed = Math.max(0, onEmpty === 'empty' ? r.docs.changed - emptied : r.docs.changed);
  const chrome = onEmpty === 'drop' ? 'all chrome, dropped' : onEmpty === 'empty' ? 'all chrome, emptied' : 'all chrome, kept as is';
  return [
    { label: 'changed', n: changed, color: '#d9534f' },
    { label: chrome, n: emptied, color: '#8e44ad' },
    { label: 'unchanged', n: Math.max(0, cleaned - changed - emptied), color: '#9bb7d4' },
    { label: 'no text', n: passed, color: '#cccccc' },
    { label: 'rejected', n: r.records.rejected, color: '#555555' },
  ];
}

function docsChart(r: RunReport): string {
  return stackedBar('docs-chart', 'Records by outcome', docsOutcomes(r));
}

/** The characters removed, by the reason of their span (reports of builds before it have none: empty). */
function reasonsChart(r: RunReport): string {
  const by = r.chars.removedByReason;
  if (by === undefined) return '';
  const segs = (Object.entries(by) as [Reason, number][]).sort((a, b) => b[1] - a[1]).map(([k, n]) => ({ label: k, n, color: reasonColor(k), title: REASONS[k]?.meaning }));
  if (segs.length === 0) return '<p class="muted">Nothing was removed.</p>';
  return `${stackedBar('reasons-chart', 'Characters removed, by reason', segs)}<p class="muted">Lines removed for their counts are listed per site below; what the page alone gives away (<span class="tag" style="background:${reasonColor('page')}">page</span>: tickers, publication stamps) and what HTML pages lose by their blocks (<span class="tag" style="background:${reasonColor('structure')}">structure</span>, listed as containers) are counted here too.</p>`;
}

/** One bar split by share, with a legend under it. */
function stackedBar(id: string, title: string, all: { label: string; n: number; color: string; title?: string }[]): string {
  const segs = all.filter((s) => s.n > 0);
  const total = segs.reduce((a, s) => a + s.n, 0);
  const width = 1100;
  const barH = 26;
  const rowH = 20;
  // The legend wraps into rows that fit the width (about 7 px a character at the label's size).
  const legend: string[] = [];
  let lx = 0;
  let ly = 40;
  for (const s of segs) {
    const text = `${s.label} ${num(s.n)} (${pct(total > 0 ? s.n / total : 0)})`;
    const w = 30 + text.length * 7;
    if (lx > 0 && lx + w > width) {
      lx = 0;
      ly += rowH;
    }
    legend.push(`<rect x="${lx}" y="${ly}" width="12" height="12" fill="${s.color}"/><text x="${lx + 17}" y="${ly + 10}" class="label">${esc(text)}</text>`);
    lx += w;
  }
  const height = ly + 24;
  const parts = [`<svg class="chart" id="${id}" role="img" aria-labelledby="${id}-title" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg"><title id="${id}-title">${esc(title)}</title>`];
  let x0 = 0;
  for (const s of segs) {
    const w = total > 0 ? (width * s.n) / total : 0;
    parts.push(`<rect x="${x0.toFixed(1)}" y="0" width="${w.toFixed(1)}" height="${barH}" fill="${s.color}"><title>${esc(s.label)}: ${num(s.n)}${s.title ? ` (${esc(s.title)})` : ''}</title></rect>`);
    x0 += w;
  }
  parts.push(...legend, '</svg>');
  return parts.join('');
}

/** The two passes' seconds, side by side. */
function timeChart(t: RunReport['throughput']): string {
  const total = t.learnSeconds + t.stripSeconds;
  if (!(total > 0)) return '';
  const width = 480;
  const learnW = (width * t.learnSeconds) / total;
  return (
    `<svg class="chart" id="time-chart" role="img" aria-labelledby="time-chart-title" viewBox="0 0 ${width} 46" width="${width}" height="46" xmlns="http://www.w3.org/2000/svg"><title id="time-chart-title">Seconds per pass</title>` +
    `<rect x="0" y="0" width="${learnW.toFixed(1)}" height="22" fill="#5b8fd1"/><rect x="${learnW.toFixed(1)}" y="0" width="${(width - learnW).toFixed(1)}" height="22" fill="#e08a3c"/>` +
    `<rect x="0" y="30" width="12" height="12" fill="#5b8fd1"/><text x="17" y="40" class="label">pass 1 (learn) ${t.learnSeconds.toFixed(2)} s</text>` +
    `<rect x="220" y="30" width="12" height="12" fill="#e08a3c"/><text x="237" y="40" class="label">pass 2 (strip) ${t.stripSeconds.toFixed(2)} s</text></svg>`
  );
}

function card(label: string, value: string, note = ''): string {
  return `<div class="card"><div class="card-value">${value}</div><div class="card-label">${esc(label)}</div>${note ? `<div class="card-note">${note}</div>` : ''}</div>`;
}

function reasonTag(r: string): string {
  return `<span class="tag" style="background:${reasonColor(r)}" title="${esc(REASONS[r as Reason]?.meaning ?? r)}">${esc(r)}</span>`;
}

function sitesTable(r: RunReport): string {
  const rows = r.sites.slice(0, TABLE_SITES).map(
    (s) =>
      `<tr><td class="site" dir="auto">${esc(siteName(s.site))}</td><td>${num(s.docs)}</td><td>${num(s.changed)}</td><td>${num(s.emptied)}</td><td>${num(s.charsIn)}</td><td>${num(s.charsIn - s.charsOut)}</td><td>${pct(share(s))}</td><td>${num(s.threshold)}</td><td>${s.fallback ? 'small' : 'site'}</td></tr>`,
  );
  const more = r.sites.length - rows.length + (r.sitesOmitted ?? 0);
  return (
    `<table id="sites-table"><thead><tr><th>site</th><th>docs</th><th>changed</th><th>all chrome</th><th>chars in</th><th>chars removed</th><th>removed</th><th title="documents a line needs in this site to be chrome">threshold</th><th title="site: its own counts; small: under --min-site-docs, a share of its pages decides, corpus-wide counts beside">counts</th></tr></thead><tbody>${rows.join('')}</tbody></table>` +
    (more > 0 ? `<p class="muted">${num(more)} smaller sites not listed.</p>` : '')
  );
}

function unitsSection(r: RunReport): string {
  if (r.removedUnits.length === 0) return '<p class="muted">No unit was removed.</p>';
  const bySite = new Map<string, RunReport['removedUnits']>();
  for (const u of r.removedUnits) {
    const l = bySite.get(u.site);
    if (l) l.push(u);
    else bySite.set(u.site, [u]);
  }
  // Sites in the order of the sites table (largest first), then any others.
  const order = [...r.sites.map((s) => s.site).filter((s) => bySite.has(s)), ...[...bySite.keys()].filter((s) => !r.sites.some((x) => x.site === s))];
  const siteDocs = new Map(r.sites.map((s) => [s.site, s.docs]));
  const out: string[] = [];
  for (const site of order.slice(0, UNIT_SITES)) {
    const units = bySite.get(site)!.slice(0, UNITS_PER_SITE);
    const docs = siteDocs.get(site);
    const rows = units.map((u) => {
      const text = u.text.replace(/\s+/g, ' ').trim();
      const corpus = u.scope === 'corpus';
      // The df's share of what it counts: the model's documents of the site, or all of them for a corpus-wide count
      // (a report of an older build does not say which: no share).
      const share = u.of !== undefined && u.of > 0 ? ` <span class="muted">(${pct(Math.min(1, u.df / u.of), 0)}${corpus ? ' of all' : ''})</span>` : '';
      const scope = corpus ? ' <span class="tag" title="judged by the corpus-wide counts (a site under --min-site-docs): its frequency counts the documents of every site">corpus</span>' : '';
      return `<tr><td class="unit" dir="auto">${esc(text.length > 160 ? `${text.slice(0, 159)}…` : text)}</td><td>${reasonTag(u.reason)}${scope}</td><td>${num(u.df)}${share}</td><td>${num(u.removals ?? u.docs)}</td></tr>`;
    });
    out.push(
      `<div class="site-units"><h3 dir="auto">${esc(siteName(site))}${docs ? ` <span class="muted">· ${num(docs)} docs</span>` : ''}</h3><table class="units"><thead><tr><th>unit (start of its text)</th><th>reason</th><th title="documents with this unit, as the model counted them, and their share: of the model's documents of the site, or, marked corpus, of all the model's documents">doc. frequency</th><th title="times it was removed from this site's documents in this run (a unit can occur more than once in a document)">removals</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`,
    );
  }
  const notes: string[] = [];
  if (order.length > UNIT_SITES) notes.push(`${num(order.length - UNIT_SITES)} more sites have removed units in the JSON report.`);
  notes.push(`From the ${num(r.removedUnits.length)} units removed most often${r.removedUnitsUntracked ? `; ${num(r.removedUnitsUntracked)} removals were not tracked (table full)` : ''}. A unit judged by the corpus-wide counts is listed under each site it was removed from, with that site's removals.`);
  return `<div class="unit-grid">${out.join('')}</div><p class="muted">${notes.join(' ')}</p>`;
}

/**
 * A sample document as lines, each its own block with dir="auto", so every line takes the direction of its
 * own first letter (Arabic lines right to left, English ones left to right, brackets mirrored right)
 * whatever the direction of the page or of the line before. `before`: removed spans marked; `after`:
 * removed spans left out, a thin bar where they were. Runs of blank lines show as one.
 */
function renderSample(d: RunReport['samples'][number], mode: 'before' | 'after'): string {
  const out: string[] = [];
  let line: string[] = [];
  let hasText = false;
  let blank = false;
  const endLine = (): void => {
    if (hasText) out.push(`<div class="ln" dir="auto">${line.join('')}</div>`);
    else if (line.length > 0) out.push(`<div class="ln">${line.join('')}</div>`);
    else if (!blank) out.push('<div class="ln"><br></div>');
    blank = !hasText && line.length === 0;
    line = [];
    hasText = false;
  };
  const text = (t: string, reason: string | null): void => {
    const segs = t.split('\n');
    segs.forEach((seg, i) => {
      if (i > 0) endLine();
      if (seg === '') return;
      line.push(reason === null ? esc(seg) : `<mark class="rm" style="background:${reasonColor(reason)}" title="removed: ${esc(reason)}">${esc(seg)}</mark>`);
      if (/\S/.test(seg)) hasText = true;
    });
  };
  const elided = (n: number): void => {
    if (line.length > 0 || hasText) endLine();
    out.push(`<div class="elided" dir="ltr">⋯ ${num(n)} characters not shown ⋯</div>`);
    blank = true;
  };
  let at = 0;
  for (const [start, part] of d.parts) {
    if (start > at) elided(start - at);
    const end = start + part.length;
    let p = start;
    let cut = false;
    for (const [s0, e0, reason] of d.spans) {
      const s = Math.max(s0, start);
      const e = Math.min(e0, end);
      if (e <= s) continue;
      if (s > p) {
        text(part.slice(p - start, s - start), null);
        cut = false;
      }
      if (mode === 'before') text(part.slice(s - start, e - start), reason);
      else if (!cut) {
        // Adjacent spans (a line and the blank lines after it) are one cut in the cleaned text.
        line.push('<span class="cut" title="removed here"></span>');
        cut = true;
      }
      p = e;
    }
    if (p < end) text(part.slice(p - start), null);
    at = end;
  }
  if (at < d.chars) elided(d.chars - at);
  else if (line.length > 0) endLine();
  return out.join('');
}

function samplesSection(r: RunReport): string {
  const samples = r.samples ?? [];
  if (samples.length === 0) return '<p class="muted">This report carries no sample documents (it was written by an older boilerstrip, or no document had text).</p>';
  const items = samples.map((d, i) => {
    const title = d.url ?? d.id ?? `document ${i + 1}`;
    const note = d.emptied ? ' · <strong>all chrome</strong> (written per --on-empty)' : '';
    return (
      `<details class="sample"${i < 3 ? ' open' : ''}><summary><span class="sample-site" dir="auto">${esc(siteName(d.site))}</span> <span class="sample-id" dir="auto">${esc(title)}</span> <span class="muted">· ${num(d.chars)} chars, ${num(d.removedChars)} removed (${pct(d.chars > 0 ? d.removedChars / d.chars : 0)})${note}</span></summary>` +
      `<div class="before-after"><div><h4>Before <span class="muted">(removed spans marked)</span></h4><div class="doc">${renderSample(d, 'before')}</div></div>` +
      `<div><h4>After</h4><div class="doc">${renderSample(d, 'after')}</div></div></div></details>`
    );
  });
  const legend = Object.entries(REASONS)
    .map(([k, v]) => `<span class="legend-item"><span class="swatch" style="background:${v.color}"></span>${esc(k)}: ${esc(v.meaning)}</span>`)
    .join('');
  return `<p class="legend">${legend}</p>${items.join('')}<p class="muted">${num(samples.length)} documents picked by a hash of their text (changed ones first, two per site before the others), the same on every run over the same input. Long documents show their start and the lines around what was removed.</p>`;
}

function keyValues(rows: [string, string, string?][]): string {
  return `<table class="kv"><tbody>${rows.map(([k, v, n]) => `<tr><th>${esc(k)}</th><td>${v}</td>${n !== undefined ? `<td class="muted">${esc(n)}</td>` : ''}</tr>`).join('')}</tbody></table>`;
}

function settingsSection(r: RunReport): string {
  const o = r.options ?? {};
  const v = (k: string): string => (o[k] === undefined ? '<span class="muted">–</span>' : esc(String(o[k])));
  return keyValues([
    ['--min-docs', v('minDocs'), 'a unit is chrome in at least this many documents of its site'],
    ['--min-ratio', v('minRatio'), '…and at least this share of them'],
    ['--min-site-docs', v('minSiteDocs'), 'smaller sites need a line on 40% of their pages (at least 2)'],
    ['--template-ratio', v('templateRatio'), 'share of site documents a template key needs'],
    ['--template-min-docs', v('templateMinDocs'), 'documents a template key needs at least'],
    ['--chain-ratio', v('chainRatio'), 'share of chrome items that takes a whole ticker line'],
    ['templates', v('templates'), 'template and head keys'],
    ['fallback', v('fallback'), 'corpus-wide counts for small sites'],
    ['dedup', v('dedup'), 'copies of a page count once'],
    ['--on-empty', v('onEmpty'), 'a document that is all chrome'],
    ['--max-memory', o.maxMemory !== undefined ? esc(bytes(Number(o.maxMemory))) : v('maxMemory'), 'budget of the count table'],
  ]);
}

function modelSection(r: RunReport): string {
  const m = r.model;
  if (!m) return '<p class="muted">No model figures in this report.</p>';
  const p = m.pruning;
  const pruned = p.events > 0;
  return (
    keyValues([
      ['documents counted', num(m.docs), 'copies included'],
      ['sites', num(m.sites)],
      ['units in the table', num(m.units)],
      ['table size', esc(bytes(m.tableBytes))],
      [
        'spilled to disk',
        m.spill ? `${num(m.spill.spilled)} units in ${num(m.spill.runs)} runs` : 'none',
        m.spill?.failed
          ? `<span class="warn">spilling stopped: ${esc(m.spill.failed)}</span>`
          : m.spill
            ? `the table reached --max-memory: units of one document so far went to disk and were added back after pass 1 (counts exact; ${num(m.spill.singles)} units of one document dropped)`
            : 'the table held every unit',
      ],
      ['pruning', pruned ? `<strong class="warn">${num(p.events)} times</strong>` : 'none', pruned ? 'the table reached --max-memory with mostly repeated units and dropped its rarest' : 'none needed'],
      ['units pruned', num(p.units)],
      ['counts short by at most', num(p.maxUndercount), 'documents'],
    ]) + (pruned ? '<p class="warn">Counts may be short: a larger --max-memory keeps every unit (and makes the output the same for every thread count).</p>' : '')
  );
}

function throughputSection(r: RunReport): string {
  const t = r.throughput;
  return (
    keyValues([
      ['input', esc(bytes(t.bytesIn))],
      ['pass 1 (learn)', `${t.learnSeconds.toFixed(3)} s`],
      ['pass 2 (strip)', `${t.stripSeconds.toFixed(3)} s`],
      ['throughput', t.mbPerSecond !== null ? `${t.mbPerSecond.toFixed(1)} MB/s` : '–', 'input bytes over both passes'],
      ['analysis cache', t.analysisCached === null ? '–' : t.analysisCached ? 'used' : 'not used', t.analysisCacheOff ?? ''],
    ]) + timeChart(t)
  );
}

function recordsSection(r: RunReport): string {
  const rec = r.records;
  const by = Object.entries(rec.rejectedBy ?? {});
  const pt = Object.entries(rec.passedThrough ?? {}).filter(([, n]) => n > 0);
  let html = keyValues([
    ['records in', num(rec.in)],
    ['records out', num(rec.out)],
    ['rejected', num(rec.rejected), by.map(([k, n]) => `${k} ${n}`).join(', ')],
    ['dropped', num(rec.dropped), '--on-empty drop'],
    ['balanced', rec.balanced ? 'yes' : '<strong class="warn">no</strong>', 'in = out + rejected + dropped'],
    ['passed through without text', num(pt.reduce((a, [, n]) => a + n, 0)), pt.map(([k, n]) => `${k} ${n}`).join(', ')],
    ['lines with invalid UTF-8', num(rec.invalidUtf8Lines)],
    ['documents with copies', num(r.docs.withCopies)],
  ]);
  const rejects = r.rejects ?? [];
  if (rejects.length > 0) {
    const rows = rejects.slice(0, 20).map((x) => `<tr><td dir="auto">${esc(x.file)}</td><td>${num(x.line)}</td><td>${esc(x.code)}</td><td dir="auto">${esc(x.message)}</td></tr>`);
    html += `<h3>First rejects</h3><table id="rejects-table"><thead><tr><th>file</th><th>line</th><th>code</th><th>message</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
  }
  return html;
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans Arabic",sans-serif;color:#1d2330;background:#f5f6f8}
main{max-width:1180px;margin:0 auto;padding:20px 24px 48px}
h1{font-size:24px;margin:0 0 2px}
h2{font-size:18px;margin:30px 0 10px;padding-bottom:4px;border-bottom:1px solid #d8dce3}
h3{font-size:15px;margin:14px 0 6px}
h4{font-size:13px;margin:6px 0;color:#4a5262}
.muted{color:#6b7385;font-weight:normal}
.warn{color:#b03a2e}
.sub{color:#6b7385;margin:0 0 16px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px}
.card{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:10px 12px}
.card-value{font-size:22px;font-weight:600}
.card-label{color:#4a5262}
.card-note{color:#6b7385;font-size:12px}
.panel{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:12px 14px;overflow-x:auto}
svg.chart{display:block;max-width:100%;height:auto}
svg .label{font-size:12px;fill:#1d2330}
svg .value{font-size:12px;fill:#4a5262}
svg .axis{font-size:11px;fill:#6b7385}
svg .grid{stroke:#e6e8ee;stroke-width:1}
svg .track{fill:#f0f2f5}
svg .bar{fill:#d9534f}
svg .bar.fallback{fill:#e8a09d}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{padding:4px 8px;border-bottom:1px solid #eceef2;text-align:left;vertical-align:top}
thead th{background:#eef0f4;font-weight:600;font-size:13px}
#sites-table td:not(.site),#sites-table th:not(:first-child){text-align:right;font-variant-numeric:tabular-nums}
td.site,td.unit{unicode-bidi:plaintext;overflow-wrap:anywhere}
table.kv{width:auto;min-width:50%}
table.kv th{font-weight:500;color:#4a5262;background:none;white-space:nowrap}
.unit-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:12px}
.site-units{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:4px 10px 8px;overflow:hidden}
table.units td:nth-child(n+3),table.units th:nth-child(n+3){text-align:right;white-space:nowrap}
.tag{display:inline-block;padding:0 6px;border-radius:4px;font-size:12px;color:#1d2330}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px;color:#4a5262}
.legend-item{display:inline-flex;align-items:center;gap:5px}
.swatch{display:inline-block;width:12px;height:12px;border-radius:3px}
details.sample{background:#fff;border:1px solid #dde1e8;border-radius:8px;margin:10px 0;padding:6px 12px}
details.sample summary{cursor:pointer;padding:4px 0}
.sample-site{font-weight:600}
.sample-id{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;overflow-wrap:anywhere}
.before-after{display:grid;grid-template-columns:1fr 1fr;gap:14px}
.doc{white-space:pre-wrap;overflow-wrap:anywhere;font-size:13px;line-height:1.6;border:1px solid #eceef2;border-radius:6px;padding:8px 10px;background:#fcfcfd}
mark.rm{color:#3a1212;border-radius:2px}
.cut{display:inline-block;width:0;height:1em;border-left:2px solid #d9534f;vertical-align:middle;margin:0 1px}
.elided{text-align:center;color:#8a91a1;font-size:12px;margin:6px 0}
.ln{min-height:1.6em}
footer{margin-top:36px;color:#8a91a1;font-size:12px}
@media (max-width:820px){.before-after{grid-template-columns:1fr}.unit-grid{grid-template-columns:1fr}}
`;

/** The page for a report (as report() returns it, or as read back from --report's JSON). */
export function reportHtml(r: RunReport, meta: { title?: string; source?: string } = {}): string {
  const removed = r.chars.in - r.chars.out;
  const sitesCount = r.model?.sites ?? r.sites.length + (r.sitesOmitted ?? 0);
  const title = meta.title ?? 'boilerstrip report';
  const cards = [
    card('records in', num(r.records.in), r.records.rejected ? `${num(r.records.rejected)} rejected` : ''),
    card('documents changed', num(r.docs.changed), `of ${num(r.docs.cleaned)} cleaned (${pct(r.docs.cleaned ? r.docs.changed / r.docs.cleaned : 0)})`),
    card('of the text removed', pct(r.chars.removedShare ?? (r.chars.in ? removed / r.chars.in : 0)), `${num(removed)} of ${num(r.chars.in)} chars`),
    card('sites', num(sitesCount), r.docs.judgedByCorpusCounts ? `${num(r.docs.judgedByCorpusCounts)} docs of small sites` : ''),
    card('throughput', r.throughput.mbPerSecond !== null ? `${r.throughput.mbPerSecond.toFixed(1)} MB/s` : '–', `${esc(bytes(r.throughput.bytesIn))} in ${(r.throughput.learnSeconds + r.throughput.stripSeconds).toFixed(2)} s`),
    card(
      'pruning',
      r.model && r.model.pruning.events > 0 ? `<span class="warn">${num(r.model.pruning.units)} units</span>` : 'none',
      r.model && r.model.pruning.events > 0 ? `counts short by ≤ ${num(r.model.pruning.maxUndercount)}` : r.model?.spill ? `every count exact (${num(r.model.spill.spilled)} units spilled to disk)` : 'every unit counted',
    ),
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>${esc(title)}</h1>
<p class="sub">${meta.source ? `${esc(meta.source)} · ` : ''}what boilerstrip removed as repeated site chrome</p>
<section id="summary"><div class="cards">${cards.join('')}</div></section>
<section id="removed-share"><h2>Removed share per site</h2><div class="panel">${siteChart(r.sites)}<p class="muted">Share of each site's characters removed; ${r.sites.length > CHART_SITES ? `the ${CHART_SITES} sites with the most documents` : r.sites.length === 1 ? 'one site' : `all ${r.sites.length} sites`}. Lighter bars: sites under --min-site-docs (a share of their pages decides, corpus-wide counts beside).</p></div>
<h3>Records</h3><div class="panel">${docsChart(r)}</div>${r.chars.removedByReason !== undefined ? `<h3>Removed, by reason</h3><div class="panel">${reasonsChart(r)}</div>` : ''}</section>
<section id="sites"><h2>Sites</h2>${sitesTable(r)}</section>
<section id="units"><h2>Top chrome units per site</h2>${unitsSection(r)}</section>
<section id="samples"><h2>Sample documents, before and after</h2>${samplesSection(r)}</section>
<section id="settings"><h2>Thresholds</h2>${settingsSection(r)}<p class="muted">Each site's threshold (documents a line needs) is in the sites table: max(--min-docs, ⌈--min-ratio × site documents⌉); for a site under --min-site-docs, at most 40% of its pages (at least 2).</p></section>
<section id="model"><h2>Model and pruning</h2>${modelSection(r)}</section>
<section id="throughput"><h2>Throughput</h2>${throughputSection(r)}</section>
<section id="records"><h2>Records</h2>${recordsSection(r)}</section>
<footer>Written by boilerstrip. Self-contained: no script, nothing loaded from elsewhere.</footer>
</main>
</body>
</html>
`;
}
