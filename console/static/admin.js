// GridCast console: administration — users, their roles and scope, their
// tokens (shown once), and the audit log. Administrators only; the API
// decides (GET/POST /api/v1/users…, GET /api/v1/audit) and this screen
// shows what it answers, as text. The audit log's 导出Excel downloads
// every entry the shown filters select as the API's workbook.
'use strict';

(function () {
  const G = window.GridCast;
  if (!G) return;
  const { h, field, nodes, badge, label, timeEl, api, go, screen, settle, notice, showError, clearError, hasRole } = G;

  const ROLES = [
    ['admin', '管理员', '管理用户，查看审计日志和未识别发送方'],
    ['officer', '业务科室', '在管辖范围内创建、发送、暂停、撤销推送活动，审批他人的活动'],
    ['checker', '审核', '审批或驳回他人的推送活动'],
    ['worker', '网格员', '办理管辖范围内的工单、走访和事件上报'],
    ['department', '职能部门', '办理分拨给本部门的任务（须选部门）'],
    ['viewer', '查看', '只读'],
  ];
  const ROLE = Object.fromEntries(ROLES.map(([v, t]) => [v, t]));
  const ACTIONS = {
    '': '全部操作', user: '用户（全部）', 'user.create': '创建用户', 'user.grant': '授予角色或网格', 'user.revoke': '收回或停用',
    'user.token': '重新生成令牌', 'auth.login': '登录', pii: '个人信息（全部）', 'pii.unmask': '查看明文', 'pii.view': '网格员查看本网格明文',
    campaign: '推送活动（全部）', 'campaign.approve': '审批活动', 'campaign.send': '发送活动', resident: '居民档案（全部）',
    'resident.change': '修改档案', 'resident.erase': '删除个人信息', ticket: '工单（全部）', 'ticket.dispatch': '分拨',
    'ticket.supervise': '督办', task: '部门任务', export: '导出', import: '导入',
    auth: '登录（全部）', 'auth.failed': '登录失败', 'auth.locked': '账号锁定', 'auth.logout': '退出登录',
    'user.password': '设置密码', 'user.unlock': '解除锁定', 'campaign.create': '创建活动', 'campaign.refuse': '退回活动',
    'campaign.edit': '修改活动', 'ticket.note': '内部备注', 'ticket.report': '上报事件',
  };
  // Changes to users name no actor in the body: in the trial mode too the
  // API records the one trial operator.
  const asAdmin = { zh: true, actor: '' };
  const SOURCE = { api: '接口/控制台', cli: '命令行', system: '系统' };
  const PAGE = 50;

  // scopeText is a user's scope as people read it.
  const scopeText = (grids) => (!grids || grids.length === 0 ? '无网格' : grids.map((g) => (g === '*' ? '全市' : g)).join('、'));
  const codes = (text) => text.split(/[\s,，、]+/).map((s) => s.trim()).filter(Boolean);

  // departments are GET /api/v1/departments, asked once.
  let departments = null;
  async function loadDepartments() {
    if (departments) return departments;
    try {
      departments = await api('GET', '/departments', undefined, { zh: true });
    } catch (e) {
      departments = [];
    }
    return departments;
  }

  function tabs(which) {
    return h('nav', { class: 'admin-tabs', 'aria-label': '管理' },
      h('a', { href: '#/admin', 'aria-current': which === 'users' ? 'page' : null, id: 'tab-users' }, '用户与权限'),
      h('a', { href: '#/admin/audit', 'aria-current': which === 'audit' ? 'page' : null, id: 'tab-audit' }, '审计日志'));
  }

  // --- users ----------------------------------------------------------------------

  // issuedBox shows a token the API answered, this once: a read-only field,
  // a copy button and the warning that it will not be shown again.
  function issuedBox(box, who, token) {
    const input = h('input', { id: 'issued-token', type: 'text', readonly: true, value: token, spellcheck: 'false', autocomplete: 'off', 'aria-describedby': 'issued-warn' });
    const copy = h('button', { type: 'button', id: 'copy-token', class: 'primary' }, '复制令牌');
    copy.addEventListener('click', async () => {
      input.focus();
      input.select();
      let ok = false;
      try {
        await navigator.clipboard.writeText(token);
        ok = true;
      } catch (_) {
        try { ok = document.execCommand('copy'); } catch (__) { ok = false; }
      }
      notice(ok ? '令牌已复制，请立即交给' + who + '。' : '无法自动复制：令牌已选中，请按 Ctrl+C（手机上长按）复制。');
    });
    const done = h('button', { type: 'button', id: 'issued-done' }, '我已保存，关闭');
    done.addEventListener('click', () => { box.replaceChildren(); box.hidden = true; });
    box.replaceChildren(h('h2', { id: 'issued-h' }, who + ' 的访问令牌'),
      h('p', { class: 'warn', id: 'issued-warn' }, '令牌只显示这一次：系统只保存其摘要，关闭后无法再查看。请现在复制并当面或通过可靠渠道交给本人；遗失时请重新生成。'),
      field('令牌', input), h('div', { class: 'buttons' }, copy, done));
    box.hidden = false;
    input.focus();
    input.select();
  }

  async function usersView(opts) {
    const g = G.generation();
    const issued = h('section', { class: 'card issued', id: 'issued', 'aria-labelledby': 'issued-h', 'aria-live': 'polite' });
    issued.hidden = true;
    const list = h('div', { id: 'users', 'aria-live': 'polite' }, h('p', { class: 'loading' }, '正在加载……'));
    const deps = await loadDepartments();
    if (g !== G.generation()) return;

    const name = h('input', { id: 'nu-name', name: 'name', type: 'text', maxlength: '64', autocomplete: 'off', required: true });
    const boxes = ROLES.map(([v, t, hint]) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: 'role', value: v, id: 'nu-role-' + v }), ' ' + t, h('span', { class: 'hint' }, hint)));
    const roles = h('fieldset', { class: 'roles', id: 'nu-roles' }, h('legend', {}, '角色'), boxes);
    const grids = h('input', { id: 'nu-grids', name: 'grids', type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: '如 NY-01-01-01，多个用逗号分隔；* 为全市' });
    const dept = h('select', { id: 'nu-department', name: 'department' }, h('option', { value: '' }, '（非职能部门）'),
      deps.map((d) => h('option', { value: d.code }, d.name)));
    const worker = h('input', { id: 'nu-worker', name: 'worker_code', type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: '如 W-NY-01-01-01' });
    const submit = h('button', { type: 'submit', class: 'primary', id: 'nu-submit' }, '创建并生成令牌');
    const form = h('form', { class: 'card', id: 'new-user', novalidate: true, 'aria-labelledby': 'new-user-h', onsubmit: async (ev) => {
      ev.preventDefault();
      clearError();
      const body = { name: name.value.trim(), roles: [...form.querySelectorAll('input[name=role]:checked')].map((c) => c.value),
        grids: codes(grids.value), department: dept.value };
      if (worker.value.trim()) body.worker_code = worker.value.trim();
      if (!body.name) { name.setAttribute('aria-invalid', 'true'); name.focus(); notice('请填写姓名。'); return; }
      if (body.roles.length === 0) { notice('请至少选择一个角色。'); boxes[0].querySelector('input').focus(); return; }
      name.removeAttribute('aria-invalid');
      submit.disabled = true;
      try {
        const res = await api('POST', '/users', body, asAdmin);
        form.reset();
        issuedBox(issued, res.user.name, res.token);
        notice('已创建用户 ' + res.user.name + '。');
        loadUsers();
      } catch (e) {
        if (!e.handled) showError(e, '创建用户');
      }
      submit.disabled = false;
    } },
    h('h2', { id: 'new-user-h' }, '新建用户'),
    field('姓名', name), roles,
    field('管辖网格', grids, '网格、社区或街道编码，含其下全部网格；职能部门用户可不填。'),
    field('所属部门', dept, '仅“职能部门”角色需要。'),
    field('网格员工号', worker, '仅“网格员”角色：关联本人在网格员名册中的工号，我的工单和走访台账随之对应。'),
    h('div', { class: 'buttons' }, submit));

    screen('用户与权限', tabs('users'),
      h('p', { class: 'muted' }, '为工作人员生成访问令牌，授予或收回角色与管辖范围；变更在对方下一次操作时生效，无需重启。每项变更都记入审计日志。'),
      issued, list, form);
    settle(opts);

    async function loadUsers() {
      let us;
      try {
        us = await api('GET', '/users', undefined, { zh: true });
      } catch (e) {
        if (g !== G.generation()) return;
        list.replaceChildren(h('p', { class: 'muted' }, '无法读取用户列表。'));
        showError(e, '读取用户');
        return;
      }
      if (g !== G.generation()) return;
      list.replaceChildren(us.length === 0 ? h('p', { class: 'empty' }, '您的范围内还没有用户。') :
        h('ol', { class: 'cards users', id: 'user-list' }, us.map((u) => userCard(u))));
    }

    function userCard(u) {
      const role = h('select', { name: 'role', 'aria-label': '角色' }, h('option', { value: '' }, '（不改角色）'),
        ROLES.map(([v, t]) => h('option', { value: v }, t)));
      const grid = h('input', { name: 'grid', type: 'text', autocomplete: 'off', spellcheck: 'false', 'aria-label': '网格编码', placeholder: '网格编码（可不填）' });
      const wcode = h('input', { name: 'worker_code', type: 'text', autocomplete: 'off', spellcheck: 'false', 'aria-label': '网格员工号', placeholder: '网格员工号（可不填）' });
      const act = (what, body, doing) => async (ev) => {
        const btn = ev.currentTarget;
        clearError();
        btn.disabled = true;
        try {
          const res = await api('POST', `/users/${u.id}/${what}`, body(), asAdmin);
          if (what === 'token') issuedBox(issued, res.user.name, res.token);
          notice(doing + '：' + u.name + ' 已完成。');
          await loadUsers();
        } catch (e) {
          btn.disabled = false;
          if (!e.handled) showError(e, doing + ' ' + u.name);
        }
      };
      const change = () => {
        const b = {};
        if (role.value) b.roles = [role.value];
        const gs = codes(grid.value);
        if (gs.length) b.grids = gs;
        if (wcode.value.trim()) b.worker_code = wcode.value.trim();
        return b;
      };
      // The console's password, when the server signs in with passwords:
      // set (a first one, or a forgotten one) and unlock.
      const pw = h('input', { name: 'password', type: 'password', autocomplete: 'new-password', minlength: '10', maxlength: '128',
        'aria-label': '新密码', placeholder: '新密码（至少 10 个字符）' });
      const login = G.session.methods && G.session.methods.password ? h('details', { class: 'user-change user-login' },
        h('summary', {}, '登录密码'),
        h('div', { class: 'inline' }, pw),
        h('div', { class: 'buttons' },
          h('button', { type: 'button', 'data-act': 'password', onclick: act('password', () => ({ new: pw.value }), '设置密码') }, '设置密码'),
          h('button', { type: 'button', 'data-act': 'unlock', onclick: act('unlock', () => ({}), '解除锁定') }, '解除锁定')),
        h('p', { class: 'hint' }, '设置后，该用户其他设备上的登录立即失效；请当面或通过可靠渠道告知本人，并请其登录后自行修改。')) : null;
      // Disabling asks twice: the first press arms the button.
      const disable = h('button', { type: 'button', class: 'danger', 'data-act': 'disable' }, '停用');
      const doDisable = act('revoke', () => ({ all: true }), '停用');
      disable.addEventListener('click', (ev) => {
        if (disable.dataset.armed !== 'true') {
          disable.dataset.armed = 'true';
          disable.textContent = '确认停用（令牌立即失效）';
          return;
        }
        doDisable(ev);
      });
      return h('li', { class: 'card user-card' + (u.disabled ? ' disabled' : ''), 'data-id': u.id, 'data-name': u.name },
        h('div', { class: 'card-head' }, h('strong', {}, u.name), u.disabled ? badge('late', '已停用') : badge('ok', '启用')),
        h('p', { class: 'roles' }, u.roles.map((r) => badge('cat', label(ROLE, r)))),
        h('dl', { class: 'fields' },
          h('dt', {}, '管辖范围'), h('dd', { class: 'scope' }, scopeText(u.grids)),
          u.worker_code ? [h('dt', {}, '网格员工号'), h('dd', { class: 'worker-code' }, u.worker_code)] : null,
          u.department ? [h('dt', {}, '部门'), h('dd', {}, (departments.find((d) => d.code === u.department) || {}).name || u.department)] : null,
          h('dt', {}, '更新于'), h('dd', {}, timeEl(u.updated_at))),
        h('details', { class: 'user-change' }, h('summary', {}, '调整角色或范围'),
          h('div', { class: 'inline' }, role, grid, wcode),
          h('div', { class: 'buttons' },
            h('button', { type: 'button', 'data-act': 'grant', onclick: act('grant', change, '授予') }, '授予'),
            h('button', { type: 'button', 'data-act': 'revoke', onclick: act('revoke', change, '收回') }, '收回'))),
        login,
        h('div', { class: 'buttons' },
          h('button', { type: 'button', 'data-act': 'token', onclick: act('token', () => ({}), '重新生成令牌') }, u.disabled ? '重新生成令牌并启用' : '重新生成令牌'),
          u.disabled ? null : disable));
    }
    await loadUsers();
  }

  // --- the audit log ----------------------------------------------------------

  // day turns a date input (yyyy-mm-dd, Beijing time) into RFC 3339.
  const day = (d, plus) => {
    if (!d) return '';
    const t = new Date(d + 'T00:00:00+08:00');
    if (plus) t.setUTCDate(t.getUTCDate() + 1);
    return t.toISOString();
  };

  async function auditView(params, opts) {
    const g = G.generation();
    const action = h('select', { id: 'au-action', name: 'action' }, Object.entries(ACTIONS).map(([v, t]) =>
      h('option', { value: v, selected: v === (params.get('action') || '') }, t)));
    const actor = h('input', { id: 'au-actor', name: 'actor', type: 'text', value: params.get('actor') || '', autocomplete: 'off' });
    const subject = h('input', { id: 'au-subject', name: 'subject', type: 'text', value: params.get('subject') || '', autocomplete: 'off', placeholder: '如 user:王芳、campaign:12' });
    const from = h('input', { id: 'au-from', name: 'from', type: 'date', value: params.get('from') || '' });
    const to = h('input', { id: 'au-to', name: 'to', type: 'date', value: params.get('to') || '' });
    // 导出Excel: every entry of the filters shown (not only this page).
    const exp = h('button', { type: 'button', id: 'audit-export' }, '导出Excel');
    exp.addEventListener('click', () => {
      const q = new URLSearchParams({ format: 'xlsx' });
      for (const k of ['action', 'actor', 'subject']) if (params.get(k)) q.set(k, params.get(k));
      if (params.get('from')) q.set('since', day(params.get('from')));
      if (params.get('to')) q.set('until', day(params.get('to'), true));
      const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
      G.saveFile(exp, '/audit?' + q, `审计日志-${today}.xlsx`, '导出审计日志');
    });
    const form = h('form', { class: 'filters', id: 'audit-filters', role: 'search', 'aria-label': '筛选审计日志', novalidate: true, onsubmit: (ev) => {
      ev.preventDefault();
      const q = new URLSearchParams();
      for (const [k, c] of [['action', action], ['actor', actor], ['subject', subject], ['from', from], ['to', to]]) if (c.value.trim()) q.set(k, c.value.trim());
      go('#/admin/audit' + (q.toString() ? '?' + q : ''));
    } },
    field('操作', action), field('操作人', actor), field('对象', subject), field('起始日期', from), field('截止日期', to),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary', id: 'audit-submit' }, '查询'), exp));
    const out = h('div', { id: 'audit', 'aria-live': 'polite' }, h('p', { class: 'loading' }, '正在加载……'));
    screen('审计日志', tabs('audit'),
      h('p', { class: 'muted' }, '登录、查看明文、审批、档案变更和用户变更，按时间倒序；个人信息按接口的脱敏结果显示。'), form, out);
    const q = new URLSearchParams({ limit: String(PAGE) });
    for (const k of ['action', 'actor', 'subject']) if (params.get(k)) q.set(k, params.get(k));
    if (params.get('from')) q.set('since', day(params.get('from')));
    if (params.get('to')) q.set('until', day(params.get('to'), true));
    if (params.get('after')) q.set('after', params.get('after'));
    else {
      q.set('newest', 'true');
      if (params.get('before')) q.set('before', params.get('before'));
    }
    let es;
    try {
      es = await api('GET', '/audit?' + q, undefined, { zh: true });
    } catch (e) {
      if (g !== G.generation()) return;
      out.replaceChildren();
      showError(e, '读取审计日志');
      settle(opts);
      return;
    }
    if (g !== G.generation()) return;
    const page = (k, v) => {
      const p = new URLSearchParams(params);
      p.delete('after');
      p.delete('before');
      p.set(k, String(v));
      return '#/admin/audit?' + p;
    };
    const rows = es.slice().reverse();
    out.replaceChildren(...nodes([
      rows.length === 0 ? h('p', { class: 'empty' }, '没有符合条件的记录。') :
        h('ol', { class: 'cards audit-list', id: 'audit-list' }, rows.map((e) => h('li', { class: 'card audit-entry', 'data-seq': e.seq, 'data-action': e.action },
          h('div', { class: 'card-head' }, h('strong', {}, label(ACTIONS, e.action)), h('span', { class: 'muted' }, '#' + e.seq)),
          h('dl', { class: 'fields' },
            h('dt', {}, '时间'), h('dd', {}, timeEl(e.at)),
            h('dt', {}, '操作人'), h('dd', { class: 'actor' }, e.actor + (e.os_user ? '（' + e.os_user + '）' : '') + ' · ' + label(SOURCE, e.source)),
            e.subject ? [h('dt', {}, '对象'), h('dd', { class: 'subject' }, e.subject)] : null,
            e.reason ? [h('dt', {}, '原因'), h('dd', {}, e.reason)] : null,
            e.detail ? [h('dt', {}, '详情'), h('dd', { class: 'detail' }, e.detail)] : null)))),
      h('div', { class: 'buttons pager' },
        rows.length && (es.length === PAGE || params.get('after')) ? h('a', { href: page('before', es[0].seq), id: 'audit-older', class: 'button' }, '更早的记录') : null,
        rows.length && (params.get('before') || params.get('after')) ? h('a', { href: page('after', es[es.length - 1].seq), id: 'audit-newer', class: 'button' }, '较新的记录') : null),
    ]));
    settle(opts);
  }

  G.register('admin', (parts, params, opts) => {
    if (parts[1] === 'audit') auditView(params, opts);
    else usersView(opts);
  }, () => hasRole('admin'));
})();
