// The leaders' dashboard (#/dashboard): the figures of the user's scope
// for a period — tickets by status, category and unit, overdue and warned,
// the departments' tasks, visit coverage, campaign delivery per channel
// and the 考核 grades. Each chart (Apache ECharts, vendor-echarts.min.js,
// served from the binary) has its table beside it. 导出Excel downloads
// every table as one workbook the API writes (GET /api/v1/dashboard with
// format=xlsx, a sheet per table); each table also exports alone as a CSV
// made here (UTF-8 with a BOM, so that Excel reads the Chinese), and the
// 考核 sheet as the API's XLSX.
(function () {
  'use strict';
  const G = window.GridCast;
  const { h, nodes, api, go, screen, settle, notice, showError, hasRole, saveFile } = G;
  const TZ = 'Asia/Shanghai';

  // charts are the ECharts instances on the screen, disposed at the next
  // render; urls the downloads made, revoked then.
  let charts = [];
  let urls = [];
  let observer = null;

  const day = (d) => new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
  const isDay = (s) => /^\d{4}-\d{2}-\d{2}$/.test(s || '');
  const pct = (done, due) => (due > 0 ? Math.round((100 * done) / due) + '%' : '—');

  function cleanup() {
    for (const c of charts) c.dispose();
    charts = [];
    for (const u of urls) URL.revokeObjectURL(u);
    urls = [];
    if (observer) observer.disconnect();
    observer = null;
  }

  // table builds a table whose cells carry their column's heading (the
  // phone's cards show it beside the value).
  function table(id, caption, heads, rows) {
    return h('table', { class: 'plain dash-table', id },
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, heads.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows.length === 0 ?
        h('tr', {}, h('td', { colspan: heads.length, 'data-label': '' }, '暂无数据')) :
        rows.map((r) => h('tr', {}, r.map((v, i) => h('td', { 'data-label': heads[i] }, String(v)))))));
  }

  // csvCell quotes a value, and keeps a spreadsheet from reading a text
  // that starts with = + - @ as a formula.
  function csvCell(v) {
    let s = String(v);
    if (/^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?%?$/.test(s)) s = "'" + s;
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }

  // exportButton downloads tbl as CSV named file.
  function exportButton(tbl, file) {
    return h('button', { type: 'button', class: 'dash-export', 'data-file': file, 'aria-label': '导出' + tbl.caption.textContent + '（CSV）',
      onclick: () => {
        const lines = [[...tbl.querySelectorAll('thead th')].map((th) => csvCell(th.textContent)).join(',')];
        for (const tr of tbl.querySelectorAll('tbody tr')) {
          if (tr.querySelector('td[colspan]')) continue;
          lines.push([...tr.children].map((td) => csvCell(td.textContent)).join(','));
        }
        const blob = new Blob(['\ufeff' + lines.join('\r\n') + '\r\n'], { type: 'text/csv;charset=utf-8' });
        const a = h('a', { href: URL.createObjectURL(blob), download: file, hidden: true });
        urls.push(a.href);
        document.body.append(a);
        a.click();
        a.remove();
      } }, '导出CSV');
  }

  // card is one figure's panel: heading, chart (when given), table and
  // its export.
  function card(id, title, chartBox, tbl, file, extra) {
    return h('section', { class: 'panel dash-card', id, 'aria-labelledby': id + '-h' },
      h('div', { class: 'dash-card-head' }, h('h2', { id: id + '-h' }, title),
        h('div', { class: 'buttons' }, exportButton(tbl, file), extra)),
      chartBox, h('div', { class: 'dash-table-wrap' }, tbl));
  }

  const chartBox = (id, label) => h('div', { class: 'dash-chart', id, role: 'img', 'aria-label': label + '（数字见下表）' });

  // draw puts an ECharts chart in box; without the library (blocked or
  // failed) the table alone says it all.
  function draw(box, option) {
    if (!window.echarts) {
      box.hidden = true;
      return;
    }
    const c = window.echarts.init(box, null, { renderer: 'canvas' });
    c.setOption(Object.assign({ animation: false, textStyle: { fontFamily: 'system-ui, sans-serif' },
      // richText keeps the tooltip on the canvas: the HTML one writes
      // inline styles, which the console's CSP refuses.
      tooltip: { trigger: 'item', renderMode: 'richText', confine: true },
      grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true } }, option));
    charts.push(c);
    if (observer) observer.observe(box);
  }

  const bar = (names, values, name) => ({
    xAxis: { type: 'category', data: names, axisLabel: { interval: 0, rotate: names.length > 4 ? 40 : 0, fontSize: 11 } },
    yAxis: { type: 'value', minInterval: 1 },
    series: [{ type: 'bar', name, data: values, label: { show: true, position: 'top' } }],
  });

  async function view(parts, params, opts) {
    const g = G.generation();
    cleanup();
    const today = day(new Date());
    const from = isDay(params.get('from')) ? params.get('from') : today.slice(0, 8) + '01';
    const to = isDay(params.get('to')) ? params.get('to') : today;
    const fromIn = h('input', { id: 'dash-from', name: 'from', type: 'date', value: from, required: true });
    const toIn = h('input', { id: 'dash-to', name: 'to', type: 'date', value: to, required: true });
    const out = h('div', { id: 'dashboard', 'aria-live': 'polite' }, h('p', { class: 'loading' }, '正在加载……'));
    const form = h('form', { class: 'filters', id: 'dashboard-form', role: 'search', 'aria-label': '选择统计时段', novalidate: true,
      onsubmit: (ev) => {
        ev.preventDefault();
        go('#/dashboard?' + new URLSearchParams({ from: fromIn.value, to: toIn.value }));
      } },
    G.field('开始日期', fromIn), G.field('结束日期', toIn),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary', id: 'dashboard-submit' }, '查看')));
    screen('数据看板', h('p', { class: 'muted' }, '您管辖范围内的工单、部门待办、走访、活动触达和考核等级。“导出Excel”把全部表格导出为一个工作簿（每张表一页），各表也可单独导出 CSV。'), form, out);
    let d;
    try {
      d = await api('GET', '/dashboard?' + new URLSearchParams({ from, to }), undefined, { zh: true });
    } catch (e) {
      if (g !== G.generation()) return;
      out.replaceChildren();
      showError(e, '读取数据看板');
      settle(opts);
      return;
    }
    if (g !== G.generation()) return;
    render(out, d, from, to);
    settle(opts);
  }

  function render(out, d, from, to) {
    const span = from + '_' + to;
    const byLabel = { grid: '网格', community: '社区', street: '街道' }[d.by] || '网格';
    const tk = d.tickets;
    const deptOpen = d.departments.reduce((n, x) => n + x.open, 0);
    const deptOver = d.departments.reduce((n, x) => n + x.overdue, 0);
    const figure = (id, dt, dd) => h('div', { class: 'figure', id }, h('dt', {}, dt), h('dd', {}, String(dd)));
    const kpis = h('dl', { class: 'figures dash-kpis panel', id: 'dash-kpis' },
      figure('kpi-total', '工单总数', tk.total), figure('kpi-open', '未办结', tk.open),
      figure('kpi-overdue', '已超期', tk.overdue), figure('kpi-warned', '临期预警', tk.warned),
      figure('kpi-tasks', '部门待办', deptOpen), figure('kpi-tasks-overdue', '部门超期', deptOver),
      figure('kpi-visits', `走访（${d.month}）`, `${d.visits.done}/${d.visits.due} · ${pct(d.visits.done, d.visits.due)}`));

    const statusTbl = table('dash-status-table', '工单按状态', ['状态', '数量'], tk.by_status.map((c) => [c.label, c.count]));
    const statusChart = chartBox('dash-status-chart', '工单按状态柱状图');
    const catTbl = table('dash-category-table', '工单按类别', ['类别', '数量'], tk.by_category.map((c) => [c.label, c.count]));
    const catChart = chartBox('dash-category-chart', '工单按类别饼图');
    const unitTbl = table('dash-units-table', '工单按' + byLabel, [byLabel, '工单', '未办结', '已超期', '临期预警'],
      tk.units.map((u) => [u.name || u.code, u.total, u.open, u.overdue, u.warned]));
    const deptTbl = table('dash-departments-table', '部门任务', ['部门', '任务', '待办', '超期', '退回', '办结'],
      d.departments.map((x) => [x.label, x.tasks, x.open, x.overdue, x.returned, x.resolved]));
    const visitTbl = table('dash-visits-table', `走访覆盖（${d.month}）`, ['网格员', '编号', '网格', '已访', '应访', '完成率'],
      d.visits.workers.map((w) => [w.name, w.worker, w.grid, w.done, w.due, pct(w.done, w.due)]));
    const chanTbl = table('dash-channels-table', '活动触达（按渠道）', ['渠道', '待发送', '已发送', '已送达', '失败'],
      d.channels.map((c) => [c.label, c.pending, c.sent, c.delivered, c.failed]));
    const chanChart = chartBox('dash-channels-chart', '各渠道发送情况堆叠柱状图');
    const campTbl = table('dash-campaigns-table', '本期活动', ['活动', '状态', '目标人数', '已送达', '失败'],
      d.campaigns.map((c) => [c.name, c.state_label, c.targeted, c.channels.reduce((n, x) => n + x.delivered, 0), c.channels.reduce((n, x) => n + x.failed, 0)]));
    const gradeTbl = table('dash-grades-table', `考核等级（${d.month}）`, ['等级', '人数'], d.grades.map((x) => [x.label, x.count]));
    const gradeChart = chartBox('dash-grades-chart', '考核等级柱状图');

    // The 考核 sheet itself, as the API writes it (XLSX).
    const xlsx = h('button', { type: 'button', id: 'dash-grades-xlsx' }, '导出考核表 Excel');
    xlsx.addEventListener('click', () => {
      const by = d.by === 'grid' ? 'grid' : d.by === 'community' ? 'community' : 'street';
      saveFile(xlsx, '/assessment?' + new URLSearchParams({ period: d.month, by, format: 'xlsx' }), `kaohe-${d.month}.xlsx`, '导出考核表');
    });

    // Every table, as one workbook of the API's, for the period shown.
    const all = h('button', { type: 'button', class: 'primary', id: 'dashboard-export' }, '导出Excel');
    const file = `数据看板-${from}至${to}.xlsx`;
    all.addEventListener('click', () => saveFile(all, '/dashboard?' + new URLSearchParams({ from, to, format: 'xlsx' }), file, '导出数据看板'));

    out.replaceChildren(...nodes([
      h('div', { class: 'buttons dash-actions' }, all),
      kpis,
      h('div', { class: 'dash-grid' },
        card('dash-status', '工单状态', statusChart, statusTbl, `gongdan-zhuangtai-${span}.csv`),
        card('dash-category', '工单类别', catChart, catTbl, `gongdan-leibie-${span}.csv`),
        card('dash-units', '各' + byLabel + '工单', null, unitTbl, `gongdan-${d.by}-${span}.csv`),
        card('dash-departments', '部门待办', null, deptTbl, `bumen-${span}.csv`),
        card('dash-channels', '活动触达', chanChart, chanTbl, `chuda-${span}.csv`),
        card('dash-campaigns', '本期活动', null, campTbl, `huodong-${span}.csv`),
        card('dash-visits', '走访覆盖', null, visitTbl, `zoufang-${d.month}.csv`),
        card('dash-grades', '考核等级', gradeChart, gradeTbl, `kaohe-dengji-${d.month}.csv`, hasRole('officer', 'admin', 'viewer') ? xlsx : null)),
    ]));

    // Charts follow their box's width (a phone turned, a window resized).
    if (window.ResizeObserver) {
      observer = new ResizeObserver((entries) => {
        for (const en of entries) {
          const c = window.echarts && window.echarts.getInstanceByDom(en.target);
          if (c) c.resize();
        }
      });
    }
    draw(statusChart, bar(tk.by_status.map((c) => c.label), tk.by_status.map((c) => c.count), '工单'));
    draw(catChart, {
      legend: { type: 'scroll', bottom: 0 },
      series: [{ type: 'pie', name: '类别', radius: ['30%', '60%'], center: ['50%', '45%'],
        data: tk.by_category.map((c) => ({ name: c.label, value: c.count })), label: { formatter: '{b}\n{c}' } }],
    });
    const parts = [['pending', '待发送'], ['sent', '已发送'], ['delivered', '已送达'], ['failed', '失败']];
    draw(chanChart, {
      legend: { top: 0 },
      xAxis: { type: 'category', data: d.channels.map((c) => c.label) },
      yAxis: { type: 'value', minInterval: 1 },
      series: parts.map(([k, name]) => ({ type: 'bar', stack: 'all', name, data: d.channels.map((c) => c[k]) })),
    });
    draw(gradeChart, bar(d.grades.map((x) => x.label), d.grades.map((x) => x.count), '人数'));
  }

  G.register('dashboard', view, () => hasRole('officer', 'admin', 'viewer', 'worker'));
})();
