// dashboard.js: KPIs and charts for a range, from GET /api/analytics.
// Charts are Chart.js (vendored from npm); without it the page says so.
import { get } from "../api.js";
import { locale, t } from "../i18n.js";
import { businessDay, card, h, select } from "../ui.js";

const charts = [];

function kpi(label, value, id) {
  return card({ class: "kpi", id }, h("div", { class: "value" }, value), h("div", { class: "label" }, label));
}

function chartCard(title, id) {
  return card({}, h("h2", {}, title),
    h("div", { class: "chart-box" }, h("canvas", { id, role: "img", "aria-label": title })));
}

function draw(data, area) {
  const Chart = window.Chart;
  const canvas = (id) => area.querySelector(`#${id}`);
  charts.splice(0).forEach((c) => c.destroy());
  Chart.defaults.color = "#c5cbe6";
  Chart.defaults.borderColor = "rgba(255,255,255,0.12)";
  const reduced = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  // A fresh options object per chart: Chart.js keeps (and fills in) the one it is given.
  const base = () => ({ responsive: true, maintainAspectRatio: false, animation: reduced ? false : undefined });
  const days = data.by_day.map((d) => d.date.slice(5));
  charts.push(new Chart(canvas("chart-day"), {
    type: "line", options: base(),
    data: { labels: days, datasets: [{ label: t("dash.calls"), data: data.by_day.map((d) => d.calls),
                                       borderColor: "#4da3ff", backgroundColor: "rgba(77,163,255,0.25)",
                                       fill: true, tension: 0.3 }] } }));
  charts.push(new Chart(canvas("chart-bookings"), {
    type: "bar", options: base(),
    data: { labels: days, datasets: [
      { label: t("dash.calls"), data: data.by_day.map((d) => d.calls), backgroundColor: "rgba(167,123,255,0.6)" },
      { label: t("dash.booked"), data: data.by_day.map((d) => d.booked), backgroundColor: "rgba(46,230,201,0.75)" }] } }));
  const max = Math.max(1, ...data.by_hour_of_week.map((c) => c.calls));
  // dow 0 = Sunday (PostgreSQL's); 2023-01-01 was a Sunday.
  const weekday = (v) => new Date(Date.UTC(2023, 0, 1 + v)).toLocaleDateString(locale(),
    { weekday: "short", timeZone: "UTC" });
  charts.push(new Chart(canvas("chart-heat"), {
    type: "scatter",
    options: { ...base(), plugins: { legend: { display: false } },
               scales: { x: { min: -0.5, max: 23.5, title: { display: true, text: t("dash.hour") },
                              ticks: { stepSize: 3, callback: (v) => (Number.isInteger(v) ? v : "") } },
                         y: { min: -0.5, max: 6.5, reverse: true,
                              ticks: { callback: (v) => (Number.isInteger(v) && v >= 0 && v <= 6 ? weekday(v) : "") } } } },
    data: { datasets: [{ data: data.by_hour_of_week.map((c) => ({ x: c.hour, y: c.dow, n: c.calls })),
                         pointStyle: "rectRounded", pointRadius: 9,
                         backgroundColor: data.by_hour_of_week.map((c) =>
                           `rgba(46,230,201,${0.15 + 0.85 * c.calls / max})`) }] } }));
  const langs = Object.keys(data.by_language);
  charts.push(new Chart(canvas("chart-lang"), {
    type: "doughnut", options: base(),
    data: { labels: langs.map((l) => (l === "es" ? "Español" : "English")),
            datasets: [{ data: langs.map((l) => data.by_language[l]),
                         backgroundColor: ["#4da3ff", "#a77bff", "#2ee6c9"] }] } }));
}

export async function render(main) {
  const range = select(t("dash.range"), [["7", t("dash.days7")], ["30", t("dash.days30")],
                                         ["90", t("dash.days90")]], "30", { id: "range" });
  const kpis = h("div", { class: "grid kpis" });
  const chartArea = h("div", { class: "grid two" });
  main.replaceChildren(h("h1", {}, t("dash.title")),
    h("div", { class: "row", style: "max-width:20rem" }, range.wrap), kpis, h("div", { style: "height:1rem" }), chartArea);

  let generation = 0;
  async function load() {
    const mine = ++generation;
    // The business's days, as the server counts them (not UTC, not this browser's zone).
    const to = businessDay(0), from = businessDay(Number(range.input.value) - 1);
    const data = await get(`/analytics?from=${from}&to=${to}`);
    // While the figures were on their way the owner may have picked another range (a newer
    // load draws) or left the page, e.g. switched language (this page is no longer shown):
    // drawing into a detached canvas is what Chart.js refuses.
    if (mine !== generation || !chartArea.isConnected) {
      return;
    }
    const pct = data.conversion === null ? "—" : `${Math.round(data.conversion * 100)}%`;
    const avg = data.avg_duration_s === null ? "—" : `${Math.round(data.avg_duration_s)} s`;
    kpis.replaceChildren(kpi(t("dash.calls"), data.calls, "kpi-calls"), kpi(t("dash.answered"), data.answered),
      kpi(t("dash.booked"), data.booked), kpi(t("dash.conversion"), pct),
      kpi(t("dash.emergencies"), data.emergencies), kpi(t("dash.avg"), avg));
    if (!window.Chart) {
      chartArea.replaceChildren(h("p", { class: "notice", role: "note" }, t("dash.nocharts")));
      return;
    }
    chartArea.replaceChildren(chartCard(t("dash.perday"), "chart-day"), chartCard(t("dash.bookings"), "chart-bookings"),
      chartCard(t("dash.heatmap"), "chart-heat"), chartCard(t("dash.languages"), "chart-lang"));
    draw(data, chartArea);
  }
  range.input.addEventListener("change", load);
  // Chart.js loads with `defer`; wait for it (or its failure) before drawing.
  if (!window.Chart && !window.ChartMissing && document.readyState !== "complete") {
    await new Promise((resolve) => window.addEventListener("load", resolve, { once: true }));
  }
  await load();
  return () => charts.splice(0).forEach((c) => c.destroy());
}
