// The trace viewer's page script, served as <path>/app.js. Plain browser JavaScript, type-checked
// against the DOM and the API's own types (./tsconfig.json) and shipped as is: the build inlines
// it into dist (scripts/build.mjs). It renders recorded values with text nodes and element
// properties only, never parsed markup, so a span name or header cannot inject any.
// @ts-check
/* oxlint-disable unicorn/no-array-sort -- sorts fresh Object.keys() arrays; toSorted() would
   need 2023 browsers */
/** @typedef {import('../../interfaces/devtools-api.interface.js').DevtoolsTrace} DevtoolsTrace */
/** @typedef {import('../../interfaces/devtools-api.interface.js').DevtoolsTraceSummary} DevtoolsTraceSummary */
/** @typedef {Error & { status?: number }} HttpError */

(function () {
  'use strict';

  var base = /** @type {HTMLMetaElement} */ (document.querySelector('meta[name="devtools-base"]'))
    .content;
  var PALETTE = [
    '#3b6cf6',
    '#12a37f',
    '#e07b1a',
    '#9b51e0',
    '#0f9fd8',
    '#d6336c',
    '#5b6b86',
    '#b58a00',
  ];
  var FILTERS = ['status', 'route', 'correlationId', 'traceId'];
  /**
   * @type {{ traces: DevtoolsTraceSummary[], traceId: string | null,
   *   trace: DevtoolsTrace | null, spanId: string | null }}
   */
  var state = { traces: [], traceId: null, trace: null, spanId: null };
  var listTimer = null;
  var traceTimer = null;
  var listRequest = 0;
  var traceRequest = 0;

  /**
   * An element of the page (devtools-page.ts), which has them all.
   * @param {string} id
   * @returns {HTMLElement}
   */
  function byId(id) {
    return /** @type {HTMLElement} */ (document.getElementById(id));
  }

  /** @returns {HTMLFormControlsCollection} */
  function filterFields() {
    return /** @type {HTMLFormElement} */ (byId('filters')).elements;
  }

  /** An element with properties (className, textContent, title...) and children (nodes or text). */
  function h(tag, props, children) {
    var el = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (key) {
        var value = props[key];
        if (value === undefined || value === null) return;
        if (key === 'attrs') {
          Object.keys(value).forEach(function (name) {
            el.setAttribute(name, String(value[name]));
          });
        } else if (key === 'style') {
          Object.keys(value).forEach(function (name) {
            el.style[name] = value[name];
          });
        } else {
          el[key] = value;
        }
      });
    }
    (children || []).forEach(function (child) {
      if (child === undefined || child === null || child === false) return;
      el.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return el;
  }

  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
  }

  function colorOf(service) {
    var hash = 0;
    for (var i = 0; i < service.length; i++) hash = (hash * 31 + service.charCodeAt(i)) | 0;
    return PALETTE[Math.abs(hash) % PALETTE.length];
  }

  function formatMs(ms) {
    if (ms === 0) return '0 ms';
    if (ms >= 1000) return (ms / 1000).toFixed(ms >= 10000 ? 1 : 2) + ' s';
    if (ms >= 10) return ms.toFixed(1) + ' ms';
    if (ms >= 1) return ms.toFixed(2) + ' ms';
    return ms.toFixed(3) + ' ms';
  }

  function pad(n, width) {
    var s = String(n);
    while (s.length < width) s = '0' + s;
    return s;
  }

  function formatTime(iso) {
    var d = new Date(iso);
    return (
      pad(d.getHours(), 2) +
      ':' +
      pad(d.getMinutes(), 2) +
      ':' +
      pad(d.getSeconds(), 2) +
      '.' +
      pad(d.getMilliseconds(), 3)
    );
  }

  function formatValue(value) {
    if (typeof value === 'string') return value;
    return JSON.stringify(value);
  }

  function serviceTag(service) {
    return h('span', { className: 'svc' }, [
      h('span', { className: 'svc-dot', style: { background: colorOf(service) } }),
      service,
    ]);
  }

  function getJson(url) {
    return fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store' }).then(
      function (res) {
        if (res.ok) return res.json();
        return res
          .json()
          .catch(function () {
            return {};
          })
          .then(function (body) {
            /** @type {HttpError} */
            var error = new Error(body.error || 'HTTP ' + res.status);
            error.status = res.status;
            throw error;
          });
      },
    );
  }

  // ---- URL state: filters in the query, the open trace and span in the hash ----

  function readUrl() {
    var query = new URLSearchParams(location.search);
    FILTERS.forEach(function (name) {
      var input = /** @type {HTMLInputElement | undefined} */ (
        filterFields().namedItem(name) || undefined
      );
      if (input) input.value = query.get(name) || '';
    });
    var hash = new URLSearchParams(location.hash.slice(1));
    state.traceId = hash.get('trace');
    state.spanId = hash.get('span');
  }

  function writeUrl() {
    var query = new URLSearchParams();
    var filters = currentFilters();
    Object.keys(filters).forEach(function (name) {
      query.set(name, filters[name]);
    });
    var hash = new URLSearchParams();
    if (state.traceId) hash.set('trace', state.traceId);
    if (state.traceId && state.spanId) hash.set('span', state.spanId);
    var search = query.toString();
    var fragment = hash.toString();
    history.replaceState(
      null,
      '',
      location.pathname + (search ? '?' + search : '') + (fragment ? '#' + fragment : ''),
    );
  }

  /** @returns {Record<string, string>} */
  function currentFilters() {
    /** @type {Record<string, string>} */
    var out = {};
    FILTERS.forEach(function (name) {
      var value = /** @type {HTMLInputElement} */ (filterFields().namedItem(name)).value.trim();
      if (value) out[name] = value;
    });
    return out;
  }

  // ---- The list of recent traces ----

  function loadList() {
    var request = ++listRequest;
    var query = new URLSearchParams(currentFilters()).toString();
    return getJson(base + '/api/traces' + (query ? '?' + query : '')).then(
      function (list) {
        if (request !== listRequest) return;
        state.traces = list.traces;
        renderList(list);
      },
      function (error) {
        if (request !== listRequest) return;
        byId('count').textContent = error.message;
      },
    );
  }

  function renderList(list) {
    var rows = byId('trace-rows');
    clear(rows);
    list.traces.forEach(function (trace) {
      rows.appendChild(traceRow(trace));
    });
    var filtered = Object.keys(currentFilters()).length > 0;
    byId('empty').hidden = list.traces.length > 0;
    byId('empty').textContent = filtered
      ? 'No stored trace matches these filters.'
      : 'No traces yet: send a request to the app and it appears here.';
    var text =
      list.traces.length +
      (filtered ? ' of ' + list.total : '') +
      (list.total === 1 ? ' trace' : ' traces') +
      ', keeping the last ' +
      list.maxTraces;
    byId('count').textContent = text;
    var services = {};
    list.traces.forEach(function (trace) {
      trace.services.forEach(function (service) {
        services[service] = true;
      });
    });
    var holder = byId('services');
    clear(holder);
    Object.keys(services)
      .sort()
      .forEach(function (service) {
        holder.appendChild(serviceTag(service));
      });
  }

  function traceRow(trace) {
    var status = [];
    status.push(
      h('span', {
        className: 'badge ' + (trace.status === 'error' ? 'error' : 'ok'),
        textContent: trace.status === 'error' ? 'Error' : 'OK',
      }),
    );
    if (trace.statusCode !== undefined) {
      status.push(h('span', { className: 'badge', textContent: String(trace.statusCode) }));
    }
    if (!trace.complete)
      status.push(h('span', { className: 'badge pending', textContent: 'in progress' }));
    var services = [serviceTag(trace.service)];
    if (trace.services.length > 1) {
      services.push(
        h('span', {
          className: 'muted',
          textContent: ' +' + (trace.services.length - 1),
          title: trace.services.join(', '),
        }),
      );
    }
    var row = h(
      'tr',
      {
        tabIndex: 0,
        title:
          'Trace ' +
          trace.traceId +
          (trace.correlationId ? ', correlation id ' + trace.correlationId : ''),
        attrs: {
          'aria-selected': trace.traceId === state.traceId ? 'true' : 'false',
          'data-trace-id': trace.traceId,
        },
      },
      [
        h('td', { className: 'root-cell' }, [
          trace.status === 'error'
            ? h('span', {
                className: 'error-dot',
                textContent: '!',
                attrs: { 'aria-label': 'error' },
              })
            : null,
          h('span', { className: 'root-name', textContent: trace.rootName }),
        ]),
        h('td', null, services),
        h('td', { className: 'num', textContent: formatMs(trace.durationMs) }),
        h('td', null, status),
        h('td', { className: 'num', textContent: String(trace.spanCount) }),
        h('td', { className: 'mono', textContent: formatTime(trace.startTime) }),
      ],
    );
    row.addEventListener('click', function () {
      openTrace(trace.traceId);
    });
    row.addEventListener('keydown', function (event) {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        openTrace(trace.traceId);
      }
    });
    return row;
  }

  // ---- One trace: waterfall and span details ----

  function openTrace(traceId) {
    if (state.traceId !== traceId) state.spanId = null;
    state.traceId = traceId;
    Array.prototype.forEach.call(byId('trace-rows').children, function (row) {
      row.setAttribute(
        'aria-selected',
        row.getAttribute('data-trace-id') === traceId ? 'true' : 'false',
      );
    });
    writeUrl();
    return loadTrace();
  }

  function loadTrace() {
    if (!state.traceId) return Promise.resolve();
    var request = ++traceRequest;
    return getJson(base + '/api/traces/' + encodeURIComponent(state.traceId)).then(
      function (trace) {
        if (request !== traceRequest) return;
        state.trace = trace;
        renderTrace(trace);
      },
      function (error) {
        if (request !== traceRequest) return;
        state.trace = null;
        byId('trace').hidden = true;
        byId('trace-placeholder').hidden = false;
        byId('trace-placeholder').textContent =
          error.status === 404
            ? 'This trace is no longer in the store.'
            : 'Could not load the trace: ' + error.message;
      },
    );
  }

  function renderTrace(trace) {
    var summary = trace.summary;
    byId('trace-placeholder').hidden = true;
    byId('trace').hidden = false;
    byId('trace-title').textContent = summary.rootName;
    var meta = byId('trace-meta');
    clear(meta);
    function item(label, value, extra) {
      meta.appendChild(h('span', extra || null, [label + ' ', h('b', { textContent: value })]));
    }
    item('Trace', summary.traceId, { className: 'mono' });
    item('Duration', formatMs(summary.durationMs));
    item('Spans', String(summary.spanCount));
    if (summary.errorCount > 0) item('Errors', String(summary.errorCount));
    item('Services', summary.services.join(', '));
    if (summary.correlationId) item('Correlation id', summary.correlationId, { className: 'mono' });
    item('Started', new Date(summary.startTime).toLocaleString());
    if (summary.droppedSpans > 0) item('Dropped spans', String(summary.droppedSpans));
    var repeated = trace.spans.filter(function (s) {
      return s.repeatedQueries && s.repeatedQueries.length > 0;
    }).length;
    if (repeated > 0)
      item('N+1', repeated + (repeated === 1 ? ' span' : ' spans'), { className: 'nplus1-meta' });
    if (
      !trace.spans.some(function (s) {
        return s.spanId === state.spanId;
      })
    ) {
      state.spanId = trace.spans.length > 0 ? trace.spans[0].spanId : null;
    }
    renderWaterfall(trace);
    renderDetails();
  }

  function renderWaterfall(trace) {
    var holder = byId('waterfall');
    var scroll = holder.scrollTop;
    clear(holder);
    var total = Math.max(trace.summary.durationMs, 0.001);
    var ticks = [0, 0.25, 0.5, 0.75, 1].map(function (f) {
      return h('span', {
        className: 'tick',
        textContent: formatMs(total * f),
        style: { left: f * 100 + '%' },
      });
    });
    holder.appendChild(
      h('div', { className: 'wf-head' }, [
        h('div', { textContent: 'Span' }),
        h('div', { className: 'wf-axis' }, ticks),
      ]),
    );
    trace.spans.forEach(function (span) {
      holder.appendChild(waterfallRow(span, total));
    });
    holder.scrollTop = scroll;
  }

  function waterfallRow(span, total) {
    var left = (span.offsetMs / total) * 100;
    var width = Math.max((span.durationMs / total) * 100, 0.15);
    var isError = span.status.code === 'error';
    var color = colorOf(span.service);
    // The duration goes after the bar, else before it, else (a long bar from the start) inside it.
    var place = left + width < 78 ? 'after' : left > 12 ? 'before' : 'inside';
    var row = h(
      'div',
      {
        className:
          'wf-row' +
          (isError ? ' error' : '') +
          (span.repeatedQueries && span.repeatedQueries.length > 0 ? ' nplus1' : ''),
        tabIndex: 0,
        title:
          span.name +
          '\n' +
          span.service +
          ' · ' +
          span.kind +
          '\nduration ' +
          formatMs(span.durationMs) +
          ', self ' +
          formatMs(span.selfTimeMs) +
          (isError ? '\nerror' + (span.status.message ? ': ' + span.status.message : '') : ''),
        attrs: {
          role: 'treeitem',
          'aria-level': span.depth + 1,
          'aria-selected': span.spanId === state.spanId ? 'true' : 'false',
          'data-span-id': span.spanId,
        },
      },
      [
        h('div', { className: 'wf-name', style: { paddingLeft: 10 + span.depth * 16 + 'px' } }, [
          h('span', { className: 'svc-dot', style: { background: color } }),
          h('span', { className: 'name', textContent: span.name }),
          isError ? h('span', { className: 'error-dot', textContent: '!', title: 'error' }) : null,
          h('span', { className: 'kind', textContent: span.kind }),
          repeatedBadge(span),
        ]),
        h('div', { className: 'wf-track' }, [
          h('div', {
            className: 'wf-bar',
            style: { left: left + '%', width: width + '%', background: color },
          }),
          h('span', {
            className: 'wf-label ' + place,
            textContent: formatMs(span.durationMs),
            style: { left: (place === 'before' ? left : left + width) + '%' },
          }),
        ]),
      ],
    );
    row.addEventListener('click', function () {
      selectSpan(span.spanId);
    });
    row.addEventListener('keydown', function (event) {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        selectSpan(span.spanId);
      } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        var next = event.key === 'ArrowDown' ? row.nextElementSibling : row.previousElementSibling;
        if (next && next.classList.contains('wf-row')) {
          next.focus();
          selectSpan(next.getAttribute('data-span-id'));
        }
      }
    });
    return row;
  }

  /** "N+1: 12× SELECT users" and the time the calls took, for the most repeated query shape. */
  function repeatedLabel(query) {
    return 'N+1: ' + query.count + '× ' + query.name + ', ' + formatMs(query.totalMs);
  }

  /** The N+1 mark of a span whose children repeat a query shape (trace-view.ts finds them). */
  function repeatedBadge(span) {
    var queries = span.repeatedQueries;
    if (!queries || queries.length === 0) return null;
    var title = queries
      .map(function (query) {
        return (
          query.count +
          ' calls (' +
          query.system +
          (query.errors > 0 ? ', ' + query.errors + ' failed' : '') +
          ', ' +
          formatMs(query.totalMs) +
          ' in all): ' +
          query.query
        );
      })
      .join('\n');
    return h('span', {
      className: 'badge nplus1',
      textContent:
        repeatedLabel(queries[0]) + (queries.length > 1 ? ' +' + (queries.length - 1) : ''),
      title: 'The same query, once per item: batch or join it.\n' + title,
    });
  }

  function selectSpan(spanId) {
    state.spanId = spanId;
    Array.prototype.forEach.call(byId('waterfall').querySelectorAll('.wf-row'), function (row) {
      row.setAttribute(
        'aria-selected',
        row.getAttribute('data-span-id') === spanId ? 'true' : 'false',
      );
    });
    writeUrl();
    renderDetails();
  }

  function kvTable(entries) {
    return h('table', { className: 'kv' }, [
      h(
        'tbody',
        null,
        entries.map(function (entry) {
          return h('tr', null, [
            h('th', { textContent: entry[0] }),
            h('td', { textContent: entry[1] }),
          ]);
        }),
      ),
    ]);
  }

  function attributeEntries(attributes) {
    return Object.keys(attributes || {})
      .sort()
      .map(function (key) {
        return [key, formatValue(attributes[key])];
      });
  }

  function section(title, children) {
    return h('section', null, [h('h3', { textContent: title })].concat(children));
  }

  function isLog(event) {
    return event.name === 'log' || (event.attributes && 'log.message' in event.attributes);
  }

  function eventOffset(span, event) {
    var ns = Number(BigInt(event.timeUnixNano) - BigInt(span.startTimeUnixNano));
    return '+' + formatMs(ns / 1e6);
  }

  function eventBlock(span, event) {
    var entries = attributeEntries(event.attributes);
    return h('div', { className: 'event' + (event.name === 'exception' ? ' exception' : '') }, [
      h('div', { className: 'event-head' }, [
        h('span', { className: 'event-name', textContent: event.name }),
        h('span', { className: 'muted mono', textContent: eventOffset(span, event) }),
      ]),
      entries.length > 0 ? kvTable(entries) : null,
    ]);
  }

  /** A log line recorded on the span (a 'log' event: log.severity, log.message, log.context). */
  function logBlock(span, event) {
    var attributes = event.attributes || {};
    var severity = String(attributes['log.severity'] || 'log');
    var rest = {};
    Object.keys(attributes).forEach(function (key) {
      if (key !== 'log.severity' && key !== 'log.message' && key !== 'log.context')
        rest[key] = attributes[key];
    });
    var entries = attributeEntries(rest);
    var isError = severity === 'error' || severity === 'fatal';
    return h('div', { className: 'event log' + (isError ? ' exception' : '') }, [
      h('div', { className: 'event-head' }, [
        h('span', null, [
          h('span', {
            className: 'badge' + (isError ? ' error' : severity === 'warn' ? ' pending' : ''),
            textContent: severity,
          }),
          attributes['log.context']
            ? h('span', { className: 'muted', textContent: ' ' + attributes['log.context'] })
            : null,
        ]),
        h('span', { className: 'muted mono', textContent: eventOffset(span, event) }),
      ]),
      h('div', {
        className: 'log-message',
        textContent: formatValue(
          attributes['log.message'] !== undefined ? attributes['log.message'] : '',
        ),
      }),
      entries.length > 0 ? kvTable(entries) : null,
    ]);
  }

  function messageBlock(title, message) {
    if (!message) return [];
    var parts = [h('h3', { textContent: title })];
    var headers = Object.keys(message.headers || {})
      .sort()
      .map(function (name) {
        return [name, message.headers[name]];
      });
    if (headers.length > 0) parts.push(kvTable(headers));
    if (message.body !== undefined) {
      parts.push(h('pre', { className: 'body', textContent: message.body }));
      if (message.bodyTruncated)
        parts.push(h('p', { className: 'note', textContent: 'Body cut at the recording limit.' }));
    } else if (message.bodyBytes !== undefined) {
      parts.push(
        h('p', {
          className: 'note',
          textContent: message.bodyBytes + ' bytes (bodies are recorded with recordBodies)',
        }),
      );
    }
    return [h('section', null, parts)];
  }

  function renderDetails() {
    var holder = byId('details');
    clear(holder);
    var trace = state.trace;
    var span =
      trace &&
      trace.spans.filter(function (s) {
        return s.spanId === state.spanId;
      })[0];
    if (!span) {
      holder.appendChild(h('p', { className: 'empty', textContent: 'Select a span.' }));
      return;
    }
    var isError = span.status.code === 'error';
    holder.appendChild(h('h2', { textContent: span.name }));
    holder.appendChild(
      h('div', { className: 'chips' }, [
        h('span', { className: 'badge', textContent: span.kind }),
        h('span', { className: 'badge' }, [serviceTag(span.service)]),
        h('span', {
          className: 'badge ' + (isError ? 'error' : span.status.code === 'ok' ? 'ok' : ''),
          textContent: 'status ' + span.status.code,
        }),
      ]),
    );
    var overview = [
      ['Duration', formatMs(span.durationMs)],
      ['Self time', formatMs(span.selfTimeMs)],
      ['Starts at', '+' + formatMs(span.offsetMs)],
      ['Span id', span.spanId],
      [
        'Parent',
        span.parentSpanId
          ? span.parentSpanId + (span.parentIsRemote ? ' (remote)' : '')
          : 'none (root)',
      ],
    ];
    if (span.status.message) overview.push(['Status message', span.status.message]);
    holder.appendChild(section('Span', [kvTable(overview)]));

    if (span.repeatedQueries && span.repeatedQueries.length > 0) {
      holder.appendChild(
        section(
          'Repeated queries (N+1)',
          span.repeatedQueries.map(function (query) {
            return h('div', { className: 'event exception nplus1-detail' }, [
              h('div', { className: 'event-head' }, [
                h('span', { className: 'badge nplus1', textContent: repeatedLabel(query) }),
                h('span', {
                  className: 'muted',
                  textContent:
                    query.system + (query.errors > 0 ? ', ' + query.errors + ' failed' : ''),
                }),
              ]),
              h('pre', { className: 'body', textContent: query.query }),
            ]);
          }),
        ),
      );
    }

    var attributes = attributeEntries(span.attributes);
    holder.appendChild(
      section(
        'Attributes',
        attributes.length > 0
          ? [kvTable(attributes)]
          : [h('p', { className: 'note', textContent: 'No attributes.' })],
      ),
    );

    var logs = span.events.filter(isLog);
    var events = span.events.filter(function (event) {
      return !isLog(event);
    });
    if (events.length > 0) {
      holder.appendChild(
        section(
          'Events',
          events.map(function (event) {
            return eventBlock(span, event);
          }),
        ),
      );
    }
    if (logs.length > 0) {
      holder.appendChild(
        section(
          'Logs',
          logs.map(function (event) {
            return logBlock(span, event);
          }),
        ),
      );
    }
    var record = span.record;
    if (record) {
      var line =
        record.method +
        ' ' +
        record.url +
        ' → ' +
        (record.status !== undefined ? record.status : record.errorType || 'no response') +
        ' in ' +
        formatMs(record.durationMs);
      holder.appendChild(
        section('HTTP exchange', [
          h('p', { className: 'status-line', textContent: line }),
          record.errorMessage
            ? h('p', { className: 'note', textContent: record.errorMessage })
            : null,
        ]),
      );
      messageBlock('Request', record.request).forEach(function (el) {
        holder.appendChild(el);
      });
      messageBlock('Response', record.response).forEach(function (el) {
        holder.appendChild(el);
      });
    }
    if (span.links.length > 0) {
      holder.appendChild(
        section('Links', [
          kvTable(
            span.links.map(function (link) {
              return [link.traceId, link.spanId];
            }),
          ),
        ]),
      );
    }
    var resource = attributeEntries(span.resource.attributes);
    holder.appendChild(
      h('section', null, [
        h('details', { className: 'resource' }, [
          h('summary', { textContent: 'Resource (' + resource.length + ' attributes)' }),
          kvTable(resource),
        ]),
      ]),
    );
  }

  // ---- Live updates ----

  function scheduleList() {
    clearTimeout(listTimer);
    listTimer = setTimeout(loadList, 150);
  }

  function scheduleTrace() {
    clearTimeout(traceTimer);
    traceTimer = setTimeout(loadTrace, 150);
  }

  function connect() {
    var live = byId('live');
    if (!window.EventSource) {
      live.dataset.state = 'offline';
      live.textContent = 'Polling';
      setInterval(function () {
        loadList();
        loadTrace();
      }, 3000);
      return;
    }
    var events = new EventSource(base + '/api/events');
    events.addEventListener('open', function () {
      live.dataset.state = 'live';
      live.textContent = 'Live';
    });
    events.addEventListener('error', function () {
      live.dataset.state = 'offline';
      live.textContent = 'Reconnecting';
    });
    events.addEventListener('hello', function () {
      scheduleList();
    });
    events.addEventListener('traces', function (message) {
      var ids = JSON.parse(message.data).traceIds;
      scheduleList();
      if (state.traceId && (ids.length === 0 || ids.indexOf(state.traceId) !== -1)) scheduleTrace();
    });
  }

  // ---- Start ----

  var filterTimer = null;
  byId('filters').addEventListener('submit', function (event) {
    event.preventDefault();
  });
  byId('filters').addEventListener('input', function () {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(function () {
      writeUrl();
      loadList();
    }, 200);
  });
  byId('filters').addEventListener('reset', function () {
    setTimeout(function () {
      writeUrl();
      loadList();
    }, 0);
  });
  byId('clear').addEventListener('click', function () {
    fetch(base + '/api/traces', { method: 'DELETE' }).then(function () {
      state.traceId = null;
      state.trace = null;
      state.spanId = null;
      byId('trace').hidden = true;
      byId('trace-placeholder').hidden = false;
      byId('trace-placeholder').textContent = 'Select a trace to see its spans.';
      writeUrl();
      loadList();
    });
  });

  readUrl();
  loadList();
  if (state.traceId) loadTrace();
  connect();
})();
