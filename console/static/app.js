// GridCast console: the grid workers' ticket inbox. Plain JavaScript with
// no build step and no dependencies. It talks only to the JSON API under
// /api/v1 on this origin and shows what the API returns, already masked.
// Every piece of API data reaches the page as text (the h helper below),
// never parsed as HTML.
'use strict';

(function () {
  const API = '/api/v1';
  const TZ = 'Asia/Shanghai';
  const PAGE = 50; // tickets per page of the inbox
  const TOKEN_KEY = 'gridcast.console.token';
  const NAME_KEY = 'gridcast.console.name';

  // Chinese labels for the API's codes; a code without one shows as is.
  const STATUS = {
    new: '新建', assigned: '已分派', in_progress: '处理中', replied: '已回复',
    resolved: '已解决', closed: '已关闭', archived: '已归档',
  };
  const LEVEL = { grid_worker: '网格员', grid_leader: '网格长', community: '社区', street: '街道' };
  const CATEGORY = {
    employment: '就业', social_assistance: '社会救助', elderly_care: '养老服务',
    household_registration: '户籍证件', schooling: '入学', environment: '环境卫生',
    disputes: '矛盾纠纷', complaints: '投诉举报', other: '其他',
  };
  const CHANNEL = { wechat: '微信', sms: '短信' };
  const ROUTE = { wechat_customer_service: '微信客服消息', wechat_template: '微信模板消息', sms: '短信' };
  const PURPOSE = { ack: '受理回执', confirm: '自动答复', bind_code: '绑定验证码', reply: '网格员答复', rating_request: '评价邀请', notify: '工单通知' };
  const DELIVERY = { pending: '待发送', sending: '发送中', sent: '已发送', delivered: '已送达', failed: '发送失败', skipped: '未发送' };
  const INTENT = {
    unsubscribe: '退订', confirm_visit: '确认走访', reschedule_visit: '走访改期', rating: '评价',
    bind_phone: '绑定手机号', bind_code: '绑定验证码', campaign_answer: '活动回复',
    acknowledge: '收到', greeting: '问候', question: '咨询', follow: '关注', unfollow: '取消关注',
  };
  const HTTP_STATUS = {
    0: '无法连接服务', 400: '请求有误', 401: '未登录或令牌无效', 403: '无权限', 404: '未找到',
    405: '不支持的操作', 409: '冲突', 413: '内容过长', 500: '服务器错误', 503: '服务暂不可用',
  };
  const label = (map, code) => map[code] || code || '—';

  // Which actions the workflow allows in each status (the API decides;
  // this only keeps buttons that cannot succeed off the screen).
  const OPEN = ['new', 'assigned', 'in_progress', 'replied'];
  const ACTIONS = {
    reply: OPEN,
    start: ['assigned', 'replied'],
    resolve: ['assigned', 'in_progress', 'replied'],
    close: OPEN.concat('resolved'),
    reassign: OPEN,
    merge: OPEN.concat('resolved'),
    reopen: ['resolved', 'closed'],
  };
  const allowed = (action, status) => ACTIONS[action].includes(status);

  // --- session ------------------------------------------------------------

  // mode is 'token' when the API wants bearer tokens, 'open' when it runs
  // without authentication (a trial on the server's own host), '' before
  // the first answer.
  const session = { mode: '' };
  const store = window.sessionStorage;
  const token = () => store.getItem(TOKEN_KEY) || '';
  const actorName = () => store.getItem(NAME_KEY) || '';
  const signedIn = () => (session.mode === 'token' ? token() !== '' : session.mode === 'open' && actorName() !== '');

  // --- DOM helpers ----------------------------------------------------------

  const $ = (sel, root) => (root || document).querySelector(sel);
  const main = () => $('#main');

  // h builds an element; attributes named on… become listeners, true
  // becomes an empty attribute, null/undefined/false are left out.
  // Children are nodes or text.
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const kid of kids.flat(Infinity)) {
      if (kid === undefined || kid === null || kid === false) continue;
      el.append(kid instanceof Node ? kid : String(kid));
    }
    return el;
  }

  // field is a labelled form control.
  function field(text, control, hint) {
    const id = control.id || (control.id = 'f-' + Math.random().toString(36).slice(2));
    const kids = [h('label', { for: id }, text), control];
    if (hint) {
      const hid = id + '-hint';
      control.setAttribute('aria-describedby', hid);
      kids.push(h('span', { class: 'hint', id: hid }, hint));
    }
    return h('div', { class: 'field' }, kids);
  }

  // nodes flattens children for append and replaceChildren, leaving out
  // the absent ones (which those would write as "null").
  const nodes = (kids) => kids.flat(Infinity).filter((k) => k !== undefined && k !== null && k !== false);

  const badge = (cls, text, attrs) => h('span', Object.assign({ class: 'badge ' + cls }, attrs || {}), text);
  const statusBadge = (st, attrs) => badge('st st-' + st, label(STATUS, st), attrs);

  // when formats an RFC 3339 time in Asia/Shanghai as 2026-03-01 14:05.
  const clock = new Intl.DateTimeFormat('zh-CN', {
    timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  });
  function when(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    if (isNaN(d)) return iso;
    const p = {};
    for (const x of clock.formatToParts(d)) p[x.type] = x.value;
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
  }
  const timeEl = (iso) => h('time', { datetime: iso || null }, when(iso));

  // left says how long until (or since) a deadline, in hours or days.
  function left(iso) {
    const ms = new Date(iso) - Date.now();
    if (!iso || isNaN(ms)) return '';
    const hrs = Math.round(Math.abs(ms) / 3600000);
    const span = hrs >= 48 ? Math.round(hrs / 24) + ' 天' : Math.max(hrs, 1) + ' 小时';
    return ms >= 0 ? '剩 ' + span : '超 ' + span;
  }

  // dueCell shows a deadline, marked when overdue (in words, not only red).
  function due(t) {
    if (!t.due_at) return '—';
    return h('span', { class: t.overdue ? 'due overdue' : 'due' },
      timeEl(t.due_at),
      t.overdue ? badge('late', '已超期') : (OPEN.includes(t.status) ? h('span', { class: 'muted' }, ' ' + left(t.due_at)) : null));
  }

  const actorLabel = (a) => (a === 'resident' ? '居民' : a === 'system' ? '系统' : a || '—');

  // --- messages to the user ---------------------------------------------------

  function notice(text) {
    $('#notice').textContent = text || '';
  }

  function clearError() {
    const box = $('#error');
    box.hidden = true;
    box.replaceChildren();
  }

  // showError puts an API refusal (or a network failure) on the screen:
  // what was being done, the HTTP status, and the API's own message.
  function showError(err, doing) {
    if (err && err.handled) return;
    const box = $('#error');
    const status = err instanceof ApiError ? err.status : 0;
    const head = (doing ? doing + '失败' : '出错了') +
      (status ? `（HTTP ${status} · ${label(HTTP_STATUS, status)}）` : '');
    box.replaceChildren(...nodes([
      h('p', { class: 'error-head' }, h('strong', {}, head)),
      h('p', { class: 'problem', lang: 'en', id: 'error-message' }, (err && err.message) || String(err)),
      err && err.caret ? h('pre', { class: 'caret' }, err.caret) : null,
      h('button', { type: 'button', class: 'link', onclick: clearError }, '关闭提示'),
    ]));
    box.dataset.status = String(status);
    box.hidden = false;
  }

  // --- the API ------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message, caret) {
      super(message);
      this.status = status;
      this.caret = caret || '';
    }
  }

  // problem reads a refusal: the API's JSON problem body, else the text.
  async function problem(res) {
    const text = await res.text();
    let msg = text.trim() || res.statusText;
    let caret = '';
    if ((res.headers.get('Content-Type') || '').includes('json')) {
      try {
        const p = JSON.parse(text);
        if (p && typeof p.error === 'string') msg = p.error;
        if (p && typeof p.caret === 'string') caret = p.caret;
      } catch (_) { /* not JSON after all: the text as it came */ }
    }
    return new ApiError(res.status, msg, caret);
  }

  // api calls /api/v1. With a body it is an action: in the open mode the
  // body names the actor in by; with tokens the API takes the token's user.
  // opts.token overrides the stored token (signing in); opts.anonymous
  // sends none. A 401 while signed in signs out.
  async function api(method, path, body, opts) {
    opts = opts || {};
    const headers = { Accept: 'application/json' };
    const tok = opts.anonymous ? '' : opts.token || (session.mode === 'token' ? token() : '');
    if (tok) headers.Authorization = 'Bearer ' + tok;
    const init = { method, headers, cache: 'no-store', credentials: 'same-origin', redirect: 'error' };
    if (body !== undefined) {
      if (session.mode === 'open') body = Object.assign({ by: actorName() }, body);
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(API + path, init);
    } catch (e) {
      throw new ApiError(0, '无法连接服务：' + e.message);
    }
    if (!res.ok) {
      const err = await problem(res);
      if (res.status === 401 && session.mode === 'token' && !opts.token && !opts.anonymous) {
        store.removeItem(TOKEN_KEY);
        renderSignIn();
        showError(err, '身份验证');
        err.handled = true;
      }
      throw err;
    }
    return res.status === 204 ? null : res.json();
  }

  // --- routing ------------------------------------------------------------------

  // Screens live in the URL's fragment: #/tickets?grid=…&status=…&after=…,
  // #/tickets/12, #/unknown, #/answers/3. gen counts renders so that a slow
  // answer for a screen the user has left is dropped.
  let gen = 0;

  function parseHash() {
    const raw = location.hash.replace(/^#\/?/, '');
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    return { parts: path.split('/').filter(Boolean), params: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
  }

  // go shows hash, rendering again when it is already the current one.
  function go(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  }

  function route(opts) {
    opts = opts || {};
    gen++;
    clearError();
    if (!opts.keepNotice) notice('');
    if (!signedIn()) {
      renderSignIn();
      return;
    }
    renderChrome();
    const { parts, params } = parseHash();
    const sec = parts[0];
    for (const a of document.querySelectorAll('#nav a')) {
      if (a.dataset.nav === sec) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    if (sec === 'tickets' && parts[1]) ticketView(parts[1], opts);
    else if (sec === 'tickets') inboxView(params, opts);
    else if (sec === 'unknown') unknownView(opts);
    else if (sec === 'answers') answersView(parts[1] || '', opts);
    else location.replace('#/tickets');
  }

  // screen starts a screen: the title, and the heading that takes focus
  // so that a screen reader announces where the user is.
  function screen(title, ...kids) {
    document.title = title + ' · 网格工单台';
    const h1 = h('h1', { tabindex: '-1', id: 'screen-title' }, title);
    main().replaceChildren(h1, ...nodes(kids));
    return h1;
  }

  // settle puts focus back where it was (a re-render after an action or a
  // refresh) if that control still exists, else on the screen's heading.
  function settle(opts) {
    const el = opts.focus && document.getElementById(opts.focus);
    if (el && !el.disabled) el.focus();
    else if (!opts.keepFocus) ($('#screen-title') || main()).focus();
  }

  const ROLE_LABELS = { officer: '业务科室', worker: '网格员', viewer: '查看' };

  // canAct: the signed-in user may act on tickets (the worker role). Until
  // /me has answered, the API is left to refuse.
  const canAct = () => !session.me || session.me.roles.includes('worker');

  function whoLabel() {
    if (session.mode !== 'token') return '试用模式 · 操作人：' + actorName();
    if (!session.me) return '已用令牌登录';
    return session.me.name + '（' + session.me.roles.map((r) => ROLE_LABELS[r] || r).join('、') + '）';
  }

  function renderChrome() {
    $('#nav').hidden = false;
    $('#who').hidden = false;
    $('#who-label').textContent = whoLabel();
    if (session.mode === 'token' && !session.me && !session.meAsked) {
      // Who the token belongs to, for the header and the actions offered.
      session.meAsked = true;
      api('GET', '/me').then((me) => {
        session.me = me;
        $('#who-label').textContent = whoLabel();
        if (!canAct() && location.hash.startsWith('#/tickets/')) route({ keepFocus: true });
      }).catch(() => { session.meAsked = false; });
    }
  }

  // --- sign-in ----------------------------------------------------------------

  function renderSignIn() {
    gen++;
    $('#nav').hidden = true;
    $('#who').hidden = true;
    if (session.mode === 'open') {
      const name = h('input', { id: 'name', name: 'name', type: 'text', required: true, autocomplete: 'name', maxlength: '40' });
      screen('进入工单台',
        h('p', {}, '本服务未配置 API 用户，接口不需要令牌，且只接受本机发出的请求（试用模式）。请填写您的姓名：您的每项操作都以此姓名记入工单台账。'),
        h('form', { id: 'signin', class: 'card narrow', onsubmit: (ev) => {
          ev.preventDefault();
          const v = name.value.trim();
          if (!v) { name.setAttribute('aria-invalid', 'true'); name.focus(); return; }
          store.setItem(NAME_KEY, v);
          route();
        } }, field('姓名', name), h('button', { type: 'submit', class: 'primary' }, '进入')));
      name.focus();
      return;
    }
    const tok = h('input', { id: 'token', name: 'token', type: 'password', required: true, autocomplete: 'off', spellcheck: 'false' });
    const submit = h('button', { type: 'submit', class: 'primary', id: 'signin-submit' }, '登录');
    screen('登录',
      h('p', {}, '请输入管理员为您生成的访问令牌（gridcast keygen --api-token）。令牌只保存在本浏览器标签页中，关闭标签页或点击“退出”即清除。'),
      h('form', { id: 'signin', class: 'card narrow', onsubmit: async (ev) => {
        ev.preventDefault();
        const v = tok.value.trim();
        if (!v) { tok.setAttribute('aria-invalid', 'true'); tok.focus(); return; }
        clearError();
        if (/[^\x21-\x7e]/.test(v)) {
          // A header cannot carry it; tokens are printable ASCII.
          showError(new ApiError(0, '令牌只含英文字母、数字和符号，请检查是否粘贴完整、有无多余字符。'), '登录');
          tok.setAttribute('aria-invalid', 'true');
          tok.focus();
          return;
        }
        submit.disabled = true;
        try {
          await api('GET', '/tickets?limit=1', undefined, { token: v });
          store.setItem(TOKEN_KEY, v);
          // With no screen in the URL yet, the hashchange of the first
          // one renders it.
          if (!location.hash || location.hash === '#') location.replace('#/tickets');
          else route();
        } catch (e) {
          showError(e, '登录');
          tok.setAttribute('aria-invalid', 'true');
          submit.disabled = false;
          tok.select();
          tok.focus();
        }
      } }, field('访问令牌', tok), submit));
    tok.focus();
  }

  function signOut() {
    session.me = null;
    session.meAsked = false;
    store.removeItem(TOKEN_KEY);
    store.removeItem(NAME_KEY);
    clearError();
    notice('已退出。');
    renderSignIn();
  }

  // --- inbox --------------------------------------------------------------------

  // pages remembers the after values of the inbox pages seen with the
  // current filter, for 上一页.
  let pages = { key: '', afters: [''] };
  // lastInbox is the inbox as last shown, filters and page, for the
  // ticket's way back.
  let lastInbox = '#/tickets';

  function inboxView(params, opts) {
    lastInbox = location.hash || '#/tickets';
    const f = { grid: params.get('grid') || '', status: params.get('status') || '', assignee: params.get('assignee') || '' };
    const after = params.get('after') || '';
    const key = JSON.stringify(f);
    if (pages.key !== key) pages = { key, afters: [''] };
    let i = pages.afters.indexOf(after);
    if (i < 0) {
      pages.afters.push(after);
      i = pages.afters.length - 1;
    } else {
      pages.afters.length = i + 1;
    }
    const filterHash = (extra) => {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(Object.assign({}, f, extra))) if (v) q.set(k, v);
      const s = q.toString();
      return '#/tickets' + (s ? '?' + s : '');
    };

    const grid = h('input', { id: 'f-grid', name: 'grid', type: 'text', value: f.grid, placeholder: '如 NY-03-02-05', autocomplete: 'off' });
    const status = h('select', { id: 'f-status', name: 'status' },
      h('option', { value: '' }, '全部状态'),
      Object.entries(STATUS).map(([v, t]) => h('option', { value: v, selected: v === f.status }, t)));
    const assignee = h('input', { id: 'f-assignee', name: 'assignee', type: 'text', inputmode: 'numeric', pattern: '[0-9]*', value: f.assignee, autocomplete: 'off' });
    const list = h('div', { id: 'ticket-list', 'aria-live': 'polite', 'aria-busy': 'true' }, h('p', { class: 'loading' }, '正在加载……'));
    const refresh = h('button', { type: 'button', id: 'refresh' }, '刷新');

    screen('工单',
      h('form', { id: 'filters', class: 'filters', role: 'search', 'aria-label': '筛选工单', onsubmit: (ev) => {
        ev.preventDefault();
        go(filterHash({ grid: grid.value.trim(), status: status.value, assignee: assignee.value.trim(), after: '' }));
      } },
      field('网格编码', grid),
      field('状态', status),
      field('办理人（工作人员 ID）', assignee),
      h('div', { class: 'buttons' },
        h('button', { type: 'submit', class: 'primary', id: 'apply-filters' }, '筛选'),
        h('button', { type: 'button', onclick: () => go('#/tickets') }, '清除筛选'),
        refresh)),
      list);
    refresh.addEventListener('click', () => { notice(''); load(); });

    const g = gen;
    async function load() {
      list.setAttribute('aria-busy', 'true');
      const q = new URLSearchParams();
      if (f.grid) q.set('grid', f.grid);
      if (f.status) q.set('status', f.status);
      if (f.assignee) q.set('assignee', f.assignee);
      q.set('limit', String(PAGE));
      if (after) q.set('after', after);
      let ts;
      try {
        ts = await api('GET', '/tickets?' + q);
      } catch (e) {
        if (g !== gen) return;
        showError(e, '读取工单列表');
        list.replaceChildren(h('p', { class: 'muted' }, '无法读取工单列表。'));
        list.setAttribute('aria-busy', 'false');
        return;
      }
      if (g !== gen) return;
      clearError();
      const pager = h('nav', { class: 'pager', 'aria-label': '分页' },
        after ? h('a', { href: filterHash({ after: '' }), class: 'button' }, '第一页') : null,
        i > 1 ? h('a', { href: filterHash({ after: pages.afters[i - 1] }), class: 'button' }, '上一页') : null,
        ts.length === PAGE ? h('a', { href: filterHash({ after: String(ts[ts.length - 1].id) }), class: 'button', id: 'next-page' }, '下一页') : null);
      if (ts.length === 0) {
        list.replaceChildren(h('p', { class: 'empty' }, after ? '没有更多工单了。' : '没有符合条件的工单。'), pager);
      } else {
        list.replaceChildren(
          h('p', { class: 'summary' }, `第 ${i + 1} 页 · 本页 ${ts.length} 件（编号 ${ts[0].id}–${ts[ts.length - 1].id}）· 期限按北京时间显示`),
          ticketTable(ts), pager);
      }
      list.setAttribute('aria-busy', 'false');
    }
    load().then(() => settle(opts));
  }

  function ticketTable(ts) {
    return h('table', { class: 'tickets' },
      h('caption', { class: 'sr-only' }, '工单列表；超期的工单标有“已超期”'),
      h('thead', {}, h('tr', {},
        ['编号', '状态', '分类', '居民', '内容', '网格', '办理人', '期限'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, ts.map((t) => {
        const href = '#/tickets/' + t.id;
        return h('tr', {
          class: t.overdue ? 'overdue' : null, 'data-id': t.id, 'data-status': t.status,
          onclick: (ev) => { if (!ev.target.closest('a')) location.hash = href; },
        },
        h('td', {}, h('a', { href, class: 'ticket-link' }, '#' + t.id)),
        h('td', {}, statusBadge(t.status), t.supervised ? [' ', supervisedBadge(t)] : null),
        h('td', {}, t.category_label || label(CATEGORY, t.category)),
        h('td', {}, resident(t)),
        h('td', { class: 'text' }, t.text || '（无文字）'),
        h('td', {}, t.grid),
        h('td', {}, assigneeText(t)),
        h('td', {}, due(t)));
      })));
  }

  function resident(t) {
    if (!t.resident_id) return h('span', { class: 'muted' }, '未识别');
    return h('span', { class: 'resident' }, t.resident || '居民 ' + t.resident_id,
      t.phone ? h('span', { class: 'phone' }, t.phone) : null);
  }

  function assigneeText(t) {
    const who = t.assignee_code || (t.assignee_worker_id ? '#' + t.assignee_worker_id : '未分派');
    return t.level && t.level !== 'grid_worker' ? who + '（' + label(LEVEL, t.level) + '）' : who;
  }

  // --- one ticket ---------------------------------------------------------------

  async function ticketView(id, opts) {
    const g = gen;
    const back = h('p', { class: 'back' }, h('a', { href: lastInbox }, '← 返回工单列表'));
    if (!/^[1-9][0-9]*$/.test(id)) {
      screen('工单', h('p', { class: 'empty' }, '工单编号应为正整数。')).before(back);
      settle(opts);
      return;
    }
    if (!opts.keepScreen) screen('工单 #' + id, h('p', { class: 'loading' }, '正在加载……')).before(back);
    let detail;
    let quick = [];
    let quickErr = null;
    try {
      detail = await api('GET', '/tickets/' + id);
    } catch (e) {
      if (g !== gen) return;
      showError(e, '读取工单 #' + id);
      screen('工单 #' + id, h('p', { class: 'muted' }, '无法读取这件工单。')).before(back);
      settle(opts);
      return;
    }
    if (OPEN.includes(detail.ticket.status)) {
      try {
        quick = await api('GET', '/tickets/' + id + '/quick-replies');
      } catch (e) {
        if (e.handled) return;
        quickErr = e;
      }
    }
    if (g !== gen) return;
    renderTicket(detail, quick, quickErr, back);
    settle(opts);
  }

  function renderTicket(detail, quick, quickErr, back) {
    const t = detail.ticket;
    const id = t.id;
    const h1 = screen('工单 #' + id);
    h1.append(...nodes([' ', statusBadge(t.status, { id: 'ticket-status', 'data-status': t.status }),
      ' ', badge('cat', t.category_label || label(CATEGORY, t.category)),
      t.overdue ? [' ', badge('late', '已超期')] : null,
      t.supervised ? [' ', supervisedBadge(t)] : null]));

    // act runs an action, announces it and shows the ticket again.
    // Every button waits while one action runs, so that a double click
    // cannot send a reply twice.
    const act = async (btn, action, body, done, doing) => {
      clearError();
      const buttons = [...main().querySelectorAll('button:not([disabled])')];
      for (const b of buttons) b.disabled = true;
      btn.setAttribute('aria-busy', 'true');
      try {
        await api('POST', `/tickets/${id}/${action}`, body);
      } catch (e) {
        for (const b of buttons) b.disabled = false;
        btn.removeAttribute('aria-busy');
        showError(e, doing);
        if (!e.handled) btn.focus();
        return;
      }
      notice(done);
      gen++;
      ticketView(String(id), { keepNotice: true, keepScreen: true, focus: btn.id });
    };

    const conv = h('section', { class: 'panel conversation', 'aria-labelledby': 'conv-h' },
      h('h2', { id: 'conv-h' }, '对话'),
      detail.conversation.length === 0 ? h('p', { class: 'muted' }, '还没有消息。') :
        h('ol', { id: 'conversation', class: 'messages' }, detail.conversation.map(message)),
      canAct() ? composer(t, quick, quickErr, act) : readOnly());

    const side = h('div', { class: 'side' },
      canAct() ? actions(t, act) : null,
      h('section', { class: 'panel', 'aria-labelledby': 'fields-h' },
        h('h2', { id: 'fields-h' }, '工单信息'), fields(t)),
      h('section', { class: 'panel', 'aria-labelledby': 'timeline-h' },
        h('h2', { id: 'timeline-h' }, '处理记录'),
        h('ol', { id: 'timeline', class: 'timeline' }, detail.timeline.map(event))));

    main().prepend(back);
    main().append(h('div', { class: 'ticket' }, conv, side));
  }

  function message(e) {
    const out = e.direction === 'out';
    const via = out ? label(ROUTE, e.route || e.channel) : label(CHANNEL, e.channel);
    return h('li', {
      class: 'msg ' + (out ? 'out' : 'in'), 'data-direction': e.direction,
      'data-purpose': e.purpose || null, 'data-status': e.status || null,
    },
    h('div', { class: 'meta' },
      h('span', { class: 'dir', 'aria-hidden': 'true' }, out ? '⇢' : '⇠'),
      h('strong', {}, out ? '工作台' + (e.actor ? ' · ' + actorLabel(e.actor) : '') : '居民'),
      h('span', {}, via),
      out && e.purpose ? h('span', {}, label(PURPOSE, e.purpose)) : null,
      timeEl(e.at),
      out ? badge('dl dl-' + e.status, label(DELIVERY, e.status)) : null),
    h('p', { class: 'text' }, e.text || '（无文字）'));
  }

  function composer(t, quick, quickErr, act) {
    if (!allowed('reply', t.status)) {
      return h('p', { class: 'muted' }, '工单' + label(STATUS, t.status) + '，不能再回复。');
    }
    const text = h('textarea', { id: 'reply-text', name: 'text', rows: '4', required: true });
    const send = h('button', { type: 'submit', class: 'primary', id: 'reply-send' }, '发送回复');
    text.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
        ev.preventDefault();
        form.requestSubmit();
      }
    });
    const form = h('form', { id: 'reply', class: 'reply', onsubmit: (ev) => {
      ev.preventDefault();
      const v = text.value.trim();
      if (!v) { text.setAttribute('aria-invalid', 'true'); text.focus(); return; }
      act(send, 'reply', { text: v }, '回复已排队，等待发送。', '发送回复');
    } },
    field('回复居民', text, '按渠道发送：微信 48 小时内用客服消息，否则模板消息或短信。Ctrl+Enter 发送。'),
    h('div', { class: 'buttons' }, send));
    let ready = null;
    if (quickErr) {
      ready = h('p', { class: 'muted' }, '常用回复暂不可用：' + quickErr.message);
    } else if (quick.length > 0) {
      ready = h('div', { class: 'quick', role: 'group', 'aria-labelledby': 'quick-h' },
        h('h3', { id: 'quick-h' }, '常用回复（点击即发送）'),
        h('ul', {}, quick.map((q) => {
          const b = h('button', { type: 'button', class: 'quick-reply', id: 'quick-' + q.n, 'data-quick': q.n, title: '发送常用回复 ' + q.n },
            h('span', { class: 'n' }, q.n + '.'), ' ', q.text);
          b.addEventListener('click', () => act(b, 'reply', { quick: q.n }, `常用回复 ${q.n} 已排队，等待发送。`, '发送常用回复'));
          return h('li', {}, b);
        })));
    }
    return h('div', { class: 'composer' }, h('h3', {}, '回复'), ready, form);
  }

  function readOnly() {
    return h('p', { class: 'muted', id: 'read-only' }, '只读：您的令牌没有网格员（worker）权限，不能回复或办理工单。');
  }

  function actions(t, act) {
    const forms = [];
    const s = t.status;
    if (allowed('start', s)) {
      const b = h('button', { type: 'button', id: 'act-start' }, '开始处理');
      b.addEventListener('click', () => act(b, 'start', {}, '已标记为处理中。', '开始处理'));
      forms.push(h('div', { class: 'action' }, b));
    }
    const noteForm = (action, fieldLabel, button, done) => {
      const note = h('input', { id: 'note-' + action, name: 'note', type: 'text', autocomplete: 'off' });
      const b = h('button', { type: 'submit', id: 'act-' + action }, button);
      return h('form', { class: 'action', id: 'form-' + action, onsubmit: (ev) => {
        ev.preventDefault();
        act(b, action, { note: note.value.trim() }, done, button);
      } }, field(fieldLabel, note), b);
    };
    if (allowed('resolve', s)) forms.push(noteForm('resolve', '办理说明（可选）', '标记已解决', '已解决，已邀请居民评价。'));
    if (allowed('close', s)) forms.push(noteForm('close', '关闭原因（可选）', '关闭工单', '工单已关闭。'));
    if (allowed('reopen', s)) forms.push(noteForm('reopen', '重新打开的原因（可选）', '重新打开', '工单已重新打开，已通知网格员。'));
    if (allowed('reassign', s)) {
      const code = h('input', { id: 'reassign-code', name: 'worker_code', type: 'text', required: true, autocomplete: 'off', placeholder: '如 W-NY-03-02-06' });
      const b = h('button', { type: 'submit', id: 'act-reassign' }, '转派');
      forms.push(h('form', { class: 'action', id: 'form-reassign', onsubmit: (ev) => {
        ev.preventDefault();
        if (!code.value.trim()) { code.focus(); return; }
        act(b, 'reassign', { worker_code: code.value.trim() }, '已转派，并已通知对方。', '转派');
      } }, field('转派给（工作人员工号）', code), b));
    }
    if (allowed('merge', s)) {
      const into = h('input', { id: 'merge-into', name: 'into', type: 'text', inputmode: 'numeric', pattern: '[0-9]*', required: true, autocomplete: 'off' });
      const b = h('button', { type: 'submit', id: 'act-merge' }, '合并');
      forms.push(h('form', { class: 'action', id: 'form-merge', onsubmit: (ev) => {
        ev.preventDefault();
        const n = Number(into.value.trim());
        if (!Number.isInteger(n) || n <= 0) { into.setAttribute('aria-invalid', 'true'); into.focus(); return; }
        act(b, 'merge', { into: n }, `已合并到工单 #${n}。`, '合并');
      } }, field('作为重复工单合并到（保留的工单编号）', into), b));
    }
    return h('section', { class: 'panel actions', 'aria-labelledby': 'actions-h' },
      h('h2', { id: 'actions-h' }, '处理'),
      forms.length ? forms : h('p', { class: 'muted' }, '工单' + label(STATUS, s) + '，没有可做的操作。'));
  }

  function fields(t) {
    const rows = [
      ['状态', statusBadge(t.status)],
      ['分类', t.category_label || label(CATEGORY, t.category)],
      ['级别', label(LEVEL, t.level)],
      ['网格', t.grid],
      ['来源渠道', label(CHANNEL, t.channel)],
      ['办理人', assigneeText(t)],
      ['期限', due(t)],
      ['居民', resident(t)],
      ['首条消息', t.text || '（无文字）'],
      t.campaign_id ? ['回复的活动', h('a', { href: '#/answers/' + t.campaign_id }, '#' + t.campaign_id + ' 报名名单')] : null,
      t.slot ? ['走访时间', timeEl(t.slot)] : null,
      t.rating ? ['居民评价', t.rating + ' 星'] : null,
      t.merged_into ? ['已合并到', h('a', { href: '#/tickets/' + t.merged_into }, '#' + t.merged_into)] : null,
      ['创建', timeEl(t.created_at)],
      ['更新', timeEl(t.updated_at)],
      t.resolved_at ? ['解决', timeEl(t.resolved_at)] : null,
      t.closed_at ? ['关闭', timeEl(t.closed_at)] : null,
    ];
    return h('dl', { class: 'fields', id: 'ticket-fields' },
      rows.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  }

  // The steps of a department's task, as the timeline says them.
  const TASK_ACTION = {
    accept: '已受理', return: '退回', request_extension: '申请延期', approve_extension: '同意延期',
    refuse_extension: '不同意延期', resolve: '已办结', cancel: '撤回任务',
  };

  // supervisedBadge marks a ticket under 督办, who flagged it and why in
  // its title.
  function supervisedBadge(t) {
    const s = t.supervised;
    return h('span', { class: 'badge supervised', title: actorLabel(s.by) + (s.note ? '：' + s.note : '') }, '督办');
  }

  function event(ev) {
    let what;
    switch (ev.kind) {
      case 'created': what = '创建工单' + (ev.to ? '，分类：' + label(CATEGORY, ev.to) : ''); break;
      case 'status': what = '状态：' + label(STATUS, ev.from) + ' → ' + label(STATUS, ev.to); break;
      case 'assigned': what = '分派：' + (ev.from && ev.from !== '0' ? '工作人员 #' + ev.from + ' → ' : '') + '工作人员 #' + ev.to; break;
      case 'escalated': what = '升级：' + label(LEVEL, ev.from) + ' → ' + label(LEVEL, ev.to); break;
      case 'reopened': what = '重新打开' + (ev.from ? '（原为' + label(STATUS, ev.from) + '）' : ''); break;
      case 'rated': what = '居民评价：' + ev.to + ' 星'; break;
      case 'merged': what = '合并：工单 #' + ev.from + ' 并入 #' + ev.to; break;
      case 'dispatch': what = '分拨：' + (ev.department_label || ev.department); break;
      case 'task': what = (ev.department_label || ev.department) + '：' + (TASK_ACTION[ev.action] || ev.action); break;
      case 'supervised': what = '督办' + (ev.to ? '：超期，已告知' + label(LEVEL, ev.to) : ''); break;
      case 'unsupervised': what = '撤销督办'; break;
      default: what = ev.kind + (ev.from || ev.to ? '：' + (ev.from || '') + ' → ' + (ev.to || '') : '');
    }
    return h('li', { 'data-kind': ev.kind },
      h('div', { class: 'meta' }, timeEl(ev.at), h('span', {}, actorLabel(ev.actor))),
      h('p', {}, what),
      ev.note ? h('p', { class: 'note' }, '备注：' + ev.note) : null);
  }

  // --- unknown senders ------------------------------------------------------------

  async function unknownView(opts) {
    const g = gen;
    const list = h('div', { id: 'unknown-list', 'aria-live': 'polite' }, h('p', { class: 'loading' }, '正在加载……'));
    const refresh = h('button', { type: 'button', id: 'refresh' }, '刷新');
    screen('未识别发送方',
      h('p', {}, '发送方与人口库中任何居民都不匹配的消息，最新的在前。号码和姓名均已脱敏。'),
      h('div', { class: 'buttons' }, refresh), list);
    const load = async () => {
      let ms;
      try {
        ms = await api('GET', '/tickets/unknown-senders?limit=200');
      } catch (e) {
        if (g !== gen) return;
        showError(e, '读取未识别发送方');
        list.replaceChildren(h('p', { class: 'muted' }, '无法读取。'));
        return;
      }
      if (g !== gen) return;
      clearError();
      list.replaceChildren(ms.length === 0 ? h('p', { class: 'empty' }, '没有未识别发送方的消息。') :
        h('table', { class: 'plain' },
          h('thead', {}, h('tr', {}, ['时间', '渠道', '发送方', '内容', '识别为', '活动', '工单'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, ms.map((m) => h('tr', { 'data-id': m.id },
            h('td', {}, timeEl(m.received_at)),
            h('td', {}, label(CHANNEL, m.channel)),
            h('td', { class: 'phone' }, m.sender),
            h('td', { class: 'text' }, m.text || '（无文字）'),
            h('td', {}, m.intent ? label(INTENT, m.intent) : '—'),
            h('td', {}, m.campaign_id ? h('a', { href: '#/answers/' + m.campaign_id }, '#' + m.campaign_id) : '—'),
            h('td', {}, m.ticket_id ? h('a', { href: '#/tickets/' + m.ticket_id }, '#' + m.ticket_id) : '—'))))));
    };
    refresh.addEventListener('click', () => load());
    await load();
    settle(opts);
  }

  // --- a campaign's sign-up list -------------------------------------------------

  async function answersView(id, opts) {
    const g = gen;
    const input = h('input', { id: 'campaign-id', name: 'campaign', type: 'text', inputmode: 'numeric', pattern: '[0-9]*', required: true, value: id, autocomplete: 'off' });
    const list = h('div', { id: 'answers-list', 'aria-live': 'polite' });
    screen(id ? '活动 #' + id + ' 报名名单' : '报名名单',
      h('form', { class: 'filters', role: 'search', 'aria-label': '按活动查看报名名单', onsubmit: (ev) => {
        ev.preventDefault();
        const v = input.value.trim();
        if (!/^[1-9][0-9]*$/.test(v)) { input.setAttribute('aria-invalid', 'true'); input.focus(); return; }
        go('#/answers/' + v);
      } }, field('活动编号', input), h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary', id: 'answers-submit' }, '查看'))),
      list);
    if (!id) {
      list.append(h('p', { class: 'muted' }, '输入活动编号，查看居民对该活动回复选项的最新回答。居民只以编号显示；需要联系方式时请按规定使用“gridcast tickets answers --unmask”。'));
      settle(opts);
      return;
    }
    let as;
    try {
      as = await api('GET', '/campaigns/' + encodeURIComponent(id) + '/answers');
    } catch (e) {
      if (g !== gen) return;
      showError(e, '读取活动 #' + id + ' 的报名名单');
      settle(opts);
      return;
    }
    if (g !== gen) return;
    const counts = new Map();
    for (const a of as) {
      const k = a.option + (a.meaning ? ' ' + a.meaning : '');
      counts.set(k, (counts.get(k) || 0) + 1);
    }
    list.replaceChildren(...nodes([as.length === 0 ? h('p', { class: 'empty' }, '还没有居民回复这个活动。') : [
      h('p', { class: 'summary' }, `共 ${as.length} 位居民回复：` + [...counts].map(([k, n]) => `${k} ${n} 人`).join('，')),
      h('table', { class: 'plain', id: 'answers' },
        h('thead', {}, h('tr', {}, ['居民编号', '选项', '含义', '回复时间'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, as.map((a) => h('tr', {},
          h('td', {}, a.resident_id), h('td', {}, a.option), h('td', {}, a.meaning || '—'), h('td', {}, timeEl(a.answered_at)))))),
    ]]));
    settle(opts);
  }

  // --- start ----------------------------------------------------------------------

  // boot asks the API, without a token, whether it wants one: 401 means
  // tokens, 200 the open trial mode, 403 a remote browser while no users
  // are configured.
  async function boot() {
    $('#signout').addEventListener('click', signOut);
    $('#skip').addEventListener('click', (ev) => { ev.preventDefault(); main().focus(); });
    window.addEventListener('hashchange', () => route());
    try {
      await api('GET', '/tickets?limit=1', undefined, { anonymous: true });
      session.mode = 'open';
      store.removeItem(TOKEN_KEY);
    } catch (e) {
      if (e.status !== 401) {
        screen('无法使用工单台',
          h('p', {}, e.status === 403 ?
            '本服务未配置 API 用户，只接受在服务器本机发出的请求。请联系管理员配置 http.api_users 并为您生成访问令牌。' :
            '无法连接工单接口，请稍后刷新页面重试。'));
        showError(e, '连接工单接口');
        return;
      }
      session.mode = 'token';
      store.removeItem(NAME_KEY);
    }
    route();
  }

  boot();
})();
