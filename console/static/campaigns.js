// Campaigns for officers and checkers: the list with states and funnel
// figures, the approval queue, a campaign's page (record, funnel per
// channel, why messages wait, failures in Chinese, sign-ups) with the
// CLI's actions, and the form that makes a draft with a live audience.
(() => {
  'use strict';
  const G = window.GridCast;
  const { h, field, nodes, badge, timeEl, api, go, screen, settle, notice, showError, clearError, hasRole, session } = G;

  const STATE = { draft: '草稿', scheduled: '已排期', running: '发送中', paused: '已暂停', completed: '已完成', cancelled: '已取消' };
  const KIND = { policy_notice: '政策宣传', job_posting: '招聘信息', training_notice: '培训通知', visit_schedule: '走访预约' };
  const POLICY = { wechat_first: '微信优先，短信补发', sms_only: '仅短信', wechat_only: '仅微信' };
  const CHANNEL = { sms: '短信', wechat: '微信' };
  const SKIP = {
    opted_out: '已退订', no_channel: '无可用渠道', expired: '活动过期未发', capped: '频次上限', quiet_hours: '免打扰时段',
    duplicate: '重复', cancelled: '活动已取消', no_slot: '无可约时段', erased: '已依申请删除', moved_out: '已迁出', deceased: '已死亡',
  };
  // The providers' failure codes in words an officer acts on.
  const FAILURE = {
    43004: '未关注公众号', 43101: '用户拒收', 40003: 'openid 无效', 40037: '模板 ID 无效', 45009: '接口调用超过限额',
    47003: '模板参数不正确', 45047: '客服消息超过下发条数', 40001: '公众号凭证无效',
    'isv.BUSINESS_LIMIT_CONTROL': '触发流控', 'isv.MOBILE_NUMBER_ILLEGAL': '号码无效', 'isv.AMOUNT_NOT_ENOUGH': '短信余额不足',
    'isv.BLACK_KEY_CONTROL_LIMIT': '含禁发词', 'isv.TEMPLATE_MISSING_PARAMETERS': '模板参数缺失', 'isv.SMS_TEMPLATE_ILLEGAL': '模板不合法',
    'isv.SMS_SIGNATURE_ILLEGAL': '签名不合法', 'isv.DAY_LIMIT_CONTROL': '超过单日发送上限', 'isv.OUT_OF_SERVICE': '短信业务停机',
    'isv.MOBILE_COUNT_OVER_LIMIT': '号码数量超限', 'isv.PARAM_LENGTH_LIMIT': '参数超长', 'isv.ACCOUNT_ABNORMAL': '账户异常',
    DELIVRD: '已送达', UNDELIV: '运营商未送达', MK: '用户关机或停机', EXPIRED: '超时未送达', REJECTD: '运营商拒绝',
    outcome_unknown: '发送结果不明', expired: '过期未发',
  };
  const failure = (code) => (FAILURE[code] ? FAILURE[code] + '（' + code + '）' : '错误码 ' + code);
  const lbl = (map, k) => map[k] || k || '—';
  const zh = { zh: true };

  const me = () => session.me || null;
  const myName = () => (me() && me().authenticated ? me().name : '');
  // mine: the signed-in user made c (the API's maker-checker rule); in
  // the trial mode the API decides.
  const mine = (c) => myName() !== '' && c.owner === myName();
  const terminal = (st) => st === 'completed' || st === 'cancelled';
  const awaiting = (c) => c.state === 'draft' && !c.approved_by;
  const stateBadge = (st) => badge('camp-st camp-' + st, lbl(STATE, st), { 'data-state': st });

  G.register('campaigns', (parts, params, opts) => {
    if (parts[1] === 'new') createView(opts);
    else if (parts[1]) campaignView(parts[1], opts);
    else listView(opts);
  }, () => hasRole('officer', 'checker', 'admin', 'viewer'));

  // --- the list and the approval queue ---------------------------------------

  async function listView(opts) {
    const g = G.generation();
    const out = h('div', { id: 'campaign-list', 'aria-live': 'polite' }, h('p', { class: 'loading' }, '正在读取活动……'));
    screen('活动', hasRole('officer') ? h('div', { class: 'buttons' },
      h('a', { href: '#/campaigns/new', class: 'button primary', id: 'campaign-new' }, '新建活动')) : null, out);
    settle(opts);
    let cs;
    try {
      cs = await api('GET', '/campaigns?limit=100', undefined, zh);
    } catch (e) {
      if (g !== G.generation()) return;
      out.replaceChildren();
      showError(e, '读取活动列表');
      return;
    }
    if (g !== G.generation()) return;
    // Checkers first see what waits for them: drafts without approval
    // that someone else made.
    const queue = hasRole('checker') ? cs.filter((c) => awaiting(c) && !mine(c)) : [];
    const rest = cs.filter((c) => !queue.includes(c));
    out.replaceChildren(...nodes([
      hasRole('checker') ? h('section', { id: 'approval-queue', class: 'camp-queue' },
        h('h2', {}, `待审核（${queue.length}）`),
        queue.length ? h('ul', { class: 'cards' }, queue.map(card)) : h('p', { class: 'muted' }, '没有等待您审核的活动。')) : null,
      h('section', {}, h('h2', {}, '全部活动'),
        rest.length ? h('ul', { class: 'cards', id: 'campaign-cards' }, rest.map(card)) : h('p', { class: 'empty' }, '还没有活动。')),
    ]));
    // Funnel figures, the newest first, a few at a time.
    for (const c of cs.slice(0, 30)) {
      if (g !== G.generation()) return;
      try {
        const st = await api('GET', '/campaigns/' + c.id, undefined, zh);
        const el = document.getElementById('camp-fig-' + c.id);
        if (el) el.replaceChildren(figures(st.funnel));
      } catch (_) { /* the figures are extra; the card stays */ }
    }
  }

  function card(c) {
    return h('li', { class: 'card camp-card', 'data-id': c.id, 'data-state': c.state },
      h('div', { class: 'camp-head' }, h('a', { href: '#/campaigns/' + c.id, class: 'camp-name' }, '#' + c.id + ' ' + c.name),
        stateBadge(c.state), awaiting(c) ? badge('camp-wait', '未审核') : null),
      h('p', { class: 'muted' }, lbl(KIND, c.kind) + ' · ' + lbl(POLICY, c.channel_policy || 'wechat_first') + ' · 创建人 ' + c.owner),
      h('p', { class: 'camp-fig', id: 'camp-fig-' + c.id }, h('span', { class: 'muted' }, '…')));
  }

  function sum(f) {
    const t = { sent: 0, delivered: 0, failed: 0, pending: 0 };
    for (const cf of Object.values(f.by_channel || {})) {
      t.pending += cf.pending + cf.sending;
      t.sent += cf.sent + cf.delivered;
      t.delivered += cf.delivered;
      t.failed += cf.failed;
    }
    return t;
  }

  function figures(f) {
    const t = sum(f);
    const skipped = Object.values(f.skipped || {}).reduce((a, b) => a + b, 0);
    return h('span', {}, `目标 ${f.targeted} · 待发 ${t.pending} · 已发 ${t.sent} · 送达 ${t.delivered} · 失败 ${t.failed} · 跳过 ${skipped}`);
  }

  // --- a campaign's page ------------------------------------------------------

  async function campaignView(id, opts) {
    const g = G.generation();
    if (!/^[1-9][0-9]*$/.test(id)) { go('#/campaigns'); return; }
    let st, evs, answers = null;
    try {
      [st, evs] = await Promise.all([api('GET', '/campaigns/' + id, undefined, zh), api('GET', '/campaigns/' + id + '/events', undefined, zh)]);
    } catch (e) {
      if (g !== G.generation()) return;
      screen('活动 #' + id);
      showError(e, '读取活动 #' + id);
      settle(opts);
      return;
    }
    try {
      answers = await api('GET', '/campaigns/' + id + '/answers', undefined, zh);
    } catch (_) { answers = null; /* the ticket desk is not configured, or not in scope */ }
    if (g !== G.generation()) return;
    const c = st.campaign;
    screen('活动 #' + c.id + ' ' + c.name,
      h('p', { class: 'camp-state' }, '状态：', stateBadge(c.state), ' ',
        c.approved_by ? h('span', { class: 'muted', id: 'camp-approved' }, '已由 ' + c.approved_by + ' 审核') :
          h('span', { class: 'muted' }, '未审核')),
      actions(c, opts),
      h('section', { class: 'panel' }, h('h2', {}, '概况'), h('dl', { class: 'camp-facts' },
        fact('类型', lbl(KIND, c.kind)), fact('渠道', lbl(POLICY, c.channel_policy || 'wechat_first')),
        fact('分组', h('code', {}, c.segment)), fact('范围', (c.scope || []).join('、') || '—'),
        fact('创建人', c.owner), fact('发送时间', timeEl(c.schedule_at)), fact('截止', timeEl(c.expires_at)),
        c.sms && c.sms.template_code ? fact('短信模板', c.sms.sign_name + ' · ' + c.sms.template_code) : null,
        c.wechat && c.wechat.template_id ? fact('微信模板', c.wechat.template_id) : null,
        c.reply_options ? fact('回复选项', Object.entries(c.reply_options).map(([k, v]) => `回复${k}${v}`).join('，')) : null)),
      funnel(st),
      h('section', { class: 'panel', id: 'camp-events' }, h('h2', {}, '记录'),
        evs.length ? h('ol', { class: 'camp-events' }, evs.map((e) => h('li', {}, timeEl(e.at), ' ', h('strong', {}, e.actor === 'system' ? '系统' : e.actor), ' ',
          e.from === e.to ? '' : `${e.from ? lbl(STATE, e.from) + ' → ' : ''}${lbl(STATE, e.to)} `, noteText(e))))
          : h('p', { class: 'muted' }, '还没有记录。')),
      signUps(c, answers));
    if (carry) { notice(carry); carry = ''; }
    settle(opts);
    // A campaign on its way is followed without a reload.
    if (c.state === 'running' || c.state === 'scheduled') {
      setTimeout(() => { if (g === G.generation()) campaignView(id, { keepFocus: true, focus: document.activeElement && document.activeElement.id }); }, 10000);
    }
  }

  const fact = (k, v) => [h('dt', {}, k), h('dd', {}, v)];

  // noteText says an event's note in Chinese: the ledger's own words
  // (approved, audience N), then the actor's comment after ": ".
  function noteText(e) {
    const m = /^(created|approved|expired|audience (\d+)|run (\d+)|targeted (\d+))?(?:: )?([\s\S]*)$/.exec(e.note || '');
    const own = { created: '创建', approved: '审核通过', expired: '已过截止时间' }[m[1]] ||
      (m[2] ? `受众 ${m[2]} 人` : m[3] ? `第 ${m[3]} 轮` : m[4] ? `目标 ${m[4]} 人` : '');
    return [own ? h('span', { class: e.from === e.to ? '' : 'muted' }, e.from === e.to ? own : '（' + own + '）') : null,
      m[5] ? h('q', { class: 'camp-comment' }, m[5]) : null];
  }

  function funnel(st) {
    const f = st.funnel;
    const t = sum(f);
    const chans = Object.entries(f.by_channel || {});
    const skipped = Object.entries(f.skipped || {}).filter(([, n]) => n > 0);
    return h('section', { class: 'panel', id: 'camp-funnel' }, h('h2', {}, '发送漏斗'),
      h('p', { class: 'summary', id: 'camp-figures' }, figures(f)),
      st.paused_channels.length ? h('ul', { class: 'camp-paused' }, st.paused_channels.map((p) => h('li', { class: 'warn' }, p.text))) : null,
      st.waiting.length ? [h('h3', {}, '等待原因'), h('ul', { class: 'camp-waiting', id: 'camp-waiting' },
        st.waiting.map((w) => h('li', { 'data-reason': w.reason }, `${w.count} 条 · ${w.text}`)))] : null,
      chans.length ? h('ul', { class: 'cards camp-channels' }, chans.map(([ch, cf]) => h('li', { class: 'card', 'data-channel': ch },
        h('h3', {}, lbl(CHANNEL, ch)),
        h('p', {}, `待发 ${cf.pending} · 发送中 ${cf.sending} · 已发 ${cf.sent} · 送达 ${cf.delivered} · 失败 ${cf.failed}`),
        Object.keys(cf.failed_by || {}).length ? h('ul', { class: 'camp-failures' },
          Object.entries(cf.failed_by).sort((a, b) => b[1] - a[1]).map(([code, n]) => h('li', { 'data-code': code }, `${failure(code)}：${n} 条`))) : null)))
        : h('p', { class: 'muted' }, t.pending + t.sent + t.failed === 0 ? '尚未开始发送。' : ''),
      skipped.length ? h('p', { class: 'muted' }, '跳过：' + skipped.map(([r, n]) => `${lbl(SKIP, r)} ${n}`).join('，')) : null);
  }

  function signUps(c, as) {
    const box = h('section', { class: 'panel', id: 'camp-answers' }, h('h2', {}, '报名名单'));
    if (!c.reply_options) return box.append(h('p', { class: 'muted' }, '该活动没有回复选项。')), box;
    if (as === null) return box.append(h('p', { class: 'muted' }, '无法读取报名名单。')), box;
    const counts = {};
    for (const a of as) counts[a.option] = (counts[a.option] || 0) + 1;
    box.append(h('p', {}, as.length ? `共 ${as.length} 位居民回复：` +
      Object.entries(counts).map(([k, n]) => `回复${k}（${c.reply_options[k] || '其他'}）${n} 人`).join('，') : '还没有居民回复。'),
    h('a', { href: '#/answers/' + c.id }, '查看名单'));
    return box;
  }

  // actions are the CLI's: a checker approves what another made; an
  // officer sends a draft, pauses a running campaign, resumes a paused
  // one and cancels any that is not finished. The API decides; this only
  // offers what it would take.
  function actions(c, opts) {
    const btns = [];
    const comment = h('textarea', { id: 'camp-comment', rows: 2, maxlength: 200 });
    const act = (name, text, cls) => btns.push(h('button', { type: 'button', class: cls || '', id: 'camp-' + name,
      onclick: (ev) => run(c, name, text, ev.currentTarget, comment) }, text));
    if (hasRole('checker') && !terminal(c.state) && !mine(c) && !c.approved_by) act('approve', '审核通过', 'primary');
    if (hasRole('officer')) {
      if (c.state === 'draft') act('send', '发送', 'primary');
      if (c.state === 'running') act('pause', '暂停');
      if (c.state === 'paused') act('resume', '恢复发送', 'primary');
      if (!terminal(c.state)) act('cancel', '取消活动', 'danger');
    }
    const why = hasRole('checker') && mine(c) && c.state === 'draft' ? h('p', { class: 'hint' }, '您是该活动的创建人，须由另一位审核人审核。') : null;
    if (!btns.length) return why ? h('div', { class: 'camp-actions' }, why) : null;
    return h('div', { class: 'camp-actions' }, field('意见（可不填，记入活动记录）', comment), h('div', { class: 'buttons' }, btns), why);
  }

  const DONE = { approve: '已审核通过', send: '已提交发送', pause: '已暂停', resume: '已恢复发送', cancel: '已取消' };

  async function run(c, name, text, btn, comment) {
    if (name === 'cancel' && !window.confirm('确定取消活动“' + c.name + '”？未发出的消息将不再发送。')) return;
    clearError();
    btn.disabled = true;
    const body = { action: name };
    if (comment.value.trim()) body.comment = comment.value.trim();
    try {
      const got = await api('POST', '/campaigns/' + c.id + '/actions', body, zh);
      notice(`活动 #${c.id} ${DONE[name]}，当前状态：${lbl(STATE, got.state)}`);
      campaignView(String(c.id), { keepNotice: true, keepFocus: true });
    } catch (e) {
      btn.disabled = false;
      showError(e, text);
    }
  }

  // --- making a campaign ------------------------------------------------------

  let templates = null;
  // carry is said on the next campaign page (a draft just saved).
  let carry = '';
  let fields = null;

  // kv reads "key=value" lines into an object (empty: undefined).
  function kv(text) {
    const out = {};
    for (const line of text.split('\n')) {
      const i = line.indexOf('=');
      if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    }
    return Object.keys(out).length ? out : undefined;
  }

  async function createView(opts) {
    const g = G.generation();
    const inp = (id, attrs) => h('input', Object.assign({ id, name: id, type: 'text', autocomplete: 'off' }, attrs || {}));
    const sel = (id, map) => h('select', { id, name: id }, Object.entries(map).map(([k, v]) => h('option', { value: k }, v)));
    const name = inp('cf-name', { required: true, maxlength: 100 });
    const kind = sel('cf-kind', KIND);
    const expr = h('textarea', { id: 'cf-segment', name: 'segment', rows: 2, spellcheck: 'false', required: true });
    const count = h('p', { id: 'cf-count', class: 'camp-count', 'aria-live': 'polite' }, '输入分组表达式后显示人数。');
    const sample = h('ul', { id: 'cf-sample', class: 'camp-sample' });
    const chips = h('div', { class: 'camp-chips', id: 'cf-fields' });
    const policy = sel('cf-policy', POLICY);
    const sign = inp('cf-sign', { value: '网格通' });
    const smsCode = inp('cf-sms-code', { list: 'cf-sms-list' });
    const smsList = h('datalist', { id: 'cf-sms-list' });
    const smsParams = h('textarea', { id: 'cf-sms-params', rows: 3, spellcheck: 'false', placeholder: 'name={{resident.surname_title}}\nworker={{worker.name}}' });
    const smsCheck = h('p', { id: 'cf-sms-check', class: 'hint', 'aria-live': 'polite' });
    const wxId = inp('cf-wx-id', { list: 'cf-wx-list' });
    const wxList = h('datalist', { id: 'cf-wx-list' });
    const wxFields = h('textarea', { id: 'cf-wx-fields', rows: 3, spellcheck: 'false', placeholder: 'keyword1=技能培训报名\nkeyword2=回复1报名' });
    const wxCheck = h('p', { id: 'cf-wx-check', class: 'hint', 'aria-live': 'polite' });
    const expiry = inp('cf-expires', { type: 'datetime-local', required: true });
    const replies = h('textarea', { id: 'cf-replies', rows: 2, placeholder: '1=报名\n2=咨询' });
    const submit = h('button', { type: 'submit', class: 'primary', id: 'cf-submit' }, '保存草稿');
    const d = new Date(Date.now() + 3 * 86400000 + 8 * 3600000);
    expiry.value = d.toISOString().slice(0, 11) + '18:00';
    const smsBox = h('fieldset', { class: 'camp-set', id: 'cf-sms' }, h('legend', {}, '短信'),
      field('签名', sign), field('模板编号', smsCode, '从已同步的模板中选择，或直接填写'), smsList,
      field('参数（每行 参数=值）', smsParams, '可用变量如 {{resident.surname_title}}、{{worker.name}}'), smsCheck);
    const wxBox = h('fieldset', { class: 'camp-set', id: 'cf-wx' }, h('legend', {}, '微信模板消息'),
      field('模板 ID', wxId), wxList, field('字段（每行 字段=值）', wxFields), wxCheck);
    const form = h('form', { id: 'campaign-form', class: 'camp-form', novalidate: true },
      field('活动名称', name), field('类型', kind),
      field('分组表达式', expr, '例如 category:unemployed AND age:18..45；点下方字段插入示例'), chips, count, sample,
      field('渠道', policy), smsBox, wxBox,
      field('截止时间（北京时间）', expiry, '截止前未发出的消息不再发送'),
      field('回复选项（每行 关键字=含义，可不填）', replies),
      h('div', { class: 'buttons' }, submit, h('a', { href: '#/campaigns' }, '返回')));
    screen('新建活动', form);
    settle(opts);

    const showSets = () => {
      smsBox.hidden = policy.value === 'wechat_only';
      wxBox.hidden = policy.value === 'sms_only';
    };
    policy.addEventListener('change', showSets);
    showSets();

    // The audience, counted and sampled as the expression is typed.
    let seq = 0, timer = 0;
    const audience = async () => {
      const mine = ++seq;
      const e = expr.value.trim();
      expr.removeAttribute('aria-invalid');
      if (!e) { count.textContent = '输入分组表达式后显示人数。'; sample.replaceChildren(); return; }
      count.textContent = '正在计算……';
      try {
        const [n, p] = await Promise.all([api('GET', '/segments/count?' + new URLSearchParams({ expr: e }), undefined, zh),
          api('POST', '/segments/preview', { expr: e, n: 5 }, zh)]);
        if (mine !== seq) return;
        count.dataset.count = String(n.count);
        count.textContent = `符合条件的居民：${n.count} 人（您的范围内）`;
        sample.replaceChildren(...p.residents.map((r) => h('li', {}, `${r.name} · ${r.gender === 'F' ? '女' : r.gender === 'M' ? '男' : ''} ${r.age} 岁 · ${r.phone} · ${r.grid}`)));
      } catch (err) {
        if (mine !== seq) return;
        delete count.dataset.count;
        sample.replaceChildren();
        expr.setAttribute('aria-invalid', 'true');
        // The API names the column in its sentence; the caret points at it.
        count.replaceChildren(h('span', { class: 'field-error', id: 'cf-segment-error' }, err.message),
          err.caret ? h('pre', { class: 'caret' }, err.caret) : null);
      }
    };
    expr.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(audience, 350); });

    // The fields of the language and the synced templates.
    try {
      fields = fields || await api('GET', '/segments/fields', undefined, zh);
      templates = templates || await api('GET', '/templates', undefined, zh).catch(() => ({ sms: [], wechat: [] }));
    } catch (_) { fields = fields || []; templates = templates || { sms: [], wechat: [] }; }
    if (g !== G.generation()) return;
    chips.replaceChildren(...fields.map((f) => h('button', { type: 'button', class: 'chip', title: f.description, 'data-field': f.name,
      onclick: () => { expr.value = (expr.value.trim() ? expr.value.trim() + ' AND ' : '') + f.example; expr.focus(); audience(); } }, f.name)));
    smsList.replaceChildren(...templates.sms.map((t) => h('option', { value: t.code }, (t.approved ? '' : '（未通过审核）') + t.content)));
    wxList.replaceChildren(...templates.wechat.map((t) => h('option', { value: t.code }, (t.approved ? '' : '（未通过审核）') + t.content)));
    // The mapping checked against the template as the user types: what
    // it lacks, what it does not have, whether it passed review.
    const check = (list, codeEl, mapEl, out, hidden, sms) => () => {
      const t = list.find((x) => x.code === codeEl.value.trim());
      if (!t) { out.textContent = codeEl.value.trim() && list.length ? '该模板未同步，发送时将被拒绝（请先同步模板）。' : ''; return; }
      // A template just picked: its parameters, to fill in.
      if (!mapEl.value.trim()) mapEl.value = t.params.filter((p) => !hidden.includes(p)).map((p) => p + '=').join('\n');
      const m = kv(mapEl.value) || {};
      const missing = t.params.filter((p) => !hidden.includes(p) && !m[p]);
      const unknown = Object.keys(m).filter((k) => !t.params.includes(k));
      out.replaceChildren(...nodes([h('span', {}, '模板：' + t.content), h('br'), sms ? smsMeter(t, m) : null,
        h('span', { class: t.approved && !missing.length && !unknown.length ? 'ok' : 'field-error' },
          [!t.approved ? '模板未通过审核' : '', missing.length ? '缺少参数 ' + missing.join('、') : '',
            unknown.length ? '模板没有参数 ' + unknown.join('、') : ''].filter(Boolean).join('；') || '参数齐全')]));
    };
    const smsFit = check(templates.sms, smsCode, smsParams, smsCheck, [], true);
    // The SMS as it reads with the mapping in place, variables as written,
    // and what it costs: one part up to 70 characters, else 67 a part.
    const smsMeter = (t, m) => {
      const text = '【' + sign.value.trim() + '】' + t.content.replace(/\$\{([A-Za-z0-9_]+)\}/g, (all, k) => (k in m ? m[k] : all));
      const fixed = [...text.replace(/\{\{[^}]*\}\}/g, '')].length;
      const parts = fixed <= 70 ? 1 : Math.ceil(fixed / 67);
      return [h('span', { id: 'cf-sms-preview' }, '短信预览：' + text), h('br'),
        h('span', { id: 'cf-sms-meter' }, `固定文字 ${fixed} 字，约 ${parts} 条计费（变量内容另计；超过 70 字按每条 67 字拆分）`), h('br')];
    };
    const wxFit = check(templates.wechat, wxId, wxFields, wxCheck, ['first', 'remark']);
    for (const el of [smsCode, smsParams]) el.addEventListener('input', smsFit);
    for (const el of [wxId, wxFields]) el.addEventListener('input', wxFit);

    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearError();
      if (!name.value.trim()) { name.setAttribute('aria-invalid', 'true'); name.focus(); return; }
      if (!expr.value.trim()) { expr.setAttribute('aria-invalid', 'true'); expr.focus(); return; }
      const body = {
        name: name.value.trim(), kind: kind.value, segment: expr.value.trim(), channel_policy: policy.value,
        expires_at: expiry.value ? expiry.value + ':00+08:00' : '',
        reply_options: kv(replies.value),
        sms: { sign_name: policy.value === 'wechat_only' ? '' : sign.value.trim(), template_code: policy.value === 'wechat_only' ? '' : smsCode.value.trim(),
          params: (policy.value !== 'wechat_only' && kv(smsParams.value)) || {} },
        wechat: { template_id: policy.value === 'sms_only' ? '' : wxId.value.trim(), fields: (policy.value !== 'sms_only' && kv(wxFields.value)) || {} },
      };
      submit.disabled = true;
      try {
        const c = await api('POST', '/campaigns', body, zh);
        carry = '已保存草稿 #' + c.id + ((c.warnings || []).length ? '。请注意：' + c.warnings.join('；') : '');
        location.hash = '#/campaigns/' + c.id;
      } catch (e) {
        submit.disabled = false;
        showError(e, '保存活动');
      }
    });
  }
})();
