// bench/chart.svg: throughput and p99 per variant for the main scenarios, two bar panels on
// linear axes, written by hand so that no browser or image library is needed.

const COLORS = { bare: "#8c8c8c", "client-side": "#e6a23c", gateway: "#2f6fdf" };
const VARIANTS = ["bare", "client-side", "gateway"];
const SCENARIOS = { auth: "auth GET", forged: "forged cookie", stream: "1 MiB stream", login: "login" };

export function renderChart(results) {
  const { summary } = results.comparison;
  const variants = VARIANTS;
  const panelWidth = 420;
  const panelHeight = 250;
  const margin = { top: 56, left: 56, bottom: 64, gap: 70 };
  const width = margin.left + 2 * panelWidth + margin.gap + 20;
  const height = margin.top + panelHeight + margin.bottom + 44;
  const parts = [];
  const panel = (offsetX, heading, unit, valueOf) => {
    const values = Object.keys(SCENARIOS).flatMap((id) => variants.map((variant) => valueOf(summary[id][variant])));
    const step = niceStep(Math.max(...values) / 5);
    const max = step * Math.ceil(Math.max(...values) / step);
    const y = (value) => margin.top + panelHeight * (1 - value / max);
    parts.push(`<text x="${offsetX}" y="${margin.top - 30}" class="h">${heading}</text>`);
    for (let tick = 0; tick <= max + step / 2; tick += step) {
      parts.push(
        `<line x1="${offsetX}" x2="${offsetX + panelWidth}" y1="${y(tick)}" y2="${y(tick)}" class="grid"/>`,
        `<text x="${offsetX - 6}" y="${y(tick) + 4}" class="tick" text-anchor="end">${tickLabel(tick)}</text>`,
      );
    }
    parts.push(`<text x="${offsetX - 44}" y="${margin.top + panelHeight / 2}" class="tick" transform="rotate(-90 ${offsetX - 44} ${margin.top + panelHeight / 2})" text-anchor="middle">${unit}</text>`);
    const groupWidth = panelWidth / Object.keys(SCENARIOS).length;
    const barWidth = (groupWidth - 24) / variants.length;
    Object.keys(SCENARIOS).forEach((id, group) => {
      const groupX = offsetX + group * groupWidth + 12;
      variants.forEach((variant, index) => {
        const value = valueOf(summary[id][variant]);
        const x = groupX + index * barWidth;
        const top = y(value);
        parts.push(
          `<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${(barWidth - 3).toFixed(1)}" height="${(margin.top + panelHeight - top).toFixed(1)}" fill="${COLORS[variant]}"><title>${variant}: ${tickLabel(value)} ${unit}</title></rect>`,
          `<text x="${(x + (barWidth - 3) / 2).toFixed(1)}" y="${(top - 4).toFixed(1)}" class="v" text-anchor="middle">${tickLabel(value)}</text>`,
        );
      });
      const label = SCENARIOS[id];
      parts.push(`<text x="${(groupX + (groupWidth - 24) / 2).toFixed(1)}" y="${margin.top + panelHeight + 18}" class="tick" text-anchor="middle">${label}</text>`);
    });
  };
  panel(margin.left, "Throughput (higher is better)", "requests/s", (figures) => figures.requestsPerSecond);
  panel(margin.left + panelWidth + margin.gap, "p99 latency (lower is better)", "ms", (figures) => figures.p99Ms);
  variants.forEach((variant, index) => {
    const x = margin.left + index * 150;
    const y = height - 38;
    parts.push(`<rect x="${x}" y="${y - 10}" width="12" height="12" fill="${COLORS[variant]}"/>`, `<text x="${x + 18}" y="${y}" class="tick">${variant}</text>`);
  });
  const { env, settings } = results;
  parts.push(
    `<text x="${margin.left + 2 * panelWidth + margin.gap}" y="${height - 12}" class="note" text-anchor="end">` +
      `forged cookie, gateway: as configured, with COOKIE_FAILURE_LIMITER. workerd ${env.versions.workerd}, ${settings.connections} connections, ` +
      `median of ${settings.rounds} rounds, ${env.startedAt.slice(0, 10)}</text>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">`,
    "<style>.h{font-size:15px;font-weight:600;fill:#222}.tick{font-size:11px;fill:#444}.v{font-size:10px;fill:#222}.note{font-size:10px;fill:#666}.grid{stroke:#ddd;stroke-width:1}</style>",
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}

/** 1, 2 or 5 times a power of ten, at least `rough`. */
function niceStep(rough) {
  const power = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 5, 10].map((factor) => factor * power).find((step) => step >= rough);
}

function tickLabel(value) {
  if (value === 0) return "0";
  if (value >= 1000) return `${Number((value / 1000).toPrecision(3))}k`;
  return String(Number(value.toPrecision(value >= 1 ? 3 : 2)));
}

