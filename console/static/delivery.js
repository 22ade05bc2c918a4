// GridCast console: 发送记录 — the ledger's messages to residents, found by
// a phone's last digits, dates and status, each with the provider's code
// and its Chinese reason and the phone masked; and the template sync
// status. Officers and administrators; the API decides
// (GET /api/v1/deliveries, GET /api/v1/templates/status) and this screen
// shows what it answers, as text. 导出Excel downloads every record the
// shown filters select as the API's workbook (format=xlsx), phones masked.
'use strict';

(function () {
  const G = window.GridCast;
  if (!G) return;
  const { h, field, nodes, badge, label, timeEl, api, go, screen, settle, notice, showError, hasRole, saveFile } = G;

  const PURPOSE = {
    campaign: '推送活动', reminder: '走访提醒', ack: '受理回执', confirm: '自动答复', bind_code: '绑定验证码',
    reply: '网格员答复', rating_request: '评价邀请', notify: '工单通知',
  };
  const STATUS = { pending: '待发送', sending: '发送中', sent: '已发送', delivered: '已送达', failed: '发送失败', skipped: '未发送' };
  const STATUS_CLASS = { delivered: 'ok', failed: 'late', skipped: 'warn' };
  const CHANNEL = { wechat: '微信', sms: '短信' };
  const ROUTE = { wechat_customer_service: '微信客服消息', wechat_template: '微信模板消息', sms: '短信' };
  const PAGE = 50;

  // templateCard shows what the last `gridcast templates` saved.
  async function templateCard(g) {
    const card = h('section', { class: 'panel template-status', id: 'template-status', 'aria-live': 'polite' },
      h('h3', {}, '模板同步状态'), h('p', { class: 'loading' }, '正在加载……'));
    (async () => {
      let st;
      try {
        st = await api('GET', '/templates/status', undefined, { zh: true });
      } catch (e) {
        if (g !== G.generation()) return;
        card.replaceChildren(h('h3', {}, '模板同步状态'), h('p', { class: 'muted' }, '无法读取模板同步状态。'));
        return;
      }
      if (g !== G.generation()) return;
      const counts = st.counts || [];
      card.replaceChildren(...nodes([
        h('h3', {}, '模板同步状态'),
        counts.length === 0 ? h('p', { class: 'empty' }, '尚未同步模板（运行 gridcast templates）。') :
          h('ul', { class: 'template-counts' }, counts.map((c) => h('li', { 'data-channel': c.channel, 'data-approved': String(c.approved) },
            `${label(CHANNEL, c.channel)} · ${c.approved ? '已通过审核' : '未通过审核'} ${c.count} 个`))),
        st.synced_at ? h('p', { class: 'muted' }, '最近同步：', timeEl(st.synced_at)) : null,
      ]));
    })();
    return card;
  }

  function row(d) {
    return {
      purpose: label(PURPOSE, d.purpose),
      route: d.route ? label(ROUTE, d.route) : label(CHANNEL, d.channel),
      status: badge(STATUS_CLASS[d.status] || 'cat', label(STATUS, d.status)),
      code: d.code ? `${d.code} ${d.reason || ''}`.trim() : '—',
    };
  }

  async function view(params, opts) {
    const g = G.generation();
    const tail = h('input', { id: 'dl-tail', name: 'phone_tail', type: 'text', inputmode: 'numeric', maxlength: '11', autocomplete: 'off',
      value: params.get('phone_tail') || '', placeholder: '如 5678' });
    const from = h('input', { id: 'dl-from', name: 'from', type: 'date', value: params.get('from') || '' });
    const to = h('input', { id: 'dl-to', name: 'to', type: 'date', value: params.get('to') || '' });
    const status = h('select', { id: 'dl-status', name: 'status' },
      h('option', { value: '' }, '全部状态'),
      Object.entries(STATUS).map(([v, t]) => h('option', { value: v, selected: v === (params.get('status') || '') }, t)));
    // 导出Excel: every record of the filters shown (not only this page).
    const exp = h('button', { type: 'button', id: 'delivery-export' }, '导出Excel');
    exp.addEventListener('click', () => {
      const q = new URLSearchParams({ format: 'xlsx' });
      for (const k of ['phone_tail', 'from', 'to', 'status']) if (params.get(k)) q.set(k, params.get(k));
      const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
      saveFile(exp, '/deliveries?' + q, `发送记录-${today}.xlsx`, '导出发送记录');
    });
    const form = h('form', { class: 'filters', id: 'delivery-filters', role: 'search', 'aria-label': '查询发送记录', novalidate: true, onsubmit: (ev) => {
      ev.preventDefault();
      const v = tail.value.trim();
      if (v && !/^[0-9]{4,11}$/.test(v)) {
        tail.setAttribute('aria-invalid', 'true');
        showError(new Error('请填写手机号的后 4 至 11 位数字'), '查询发送记录');
        tail.focus();
        return;
      }
      tail.removeAttribute('aria-invalid');
      const q = new URLSearchParams();
      for (const [k, c] of [['phone_tail', tail], ['from', from], ['to', to], ['status', status]]) if (c.value.trim()) q.set(k, c.value.trim());
      go('#/delivery' + (q.toString() ? '?' + q : ''));
    } },
    field('手机尾号', tail, '后 4 位即可'), field('起始日期', from), field('截止日期', to), field('状态', status),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary', id: 'delivery-submit' }, '查询'), exp));
    const out = h('div', { id: 'deliveries', 'aria-live': 'polite' }, h('p', { class: 'loading' }, '正在加载……'));
    screen('发送记录', await templateCard(g),
      h('p', { class: 'muted' }, '发给居民的每一条消息（推送活动、提醒、回执、答复、评价邀请、通知），按时间倒序；手机号脱敏显示。'), form, out);

    const q = new URLSearchParams({ limit: String(PAGE) });
    for (const k of ['phone_tail', 'from', 'to', 'status', 'after']) if (params.get(k)) q.set(k, params.get(k));
    let ds;
    try {
      ds = await api('GET', '/deliveries?' + q, undefined, { zh: true });
    } catch (e) {
      if (g !== G.generation()) return;
      out.replaceChildren();
      showError(e, '查询发送记录');
      settle(opts);
      return;
    }
    if (g !== G.generation()) return;
    const older = () => {
      const p = new URLSearchParams(params);
      p.set('after', String(ds[ds.length - 1].id));
      return '#/delivery?' + p;
    };
    const first = () => {
      const p = new URLSearchParams(params);
      p.delete('after');
      return '#/delivery' + (p.toString() ? '?' + p : '');
    };
    const heads = ['时间', '手机号', '类型', '渠道', '状态', '返回码与原因', '网格'];
    out.replaceChildren(...nodes([
      ds.length === 0 ? h('p', { class: 'empty' }, '没有符合条件的发送记录。') : [
        h('ol', { class: 'cards delivery-cards', id: 'delivery-list' }, ds.map((d) => {
          const r = row(d);
          return h('li', { class: 'card delivery', 'data-id': d.id, 'data-status': d.status },
            h('div', { class: 'card-head' }, h('strong', { class: 'phone' }, d.phone || '—'), r.status),
            h('dl', { class: 'fields' },
              h('dt', {}, '时间'), h('dd', {}, timeEl(d.created_at)),
              h('dt', {}, '类型'), h('dd', { class: 'purpose' }, r.purpose),
              h('dt', {}, '渠道'), h('dd', {}, r.route),
              h('dt', {}, '返回'), h('dd', { class: 'code' }, r.code),
              h('dt', {}, '网格'), h('dd', {}, d.grid_code || '—')));
        })),
        h('table', { class: 'delivery-table', id: 'delivery-table' },
          h('thead', {}, h('tr', {}, heads.map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, ds.map((d) => {
            const r = row(d);
            return h('tr', { 'data-id': d.id },
              h('td', {}, timeEl(d.created_at)), h('td', {}, d.phone || '—'), h('td', {}, r.purpose), h('td', {}, r.route),
              h('td', {}, r.status), h('td', {}, r.code), h('td', {}, d.grid_code || '—'));
          }))),
      ],
      h('div', { class: 'buttons pager' },
        params.get('after') ? h('a', { href: first(), id: 'delivery-first', class: 'button' }, '最新的记录') : null,
        ds.length === PAGE ? h('a', { href: older(), id: 'delivery-older', class: 'button' }, '更早的记录') : null),
    ]));
    settle(opts);
  }

  G.register('delivery', (parts, params, opts) => view(params, opts), () => hasRole('officer', 'admin'));
})();
