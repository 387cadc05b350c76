/**
 * The viewer's page: static markup only. Everything recorded (span names, attributes,
 * headers) is put in by the script as text nodes, never as HTML. `__BASE__` is replaced
 * by the viewer's path, which option validation restricts to URL-safe characters.
 */
export const DEVTOOLS_PAGE_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="devtools-base" content="__BASE__">
<title>Traces · nestjs-tracing</title>
<link rel="icon" href="__BASE__/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="__BASE__/app.css">
<script src="__BASE__/app.js" defer></script>
</head>
<body>
<header class="topbar">
  <div class="brand">
    <img class="logo" src="__BASE__/favicon.svg" alt="" width="22" height="22">
    <h1>Traces</h1>
    <span class="brand-sub">nestjs-tracing</span>
    <span id="services" class="services"></span>
  </div>
  <div class="topbar-actions">
    <span id="live" class="live" data-state="connecting" role="status">Connecting</span>
    <button id="clear" type="button" class="button" title="Forget every stored trace">Clear</button>
  </div>
</header>
<form id="filters" class="filters" role="search" autocomplete="off">
  <label class="field">
    <span>Status</span>
    <select name="status" id="filter-status">
      <option value="">All</option>
      <option value="error">Errors</option>
      <option value="ok">OK</option>
    </select>
  </label>
  <label class="field grow">
    <span>Route</span>
    <input name="route" id="filter-route" type="search" placeholder="/orders/:id" spellcheck="false">
  </label>
  <label class="field grow">
    <span>Correlation id</span>
    <input name="correlationId" id="filter-correlation" type="search" placeholder="exact id" spellcheck="false">
  </label>
  <label class="field grow">
    <span>Trace id</span>
    <input name="traceId" id="filter-trace" type="search" placeholder="id or its beginning" spellcheck="false">
  </label>
  <button type="reset" class="button subtle">Reset</button>
</form>
<main class="layout">
  <section class="panel list-panel" aria-labelledby="list-title">
    <div class="panel-head">
      <h2 id="list-title">Recent traces</h2>
      <span id="count" class="muted"></span>
    </div>
    <div class="table-wrap">
      <table class="traces">
        <thead>
          <tr>
            <th>Root span</th>
            <th>Service</th>
            <th class="num">Duration</th>
            <th>Status</th>
            <th class="num">Spans</th>
            <th>Started</th>
          </tr>
        </thead>
        <tbody id="trace-rows"></tbody>
      </table>
      <p id="empty" class="empty" hidden>No traces yet: send a request to the app and it appears here.</p>
    </div>
  </section>
  <section class="panel trace-panel" aria-labelledby="trace-title">
    <p id="trace-placeholder" class="empty">Select a trace to see its spans.</p>
    <div id="trace" class="trace" hidden>
      <div class="trace-head">
        <h2 id="trace-title"></h2>
        <div id="trace-meta" class="meta"></div>
      </div>
      <div class="trace-body">
        <div id="waterfall" class="waterfall" role="tree" aria-label="Spans on a time axis"></div>
        <aside id="details" class="details" aria-label="Span details"></aside>
      </div>
    </div>
  </section>
</main>
</body>
</html>
`;
