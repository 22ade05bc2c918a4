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
  // The ticket categories in the API's order (tickets.Categories).
  const CATEGORY = {
    employment: '就业', social_assistance: '社会救助', elderly_care: '养老服务',
    household_registration: '户籍证件', schooling: '入学', environment: '环境卫生',
    disputes: '邻里纠纷/噪音', complaints: '投诉举报', property: '物业/房屋', city_management: '城市管理',
    safety: '安全隐患/消防', social_insurance: '社保医保', family_planning: '计生/生育', public_security: '治安',
    heating_gas: '供暖/燃气', staff_complaint: '投诉(对工作人员)', other: '其他',
  };
  const SOURCE = { resident: '居民反映', patrol: '网格巡查', hotline: '热线来电' };
  const TASK_STATE = {
    dispatched: '已分拨', accepted: '已受理', extension_requested: '申请延期', returned: '已退回',
    resolved: '已办结', cancelled: '已撤回',
  };
  const TASK_OPEN = ['dispatched', 'accepted', 'extension_requested'];
  // Why a resident's media could not be kept (Attachment.missing).
  const MISSING = {
    'fetch failed': '未能从微信取回（素材已过期或服务不可用）',
    'content refused': '文件不符合要求（类型不允许或超过大小限制）',
    'blob store error': '文件存储出错，未能保存',
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

  // mode is 'token' when the API wants users to sign in, 'open' when it
  // runs without authentication (a trial on the server's own host), ''
  // before the first answer. Signed in with users means a session (the
  // server's HttpOnly cookie, which scripts never see, and csrf, the token
  // every change carries) or an access token kept in this tab.
  const session = { mode: '', csrf: '', methods: { password: false, providers: [] } };
  const store = window.sessionStorage;
  const token = () => store.getItem(TOKEN_KEY) || '';
  const actorName = () => store.getItem(NAME_KEY) || '';
  const signedIn = () => (session.mode === 'token' ? token() !== '' || session.csrf !== '' : session.mode === 'open' && actorName() !== '');

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
    const msg = (err && err.message) || String(err);
    const head = (doing ? doing + '失败' : '出错了') +
      (status ? `（HTTP ${status} · ${label(HTTP_STATUS, status)}）` : '');
    box.replaceChildren(...nodes([
      h('p', { class: 'error-head' }, h('strong', {}, head)),
      h('p', { class: 'problem', lang: chinese(msg) ? 'zh-CN' : 'en', id: 'error-message' }, msg),
      err && err.caret ? h('pre', { class: 'caret' }, err.caret) : null,
      h('button', { type: 'button', class: 'link', onclick: clearError }, '关闭提示'),
    ]));
    box.dataset.status = String(status);
    box.hidden = false;
  }

  const chinese = (text) => /[\u4e00-\u9fff]/.test(text || '');

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
  // body names the actor in by; signed in, the API takes the session's or
  // the token's user, and a session's change carries its CSRF token.
  // opts.token overrides the stored token (signing in with one);
  // opts.anonymous sends neither token nor cookie. A 401 while signed in
  // signs out.
  //
  // opts.zh asks for the refusal in Chinese whatever the browser's
  // language (the screens of reported events, departments and 督办, whose
  // users read Chinese only). A FormData body goes as multipart with
  // X-Requested-With, which the API demands of an upload; opts.blob
  // answers the body as a Blob (a photo), not JSON.
  async function api(method, path, body, opts) {
    opts = opts || {};
    const headers = { Accept: opts.blob ? '*/*' : 'application/json' };
    if (opts.zh) headers['Accept-Language'] = 'zh-CN';
    const tok = opts.anonymous ? '' : opts.token || (session.mode === 'token' ? token() : '');
    if (tok) headers.Authorization = 'Bearer ' + tok;
    else if (session.csrf && !opts.anonymous && method !== 'GET') headers['X-CSRF-Token'] = session.csrf;
    const init = { method, headers, cache: 'no-store', credentials: opts.anonymous ? 'omit' : 'same-origin', redirect: 'error' };
    // opts.actor names the body's field that says who acts in the open
    // mode: by (the default), owner (a campaign), or '' for a body that
    // names no actor (a segment's preview, a new user).
    const actorField = opts.actor === undefined ? 'by' : opts.actor;
    if (body instanceof FormData) {
      if (session.mode === 'open' && actorField) body.set(actorField, actorName());
      headers['X-Requested-With'] = 'GridCastConsole';
      init.body = body;
    } else if (body !== undefined) {
      if (session.mode === 'open' && actorField) body = Object.assign({ [actorField]: actorName() }, body);
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
      if (res.status === 401 && session.mode === 'token' && !opts.token && !opts.anonymous && !opts.signingIn) {
        store.removeItem(TOKEN_KEY);
        session.csrf = '';
        session.me = null;
        session.meFailed = false;
        renderSignIn();
        showError(err, '身份验证');
        err.handled = true;
      }
      throw err;
    }
    if (opts.blob) return res.blob();
    return res.status === 204 ? null : res.json();
  }

  // --- routing ------------------------------------------------------------------

  // Screens live in the URL's fragment: #/tickets?grid=…&status=…&after=…,
  // #/tickets/12, #/unknown, #/answers/3, #/visits?worker=…&period=…,
  // #/residents/7, #/assessment?period=…&by=…. gen counts renders so that a slow
  // answer for a screen the user has left is dropped.
  let gen = 0;
  // carryNotice is announced on the next screen (a report's ticket).
  let carryNotice = '';

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
    dropObjectURLs();
    if (!opts.keepNotice) notice(carryNotice);
    carryNotice = '';
    if (!signedIn()) {
      renderSignIn();
      return;
    }
    renderChrome();
    if (!session.me && !session.meFailed) {
      // The screens offered depend on the roles: ask once, then route.
      const g = gen;
      loadMe().then(() => { if (g === gen) route(Object.assign({}, opts, { keepNotice: true })); });
      return;
    }
    const { parts, params } = parseHash();
    const sec = parts[0];
    const navOf = sec === 'residents' ? 'visits' : sec;
    for (const a of document.querySelectorAll('#nav a')) {
      if (a.dataset.nav === navOf) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    if (sec === 'tickets' && parts[1]) ticketView(parts[1], opts);
    else if (sec === 'tickets') inboxView(params, opts);
    else if (sec === 'report') reportView(opts);
    else if (sec === 'tasks') tasksView(params, opts);
    else if (sec === 'unknown') unknownView(opts);
    else if (sec === 'answers') answersView(parts[1] || '', opts);
    else if (sec === 'visits') visitsView(params, opts);
    else if (sec === 'residents' && parts[1]) residentView(parts[1], opts);
    else if (sec === 'assessment') assessmentView(params, opts);
    else if (sec === 'password') passwordView(opts);
    else if (extra[sec]) extra[sec].view(parts, params, opts);
    else location.replace(home());
  }

  // home is where a signed-in user starts: a department's user at their
  // department's tasks, everyone else at the inbox.
  const home = () => (departmentOnly() ? '#/tasks' : '#/tickets');

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

  const ROLE_LABELS = { admin: '管理员', officer: '业务科室', checker: '审核', worker: '网格员', department: '职能部门', viewer: '查看' };

  // canAct: the signed-in user may act on tickets (the worker role). Until
  // /me has answered, the API is left to refuse.
  const canAct = () => !session.me || session.me.roles.includes('worker');
  const hasRole = (...rs) => !session.me || rs.some((r) => session.me.roles.includes(r));
  // canReport: the roles POST /api/v1/events takes.
  const canReport = () => hasRole('worker', 'officer', 'admin');
  // departmentOnly: a department's user and nothing else (no grids).
  const departmentOnly = () => !!(session.me && session.me.authenticated && session.me.roles.includes('department') &&
    session.me.grids.length === 0);
  // cityWide: the user's scope is the whole city (the trial mode's too).
  const cityWide = () => !session.me || !session.me.authenticated || session.me.grids.includes('*');
  const myDepartment = () => (session.me && session.me.authenticated && session.me.roles.includes('department') ? session.me.department || '' : '');
  // covers: scope code c holds grid (the API's access.Scope.Covers).
  const covers = (c, grid) => c === '*' || grid === c || grid.startsWith(c + '-');
  // dispatcher: the user may dispatch grid's tickets, decide on their
  // tasks and flag them 督办 — staff whose scope lies above the grid
  // (the API's rule; it decides, this only keeps the forms away from
  // those it would refuse). In the trial mode anyone.
  function dispatcher(grid) {
    const me = session.me;
    if (!me || !me.authenticated) return session.mode === 'open';
    return hasRole('worker', 'officer', 'admin') && me.grids.some((c) => c !== grid && covers(c, grid));
  }

  function whoLabel() {
    if (session.mode !== 'token') return '试用模式 · 操作人：' + actorName();
    if (!session.me) return session.csrf ? '已登录' : '已用令牌登录';
    return session.me.name + '（' + session.me.roles.map((r) => ROLE_LABELS[r] || r).join('、') + '）';
  }

  function renderChrome() {
    $('#nav').hidden = false;
    $('#who').hidden = false;
    $('#who-label').textContent = whoLabel();
    // Only a signed-in user (not the trial mode) has a password to change.
    $('#password-link').hidden = session.mode !== 'token';
    // The screens a role has no use for stay out of the way; the API
    // refuses them all the same.
    const show = { report: canReport(), tasks: hasRole('department') || !!(session.me && session.me.grids.includes('*')),
      // Senders no resident matched belong to no grid: the whole city's only.
      tickets: !departmentOnly(), unknown: !departmentOnly() && cityWide(), answers: !departmentOnly(),
      visits: !departmentOnly() && hasRole('worker', 'officer'), assessment: !departmentOnly() && hasRole('officer', 'admin', 'viewer') };
    for (const [sec, x] of Object.entries(extra)) show[sec] = !x.show || x.show();
    for (const a of document.querySelectorAll('#nav a')) a.hidden = show[a.dataset.nav] === false;
  }

  // loadMe asks who the token belongs to (or, in the trial mode, what the
  // API lets this host do), for the header and the screens offered. A
  // failure leaves the API to refuse what the user may not do.
  async function loadMe() {
    try {
      session.me = await api('GET', '/me');
    } catch (e) {
      if (e.handled) return;
      session.meFailed = true;
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
    if (!session.methods.password) {
      screen('登录', tokenSignIn(true));
      $('#token').focus();
      return;
    }
    const name = h('input', { id: 'login-name', name: 'username', type: 'text', required: true, autocomplete: 'username',
      autocapitalize: 'off', spellcheck: 'false', maxlength: '64' });
    const pw = h('input', { id: 'login-password', name: 'password', type: 'password', required: true, autocomplete: 'current-password', maxlength: '128' });
    const go1 = h('button', { type: 'submit', class: 'primary', id: 'login-submit' }, '登录');
    const providers = h('div', { class: 'providers', id: 'providers' });
    screen('登录',
      h('form', { id: 'login', class: 'card narrow', onsubmit: async (ev) => {
        ev.preventDefault();
        clearError();
        if (!name.value.trim()) { name.setAttribute('aria-invalid', 'true'); name.focus(); return; }
        if (!pw.value) { pw.setAttribute('aria-invalid', 'true'); pw.focus(); return; }
        go1.disabled = true;
        try {
          const v = await api('POST', '/session', { name: name.value.trim(), password: pw.value }, { signingIn: true, zh: true });
          pw.value = '';
          startSession(v);
        } catch (e) {
          showError(e, '登录');
          pw.value = '';
          pw.setAttribute('aria-invalid', 'true');
          go1.disabled = false;
          pw.focus();
        }
      } }, field('用户名', name), field('密码', pw, '连续输错 5 次将锁定 15 分钟；忘记密码请联系管理员重置。'), go1),
      providers,
      tokenSignIn(false));
    providers.replaceChildren(...session.methods.providers.map((p) => h('a', { class: 'button', href: p.start, id: 'provider-' + p.name }, p.title)));
    name.focus();
  }

  // startSession takes the answer of a sign-in (or of GET /session): who
  // the user is and the CSRF token of their session.
  function startSession(v) {
    session.csrf = v.csrf || '';
    session.me = v.me || null;
    session.meFailed = false;
    store.removeItem(TOKEN_KEY);
    // With no screen in the URL yet, the hashchange of the first one
    // renders it.
    if (!location.hash || location.hash === '#') location.replace('#/');
    else route();
  }

  // loadMethods asks which ways in the server offers: the password form
  // and identity providers' buttons, or (a server without sessions, which
  // refuses the question) the access token alone.
  async function loadMethods() {
    try {
      session.methods = await api('GET', '/session/methods', undefined, { anonymous: true });
    } catch (_) { /* the token alone */ }
  }

  // tokenSignIn is the way in for those given an access token instead of
  // a password (scripts' users, a first administrator): the only one, open,
  // on a server without sessions; else folded under the password form.
  function tokenSignIn(only) {
    const tok = h('input', { id: 'token', name: 'token', type: 'password', required: true, autocomplete: 'off', spellcheck: 'false' });
    const submit = h('button', { type: 'submit', class: only ? 'primary' : null, id: 'signin-submit' }, only ? '登录' : '用令牌登录');
    return h('details', { class: 'card narrow', id: 'token-signin', open: only }, h('summary', {}, '使用访问令牌登录'),
      h('p', {}, '访问令牌由管理员生成（gridcast users create / token）。令牌只保存在本浏览器标签页中，关闭标签页或点击“退出”即清除。'),
      h('form', { id: 'signin', onsubmit: async (ev) => {
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
          session.csrf = '';
          if (!location.hash || location.hash === '#') location.replace('#/');
          else route();
        } catch (e) {
          showError(e, '登录');
          tok.setAttribute('aria-invalid', 'true');
          submit.disabled = false;
          tok.select();
          tok.focus();
        }
      } }, field('访问令牌', tok), submit));
  }

  // passwordView changes the signed-in user's own password.
  function passwordView(opts) {
    const cur = h('input', { id: 'pw-current', name: 'current', type: 'password', autocomplete: 'current-password', maxlength: '128' });
    const next = h('input', { id: 'pw-new', name: 'new', type: 'password', required: true, autocomplete: 'new-password', minlength: '10', maxlength: '128' });
    const again = h('input', { id: 'pw-again', name: 'again', type: 'password', required: true, autocomplete: 'new-password', maxlength: '128' });
    const b = h('button', { type: 'submit', class: 'primary', id: 'pw-submit' }, '修改密码');
    screen('修改密码',
      h('p', {}, '新密码至少 10 个字符，不能包含用户名。修改后，您在其他设备上的登录将失效。'),
      h('form', { id: 'password-form', class: 'card narrow', onsubmit: async (ev) => {
        ev.preventDefault();
        clearError();
        if (next.value !== again.value) {
          showError(new ApiError(400, '两次输入的新密码不一致。'), '修改密码');
          again.setAttribute('aria-invalid', 'true');
          again.focus();
          return;
        }
        b.disabled = true;
        try {
          const v = await api('POST', '/session/password', { current: cur.value, new: next.value }, { zh: true });
          if (v && v.csrf) session.csrf = v.csrf;
          cur.value = next.value = again.value = '';
          carryNotice = '密码已修改，其他设备上的登录已失效。';
          go(home());
        } catch (e) {
          if (!e.handled) showError(e, '修改密码');
          b.disabled = false;
        }
      } }, field('当前密码', cur, '用令牌登录且尚未设置密码时可不填'), field('新密码', next), field('再次输入新密码', again), b));
    settle(opts);
  }

  async function signOut() {
    if (session.csrf) {
      // The server ends the session and clears its cookie; signed out here
      // whatever it answers.
      try { await api('DELETE', '/session', undefined, { signingIn: true }); } catch (_) { /* signed out below */ }
    }
    session.csrf = '';
    session.me = null;
    session.meFailed = false;
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

  // --- refreshing by itself ------------------------------------------------------

  // A screen that refreshes by itself asks the API again every
  // REFRESH_MS while the tab is visible (and at once when it becomes
  // visible again); a screen left stops it. refresher is the current
  // screen's, which GridCast.refreshNow runs without waiting.
  const REFRESH_MS = 30000;
  let refresher = null;
  let poll = 0;
  function autoRefresh(g, fn) {
    clearInterval(poll);
    refresher = () => {
      if (g !== gen) { clearInterval(poll); refresher = null; return Promise.resolve(); }
      return fn();
    };
    poll = setInterval(() => { if (document.visibilityState === 'visible' && refresher) refresher(); }, REFRESH_MS);
  }
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible' && refresher) refresher(); });

  // keepFocus runs a re-render of box and puts the focus back on the same
  // link (by its href) if it was inside, so a refresh moves no one.
  async function keepFocus(box, render) {
    const a = document.activeElement;
    const href = a && box.contains(a) && a.getAttribute('href');
    await render();
    if (href) {
      const again = [...box.querySelectorAll('a[href]')].find((x) => x.getAttribute('href') === href);
      if (again) again.focus();
    }
  }

  // --- the worker's phone: 我的工单 / 待认领 ----------------------------------------

  const OPEN_STATUSES = ['new', 'assigned', 'in_progress', 'replied'];

  // inboxTabs are the worker's three ways into the tickets.
  function inboxTabs(tab) {
    const tabs = [['mine', '我的工单'], ['open', '待认领'], ['all', '全部']];
    return h('nav', { class: 'inbox-tabs', 'aria-label': '工单分类' }, tabs.map(([k, t]) =>
      h('a', { href: '#/tickets?tab=' + k, id: 'tab-' + k, class: 'button', 'aria-current': k === tab ? 'page' : null }, t)));
  }

  // searchInput is the search box of the inbox: the server looks in the
  // tickets' text and the residents' names and phone tails.
  function searchInput(id, value) {
    return h('input', { id, name: 'q', type: 'search', value, maxlength: '40', autocomplete: 'off', enterkeyhint: 'search',
      placeholder: '如 路灯、张、1234' });
  }

  // byDue puts the overdue first, then the nearest deadline (none last),
  // then the oldest.
  function byDue(a, b) {
    if (a.overdue !== b.overdue) return a.overdue ? -1 : 1;
    if (!a.due_at !== !b.due_at) return a.due_at ? -1 : 1;
    if (a.due_at && a.due_at !== b.due_at) return Date.parse(a.due_at) - Date.parse(b.due_at);
    return a.id - b.id;
  }

  // phoneInbox is a worker's 我的工单 (the open tickets assigned to the
  // worker, by the worker code kept on this phone) or 待认领 (the open
  // tickets of the worker's grids no one holds), as cards.
  function phoneInbox(tab, opts) {
    const g = gen;
    const code = rememberedWorker();
    const list = h('div', { id: 'ticket-list', 'aria-live': 'polite', 'aria-busy': 'true' }, h('p', { class: 'loading' }, '正在加载……'));
    const refresh = h('button', { type: 'button', id: 'refresh' }, '刷新');
    const mine = tab === 'mine';
    let who = null;
    if (mine) {
      const input = h('input', { id: 'mine-worker', name: 'worker', type: 'text', required: true, autocomplete: 'off', value: code,
        placeholder: '如 W-NY-03-02-06', autocapitalize: 'characters', spellcheck: 'false' });
      who = h('form', { class: 'filters', id: 'mine-form', 'aria-label': '我的工号', novalidate: true, onsubmit: (ev) => {
        ev.preventDefault();
        fieldError(input, '');
        const v = input.value.trim().toUpperCase();
        if (!v) { fieldError(input, '请填写您的工号。'); input.focus(); return; }
        rememberWorker(v);
        go('#/tickets?tab=mine');
      } }, field('我的工号', input), h('div', { class: 'buttons' }, h('button', { type: 'submit', id: 'mine-apply' }, '查看')));
    }
    const search = searchInput('phone-q', '');
    const find = h('form', { class: 'filters phone-search', id: 'phone-search', role: 'search', 'aria-label': '搜索工单', onsubmit: (ev) => {
      ev.preventDefault();
      const v = search.value.trim();
      if (v) go('#/tickets?' + new URLSearchParams({ tab: 'all', q: v }));
    } }, field('搜索（姓名、手机尾号或内容）', search), h('div', { class: 'buttons' }, h('button', { type: 'submit', id: 'phone-search-go' }, '搜索')));
    screen(mine ? '我的工单' : '待认领', inboxTabs(tab), find, who, h('div', { class: 'buttons' }, refresh), list);
    async function load() {
      if (mine && !code) {
        list.replaceChildren(h('p', { class: 'empty' }, '填写您的工号，即可查看分派给您的工单（本机会记住工号）。'));
        list.setAttribute('aria-busy', 'false');
        return;
      }
      list.setAttribute('aria-busy', 'true');
      let ts;
      try {
        // One page per open status: the store filters by one status.
        const pages = await Promise.all((mine ? OPEN_STATUSES : ['new']).map((st) => {
          const q = new URLSearchParams({ status: st, sort: 'due', limit: '500' });
          if (mine) q.set('assignee', code);
          else q.set('unassigned', '1');
          return api('GET', '/tickets?' + q);
        }));
        ts = pages.flat().sort(byDue);
      } catch (e) {
        if (g !== gen) return;
        showError(e, mine ? '读取我的工单' : '读取待认领工单');
        list.replaceChildren(h('p', { class: 'muted' }, '无法读取工单列表。'));
        list.setAttribute('aria-busy', 'false');
        return;
      }
      if (g !== gen) return;
      clearError();
      const late = ts.filter((t) => t.overdue).length;
      list.replaceChildren(...nodes(ts.length === 0 ?
        h('p', { class: 'empty' }, mine ? '您手上没有未办结的工单。' : '网格里没有待认领的工单。') :
        [h('p', { class: 'summary' }, `共 ${ts.length} 件` + (late ? `，其中 ${late} 件已超期` : '') + ' · 超期的在前，其余按期限先后 · 期限按北京时间显示'),
          ticketTable(ts)]));
      list.setAttribute('aria-busy', 'false');
    }
    refresh.addEventListener('click', () => { notice(''); load(); });
    autoRefresh(g, () => keepFocus(list, load));
    load().then(() => settle(opts));
  }

  function inboxView(params, opts) {
    lastInbox = location.hash || '#/tickets';
    // A signed-in worker (not the open trial mode) has the tabs, and
    // starts on 我的工单 once this phone knows their worker code (typed
    // here or in 走访); before that, on 全部 with the tabs above it.
    const worker = !!(session.me && session.me.roles.includes('worker'));
    const filtered = ['q', 'grid', 'status', 'assignee', 'after'].some((k) => params.get(k));
    const tab = params.get('tab') || (worker && !filtered && rememberedWorker() ? 'mine' : 'all');
    if (tab === 'mine' || tab === 'open') {
      phoneInbox(tab, opts);
      return;
    }
    const f = { q: params.get('q') || '', grid: params.get('grid') || '', status: params.get('status') || '', assignee: params.get('assignee') || '' };
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
      if (worker) q.set('tab', 'all');
      const s = q.toString();
      return '#/tickets' + (s ? '?' + s : '');
    };

    const search = searchInput('f-q', f.q);
    const grid = h('input', { id: 'f-grid', name: 'grid', type: 'text', value: f.grid, placeholder: '如 NY-03-02-05', autocomplete: 'off' });
    const status = h('select', { id: 'f-status', name: 'status' },
      h('option', { value: '' }, '全部状态'),
      Object.entries(STATUS).map(([v, t]) => h('option', { value: v, selected: v === f.status }, t)));
    const assignee = h('input', { id: 'f-assignee', name: 'assignee', type: 'text', inputmode: 'numeric', pattern: '[0-9]*', value: f.assignee, autocomplete: 'off' });
    const list = h('div', { id: 'ticket-list', 'aria-live': 'polite', 'aria-busy': 'true' }, h('p', { class: 'loading' }, '正在加载……'));
    const refresh = h('button', { type: 'button', id: 'refresh' }, '刷新');

    screen('工单', worker ? inboxTabs('all') : null,
      h('form', { id: 'filters', class: 'filters', role: 'search', 'aria-label': '筛选工单', onsubmit: (ev) => {
        ev.preventDefault();
        go(filterHash({ q: search.value.trim(), grid: grid.value.trim(), status: status.value, assignee: assignee.value.trim(), after: '' }));
      } },
      field('搜索（姓名、手机尾号或内容）', search),
      field('网格编码', grid),
      field('状态', status),
      field('办理人（工作人员 ID）', assignee),
      h('div', { class: 'buttons' },
        h('button', { type: 'submit', class: 'primary', id: 'apply-filters' }, '筛选'),
        h('button', { type: 'button', onclick: () => go(worker ? '#/tickets?tab=all' : '#/tickets') }, '清除筛选'),
        refresh)),
      list);
    refresh.addEventListener('click', () => { notice(''); load(); });

    const g = gen;
    async function load() {
      list.setAttribute('aria-busy', 'true');
      const q = new URLSearchParams();
      if (f.q) q.set('q', f.q);
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
    autoRefresh(g, () => keepFocus(list, load));
    load().then(() => settle(opts));
  }

  // cells labels each cell with its column's heading: a narrow screen
  // shows each row as a card, the heading beside each value.
  function cells(table) {
    const heads = [...table.querySelectorAll('thead th')].map((th) => th.textContent);
    for (const tr of table.querySelectorAll('tbody tr')) {
      [...tr.children].forEach((td, i) => td.setAttribute('data-label', heads[i] || ''));
    }
    return table;
  }

  function ticketTable(ts) {
    return cells(h('table', { class: 'tickets' },
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
        h('td', {}, statusBadge(t.status), t.supervised ? [' ', supervisedBadge(t)] : null,
          t.source && t.source !== 'resident' ? [' ', badge('src', t.source_label || label(SOURCE, t.source))] : null),
        h('td', {}, t.category_label || label(CATEGORY, t.category)),
        h('td', {}, resident(t)),
        h('td', { class: 'text' }, t.text || '（无文字）'),
        h('td', {}, t.grid),
        h('td', {}, assigneeText(t)),
        h('td', {}, due(t)));
      }))));
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
    // The photos, the departments' tasks and, for a dispatcher, the
    // departments to choose from, together. Each may be absent: a server
    // without a blob store or dispatch answers 404, and the screen then
    // leaves that part out.
    const optional = (p) => p.then((v) => ({ v }), (e) => ({ e }));
    const canDispatch = dispatcher(detail.ticket.grid) && OPEN.includes(detail.ticket.status);
    // The workers to hand it over to (转派), for the picker; without
    // them the typed code still works.
    const canHand = canAct() && allowed('reassign', detail.ticket.status);
    const [q, atts, tasks, depts, hands] = await Promise.all([
      OPEN.includes(detail.ticket.status) && detail.ticket.resident_id ? optional(api('GET', '/tickets/' + id + '/quick-replies')) : { v: [] },
      optional(api('GET', '/tickets/' + id + '/attachments', undefined, { zh: true })),
      optional(api('GET', '/tickets/' + id + '/tasks', undefined, { zh: true })),
      canDispatch ? optional(api('GET', '/departments', undefined, { zh: true })) : { v: null },
      canHand ? optional(api('GET', '/tickets/' + id + '/workers', undefined, { zh: true })) : { v: [] },
    ]);
    if ([q, atts, tasks, depts, hands].some((x) => x.e && x.e.handled)) return;
    quick = q.v || [];
    quickErr = q.e || null;
    if (g !== gen) return;
    renderTicket(detail, quick, quickErr, back, { atts, tasks, depts: canDispatch ? depts : null, workers: hands.v || [] });
    settle(opts);
    shownTicket = JSON.stringify(detail);
    autoRefresh(g, () => refreshTicket(id, g));
  }

  // shownTicket is the ticket as last shown, to tell whether it changed.
  let shownTicket = '';

  // refreshTicket shows the ticket again when it changed (a resident's
  // message, another worker's action), keeping what is being typed and
  // the focus (and the caret) where they were. It waits while an action
  // runs or a photo is chosen, which a re-render would drop.
  async function refreshTicket(id, g) {
    const busy = () => main().querySelector('[aria-busy="true"]') ||
      [...main().querySelectorAll('input[type="file"]')].some((f) => f.files && f.files.length);
    if (busy()) return;
    let d;
    try {
      d = await api('GET', '/tickets/' + id);
    } catch (_) {
      return; // the next round tries again; the screen stays as it is
    }
    if (g !== gen || busy() || JSON.stringify(d) === shownTicket) return;
    const typed = [...main().querySelectorAll('textarea[id], input[id]:not([type="file"]):not([type="checkbox"]):not([type="radio"])')]
      .filter((el) => el.value !== el.defaultValue).map((el) => [el.id, el.value]);
    const a = document.activeElement;
    const focus = a && a.id && main().contains(a) ? a.id : '';
    const caret = focus && typeof a.selectionStart === 'number' ? [a.selectionStart, a.selectionEnd] : null;
    const y = window.scrollY;
    await ticketView(String(id), { keepNotice: true, keepScreen: true, keepFocus: true });
    if (g !== gen) return;
    for (const [k, v] of typed) {
      const el = document.getElementById(k);
      if (el && el.value !== v) {
        el.value = v;
        el.dispatchEvent(new Event('input', { bubbles: true }));
      }
    }
    const el = focus && document.getElementById(focus);
    if (el && document.activeElement !== el) {
      el.focus();
      if (caret) try { el.setSelectionRange(caret[0], caret[1]); } catch (_) { /* not a text field */ }
    }
    window.scrollTo(0, y);
  }

  function renderTicket(detail, quick, quickErr, back, extra) {
    const t = detail.ticket;
    const id = t.id;
    const h1 = screen('工单 #' + id);
    h1.append(...nodes([' ', statusBadge(t.status, { id: 'ticket-status', 'data-status': t.status }),
      ' ', badge('cat', t.category_label || label(CATEGORY, t.category)),
      t.source && t.source !== 'resident' ? [' ', badge('src', t.source_label || label(SOURCE, t.source), { id: 'ticket-source' })] : null,
      t.overdue ? [' ', badge('late', '已超期')] : null,
      t.supervised ? [' ', supervisedBadge(t)] : null]));

    // act runs an action, announces it and shows the ticket again.
    // Every button waits while one action runs, so that a double click
    // cannot send a reply twice.
    const act = async (btn, action, body, done, doing, apiOpts) => {
      clearError();
      const buttons = [...main().querySelectorAll('button:not([disabled])')];
      for (const b of buttons) b.disabled = true;
      btn.setAttribute('aria-busy', 'true');
      try {
        await api('POST', `/tickets/${id}/${action}`, body, apiOpts);
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

    // reload shows the ticket again after a step on it (a task, a
    // dispatch), announcing done.
    const reload = (done, focus) => {
      notice(done);
      gen++;
      ticketView(String(id), { keepNotice: true, keepScreen: true, focus });
    };

    // A reported event without a resident has nobody to answer.
    const conv = !t.resident_id && detail.conversation.length === 0 ? null :
      h('section', { class: 'panel conversation', 'aria-labelledby': 'conv-h' },
        h('h2', { id: 'conv-h' }, '对话'),
        detail.conversation.length === 0 ? h('p', { class: 'muted' }, '还没有消息。') :
          h('ol', { id: 'conversation', class: 'messages' }, detail.conversation.map(message)),
        canAct() ? composer(t, quick, quickErr, act) : readOnly());

    const main_ = h('div', { class: 'side' }, mediaPanel(t, extra.atts), conv);
    const side = h('div', { class: 'side' },
      tasksPanel(t, extra.tasks, extra.depts, reload),
      canAct() ? actions(t, act, extra.workers) : null,
      notesPanel(detail.notes || [], act),
      supervisePanel(t, act),
      h('section', { class: 'panel', 'aria-labelledby': 'fields-h' },
        h('h2', { id: 'fields-h' }, '工单信息'), fields(t)),
      h('section', { class: 'panel', 'aria-labelledby': 'timeline-h' },
        h('h2', { id: 'timeline-h' }, '处理记录'),
        h('ol', { id: 'timeline', class: 'timeline' }, detail.timeline.map(event))));

    main().prepend(back);
    if (t.supervised) h1.after(supervisedBanner(t, act));
    main().append(h('div', { class: 'ticket' }, main_, side));
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

  function actions(t, act, workers) {
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
    if (allowed('reassign', s)) forms.push(reassignForm(t, act, workers || []));
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

  // reassignForm hands the ticket over (转派): a picker of the workers of
  // its grid and the grids around it (names masked), or a worker code
  // typed when the one wanted is not listed; the typed code wins.
  function reassignForm(t, act, workers) {
    const pick = workers.length === 0 ? null : h('select', { id: 'reassign-pick', name: 'worker_pick' },
      h('option', { value: '' }, '— 选择工作人员 —'),
      workers.map((w) => h('option', { value: w.code, disabled: w.assignee || null },
        `${w.name}（${w.code}）· ${label(WORKER_ROLE, w.role)} · ${w.own_grid ? '本网格' : w.grid}` + (w.assignee ? ' · 当前办理人' : ''))));
    const code = h('input', { id: 'reassign-code', name: 'worker_code', type: 'text', autocomplete: 'off', placeholder: '如 W-NY-03-02-06',
      autocapitalize: 'characters', spellcheck: 'false' });
    const b = h('button', { type: 'submit', id: 'act-reassign' }, '转派');
    const first = pick || code;
    return h('form', { class: 'action reassign', id: 'form-reassign', novalidate: true, onsubmit: (ev) => {
      ev.preventDefault();
      fieldError(first, '');
      const v = code.value.trim().toUpperCase() || (pick ? pick.value : '');
      if (!v) {
        fieldError(first, pick ? '请选择转派对象，或填写工号。' : '请填写转派对象的工号。');
        first.focus();
        return;
      }
      act(b, 'reassign', { worker_code: v }, '已转派给 ' + v + '，并已通知对方。', '转派');
    } },
    pick ? field('转派给', pick, '本网格及相邻网格的工作人员；办理人会收到通知。') : null,
    field(pick ? '或填写工号' : '转派给（工作人员工号）', code), b);
  }

  // notesPanel shows the staff's internal notes (内部备注) on the ticket,
  // oldest first, and takes a new one. Anyone who may read the ticket may
  // note on it; a note is never sent to the resident.
  const MAX_NOTE = 1000;
  function notesPanel(notes, act) {
    const text = h('textarea', { id: 'note-text', name: 'text', rows: '3', maxlength: String(MAX_NOTE) });
    const b = h('button', { type: 'submit', id: 'note-add' }, '添加备注');
    const form = h('form', { id: 'note-form', class: 'note-form', novalidate: true, onsubmit: (ev) => {
      ev.preventDefault();
      fieldError(text, '');
      const v = text.value.trim();
      if (!v) { fieldError(text, '请填写备注内容。'); text.focus(); return; }
      act(b, 'notes', { text: v }, '备注已保存，仅工作人员可见。', '添加内部备注', { zh: true });
    } }, field('添加备注', text, '仅工作人员可见，不会发给居民；保存后不能修改。'), h('div', { class: 'buttons' }, b));
    return h('section', { class: 'panel notes', 'aria-labelledby': 'notes-h' },
      h('h2', { id: 'notes-h' }, '内部备注'),
      notes.length === 0 ? h('p', { class: 'muted', id: 'notes-empty' }, '还没有备注。') :
        h('ol', { id: 'notes', class: 'notes-list' }, notes.map((n) => h('li', { 'data-id': n.id },
          h('div', { class: 'meta' }, h('strong', {}, actorLabel(n.author)), timeEl(n.at)),
          h('p', { class: 'text' }, n.text)))),
      form);
  }

  // The roles of workers, as the 转派 picker names them.
  const WORKER_ROLE = { grid_worker: '网格员', grid_leader: '网格长', community_staff: '社区工作人员', street_staff: '街道工作人员' };

  function fields(t) {
    const rows = [
      ['状态', statusBadge(t.status)],
      ['分类', t.category_label || label(CATEGORY, t.category)],
      ['级别', label(LEVEL, t.level)],
      ['网格', t.grid],
      ['来源', t.source_label || label(SOURCE, t.source || 'resident')],
      t.reporter ? ['上报人', t.reporter] : null,
      t.location && t.location.address ? ['地址', h('span', { id: 'ticket-address' }, t.location.address)] : null,
      t.location && t.location.lat !== undefined ? ['位置', point(t.location)] : null,
      t.place ? ['地点', t.place] : null,
      t.household_id ? ['住户', '#' + t.household_id] : null,
      !t.source || t.source === 'resident' ? ['来源渠道', label(CHANNEL, t.channel)] : null,
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

  // --- photos, places and deadlines -------------------------------------------

  // Photos reach the page as blobs fetched with the token (an <img src>
  // could not send it); their URLs are let go when the screen changes.
  let objectURLs = [];
  function objectURL(blob) {
    const u = URL.createObjectURL(blob);
    objectURLs.push(u);
    return u;
  }
  function dropObjectURLs() {
    for (const u of objectURLs) URL.revokeObjectURL(u);
    objectURLs = [];
  }
  // saveFile fetches path, an API route answering a file (a workbook),
  // with the session's credentials (api() with blob, as photos are
  // fetched) and saves it as file; btn is busy meanwhile, and a refusal
  // (too many records, no right) is said as doing's.
  async function saveFile(btn, path, file, doing) {
    btn.disabled = true;
    btn.setAttribute('aria-busy', 'true');
    try {
      const b = await api('GET', path, undefined, { blob: true, zh: true });
      const a = h('a', { href: objectURL(b), download: file, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      notice('已导出 ' + file);
    } catch (e) {
      if (!e.handled) showError(e, doing);
    }
    btn.disabled = false;
    btn.removeAttribute('aria-busy');
  }

  // apiPath is an API address (/api/v1/attachments/3?thumb=1) as api()
  // takes it.
  const apiPath = (url) => url.replace(/^\/api\/v1/, '');

  // size says a byte count as people read it.
  function size(n) {
    if (!(n >= 0)) return '';
    if (n < 1024) return n + ' B';
    if (n < 1024 * 1024) return (n / 1024).toFixed(n < 10 * 1024 ? 1 : 0) + ' KB';
    return (n / 1024 / 1024).toFixed(1) + ' MB';
  }

  // Deadlines are typed in Beijing time, whatever the device's zone:
  // beijingInput is a time as a datetime-local value there, fromBeijing
  // reads one back (null when it is not a time).
  function beijingInput(d) {
    const p = {};
    for (const x of clock.formatToParts(d)) p[x.type] = x.value;
    return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
  }
  function fromBeijing(v) {
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(v || '')) return null;
    const d = new Date(v + ':00+08:00');
    return isNaN(d) ? null : d;
  }
  // inDays is 18:00 Beijing time days from now, a deadline's default.
  const inDays = (days) => beijingInput(new Date(Date.now() + days * 86400000)).slice(0, 11) + '18:00';

  // point shows coordinates, with a link that opens the phone's own map
  // application (geo:), so that no map is fetched from elsewhere.
  function point(loc) {
    const text = `纬度 ${loc.lat.toFixed(6)}，经度 ${loc.lng.toFixed(6)}`;
    return h('span', { class: 'point' }, h('span', { id: 'ticket-point' }, text), ' ',
      h('a', { href: `geo:${loc.lat},${loc.lng}`, class: 'geo' }, '在地图应用中打开'));
  }

  // fieldError shows msg under control, marking it invalid; '' clears it.
  function fieldError(control, msg) {
    const id = control.id + '-error';
    let el = document.getElementById(id);
    const described = (control.getAttribute('aria-describedby') || '').split(' ').filter((x) => x && x !== id);
    if (!msg) {
      control.removeAttribute('aria-invalid');
      if (el) el.remove();
      if (described.length) control.setAttribute('aria-describedby', described.join(' '));
      else control.removeAttribute('aria-describedby');
      return;
    }
    if (!el) {
      el = h('p', { class: 'field-error', id, role: 'alert' });
      (control.closest('.field, fieldset') || control.parentNode).append(el);
    }
    el.textContent = msg;
    control.setAttribute('aria-invalid', 'true');
    control.setAttribute('aria-describedby', described.concat(id).join(' '));
  }

  // --- a ticket's photos and voice ---------------------------------------------

  function mediaPanel(t, res) {
    const reported = t.source && t.source !== 'resident';
    if (res.e && res.e.status === 404) return null; // no media on this server
    const list = res.v || [];
    if (!reported && list.length === 0 && !res.e) return null;
    return h('section', { class: 'panel', id: 'attachments', 'aria-labelledby': 'attachments-h' },
      h('h2', { id: 'attachments-h' }, '照片与录音' + (list.length ? `（${list.length}）` : '')),
      res.e ? h('p', { class: 'muted' }, '无法读取附件：' + res.e.message) :
        list.length === 0 ? h('p', { class: 'muted' }, '没有照片。') :
          h('ul', { class: 'media-list' }, list.map(mediaItem)));
  }

  function mediaItem(a) {
    const image = a.kind === 'image';
    const what = image ? '照片' : '录音';
    const meta = h('p', { class: 'media-meta' },
      [a.from_resident ? '居民发送' : actorLabel(a.added_by), a.size > 0 ? size(a.size) : '', when(a.created_at)].filter(Boolean).join(' · '));
    if (a.missing || !a.url) {
      return h('li', { class: 'media-item missing', 'data-id': a.id, 'data-kind': a.kind },
        h('p', { class: 'missing-head' }, what + '缺失'),
        h('p', { class: 'missing-why' }, label(MISSING, a.missing || '未保存')), meta);
    }
    if (!image) {
      const audio = h('audio', { controls: true, preload: 'none', class: 'voice' });
      const save = h('a', { class: 'button', download: `录音-${a.id}` }, '下载录音');
      save.hidden = true;
      api('GET', apiPath(a.url), undefined, { blob: true }).then((b) => {
        const u = objectURL(b);
        audio.src = u;
        save.href = u;
        save.hidden = false;
      }, (e) => { if (!e.handled) audio.replaceWith(h('p', { class: 'muted' }, '录音无法加载：' + e.message)); });
      return h('li', { class: 'media-item voice-item', 'data-id': a.id, 'data-kind': a.kind },
        audio, h('p', { class: 'hint' }, '浏览器不能播放 AMR 格式时，请下载后用手机播放。'), save, meta);
    }
    const img = h('img', { class: 'thumb', alt: '照片 #' + a.id + '（缩略图）' });
    const open = h('button', { type: 'button', class: 'thumb-button', 'aria-label': '查看照片 #' + a.id + ' 原图' },
      a.thumbnail_url ? img : '查看原图');
    open.addEventListener('click', () => viewer(a));
    if (a.thumbnail_url) {
      api('GET', apiPath(a.thumbnail_url), undefined, { blob: true }).then((b) => { img.src = objectURL(b); },
        (e) => { if (!e.handled) open.replaceChildren('缩略图无法加载，点此查看原图'); });
    }
    return h('li', { class: 'media-item', 'data-id': a.id, 'data-kind': a.kind }, open, meta);
  }

  // viewer shows a photo's full image over the page; Esc, the button or a
  // click beside the image closes it.
  function viewer(a) {
    const img = h('img', { id: 'viewer-img', alt: '照片 #' + a.id });
    const status = h('p', { class: 'muted', id: 'viewer-status' }, '正在加载原图……');
    const close = h('button', { type: 'button', id: 'viewer-close', class: 'primary' }, '关闭');
    const dlg = h('dialog', { id: 'viewer', class: 'viewer', 'aria-label': '照片 #' + a.id },
      img, h('div', { class: 'viewer-bar' }, status, close));
    close.addEventListener('click', () => dlg.close());
    dlg.addEventListener('click', (ev) => { if (ev.target === dlg) dlg.close(); });
    dlg.addEventListener('close', () => dlg.remove());
    document.body.append(dlg);
    dlg.showModal();
    api('GET', apiPath(a.url), undefined, { blob: true, zh: true }).then((b) => {
      img.src = objectURL(b);
      status.textContent = `照片 #${a.id} · ${size(a.size)}`;
    }, (e) => { status.textContent = '原图无法加载：' + e.message; });
  }

  // --- departments' tasks -------------------------------------------------------

  // tasksPanel is a ticket's tasks and, for a dispatcher of an open
  // ticket, the dispatch form.
  function tasksPanel(t, res, depts, reload) {
    if (res.e && res.e.status === 404) return null; // no dispatch on this server
    const list = res.v || [];
    if (list.length === 0 && !depts) return null;
    const canDecide = dispatcher(t.grid);
    return h('section', { class: 'panel', id: 'tasks', 'aria-labelledby': 'tasks-h' },
      h('h2', { id: 'tasks-h' }, '部门任务'),
      res.e ? h('p', { class: 'muted' }, '无法读取部门任务：' + res.e.message) :
        list.length === 0 ? h('p', { class: 'muted', id: 'no-tasks' }, '尚未分拨给部门。') :
          h('ol', { class: 'cards', id: 'task-list' }, list.map((k) => taskCard(k, {
            dispatcher: canDecide, department: myDepartment() === k.department, onDone: reload,
          }))),
      depts ? dispatchForm(t, depts, list, reload) : null);
  }

  // taskCard is one department's task: where it stands, its deadline,
  // what was said, and the steps the user may take — the department's
  // (accept, return, request an extension, resolve) for its users, the
  // dispatcher's (decide an extension, cancel) for staff above the grid.
  // opts.ticket, when given, is the ticket (the department's list shows
  // what the case is); opts.onDone(message, focus) follows a step.
  function taskCard(k, opts) {
    const open = TASK_OPEN.includes(k.state);
    const err = h('p', { class: 'task-error field-error', role: 'alert' });
    err.hidden = true;
    const slot = h('div', { class: 'task-form' });
    const card = h('li', { class: 'card task' + (k.overdue ? ' overdue' : ''), 'data-id': k.id, 'data-state': k.state, id: 'task-' + k.id });
    const buttons = [];

    // step posts action on the task; a refusal stays on the card, in
    // Chinese, and what was typed stays too.
    const step = async (btn, action, body, done) => {
      err.hidden = true;
      clearError();
      for (const b of card.querySelectorAll('button')) b.disabled = true;
      btn.setAttribute('aria-busy', 'true');
      try {
        await api('POST', `/tasks/${k.id}/actions`, Object.assign({ action }, body), { zh: true });
      } catch (e) {
        for (const b of card.querySelectorAll('button')) b.disabled = false;
        btn.removeAttribute('aria-busy');
        if (e.handled) return;
        err.textContent = (e.status ? `操作未完成（HTTP ${e.status}）：` : '操作未完成：') + e.message;
        err.hidden = false;
        btn.focus();
        return;
      }
      opts.onDone(done);
    };

    // form opens the form of a step under the buttons: a text (required
    // or not) and, for an extension, the new deadline.
    const form = (action, title, textLabel, required, submitText, done, withDate) => {
      const text = h('textarea', { id: `task-${k.id}-${action}-note`, name: 'note', rows: '3', maxlength: '1000', required: required || null });
      const date = withDate ? h('input', { id: `task-${k.id}-${action}-date`, name: 'extend_to', type: 'datetime-local',
        value: inDays(7), required: true }) : null;
      const submit = h('button', { type: 'submit', class: 'primary', 'data-submit': action }, submitText);
      const f = h('form', { class: 'step', 'data-action': action, 'aria-label': title, novalidate: true, onsubmit: (ev) => {
        ev.preventDefault();
        fieldError(text, '');
        if (date) fieldError(date, '');
        const note = text.value.trim();
        if (required && !note) { fieldError(text, required); text.focus(); return; }
        const body = { note };
        if (date) {
          const d = fromBeijing(date.value);
          if (!d) { fieldError(date, '请选择新的期限'); date.focus(); return; }
          if (d <= new Date(k.due_at)) { fieldError(date, '新的期限须晚于现在的期限 ' + when(k.due_at)); date.focus(); return; }
          body.extend_to = d.toISOString();
        }
        step(submit, action, body, done);
      } },
      h('h3', {}, title),
      date ? field('新的期限（北京时间）', date) : null,
      field(textLabel, text),
      h('div', { class: 'buttons' }, submit,
        h('button', { type: 'button', onclick: () => { slot.replaceChildren(); err.hidden = true; } }, '取消')));
      slot.replaceChildren(f);
      (date || text).focus();
    };
    const button = (action, text, onClick, cls) => {
      const b = h('button', { type: 'button', 'data-action': action, class: cls || null }, text);
      b.addEventListener('click', () => onClick(b));
      buttons.push(b);
    };
    const dept = k.department_label || k.department;
    if (opts.department) {
      if (k.state === 'dispatched') {
        button('accept', '受理', (b) => step(b, 'accept', {}, `已受理：${dept}任务 #${k.id}。`), 'primary');
      }
      if (k.state === 'accepted') {
        button('resolve', '办结', () => form('resolve', '办结', '办结反馈（将告知网格员和居民）', '请填写办结反馈：告诉网格员和居民办理结果', '提交办结', `任务 #${k.id} 已办结。`), 'primary');
        button('request_extension', '申请延期', () => form('request_extension', '申请延期', '延期理由', '请填写延期理由', '提交延期申请', `任务 #${k.id} 的延期申请已提交，等待分拨人决定。`, true));
      }
      if (k.state === 'dispatched' || k.state === 'accepted') {
        button('return', '退回', () => form('return', '退回', '退回理由（如不属本部门职责）', '请填写退回理由', '确认退回', `任务 #${k.id} 已退回。`));
      }
    }
    if (opts.dispatcher) {
      if (k.state === 'extension_requested') {
        button('approve_extension', '同意延期', (b) => step(b, 'approve_extension', {}, `已同意延期：${dept}任务 #${k.id}。`), 'primary');
        button('refuse_extension', '不同意延期', () => form('refuse_extension', '不同意延期', '说明（可选）', '', '确认不同意', `已不同意延期：${dept}任务 #${k.id}。`));
      }
      if (open) {
        button('cancel', '撤回任务', () => form('cancel', '撤回任务', '撤回原因（可选）', '', '确认撤回', `已撤回${dept}任务 #${k.id}。`));
      }
    }

    const t = opts.ticket;
    const rows = [
      ['期限', h('span', { class: k.overdue ? 'due overdue' : 'due' }, timeEl(k.due_at),
        k.overdue ? badge('late', '已超期') : open ? h('span', { class: 'muted' }, ' ' + left(k.due_at)) : null)],
      k.state === 'extension_requested' && k.extend_to ? ['申请延期至', timeEl(k.extend_to)] : null,
      k.note ? ['分拨说明', k.note] : null,
      k.reason ? [k.state === 'returned' ? '退回理由' : k.state === 'extension_requested' ? '延期理由' : '理由', h('span', { class: 'task-reason' }, k.reason)] : null,
      k.feedback ? ['办结反馈', h('span', { class: 'task-feedback' }, k.feedback)] : null,
      ['分拨人', actorLabel(k.dispatched_by) + ' · ' + when(k.created_at)],
    ];
    card.append(...nodes([
      h('div', { class: 'card-head' },
        t ? h('a', { href: '#/tickets/' + k.ticket_id, class: 'ticket-link' }, '工单 #' + k.ticket_id) : null,
        h('strong', { class: 'dept' }, dept),
        badge('ts ts-' + k.state, k.state_label || label(TASK_STATE, k.state)),
        t && t.supervised ? supervisedBadge(t) : null),
      t ? h('p', { class: 'task-case' }, h('span', { class: 'badge cat' }, t.category_label || label(CATEGORY, t.category)), ' ',
        t.text || '（无文字）', t.location && t.location.address ? h('span', { class: 'hint' }, '地址：' + t.location.address) : null) : null,
      h('dl', { class: 'fields' }, rows.filter(Boolean).map(([a, b]) => [h('dt', {}, a), h('dd', {}, b)])),
      buttons.length ? h('div', { class: 'buttons task-actions' }, buttons) : null,
      slot, err]));
    return card;
  }

  // dispatchForm hands an open ticket to departments: the ones suggested
  // for its category first, each ticked one with its own deadline and
  // note (several at once for 吹哨报到).
  let dispatchOpen = 0; // the ticket whose dispatch form the user opened

  function dispatchForm(t, res, tasks, reload) {
    if (res.e) return h('p', { class: 'muted' }, '无法读取部门列表：' + res.e.message);
    const busy = new Set(tasks.filter((k) => TASK_OPEN.includes(k.state)).map((k) => k.department));
    const suggested = (d) => d.categories.some((c) => c.category === t.category);
    const depts = res.v.slice().sort((a, b) => suggested(b) - suggested(a));
    const rows = depts.map((d) => {
      const box = h('input', { type: 'checkbox', id: 'dept-' + d.code, name: 'department', value: d.code });
      const due = h('input', { type: 'datetime-local', id: 'due-' + d.code, name: 'due_at', value: inDays(3), required: true });
      const note = h('input', { type: 'text', id: 'dnote-' + d.code, name: 'note', maxlength: '1000', autocomplete: 'off' });
      const more = h('div', { class: 'dept-more' }, field('办理期限（北京时间）', due), field('分拨说明（可选）', note));
      more.hidden = true;
      box.addEventListener('change', () => { more.hidden = !box.checked; });
      return { d, box, due, note, el: h('li', { class: 'dept' + (suggested(d) ? ' suggested' : ''), 'data-code': d.code },
        h('label', { for: box.id, class: 'check' }, box, ' ', d.name,
          suggested(d) ? [' ', badge('hint-badge', '建议')] : null,
          busy.has(d.code) ? [' ', h('span', { class: 'muted' }, '（已有未办结任务）')] : null),
        more) };
    });
    const submit = h('button', { type: 'submit', class: 'primary', id: 'dispatch-submit' }, '分拨');
    const err = h('p', { class: 'field-error', id: 'dispatch-error', role: 'alert' });
    err.hidden = true;
    const list = h('ul', { class: 'dept-list', id: 'dept-list' }, rows.map((r) => r.el));
    const form = h('form', { id: 'dispatch-form', class: 'dispatch', novalidate: true, onsubmit: async (ev) => {
      ev.preventDefault();
      err.hidden = true;
      const chosen = rows.filter((r) => r.box.checked);
      for (const r of rows) fieldError(r.due, '');
      if (chosen.length === 0) {
        err.textContent = '请至少选择一个部门。';
        err.hidden = false;
        rows[0].box.focus();
        return;
      }
      const body = { tasks: [] };
      for (const r of chosen) {
        const d = fromBeijing(r.due.value);
        if (!d || d <= new Date()) {
          fieldError(r.due, d ? r.d.name + '的期限须晚于现在' : '请选择' + r.d.name + '的办理期限');
          r.due.focus();
          return;
        }
        body.tasks.push({ department: r.d.code, due_at: d.toISOString(), note: r.note.value.trim() });
      }
      submit.disabled = true;
      submit.setAttribute('aria-busy', 'true');
      try {
        await api('POST', `/tickets/${t.id}/dispatch`, body, { zh: true });
      } catch (e) {
        submit.disabled = false;
        submit.removeAttribute('aria-busy');
        if (e.handled) return;
        err.textContent = `分拨未完成（HTTP ${e.status}）：` + e.message;
        err.hidden = false;
        submit.focus();
        return;
      }
      reload('已分拨给' + chosen.map((r) => r.d.name).join('、') + '。', 'tasks-h');
    } },
    h('fieldset', {},
      h('legend', {}, tasks.length ? '再分拨给（可多选：吹哨报到）' : '分拨给部门（可多选：吹哨报到）'),
      h('p', { class: 'hint' }, '标“建议”的部门通常办理“' + (t.category_label || label(CATEGORY, t.category)) + '”类事项。勾选后填写期限。'),
      list),
    err, h('div', { class: 'buttons' }, submit));
    // Closed until wanted (a worker mostly handles the case alone), and
    // kept as the user left it while the ticket is shown again.
    const wrap = h('details', { class: 'dispatch-wrap', id: 'dispatch',
      open: dispatchOpen === t.id || (tasks.length === 0 && !canAct()) ? true : null },
    h('summary', {}, tasks.length ? '再分拨给部门……' : '分拨给部门（吹哨报到）……'), form);
    wrap.addEventListener('toggle', () => { dispatchOpen = wrap.open ? t.id : 0; });
    return wrap;
  }

  // --- 督办 ------------------------------------------------------------------------

  // supervisedBanner states a ticket's 督办 flag at the top: who flagged
  // it, when and why, with the lifting for a supervisor.
  function supervisedBanner(t, act) {
    const s = t.supervised;
    const who = s.by === 'system' ? '系统（超期未办结' + (s.level ? '，已告知' + label(LEVEL, s.level) : '') + '）' : actorLabel(s.by);
    let lift = null;
    if (dispatcher(t.grid)) {
      const note = h('input', { id: 'note-unsupervise', name: 'note', type: 'text', autocomplete: 'off' });
      const b = h('button', { type: 'submit', id: 'act-unsupervise' }, '撤销督办');
      lift = h('form', { class: 'action', onsubmit: (ev) => {
        ev.preventDefault();
        act(b, 'unsupervise', { note: note.value.trim() }, '已撤销督办。', '撤销督办', { zh: true });
      } }, field('撤销说明（可选）', note), b);
    }
    return h('div', { class: 'supervised-banner', id: 'supervised-banner', role: 'note' },
      h('p', {}, h('strong', {}, '督办'), ' · ', who, ' · ', timeEl(s.at)),
      s.note ? h('p', { class: 'note' }, s.note) : null, lift);
  }

  // supervisePanel lets a supervisor flag an open ticket 督办 (its handler
  // is told).
  function supervisePanel(t, act) {
    if (t.supervised || !dispatcher(t.grid) || !OPEN.includes(t.status)) return null;
    const note = h('input', { id: 'note-supervise', name: 'note', type: 'text', autocomplete: 'off', placeholder: '如：群众反映强烈，请加快办理' });
    const b = h('button', { type: 'submit', id: 'act-supervise' }, '督办');
    return h('section', { class: 'panel', 'aria-labelledby': 'supervise-h' },
      h('h2', { id: 'supervise-h' }, '督办'),
      h('form', { class: 'action', onsubmit: (ev) => {
        ev.preventDefault();
        act(b, 'supervise', { note: note.value.trim() }, '已督办，已通知办理人。', '督办', { zh: true });
      } }, field('督办说明（可选）', note), b));
  }

  // --- report an event --------------------------------------------------------------

  const MAX_PHOTOS = 9;

  function reportView(opts) {
    const me = session.me;
    const grids = me && me.authenticated ? me.grids.filter((c) => c !== '*') : [];
    const grid = h('input', { id: 'ev-grid', name: 'grid', type: 'text', required: true, autocomplete: 'off',
      list: grids.length > 1 ? 'ev-grids' : null, value: grids.length === 1 ? grids[0] : '', placeholder: '如 NY-03-02-05' });
    const category = h('select', { id: 'ev-category', name: 'category' },
      h('option', { value: '' }, '自动识别（按描述分类）'),
      Object.entries(CATEGORY).map(([v, t]) => h('option', { value: v }, t)));
    const text = h('textarea', { id: 'ev-text', name: 'text', rows: '4', required: true, maxlength: '2000' });
    const count = h('span', { class: 'hint', id: 'ev-text-count' }, '0 / 2000');
    text.addEventListener('input', () => { count.textContent = `${text.value.length} / 2000`; });
    const source = ['patrol', 'hotline'].map((v) => h('input', { type: 'radio', name: 'source', value: v, id: 'ev-source-' + v, checked: v === 'patrol' }));
    const sourceSet = h('fieldset', { class: 'field choice', id: 'ev-source' },
      h('legend', {}, '来源'),
      source.map((r) => h('label', { for: r.id, class: 'check' }, r, ' ', SOURCE[r.value])));
    const address = h('input', { id: 'ev-address', name: 'address', type: 'text', maxlength: '200', autocomplete: 'street-address' });
    const place = h('input', { id: 'ev-place', name: 'place', type: 'text', maxlength: '100', autocomplete: 'off', placeholder: '如 3号楼2单元门口' });

    // The phone's position, when the user allows it.
    let position = null;
    const locate = h('button', { type: 'button', id: 'ev-locate' }, '获取当前位置');
    const forget = h('button', { type: 'button', id: 'ev-forget', class: 'link' }, '不附带位置');
    forget.hidden = true;
    const locStatus = h('p', { id: 'ev-location-status', class: 'hint', 'aria-live': 'polite' }, '可选：附带手机定位，便于现场核查。');
    const setStatus = (msg, bad) => {
      locStatus.textContent = msg;
      locStatus.className = bad ? 'field-error' : 'hint';
      locStatus.dataset.state = bad ? 'refused' : position ? 'located' : '';
    };
    locate.addEventListener('click', () => {
      if (!navigator.geolocation || !window.isSecureContext) {
        setStatus('此浏览器或当前连接不能定位（定位需要 HTTPS 连接），请填写地址。', true);
        return;
      }
      locate.disabled = true;
      setStatus('正在定位……');
      navigator.geolocation.getCurrentPosition((pos) => {
        locate.disabled = false;
        position = { lat: pos.coords.latitude, lng: pos.coords.longitude };
        forget.hidden = false;
        setStatus(`已定位：纬度 ${position.lat.toFixed(6)}，经度 ${position.lng.toFixed(6)}` +
          (pos.coords.accuracy ? `（误差约 ${Math.round(pos.coords.accuracy)} 米）` : ''));
      }, (e) => {
        locate.disabled = false;
        position = null;
        forget.hidden = true;
        setStatus(e.code === 1 ? '定位被拒绝：您没有允许本页使用位置。可在浏览器或手机设置中允许后重试，或只填写地址。' :
          e.code === 3 ? '定位超时：请到开阔处重试，或只填写地址。' :
            '无法确定当前位置（信号弱或手机定位服务已关闭），请重试或只填写地址。', true);
      }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
    });
    forget.addEventListener('click', () => {
      position = null;
      forget.hidden = true;
      setStatus('不附带位置。');
    });

    // The photos picked so far, as the visit form picks them.
    const picker = photoPicker('ev');
    const { photos, input: photo } = picker;

    const resident = h('input', { id: 'ev-resident', name: 'resident_id', type: 'text', inputmode: 'numeric', pattern: '[0-9]*', autocomplete: 'off' });
    const household = h('input', { id: 'ev-household', name: 'household_id', type: 'text', inputmode: 'numeric', pattern: '[0-9]*', autocomplete: 'off' });
    const worker = h('input', { id: 'ev-worker', name: 'worker_code', type: 'text', autocomplete: 'off', placeholder: '如 W-NY-03-02-06' });
    const submit = h('button', { type: 'submit', class: 'primary', id: 'ev-submit' }, '上报事件');

    // Where the API's refusal belongs, by what it names.
    const at = [
      [/照片|文件字段|上传内容|文件存储/, photo], [/描述/, text], [/类别/, category], [/来源/, source[0]],
      [/地址/, address], [/地点/, place], [/纬度|经度|经纬度/, locate], [/住户/, household], [/居民/, resident],
      [/网格|管辖范围/, grid],
    ];
    const controls = [grid, category, text, source[0], address, place, locate, photo, resident, household, worker];

    const form = h('form', { id: 'report', class: 'card report', novalidate: true, onsubmit: async (ev) => {
      ev.preventDefault();
      clearError();
      for (const c of controls) fieldError(c, '');
      const need = [[grid, '请填写事件所在网格的编码'], [text, '请填写事件描述']].filter(([c]) => !c.value.trim());
      for (const [c, msg] of need) fieldError(c, msg);
      for (const c of [resident, household]) {
        if (c.value.trim() && !/^[1-9][0-9]*$/.test(c.value.trim())) {
          fieldError(c, '编号须为正整数');
          need.push([c]);
        }
      }
      if (need.length) { need[0][0].focus(); return; }
      const fd = new FormData();
      fd.set('grid', grid.value.trim());
      fd.set('text', text.value.trim());
      if (category.value) fd.set('category', category.value);
      fd.set('source', source.find((r) => r.checked).value);
      for (const [k, c] of [['address', address], ['place', place], ['resident_id', resident], ['household_id', household], ['worker_code', worker]]) {
        if (c.value.trim()) fd.set(k, c.value.trim());
      }
      if (position) {
        fd.set('lat', String(position.lat));
        fd.set('lng', String(position.lng));
      }
      for (const f of photos) fd.append('photo', f, f.name);
      submit.disabled = true;
      submit.setAttribute('aria-busy', 'true');
      submit.textContent = photos.length ? '正在上传……' : '正在上报……';
      let res;
      try {
        res = await api('POST', '/events', fd, { zh: true });
      } catch (e) {
        submit.disabled = false;
        submit.removeAttribute('aria-busy');
        submit.textContent = '上报事件';
        if (e.handled) return;
        const hit = e.status === 400 || e.status === 403 || e.status === 404 ? at.find(([re]) => re.test(e.message)) : null;
        if (hit) {
          fieldError(hit[1], e.message);
          hit[1].focus();
        } else {
          showError(e, '上报事件');
        }
        return;
      }
      carryNotice = `已上报，工单 #${res.ticket.id}` + (res.attachments.length ? `，照片 ${res.attachments.length} 张已保存。` : '。');
      location.hash = '#/tickets/' + res.ticket.id;
    } },
    field('网格', grid, grids.length === 1 ? '已填您账号的网格；事件在其下某个网格时，请改为该网格的编码。它决定由谁办理。' : '事件所在网格的编码，决定由谁办理。'),
    grids.length > 1 ? h('datalist', { id: 'ev-grids' }, grids.map((c) => h('option', { value: c }))) : null,
    field('事件描述', text), count,
    field('类别', category, '不选时按描述自动分类。'),
    sourceSet,
    field('地址', address, '如 柳岸小区东门外人行道。'),
    field('地点（可选）', place),
    h('div', { class: 'field' }, h('span', { class: 'label' }, '位置'), h('div', { class: 'buttons' }, locate, forget), locStatus),
    picker.el,
    h('details', { class: 'more' }, h('summary', {}, '更多（可选）'),
      field('有关居民的编号', resident), field('有关住户的编号', household),
      field('我的网格员工号', worker, '填写后，若此事件正归您办理，工单直接进入“处理中”。')),
    h('div', { class: 'buttons' }, submit));
    screen('上报事件', h('p', { class: 'muted' }, '巡查中发现的问题或热线来电，上报后生成工单，按网格分派办理。'), form);
    settle(opts);
  }

  // --- a department's tasks ---------------------------------------------------------

  async function tasksView(params, opts) {
    const g = gen;
    const own = myDepartment();
    const dept = own || params.get('department') || '';
    const list = h('div', { id: 'task-board', 'aria-live': 'polite', 'aria-busy': 'true' }, h('p', { class: 'loading' }, '正在加载……'));
    const refresh = h('button', { type: 'button', id: 'refresh' }, '刷新');
    let picker = null;
    if (!own) {
      // A user of the whole city (or the trial mode) picks the department.
      const sel = h('select', { id: 'task-dept', name: 'department' }, h('option', { value: '' }, '请选择部门'));
      picker = h('form', { class: 'filters', onsubmit: (ev) => { ev.preventDefault(); go('#/tasks' + (sel.value ? '?department=' + encodeURIComponent(sel.value) : '')); } },
        field('部门', sel), h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, '查看')));
      api('GET', '/departments', undefined, { zh: true }).then((ds) => {
        sel.append(...ds.map((d) => h('option', { value: d.code, selected: d.code === dept }, d.name)));
      }, (e) => { if (!e.handled) showError(e, '读取部门列表'); });
    }
    screen('部门待办', h('p', { class: 'muted' }, '分拨到本部门、尚未办结的任务，期限最近的在前；超期的标红。'), picker,
      h('div', { class: 'buttons' }, refresh), list);
    const load = async (done) => {
      list.setAttribute('aria-busy', 'true');
      if (!dept) {
        list.replaceChildren(h('p', { class: 'muted' }, '请选择要查看的部门。'));
        list.removeAttribute('aria-busy');
        return;
      }
      let ts;
      try {
        ts = await api('GET', '/tasks?department=' + encodeURIComponent(dept), undefined, { zh: true });
      } catch (e) {
        if (g !== gen) return;
        showError(e, '读取部门待办');
        list.replaceChildren(h('p', { class: 'muted' }, '无法读取待办任务。'));
        list.removeAttribute('aria-busy');
        return;
      }
      // What each case is: its ticket, read once per ticket.
      const ids = [...new Set(ts.map((k) => k.ticket_id))];
      const tickets = new Map();
      await Promise.all(ids.map((id) => api('GET', '/tickets/' + id, undefined, { zh: true })
        .then((d) => tickets.set(id, d.ticket), () => {})));
      if (g !== gen) return;
      ts.sort((a, b) => new Date(a.due_at) - new Date(b.due_at) || a.id - b.id);
      const late = ts.filter((k) => k.overdue).length;
      const onDone = (msg) => { notice(msg); load(); };
      list.replaceChildren(...nodes([
        h('p', { class: 'summary', id: 'task-summary' }, ts.length ? `共 ${ts.length} 件待办` + (late ? `，其中超期 ${late} 件` : '') + ' · 期限按北京时间显示' : ''),
        ts.length === 0 ? h('p', { class: 'empty' }, '没有待办的任务。') :
          h('ol', { class: 'cards', id: 'task-list' }, ts.map((k) => {
            const tk = tickets.get(k.ticket_id) || { id: k.ticket_id };
            return taskCard(k, {
              department: own ? own === k.department : session.mode === 'open',
              dispatcher: !!tk.grid && dispatcher(tk.grid), ticket: tk, onDone,
            });
          })),
      ]));
      list.setAttribute('aria-busy', 'false');
      if (done) done();
    };
    refresh.addEventListener('click', () => { notice(''); load(); });
    await load();
    settle(opts);
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
        cells(h('table', { class: 'plain' },
          h('thead', {}, h('tr', {}, ['时间', '渠道', '发送方', '内容', '识别为', '活动', '工单'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, ms.map((m) => h('tr', { 'data-id': m.id },
            h('td', {}, timeEl(m.received_at)),
            h('td', {}, label(CHANNEL, m.channel)),
            h('td', { class: 'phone' }, m.sender),
            h('td', { class: 'text' }, m.text || '（无文字）'),
            h('td', {}, m.intent ? label(INTENT, m.intent) : '—'),
            h('td', {}, m.campaign_id ? h('a', { href: '#/answers/' + m.campaign_id }, '#' + m.campaign_id) : '—'),
            h('td', {}, m.ticket_id ? h('a', { href: '#/tickets/' + m.ticket_id }, '#' + m.ticket_id) : '—')))))));
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
      cells(h('table', { class: 'plain', id: 'answers' },
        h('thead', {}, h('tr', {}, ['居民编号', '选项', '含义', '回复时间'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, as.map((a) => h('tr', {},
          h('td', {}, a.resident_id), h('td', {}, a.option), h('td', {}, a.meaning || '—'), h('td', {}, timeEl(a.answered_at))))))),
    ]]));
    settle(opts);
  }

  // --- the worker's month: 走访, living records, 考核 --------------------------------

  // The register's codes as the API names them (visits.Kind, the
  // population categories, the living record's enumerations).
  const VISIT_KIND = { in_person: '入户走访', phone: '电话回访', not_home: '未遇' };
  const VISIT_KIND_SHORT = { in_person: '入户', phone: '电话', not_home: '未遇' };
  const RES_CATEGORY = {
    unemployed: '失业登记', hard_to_employ: '就业困难人员', trainee: '培训学员', elderly_alone: '独居老人',
    empty_nest: '空巢老人', subsistence: '低保户', disabled: '残疾人', left_behind_guardian: '留守儿童监护人',
    floating: '流动人口', new_resident: '新居民',
  };
  const EVERY = { week: '每周', month: '每月' };
  // population/record.go: the values a change takes, in the order shown.
  const REC_STATUS = { active: '在册', moved_out: '迁出', deceased: '死亡' };
  const REC_LIVING = { alone: '独居', with_spouse: '与配偶同住', with_children: '与子女同住', with_family: '与其他亲属同住', care_home: '养老机构', other: '其他' };
  const REC_SELFCARE = { independent: '自理', partial: '半失能', dependent: '失能' };
  const REC_RELATION = { head: '户主', spouse: '配偶', child: '子女', parent: '父母', grandchild: '孙子女', sibling: '兄弟姐妹', other: '其他' };
  const REC_FIELD = { status: REC_STATUS, living: REC_LIVING, selfcare: REC_SELFCARE, relation: REC_RELATION };
  const CHANGE_SOURCE = { field: '现场', import: '导入', sync: '同步' };

  // A worker's code comes from /me when an administrator linked the user
  // to the worker they are; otherwise the code typed once is the one thing
  // kept beyond the tab: it is no secret, and a worker should not type it
  // every morning. The token never goes there.
  const WORKER_KEY = 'gridcast.console.worker';
  function rememberedWorker() {
    if (session.me && session.me.worker_code) return session.me.worker_code;
    try { return window.localStorage.getItem(WORKER_KEY) || ''; } catch (_) { return ''; }
  }
  function rememberWorker(code) {
    try { window.localStorage.setItem(WORKER_KEY, code); } catch (_) { /* private mode: typed again next time */ }
  }

  // thisMonth is the month in Beijing time, as 2026-12.
  const thisMonth = () => beijingInput(new Date()).slice(0, 7);

  // The register last shown, for the resident sheet opened from it.
  let lastRegister = null;
  let lastRegisterHash = '#/visits';

  // visitsView is 走访: the worker's register for a month as cards, and,
  // for staff above the grid, what is overdue.
  async function visitsView(params, opts) {
    const g = gen;
    lastRegisterHash = location.hash || '#/visits';
    const code = params.get('worker') || rememberedWorker();
    const period = params.get('period') || thisMonth();
    const worker = h('input', { id: 'visit-worker', name: 'worker', type: 'text', required: true, autocomplete: 'off', value: code,
      placeholder: '如 W-NY-03-02-06', autocapitalize: 'characters', spellcheck: 'false' });
    const month = h('input', { id: 'visit-period', name: 'period', type: 'month', value: period, required: true });
    const list = h('div', { id: 'register', 'aria-live': 'polite' });
    const late = h('div', { id: 'overdue' });
    const form = h('form', { class: 'filters', id: 'register-form', role: 'search', 'aria-label': '查看走访台账', novalidate: true, onsubmit: (ev) => {
      ev.preventDefault();
      fieldError(worker, '');
      const v = worker.value.trim().toUpperCase();
      if (!v) { fieldError(worker, '请填写网格员编号'); worker.focus(); return; }
      rememberWorker(v);
      const q = new URLSearchParams({ worker: v });
      if (month.value && month.value !== thisMonth()) q.set('period', month.value);
      go('#/visits?' + q);
    } },
    field('网格员编号', worker, '记在本机，下次自动填写。'), field('月份', month),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary', id: 'register-submit' }, '查看台账')));
    screen('走访', h('p', { class: 'muted' }, '本月应走访的住户：超期的在前，其次按截止日期。点“记录走访”即可登记。'), form, late, list);
    if (!code) {
      list.append(h('p', { class: 'muted' }, '填写您的网格员编号，查看本月走访台账。'));
      overduePanel(late, g);
      settle(opts);
      return;
    }
    list.append(h('p', { class: 'loading' }, '正在加载……'));
    let reg;
    try {
      reg = await api('GET', '/visits/register?' + new URLSearchParams({ worker: code, period }), undefined, { zh: true });
    } catch (e) {
      if (g !== gen) return;
      list.replaceChildren();
      if (e.status === 404 || e.status === 400) fieldError(worker, e.message);
      else showError(e, '读取走访台账');
      overduePanel(late, g);
      settle(opts);
      return;
    }
    if (g !== gen) return;
    if (!params.get('worker')) rememberWorker(reg.worker);
    lastRegister = reg;
    // After a visit the register is read again and the household's
    // button keeps the focus (and the place on the page).
    renderRegister(list, reg, (focus) => visitsView(params, { keepNotice: true, keepFocus: true, focus }));
    // A grid's own worker has the register in clear; everyone else is
    // staff above the grid, who also sees what is overdue.
    if (!reg.clear) overduePanel(late, g);
    settle(opts);
  }

  // canVisit: the roles POST /api/v1/visits takes.
  const canVisit = () => hasRole('worker', 'officer');

  // safeKey is a household's key as a part of an element's id.
  const safeKey = (k) => String(k).replace(/[^A-Za-z0-9_-]/g, '_');

  // sortHouseholds: overdue first, then the soonest next due, the ones
  // done this month last.
  function sortHouseholds(hs) {
    const rank = (x) => (x.overdue ? 0 : x.next_due ? 1 : 2);
    return hs.slice().sort((a, b) => rank(a) - rank(b) || (a.next_due || '').localeCompare(b.next_due || '') || a.key.localeCompare(b.key));
  }

  function renderRegister(list, reg, reload) {
    const recs = new Map();
    for (const r of reg.records) {
      if (!recs.has(r.household)) recs.set(r.household, []);
      recs.get(r.household).push(r);
    }
    const hs = sortHouseholds(reg.households);
    list.replaceChildren(...nodes([
      h('section', { class: 'card register-head', id: 'register-summary', 'aria-label': '本月概况' },
        h('p', { class: 'register-who' }, h('strong', {}, reg.worker_name || reg.worker), ' ', reg.worker, ' · 网格 ', reg.grid, ' · ', reg.period),
        h('dl', { class: 'figures' },
          [['应访户次', `${reg.done} / ${reg.required}`, 'fig-done'], ['考核走访', `${reg.visits_done} / ${reg.visits_due}`, 'fig-visits'],
            ['走访户数', `${reg.households_visited}（每月至少 ${reg.minimum}）`, 'fig-households'], ['超期', String(reg.overdue), 'fig-overdue'],
            ['未遇', String(reg.not_home), 'fig-nothome']]
            .map(([k, v, id]) => h('div', { class: 'figure' }, h('dt', {}, k), h('dd', { id }, v)))),
        reg.clear ? null : h('p', { class: 'hint' }, '非本网格网格员：居民姓名、电话和门牌已脱敏。')),
      hs.length === 0 ? h('p', { class: 'empty' }, '本月没有应走访的住户。') :
        h('ol', { class: 'cards', id: 'households' }, hs.map((x) => householdCard(x, reg, recs.get(x.key) || [], reload))),
    ]));
  }

  // householdCard is one household of the register: where it stands this
  // month, its norms and members, and the record form one tap away.
  function householdCard(x, reg, recs, reload) {
    const done = x.required > 0 && x.done >= x.required;
    const slot = h('div', { class: 'visit-slot' });
    const open = h('button', { type: 'button', class: 'primary record-visit', 'data-key': x.key, id: 'record-' + safeKey(x.key) }, '记录走访');
    const card = h('li', { class: 'card household' + (x.overdue ? ' overdue' : ''), 'data-key': x.key, 'data-done': x.done, 'data-required': x.required });
    open.addEventListener('click', () => {
      slot.replaceChildren(visitForm(x, reg, card, () => { slot.replaceChildren(); open.hidden = false; open.focus(); }, reload));
      open.hidden = true;
    });
    const rows = [
      ['本月', h('span', { class: 'hh-done' }, `已访 ${x.done} / 应访 ${x.required}`, x.not_home ? `（未遇 ${x.not_home}）` : '')],
      x.next_due ? ['截止', h('span', { class: x.overdue ? 'due overdue' : 'due' }, x.next_due, x.overdue ? badge('late', '已超期') : null)] : null,
      ['上次走访', h('span', { class: 'hh-last' }, x.last_visit ? when(x.last_visit) + ' ' + label(VISIT_KIND, x.last_kind) : '本年度尚无记录')],
      x.slots && x.slots.length ? ['预约', x.slots.map((s) => when(s.start) + (s.record_id ? '（已走访）' : '')).join('；')] : null,
    ];
    card.append(...nodes([
      h('div', { class: 'card-head' },
        h('strong', { class: 'hh-address' }, x.address || '住户 ' + x.key),
        x.overdue ? badge('late', '超期') : done ? badge('st st-resolved', '本月已完成') : null),
      h('p', { class: 'norms' }, x.norms.map((n) => badge('cat', n)), x.every ? h('span', { class: 'muted' }, ' ' + label(EVERY, x.every) + '走访') : null),
      h('dl', { class: 'fields' }, rows.filter(Boolean).map(([a, b]) => [h('dt', {}, a), h('dd', {}, b)])),
      h('ul', { class: 'members' }, x.residents.map((m) => h('li', { class: 'member', 'data-resident-id': m.id },
        h('a', { href: '#/residents/' + m.id, class: 'member-name' }, m.name || '居民 ' + m.id),
        reg.clear && m.phone ? h('a', { href: 'tel:' + m.phone, class: 'tel' }, '拨打 ' + m.phone) : m.phone ? h('span', { class: 'phone' }, m.phone) : null,
        m.categories.length ? h('span', { class: 'hint' }, m.categories.map((c) => label(RES_CATEGORY, c)).join('、')) : null))),
      recs.length ? visitRecords(recs) : null,
      canVisit() ? h('div', { class: 'buttons' }, open) : null, slot]));
    return card;
  }

  // visitRecords are a household's records this month, newest first, with
  // their photos' thumbnails (fetched with the token).
  function visitRecords(recs) {
    return h('details', { class: 'visit-records' }, h('summary', {}, `本月记录（${recs.length}）`),
      h('ul', { class: 'timeline' }, recs.slice().reverse().map((r) => h('li', { 'data-id': r.id },
        h('div', { class: 'meta' }, timeEl(r.visited_at), h('span', {}, r.kind_label || label(VISIT_KIND, r.kind)), h('span', {}, actorLabel(r.recorded_by))),
        r.notes ? h('p', { class: 'note' }, r.notes) : null,
        r.ticket_id ? h('p', {}, h('a', { href: '#/tickets/' + r.ticket_id }, '发现问题：工单 #' + r.ticket_id)) : null,
        r.photos && r.photos.length ? h('ul', { class: 'media-list visit-photos' }, r.photos.map((p, i) => visitPhoto(r, p, i))) : null))));
  }

  function visitPhoto(r, p, i) {
    const img = h('img', { class: 'thumb', alt: `走访 #${r.id} 照片 ${i + 1}` });
    api('GET', apiPath(p.thumbnail_url || p.url), undefined, { blob: true }).then((b) => { img.src = objectURL(b); },
      (e) => { if (!e.handled) img.replaceWith(h('span', { class: 'muted' }, '照片无法加载')); });
    return h('li', { class: 'media-item' }, img, h('p', { class: 'media-meta' }, size(p.size)));
  }

  // photoPicker collects photos from the camera or the album, each
  // previewed with its size; the camera gives one at a time, so each pick
  // adds to the list.
  function photoPicker(prefix) {
    const photos = [];
    const input = h('input', { id: prefix + '-photo', name: 'photo', type: 'file', accept: 'image/*', capture: 'environment', multiple: true });
    const previews = h('ul', { class: 'previews', id: prefix + '-previews' });
    const total = h('p', { class: 'hint', id: prefix + '-photo-total' });
    const show = () => {
      previews.replaceChildren(...photos.map((f, i) => {
        const rm = h('button', { type: 'button', class: 'link', 'aria-label': '移除照片 ' + f.name }, '移除');
        rm.addEventListener('click', () => { photos.splice(i, 1); fieldError(input, ''); show(); input.focus(); });
        return h('li', { class: 'preview', 'data-name': f.name },
          h('img', { src: objectURL(f), alt: '待上传照片 ' + f.name }),
          h('span', { class: 'preview-name' }, f.name), h('span', { class: 'preview-size' }, size(f.size)), rm);
      }));
      const bytes = photos.reduce((n, f) => n + f.size, 0);
      total.textContent = photos.length ? `共 ${photos.length} 张，${size(bytes)}（每次最多 ${MAX_PHOTOS} 张）` : `可拍照或从相册选择，每次最多 ${MAX_PHOTOS} 张。`;
    };
    input.addEventListener('change', () => {
      const problems = [];
      for (const f of input.files) {
        if (f.type && !f.type.startsWith('image/')) { problems.push(`“${f.name}”不是图片，未添加`); continue; }
        if (photos.length >= MAX_PHOTOS) { problems.push(`每次最多 ${MAX_PHOTOS} 张照片，“${f.name}”未添加`); continue; }
        photos.push(f);
      }
      input.value = '';
      fieldError(input, problems.join('；'));
      show();
    });
    show();
    return { photos, input, el: h('div', { class: 'field' }, h('label', { for: input.id }, '照片'), input, total, previews) };
  }

  // visitForm records a visit of one of the household's residents: how
  // (入户/电话/未遇), notes, photos, and what it found (filed as a
  // reported event). Posted as multipart; the register is read again.
  function visitForm(x, reg, card, cancel, reload) {
    const p = 'visit-' + safeKey(x.key);
    let kind = 'in_person';
    let filed = 0; // the event this form filed, linked again on a retry
    const kinds = Object.keys(VISIT_KIND_SHORT).map((k) => {
      const b = h('button', { type: 'button', class: 'kind' + (k === kind ? ' chosen' : ''), 'data-kind': k, id: p + '-kind-' + k,
        'aria-pressed': k === kind ? 'true' : 'false' }, VISIT_KIND_SHORT[k]);
      b.addEventListener('click', () => {
        kind = k;
        for (const o of kinds) {
          o.setAttribute('aria-pressed', o === b ? 'true' : 'false');
          o.classList.toggle('chosen', o === b);
        }
      });
      return b;
    });
    const who = h('select', { id: p + '-resident', name: 'resident_id' },
      x.residents.map((m) => h('option', { value: m.id }, (m.name || '居民 ' + m.id))));
    const notes = h('textarea', { id: p + '-notes', name: 'notes', rows: '3', maxlength: '2000' });
    const pics = photoPicker(p);
    const problem = h('textarea', { id: p + '-report', name: 'report', rows: '2', maxlength: '2000', placeholder: '如：楼道燃气软管老化开裂' });
    const category = h('select', { id: p + '-report-category', name: 'report_category' },
      h('option', { value: '' }, '自动识别（按描述分类）'),
      Object.entries(CATEGORY).map(([v, t]) => h('option', { value: v }, t)));
    const submit = h('button', { type: 'submit', class: 'primary', id: p + '-submit' }, '保存走访');
    const at = [[/照片|文件|上传/, pics.input], [/走访方式/, kinds[0]], [/居民|网格员/, who], [/类别|分类/, category], [/描述|事件/, problem]];
    const form = h('form', { class: 'visit-form step', id: p + '-form', novalidate: true, 'aria-label': '记录走访', onsubmit: async (ev) => {
      ev.preventDefault();
      clearError();
      for (const c of [pics.input, who, problem, category, notes]) fieldError(c, '');
      const fd = new FormData();
      fd.set('worker', reg.worker);
      fd.set('resident_id', who.value);
      fd.set('kind', kind);
      if (notes.value.trim()) fd.set('notes', notes.value.trim());
      submit.disabled = true;
      submit.setAttribute('aria-busy', 'true');
      submit.textContent = pics.photos.length ? '正在上传……' : '正在保存……';
      const busy = () => { submit.disabled = false; submit.removeAttribute('aria-busy'); submit.textContent = '保存走访'; };
      if (filed) {
        fd.set('ticket_id', String(filed));
      } else if (problem.value.trim() && pics.photos.length === 0) {
        fd.set('report', problem.value.trim());
        if (category.value) fd.set('report_category', category.value);
      } else if (problem.value.trim()) {
        // The API files a visit's report before it keeps the photos, so a
        // photo it then refuses would leave the event filed and a second
        // try file it again. With photos, the event is filed first on its
        // own and the visit links it, on a retry too.
        try {
          const ev = await api('POST', '/events', { grid: x.grid, text: problem.value.trim(), category: category.value || undefined,
            source: 'patrol', worker_code: reg.worker, resident_id: Number(who.value) }, { zh: true });
          filed = ev.ticket.id;
        } catch (e) {
          busy();
          if (e.handled) return;
          if (e.status === 400) { fieldError(problem, e.message); problem.focus(); } else showError(e, '上报发现的问题');
          return;
        }
        problem.readOnly = true;
        category.disabled = true;
        fieldError(problem, '');
        problem.after(h('p', { class: 'hint', id: p + '-filed' }, `已上报为工单 #${filed}，保存走访时关联此工单。`));
        fd.set('ticket_id', String(filed));
      }
      for (const f of pics.photos) fd.append('photo', f, f.name);
      let rec;
      try {
        rec = await api('POST', '/visits', fd, { zh: true });
      } catch (e) {
        busy();
        if (e.handled) return;
        const hit = e.status === 400 || e.status === 404 ? at.find(([re]) => re.test(e.message)) : null;
        if (hit) { fieldError(hit[1], e.message); hit[1].focus(); } else showError(e, '记录走访');
        return;
      }
      notice(`已记录${rec.kind_label || label(VISIT_KIND, rec.kind)}：${x.address || x.key}` +
        (rec.photos && rec.photos.length ? `，照片 ${rec.photos.length} 张` : '') + (rec.ticket_id ? `；发现的问题已上报为工单 #${rec.ticket_id}` : '') + '。');
      reload('record-' + safeKey(x.key));
    } },
    h('h3', {}, '记录走访'),
    h('fieldset', { class: 'field choice' }, h('legend', {}, '方式'), h('div', { class: 'buttons kinds', role: 'group' }, kinds)),
    x.residents.length > 1 ? field('走访对象', who) : null,
    field('走访情况', notes, '如：身体尚可，生活能自理。'),
    pics.el,
    h('details', { class: 'more' }, h('summary', {}, '发现问题（可选，将上报为事件）'),
      field('问题描述', problem), field('类别', category)),
    h('div', { class: 'buttons' }, submit, h('button', { type: 'button', onclick: cancel }, '取消')));
    setTimeout(() => kinds[0].focus(), 0);
    return form;
  }

  // overduePanel lists what is overdue in a grid, a community or a
  // street (the user's scope by default): per worker, then per household.
  function overduePanel(box, g) {
    const me = session.me;
    const mine = me && me.authenticated && me.grids.length === 1 && me.grids[0] !== '*' ? me.grids[0] : '';
    const grid = h('input', { id: 'overdue-grid', name: 'grid', type: 'text', value: mine, autocomplete: 'off', placeholder: '如 NY-03' });
    const out = h('div', { id: 'overdue-list', 'aria-live': 'polite' });
    const load = async () => {
      fieldError(grid, '');
      const v = grid.value.trim();
      if (!v) { out.replaceChildren(h('p', { class: 'muted' }, '填写网格、社区或街道编号，查看超期未走访的住户。')); return; }
      out.replaceChildren(h('p', { class: 'loading' }, '正在加载……'));
      let o;
      try {
        o = await api('GET', '/visits/overdue?grid=' + encodeURIComponent(v), undefined, { zh: true });
      } catch (e) {
        if (g !== gen) return;
        out.replaceChildren();
        if (e.status === 400 || e.status === 403 || e.status === 404) fieldError(grid, e.message); else showError(e, '读取超期走访');
        return;
      }
      if (g !== gen) return;
      out.replaceChildren(...nodes([
        h('p', { class: 'summary' }, o.total ? `${o.grid} 共 ${o.total} 户超期未走访` : `${o.grid} 没有超期未走访的住户。`),
        o.by_worker.length ? cells(h('table', { class: 'plain', id: 'overdue-workers' },
          h('thead', {}, h('tr', {}, ['网格员', '网格', '超期户数'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, o.by_worker.map((c) => h('tr', { 'data-grid': c.grid },
            h('td', {}, c.worker ? h('a', { href: '#/visits?worker=' + encodeURIComponent(c.worker) }, (c.worker_name ? c.worker_name + ' ' : '') + c.worker) : '（无网格员）'),
            h('td', {}, c.grid), h('td', {}, String(c.overdue))))))) : null,
        o.households.length ? h('ol', { class: 'cards', id: 'overdue-households' }, o.households.map((x) => h('li', { class: 'card household overdue', 'data-key': x.key },
          h('div', { class: 'card-head' }, h('strong', {}, x.address || x.key), badge('late', `超期 ${x.days} 天`)),
          h('p', { class: 'norms' }, x.norms.map((n) => badge('cat', n)), x.every ? h('span', { class: 'muted' }, ' ' + label(EVERY, x.every) + '走访') : null),
          h('dl', { class: 'fields' },
            h('dt', {}, '网格'), h('dd', {}, x.grid + (x.worker ? ' · ' + x.worker : '')),
            h('dt', {}, '应访起'), h('dd', {}, when(x.since)),
            h('dt', {}, '上次走访'), h('dd', {}, x.last_visit ? when(x.last_visit) : '无记录'),
            h('dt', {}, '居民'), h('dd', {}, x.residents.map((m) => m.name).join('、') || '—'))))) : null,
      ]));
    };
    box.replaceChildren(h('section', { class: 'panel overdue-panel', 'aria-labelledby': 'overdue-h' },
      h('h2', { id: 'overdue-h' }, '超期未走访'),
      h('form', { class: 'filters', novalidate: true, onsubmit: (ev) => { ev.preventDefault(); load(); } },
        field('网格、社区或街道编号', grid), h('div', { class: 'buttons' }, h('button', { type: 'submit', id: 'overdue-submit' }, '查看'))),
      out));
    load();
  }

  // --- a resident's living record ------------------------------------------------

  // residentView is a resident's sheet, opened from a household card: who
  // they are (as the register showed them), the living record's change
  // form and its history, with the resident's page (household, tickets,
  // messages), masked as the API answers. The current values of the
  // living record are the history's latest.
  async function residentView(id, opts) {
    const g = gen;
    const back = h('p', { class: 'back' }, h('a', { href: lastRegisterHash, id: 'back-register' }, '← 返回走访台账'));
    if (!/^[1-9][0-9]*$/.test(id)) {
      screen('居民档案', h('p', { class: 'empty' }, '居民编号应为正整数。')).before(back);
      settle(opts);
      return;
    }
    let who = null;
    let home = null;
    for (const x of (lastRegister && lastRegister.households) || []) {
      const m = x.residents.find((r) => String(r.id) === id);
      if (m) { who = m; home = x; }
    }
    // The resident's page (GET /residents/{id}): the record, household,
    // messages and tickets, masked as the API answers.
    let page = null;
    try {
      page = await api('GET', '/residents/' + id, undefined, { zh: true });
    } catch (e) {
      if (g !== gen || e.handled) return;
      if (e.status !== 404) showError(e, '读取居民 #' + id);
    }
    if (g !== gen) return;
    if (page && !who) who = { name: page.name, phone: page.phone, categories: page.categories };
    const clearView = page ? page.clear : !!(lastRegister && lastRegister.clear);
    const hist = h('div', { id: 'change-history', 'aria-live': 'polite' }, h('p', { class: 'loading' }, '正在加载……'));
    const now = h('dl', { class: 'fields', id: 'record-now' });
    const pick = (name, map) => h('select', { id: 'rec-' + name, name },
      h('option', { value: '' }, '不变'), Object.entries(map).map(([v, t]) => h('option', { value: v }, t)));
    const status = pick('status', REC_STATUS);
    const living = pick('living', REC_LIVING);
    const selfcare = pick('selfcare', REC_SELFCARE);
    const relation = pick('relation', REC_RELATION);
    const health = h('textarea', { id: 'rec-health', name: 'health', rows: '2', maxlength: '500', placeholder: '如：高血压，3 月曾住院' });
    const note = h('textarea', { id: 'rec-note', name: 'note', rows: '2', maxlength: '500', placeholder: '如：家属告知、死亡证明编号' });
    const submit = h('button', { type: 'submit', class: 'primary', id: 'rec-submit' }, '保存变更');
    const controls = { status, living, selfcare, relation, health };
    const form = h('form', { class: 'card report', id: 'record-form', novalidate: true, 'aria-labelledby': 'record-h', onsubmit: async (ev) => {
      ev.preventDefault();
      clearError();
      for (const c of Object.values(controls).concat(note)) fieldError(c, '');
      const body = {};
      for (const [k, c] of Object.entries(controls)) if (c.value.trim()) body[k] = c.value.trim();
      if (Object.keys(body).length === 0) { fieldError(status, '请至少修改一项'); status.focus(); return; }
      if (note.value.trim()) body.note = note.value.trim();
      submit.disabled = true;
      submit.setAttribute('aria-busy', 'true');
      let res;
      try {
        res = await api('POST', `/residents/${id}/changes`, body, { zh: true });
      } catch (e) {
        submit.disabled = false;
        submit.removeAttribute('aria-busy');
        if (e.handled) return;
        const fieldOf = [[/状态|status/, status], [/居住|living/, living], [/自理|self/, selfcare], [/关系|relation/, relation], [/健康|health/, health], [/说明|note/, note]];
        const hit = e.status === 400 ? fieldOf.find(([re]) => re.test(e.message)) : null;
        if (hit) { fieldError(hit[1], e.message); hit[1].focus(); } else showError(e, '保存居民信息变更');
        return;
      }
      submit.disabled = false;
      submit.removeAttribute('aria-busy');
      for (const c of Object.values(controls).concat(note)) c.value = '';
      const gone = body.status && body.status !== 'active';
      notice(res.changes.length === 0 ? '没有变化：所填的值与档案相同。' :
        '已保存：' + res.changes.map((c) => c.label + ' ' + shown(c.field, c.before) + ' → ' + shown(c.field, c.after)).join('；') +
        (gone ? '。已不在走访台账和推送对象中' : '') +
        (res.visits_cancelled ? `，已取消预约走访 ${res.visits_cancelled} 次` : '') + '。');
      loadHistory();
    } },
    h('h2', { id: 'record-h' }, '更新档案（活户籍）'),
    field('人员状态', status, '迁出或死亡后，不再列入走访台账，也不再向其推送消息。'),
    field('居住状况', living), field('自理能力', selfcare), field('与户主关系', relation),
    field('健康状况', health, '属敏感个人信息，保存后只以 *** 显示。'),
    field('说明', note),
    h('div', { class: 'buttons' }, submit));
    screen(who ? '居民档案 · ' + who.name : '居民档案 #' + id,
      h('section', { class: 'card resident-card', id: 'resident-card' },
        h('dl', { class: 'fields' },
          h('dt', {}, '编号'), h('dd', {}, '#' + id),
          who ? [h('dt', {}, '姓名'), h('dd', { id: 'resident-name' }, who.name)] : null,
          who && who.phone ? [h('dt', {}, '电话'), h('dd', {}, clearView ? h('a', { href: 'tel:' + who.phone, class: 'tel' }, who.phone) : who.phone)] : null,
          home ? [h('dt', {}, '住址'), h('dd', {}, home.address || home.key)] : page && page.address ? [h('dt', {}, '住址'), h('dd', {}, page.address)] : null,
          who && who.categories.length ? [h('dt', {}, '类别'), h('dd', {}, who.categories.map((c) => label(RES_CATEGORY, c)).join('、'))] : null),
        h('h2', {}, '档案现状'), now),
      hasRole('worker', 'officer', 'admin') ? form : null,
      h('section', { class: 'panel', 'aria-labelledby': 'history-h' }, h('h2', { id: 'history-h' }, '变更记录'), hist),
      page ? residentMore(page) : null).before(back);
    async function loadHistory() {
      let cs;
      try {
        cs = await api('GET', `/residents/${id}/changes`, undefined, { zh: true });
      } catch (e) {
        if (g !== gen) return;
        hist.replaceChildren(h('p', { class: 'muted' }, '无法读取变更记录。'));
        showError(e, '读取居民 #' + id + ' 的变更记录');
        return;
      }
      if (g !== gen) return;
      const latest = {};
      for (const c of cs) latest[c.field] = c;
      now.replaceChildren(...['status', 'living', 'selfcare', 'health', 'relation', 'phone'].filter((f) => latest[f])
        .map((f) => [h('dt', {}, latest[f].label), h('dd', { 'data-field': f }, shown(f, latest[f].after) || '（已清除）')]).flat());
      if (!now.children.length) now.append(h('dt', {}, '状态'), h('dd', {}, '在册（尚无变更记录）'));
      hist.replaceChildren(cs.length === 0 ? h('p', { class: 'muted' }, '尚无变更记录。') :
        h('ol', { class: 'timeline', id: 'changes' }, cs.slice().reverse().map((c) => h('li', { 'data-field': c.field, 'data-after': c.after },
          h('div', { class: 'meta' }, timeEl(c.at), h('span', {}, actorLabel(c.by)), h('span', {}, label(CHANGE_SOURCE, c.source))),
          h('p', {}, c.label + '：' + (shown(c.field, c.before) || '（空）') + ' → ' + (shown(c.field, c.after) || '（空）')),
          c.note ? h('p', { class: 'note' }, '说明：' + c.note) : null))));
    }
    await loadHistory();
    settle(opts);
  }

  // residentMore is the rest of a resident's page: their household, tickets
  // and the messages sent to them, newest first.
  const residentMore = (p) => [
    h('section', { class: 'panel', id: 'resident-household', 'aria-labelledby': 'household-h' }, h('h2', { id: 'household-h' }, '同户成员'),
      p.household.length ? h('ul', { class: 'plain-list' }, p.household.map((m) => h('li', {}, h('a', { href: '#/residents/' + m.id }, m.name),
        m.phone ? ' · ' + m.phone : '', m.categories.length ? ' · ' + m.categories.map((c) => label(RES_CATEGORY, c)).join('、') : ''))) :
        h('p', { class: 'muted' }, '没有其他同户成员。')),
    h('section', { class: 'panel', id: 'resident-tickets', 'aria-labelledby': 'rtickets-h' }, h('h2', { id: 'rtickets-h' }, '工单'),
      p.tickets.length ? h('ul', { class: 'plain-list' }, p.tickets.map((t) => h('li', { 'data-id': t.id }, h('a', { href: '#/tickets/' + t.id }, '#' + t.id),
        ' ', statusBadge(t.status), ' ', t.category_label, ' · ', timeEl(t.created_at), h('p', { class: 'note' }, t.text)))) :
        h('p', { class: 'muted' }, '没有工单。')),
    h('section', { class: 'panel', id: 'resident-messages', 'aria-labelledby': 'rmsgs-h' }, h('h2', { id: 'rmsgs-h' }, '消息记录'),
      p.messages.length ? h('ol', { class: 'timeline' }, p.messages.map((m) => h('li', { 'data-id': m.id, 'data-status': m.status },
        h('div', { class: 'meta' }, timeEl(m.created_at), h('span', {}, m.purpose_label), h('span', {}, label(CHANNEL, m.channel)), h('span', {}, m.status_label),
          m.provider_code ? h('span', { class: 'muted' }, m.provider_code) : null),
        m.text ? h('p', {}, m.text) : null))) : h('p', { class: 'muted' }, '没有消息记录。')),
  ];

  // shown is a change's value as people read it: an enumeration by its
  // label; a phone or health note as the API masked it.
  const shown = (f, v) => (REC_FIELD[f] ? label(REC_FIELD[f], v) : v) || '';

  // --- 考核 ----------------------------------------------------------------------

  const BY = { grid: '网格', community: '社区', street: '街道' };

  // assessmentView is 考核: a period's scores by unit, workers ranked;
  // a worker's row opens the breakdown; the sheet exports as Excel.
  async function assessmentView(params, opts) {
    const g = gen;
    const period = params.get('period') || thisMonth();
    const by = BY[params.get('by')] ? params.get('by') : 'street';
    const kindOf = /^\d{4}$/.test(period) ? 'year' : /-Q\d$/i.test(period) ? 'quarter' : 'month';
    const year = period.slice(0, 4);
    const kind = h('select', { id: 'as-kind', name: 'kind' },
      [['month', '月度'], ['quarter', '季度'], ['year', '年度']].map(([v, t]) => h('option', { value: v, selected: v === kindOf }, t)));
    const month = h('input', { id: 'as-month', name: 'month', type: 'month', value: kindOf === 'month' ? period : thisMonth() });
    const yearIn = h('input', { id: 'as-year', name: 'year', type: 'number', min: '2000', max: '2100', value: year, inputmode: 'numeric' });
    const quarter = h('select', { id: 'as-quarter', name: 'quarter' }, [1, 2, 3, 4].map((n) =>
      h('option', { value: 'Q' + n, selected: kindOf === 'quarter' && period.toUpperCase().endsWith('Q' + n) }, '第' + '一二三四'[n - 1] + '季度')));
    const byIn = h('select', { id: 'as-by', name: 'by' }, Object.entries(BY).map(([v, t]) => h('option', { value: v, selected: v === by }, '按' + t)));
    const monthField = field('月份', month);
    const yearField = field('年份', yearIn);
    const quarterField = field('季度', quarter);
    const showKind = () => {
      monthField.hidden = kind.value !== 'month';
      yearField.hidden = kind.value === 'month';
      quarterField.hidden = kind.value !== 'quarter';
    };
    kind.addEventListener('change', showKind);
    showKind();
    const out = h('div', { id: 'assessment', 'aria-live': 'polite' }, h('p', { class: 'loading' }, '正在加载……'));
    const form = h('form', { class: 'filters', id: 'assessment-form', role: 'search', 'aria-label': '选择考核期间', novalidate: true, onsubmit: (ev) => {
      ev.preventDefault();
      fieldError(yearIn, '');
      let p = month.value;
      if (kind.value !== 'month') {
        if (!/^\d{4}$/.test(yearIn.value.trim())) { fieldError(yearIn, '请填写四位年份'); yearIn.focus(); return; }
        p = yearIn.value.trim() + (kind.value === 'quarter' ? '-' + quarter.value : '');
      }
      go('#/assessment?' + new URLSearchParams({ period: p, by: byIn.value }));
    } },
    field('期间', kind), monthField, yearField, quarterField, field('排名范围', byIn),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary', id: 'assessment-submit' }, '查看')));
    screen('考核', h('p', { class: 'muted' }, '网格员的走访、事件上报、工单办理、满意度和户籍更新，按期间计分、评等、排名。点网格员查看得分明细。'), form, out);
    let rep;
    try {
      rep = await api('GET', '/assessment?' + new URLSearchParams({ period, by }), undefined, { zh: true });
    } catch (e) {
      if (g !== gen) return;
      out.replaceChildren();
      showError(e, '读取考核');
      settle(opts);
      return;
    }
    if (g !== gen) return;
    const file = `kaohe-${rep.period}.xlsx`;
    const exp = h('button', { type: 'button', id: 'assessment-export' }, '导出 Excel');
    const saved = h('a', { id: 'assessment-file', download: file, class: 'hint' });
    saved.hidden = true;
    exp.addEventListener('click', async () => {
      exp.disabled = true;
      exp.setAttribute('aria-busy', 'true');
      try {
        const b = await api('GET', '/assessment?' + new URLSearchParams({ period, by, format: 'xlsx' }), undefined, { blob: true, zh: true });
        saved.href = objectURL(b);
        saved.textContent = `已生成 ${file}（${size(b.size)}），如未自动下载请点此保存`;
        saved.hidden = false;
        saved.click();
      } catch (e) {
        if (!e.handled) showError(e, '导出考核表');
      }
      exp.disabled = false;
      exp.removeAttribute('aria-busy');
    });
    out.replaceChildren(...nodes([
      h('div', { class: 'assess-head' }, h('h2', { id: 'assessment-period' }, rep.period_label + ' · 按' + label(BY, rep.level)),
        h('div', { class: 'buttons' }, exp), saved),
      rep.groups.length === 0 ? h('p', { class: 'empty' }, '您的范围内没有可考核的网格员。') :
        rep.groups.map((gr) => assessGroup(gr)),
    ]));
    settle(opts);
  }

  function assessGroup(gr) {
    const rows = [];
    for (const w of gr.workers) {
      const detail = h('tr', { class: 'lines-row', id: 'lines-' + w.worker }, h('td', { colspan: '6' },
        h('ul', { class: 'lines' }, w.lines.map((l) => h('li', { class: l.excluded ? 'excluded' : null, 'data-indicator': l.indicator },
          h('strong', {}, l.label), ' ', l.excluded ? h('span', { class: 'muted' }, '不计分') : h('span', { class: 'pts' }, l.points.toFixed(1) + ' 分'),
          h('span', { class: 'hint' }, l.text))))));
      detail.hidden = true;
      const open = h('button', { type: 'button', class: 'link worker-open', 'aria-expanded': 'false', 'aria-controls': detail.id },
        w.name + ' ', h('span', { class: 'muted' }, w.worker));
      const toggle = () => {
        detail.hidden = !detail.hidden;
        open.setAttribute('aria-expanded', detail.hidden ? 'false' : 'true');
      };
      open.addEventListener('click', (ev) => { ev.stopPropagation(); toggle(); });
      const change = w.change === undefined ? '新任' :
        (w.change > 0 ? '↑ +' : w.change < 0 ? '↓ ' : '→ ') + w.change.toFixed(1) +
        (w.rank_change ? `（名次${w.rank_change > 0 ? '升' : '降'} ${Math.abs(w.rank_change)}）` : '');
      rows.push(h('tr', { class: 'worker-row', 'data-worker': w.worker, onclick: (ev) => { if (!ev.target.closest('button')) toggle(); } },
        h('td', {}, String(w.rank)), h('td', {}, open), h('td', {}, w.grid),
        h('td', { class: 'points' }, w.points.toFixed(1)), h('td', {}, badge('grade grade-' + gradeClass(w.grade), w.grade)),
        h('td', { class: 'change' }, change)), detail);
    }
    const table = cells(h('table', { class: 'plain assess' },
      h('caption', { class: 'sr-only' }, gr.name + '网格员得分'),
      h('thead', {}, h('tr', {}, ['名次', '网格员', '网格', '得分', '等级', '较上期'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows)));
    return h('section', { class: 'panel assess-group', 'data-code': gr.code },
      h('h3', {}, `第 ${gr.rank} 名 · ${gr.name || gr.code}`),
      h('p', { class: 'summary' }, `平均 ${gr.average.toFixed(1)} 分 · ` + (gr.grades || []).map((c) => `${c.label} ${c.count} 人`).join('，')),
      table);
  }
  const gradeClass = (g) => ({ 优秀: 'a', 合格: 'b', 不合格: 'c' }[g] || 'x');


  // --- screens in other files ---------------------------------------------------

  // extra holds the screens other scripts of the console register (each
  // file one capability: campaigns.js, admin.js …), by the fragment's
  // first part: view(parts, params, opts) renders it, show() says whether
  // the signed-in user's roles want its link in the navigation (a link
  // <a data-nav="SECTION"> in index.html).
  const extra = {};
  window.GridCast = Object.freeze({
    register(sec, view, show) { extra[sec] = { view, show }; },
    h, field, nodes, badge, label, when, timeEl, api, go, screen, settle, notice, showError, clearError,
    hasRole, covers, parseHash, session, main, $, saveFile,
    // current reports whether a render started as generation g is still
    // the screen shown (a slow answer for a screen left is dropped).
    generation: () => gen,
    // refreshNow runs the shown screen's own refresh at once (what the
    // 30-second poll does), resolving when it is done.
    refreshNow: () => (refresher ? refresher() : Promise.resolve()),
  });

  // --- start ----------------------------------------------------------------------

  // boot asks the API, without a token, whether it wants one: 401 means
  // tokens, 200 the open trial mode, 403 a remote browser while no users
  // are configured.
  async function boot() {
    // The other scripts (deferred, after this one) register their screens
    // before the document is done.
    if (document.readyState === 'loading') await new Promise((ok) => document.addEventListener('DOMContentLoaded', ok, { once: true }));
    $('#signout').addEventListener('click', signOut);
    $('#password-link').addEventListener('click', () => go('#/password'));
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
      await loadMethods();
      if (!token() && session.methods.password) {
        // A session this browser opened before (its cookie is sent by
        // itself) gives back who the user is and the CSRF token.
        try {
          const v = await api('GET', '/session', undefined, { signingIn: true });
          session.csrf = v.csrf || '';
          session.me = v.me || null;
        } catch (_) { /* not signed in: the sign-in screen */ }
      }
    }
    route();
  }

  boot();
})();
