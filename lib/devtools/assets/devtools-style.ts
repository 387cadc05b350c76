/** The viewer's style sheet: system fonts only, so the page needs no network. */
export const DEVTOOLS_CSS = String.raw`:root {
  color-scheme: light dark;
  --bg: #f6f7f9;
  --panel: #ffffff;
  --text: #1d2330;
  --muted: #667085;
  --line: #e4e7ec;
  --line-strong: #d0d5dd;
  --hover: #f2f5fb;
  --selected: #e8efff;
  --accent: #3b6cf6;
  --error: #d92d20;
  --error-bg: #fef3f2;
  --ok: #067647;
  --ok-bg: #ecfdf3;
  --warn-bg: #fffaeb;
  --warn: #b54708;
  --grid: rgba(16, 24, 40, 0.06);
  --code-bg: #f5f6f8;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace;
  --sans: system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1115;
    --panel: #171a21;
    --text: #e6e8ee;
    --muted: #98a2b3;
    --line: #262b36;
    --line-strong: #343a46;
    --hover: #1e2330;
    --selected: #1d2a4a;
    --accent: #7396ff;
    --error: #f97066;
    --error-bg: #3a1714;
    --ok: #47cd89;
    --ok-bg: #10291c;
    --warn-bg: #33250c;
    --warn: #fdb022;
    --grid: rgba(255, 255, 255, 0.06);
    --code-bg: #11141a;
  }
}
* { box-sizing: border-box; }
html, body { height: 100%; }
body {
  margin: 0;
  display: flex;
  flex-direction: column;
  background: var(--bg);
  color: var(--text);
  font: 13px/1.45 var(--sans);
}
h1, h2, h3 { margin: 0; font-weight: 600; }
h1 { font-size: 16px; }
h2 { font-size: 14px; }
h3 { font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); }
.muted { color: var(--muted); }
.mono { font-family: var(--mono); font-size: 12px; }
[hidden] { display: none !important; }

.topbar {
  display: flex;
  align-items: center;
  justify-content: space-between;
  gap: 16px;
  padding: 10px 20px;
  background: var(--panel);
  border-bottom: 1px solid var(--line);
}
.brand { display: flex; align-items: center; gap: 10px; min-width: 0; }
.brand-sub { color: var(--muted); }
.services { display: flex; gap: 6px; flex-wrap: wrap; }
.topbar-actions { display: flex; align-items: center; gap: 12px; }
.live { display: inline-flex; align-items: center; gap: 6px; color: var(--muted); font-size: 12px; }
.live::before {
  content: '';
  width: 8px;
  height: 8px;
  border-radius: 50%;
  background: var(--muted);
}
.live[data-state='live'] { color: var(--ok); }
.live[data-state='live']::before { background: var(--ok); box-shadow: 0 0 0 3px var(--ok-bg); }
.live[data-state='offline'] { color: var(--warn); }
.live[data-state='offline']::before { background: var(--warn); }

.button {
  font: inherit;
  padding: 5px 12px;
  border: 1px solid var(--line-strong);
  border-radius: 6px;
  background: var(--panel);
  color: var(--text);
  cursor: pointer;
}
.button:hover { background: var(--hover); }
.button.subtle { border-color: transparent; color: var(--muted); }

.filters {
  display: flex;
  align-items: flex-end;
  gap: 12px;
  padding: 10px 20px;
  border-bottom: 1px solid var(--line);
  background: var(--panel);
}
.field { display: flex; flex-direction: column; gap: 3px; font-size: 11px; color: var(--muted); }
.field.grow { flex: 1 1 0; min-width: 120px; }
.field input, .field select {
  font: 13px var(--sans);
  padding: 5px 8px;
  border: 1px solid var(--line-strong);
  border-radius: 6px;
  background: var(--panel);
  color: var(--text);
  min-width: 0;
  height: 30px;
}
.field input:focus, .field select:focus, .button:focus-visible,
.traces tbody tr:focus-visible, .wf-row:focus-visible {
  outline: 2px solid var(--accent);
  outline-offset: -2px;
}

.layout {
  flex: 1 1 auto;
  min-height: 0;
  display: flex;
  flex-direction: column;
  gap: 12px;
  padding: 12px 20px 16px;
}
.panel {
  background: var(--panel);
  border: 1px solid var(--line);
  border-radius: 10px;
  min-height: 0;
}
.list-panel { flex: 0 0 auto; display: flex; flex-direction: column; max-height: 36vh; }
.panel-head {
  display: flex;
  align-items: baseline;
  justify-content: space-between;
  padding: 10px 14px;
  border-bottom: 1px solid var(--line);
}
.table-wrap { overflow: auto; min-height: 0; }
.traces { width: 100%; border-collapse: collapse; }
.traces th {
  position: sticky;
  top: 0;
  z-index: 1;
  text-align: left;
  font-weight: 500;
  font-size: 11px;
  color: var(--muted);
  background: var(--panel);
  padding: 6px 14px;
  border-bottom: 1px solid var(--line);
}
.traces td {
  padding: 6px 14px;
  border-bottom: 1px solid var(--line);
  white-space: nowrap;
}
.traces tbody tr { cursor: pointer; }
.traces tbody tr:hover { background: var(--hover); }
.traces tbody tr[aria-selected='true'] { background: var(--selected); }
.traces tbody tr:last-child td { border-bottom: none; }
.num, .traces th.num { text-align: right; font-variant-numeric: tabular-nums; }
.root-cell { max-width: 420px; overflow: hidden; text-overflow: ellipsis; font-weight: 500; }
.root-cell .error-dot { margin-right: 6px; }
.empty { margin: 0; padding: 28px 16px; text-align: center; color: var(--muted); }

.badge {
  display: inline-block;
  padding: 1px 7px;
  border-radius: 999px;
  font-size: 11px;
  font-weight: 600;
  line-height: 17px;
  background: var(--code-bg);
  color: var(--muted);
}
.badge.error { background: var(--error-bg); color: var(--error); }
.badge.ok { background: var(--ok-bg); color: var(--ok); }
.badge.pending { background: var(--warn-bg); color: var(--warn); }
.badge + .badge { margin-left: 4px; }
/* N+1: the mark wraps under the span name rather than cut it (or be cut). */
.badge.nplus1 { background: var(--warn-bg); color: var(--warn); max-width: 100%; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.wf-row.nplus1 .wf-name { flex-wrap: wrap; row-gap: 2px; }
.wf-row.nplus1 .wf-name .badge.nplus1 { margin-left: 15px; }
.nplus1-meta b { color: var(--warn); }
.svc { display: inline-flex; align-items: center; gap: 6px; }
.svc-dot { width: 9px; height: 9px; border-radius: 3px; flex: 0 0 auto; }
.error-dot { color: var(--error); font-weight: 700; }

.trace-panel { flex: 1 1 auto; display: flex; flex-direction: column; }
.trace { flex: 1 1 auto; min-height: 0; display: flex; flex-direction: column; }
.trace-head { padding: 12px 14px; border-bottom: 1px solid var(--line); }
.trace-head h2 { font-size: 15px; margin-bottom: 6px; overflow-wrap: anywhere; }
.meta { display: flex; flex-wrap: wrap; gap: 6px 16px; color: var(--muted); font-size: 12px; }
.meta b { color: var(--text); font-weight: 500; }
.trace-body { flex: 1 1 auto; min-height: 0; display: flex; }
.waterfall { flex: 3 1 0; min-width: 0; overflow: auto; }
.details {
  flex: 2 1 0;
  min-width: 280px;
  max-width: 560px;
  overflow: auto;
  border-left: 1px solid var(--line);
  padding: 12px 16px 24px;
}

.wf-head, .wf-row { display: grid; grid-template-columns: minmax(240px, 42%) 1fr; }
.wf-head {
  position: sticky;
  top: 0;
  z-index: 1;
  background: var(--panel);
  border-bottom: 1px solid var(--line);
  font-size: 11px;
  color: var(--muted);
}
.wf-head > div { padding: 6px 10px; }
.wf-head > .wf-axis { position: relative; height: 27px; margin: 0 10px; padding: 0; }
.tick { position: absolute; top: 6px; transform: translateX(-50%); white-space: nowrap; }
.tick:first-child { transform: none; }
.tick:last-child { transform: translateX(-100%); }
.wf-row { cursor: pointer; border-bottom: 1px solid var(--line); min-height: 28px; }
.wf-row:hover { background: var(--hover); }
.wf-row[aria-selected='true'] { background: var(--selected); }
.wf-name {
  display: flex;
  align-items: center;
  gap: 6px;
  padding: 4px 10px;
  min-width: 0;
  border-right: 1px solid var(--line);
}
.wf-name .name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.wf-name .kind { color: var(--muted); font-size: 11px; flex: 0 0 auto; }
.wf-row.error .name { color: var(--error); font-weight: 600; }
.wf-track {
  position: relative;
  margin: 0 10px;
  background-image: linear-gradient(to right, var(--grid) 1px, transparent 1px);
  background-size: 25% 100%;
}
.wf-bar {
  position: absolute;
  top: 8px;
  height: 12px;
  min-width: 2px;
  border-radius: 3px;
  opacity: 0.85;
}
/* The service colour is set on the element; an error wins over it. */
.wf-row.error .wf-bar { background: var(--error) !important; opacity: 0.9; }
.wf-label {
  position: absolute;
  top: 5px;
  font-size: 11px;
  color: var(--muted);
  white-space: nowrap;
  font-variant-numeric: tabular-nums;
}
.wf-label.before { transform: translateX(-100%); padding-right: 6px; }
.wf-label.inside { transform: translateX(-100%); padding-right: 6px; color: #fff; font-weight: 600; }
.wf-label.after { padding-left: 6px; }

.details h2 { font-size: 15px; overflow-wrap: anywhere; }
.details section { margin-top: 16px; }
.details h3 { margin-bottom: 6px; }
.chips { margin-top: 6px; display: flex; flex-wrap: wrap; gap: 4px; }
.kv { width: 100%; border-collapse: collapse; font-size: 12px; }
.kv th, .kv td {
  text-align: left;
  vertical-align: top;
  padding: 3px 0;
  border-bottom: 1px solid var(--line);
}
.kv th { width: 38%; padding-right: 12px; font-weight: 400; color: var(--muted); overflow-wrap: anywhere; }
.kv td { font-family: var(--mono); overflow-wrap: anywhere; white-space: pre-wrap; }
.event { padding: 6px 0; border-bottom: 1px solid var(--line); }
.event-head { display: flex; justify-content: space-between; gap: 8px; }
.event-name { font-weight: 600; }
.event.exception .event-name { color: var(--error); }
.event .kv { margin-top: 4px; }
.log-message { margin-top: 3px; font-family: var(--mono); font-size: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
pre.body {
  margin: 4px 0 0;
  padding: 8px;
  max-height: 240px;
  overflow: auto;
  border-radius: 6px;
  background: var(--code-bg);
  font: 12px/1.4 var(--mono);
  white-space: pre-wrap;
  overflow-wrap: anywhere;
}
.status-line { font-family: var(--mono); font-size: 12px; overflow-wrap: anywhere; }
.note { color: var(--muted); font-size: 12px; }
details.resource summary { cursor: pointer; color: var(--muted); font-size: 12px; }
`;
