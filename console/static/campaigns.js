// Campaigns for officers and checkers: the list with states and funnel
// figures, the approval queue, a campaign's page (record, the messages as
// the residents' phones show them, funnel per channel, why messages wait,
// failures in Chinese, sign-ups and their workbook, a test send to the
// officer's own phone) with the CLI's actions and a checker's refusal, and
// the form that makes or edits a draft with a live audience and the same
// preview.
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
  // A campaign names its maker in owner (the open mode's actor), a
  // segment's preview no one.
  const asOwner = { zh: true, actor: 'owner' };
  const noActor = { zh: true, actor: '' };

  const me = () => session.me || null;
  const myName = () => (me() && me().authenticated ? me().name : '');
  // mine: the signed-in user made c (the API's maker-checker rule); in
  // the trial mode the API decides.
  const mine = (c) => myName() !== '' && c.owner === myName();
  const terminal = (st) => st === 'completed' || st === 'cancelled';
  // awaiting: a draft no one approved nor sent back to its maker.
  const awaiting = (c) => c.state === 'draft' && !c.approved_by && !c.refusal;
  const stateBadge = (st) => badge('camp-st camp-' + st, lbl(STATE, st), { 'data-state': st });

  G.register('campaigns', (parts, params, opts) => {
    if (parts[1] === 'new') formView(opts, null);
    else if (parts[1] && parts[2] === 'edit') editView(parts[1], opts);
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
        stateBadge(c.state), awaiting(c) ? badge('camp-wait', '未审核') : null,
        c.refusal ? badge('camp-refused', '已退回') : null),
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
      c.refusal ? h('div', { class: 'camp-refusal', id: 'camp-refusal', role: 'note' },
        h('p', {}, h('strong', {}, '已被 ' + c.refusal.by + ' 退回修改'), ' ', timeEl(c.refusal.at)),
        h('p', {}, '意见：', h('q', {}, c.refusal.comment)),
        mine(c) || myName() === '' ? h('p', { class: 'hint' }, '请按意见编辑后保存，活动将重新进入审核。') : null) : null,
      actions(c, opts),
      h('section', { class: 'panel' }, h('h2', {}, '概况'), h('dl', { class: 'camp-facts' },
        fact('类型', lbl(KIND, c.kind)), fact('渠道', lbl(POLICY, c.channel_policy || 'wechat_first')),
        fact('分组', h('code', {}, c.segment)), fact('范围', (c.scope || []).join('、') || '—'),
        fact('创建人', c.owner), fact('发送时间', timeEl(c.schedule_at)), fact('截止', timeEl(c.expires_at)),
        c.recurrence ? fact('重复', recurText(c.recurrence)) : null,
        c.sms && c.sms.template_code ? fact('短信模板', c.sms.sign_name + ' · ' + c.sms.template_code) : null,
        c.wechat && c.wechat.template_id ? fact('微信模板', c.wechat.template_id) : null,
        c.reply_options ? fact('回复选项', Object.entries(c.reply_options).map(([k, v]) => `回复${k}${v}`).join('，')) : null)),
      savedPreview(c),
      testSend(c),
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
    const m = /^(created|approved|refused|edited|expired|audience (\d+)|run (\d+)|targeted (\d+))?(?:: )?([\s\S]*)$/.exec(e.note || '');
    const own = { created: '创建', approved: '审核通过', refused: '退回修改', edited: '已编辑', expired: '已过截止时间' }[m[1]] ||
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
    const file = `campaign-${c.id}-answers.xlsx`;
    const saved = h('a', { id: 'camp-answers-file', download: file, class: 'hint' });
    saved.hidden = true;
    const xlsx = h('button', { type: 'button', id: 'camp-answers-xlsx' }, '下载报名表（Excel）');
    xlsx.addEventListener('click', async () => {
      xlsx.disabled = true;
      try {
        const b = await api('GET', '/campaigns/' + c.id + '/answers.xlsx', undefined, { blob: true, zh: true });
        if (saved.href) URL.revokeObjectURL(saved.href);
        saved.href = URL.createObjectURL(b);
        saved.textContent = `已生成 ${file}（姓名、手机号已脱敏），如未自动下载请点此保存`;
        saved.hidden = false;
        saved.click();
      } catch (e) {
        showError(e, '下载报名表');
      }
      xlsx.disabled = false;
    });
    box.append(h('p', {}, as.length ? `共 ${as.length} 位居民回复：` +
      Object.entries(counts).map(([k, n]) => `回复${k}（${c.reply_options[k] || '其他'}）${n} 人`).join('，') : '还没有居民回复。'),
    h('div', { class: 'buttons' }, h('a', { href: '#/answers/' + c.id }, '查看名单'), xlsx), saved);
    return box;
  }

  // --- the messages as the residents' phones show them ------------------------

  // previewPanel shows the API's preview: the audience by channel, a few
  // messages rendered for real (an SMS whole with the parts Aliyun bills,
  // a WeChat template message without first and remark), warnings.
  function previewPanel(p) {
    const by = p.by_channel || {};
    const skipped = Object.entries(p.skipped || {}).filter(([, n]) => n > 0);
    return nodes([
      h('p', { class: 'summary', id: 'preview-audience' }, `受众 ${p.audience} 人：微信 ${by.wechat || 0} · 短信 ${by.sms || 0}` +
        (skipped.length ? ' · 跳过 ' + skipped.map(([r, n]) => `${lbl(SKIP, r)} ${n}`).join('，') : '')),
      p.samples.length ? h('ul', { class: 'cards camp-msgs' }, p.samples.map((x) => h('li', { class: 'card camp-msg', 'data-channel': x.channel },
        h('p', { class: 'muted' }, lbl(CHANNEL, x.channel) + ' → ' + x.to),
        x.error ? h('p', { class: 'field-error' }, '无法显示：' + x.error) :
          x.channel === 'sms' ? [h('p', { class: 'camp-phone camp-sms-text' }, x.text),
            h('p', { class: 'camp-sms-meter', 'data-parts': String(x.parts) }, `${x.chars} 字，按 ${x.parts} 条短信计费` +
              (x.parts > 1 ? '（超过 70 字按每条 67 字拆分）' : ''))]
            : [h('div', { class: 'camp-phone camp-wx' }, (x.lines || []).map((l) => h('p', {}, l))),
              h('p', { class: 'hint' }, '微信自 2023 年 5 月起不显示 first 与 remark，每个字段最多显示 20 字' +
                ((x.cut || []).length ? '；被截断：' + x.cut.join('、') : '') + '。')])))
        : h('p', { class: 'muted' }, '受众中没有可发送的居民。'),
      (p.warnings || []).length ? [h('h3', {}, '提醒'), h('ul', { class: 'camp-warnings', id: 'preview-warnings' },
        p.warnings.map((w) => h('li', { class: 'warn' }, w)))] : null,
    ]);
  }

  // savedPreview is a campaign page's preview: at once for a draft (what
  // its maker and checker review), on request once it is on its way.
  function savedPreview(c) {
    if (!hasRole('officer', 'checker', 'admin')) return null;
    const out = h('div', { id: 'camp-preview-body', 'aria-live': 'polite' });
    const btn = h('button', { type: 'button', id: 'camp-preview-load' }, c.state === 'draft' ? '重新预览' : '预览消息');
    const load = async () => {
      btn.disabled = true;
      out.replaceChildren(h('p', { class: 'loading' }, '正在生成预览……'));
      try {
        const p = await api('GET', '/campaigns/' + c.id + '/preview?n=3', undefined, zh);
        out.replaceChildren(...previewPanel(p));
      } catch (e) {
        out.replaceChildren(h('p', { class: 'field-error' }, '预览失败：' + e.message));
      }
      btn.disabled = false;
    };
    btn.addEventListener('click', load);
    if (c.state === 'draft') load();
    return h('section', { class: 'panel', id: 'camp-preview' }, h('h2', {}, '消息预览（居民手机所见）'), out, h('div', { class: 'buttons' }, btn));
  }

  // --- a test send to the officer's own phone (试发) ----------------------------

  // The number is remembered for this tab only; the trial mode's actor is
  // the name app.js keeps (the API counts test sends by their sender).
  const TS_PHONE_KEY = 'gridcast.console.test-phone';
  const TRIAL_NAME_KEY = 'gridcast.console.name';
  const TS_STATUS = { pending: '待发送', sending: '发送中', sent: '已发出', delivered: '已送达', failed: '发送失败', skipped: '未发送' };
  const tsOpen = (x) => x.status === 'pending' || x.status === 'sending' || x.status === 'sent';

  // testSend is a campaign's 试发 panel, for officers: its SMS, rendered
  // for a made-up resident (张三) and worker, goes to the phone typed — the
  // officer's own — and the sends of the last hour follow with their
  // status. Nothing shows when the campaign has no SMS template or the
  // server does not send tests.
  function testSend(c) {
    if (!hasRole('officer') || !(c.sms && c.sms.template_code)) return null;
    const g = G.generation();
    const phone = h('input', { id: 'ts-phone', type: 'tel', inputmode: 'numeric', autocomplete: 'tel', maxlength: 11,
      placeholder: '11 位手机号', value: window.sessionStorage.getItem(TS_PHONE_KEY) || '' });
    const err = h('p', { class: 'field-error', id: 'ts-error', role: 'alert' });
    err.hidden = true;
    const btn = h('button', { type: 'button', id: 'ts-send', class: 'primary' }, '试发到我的手机');
    const again = h('button', { type: 'button', id: 'ts-refresh' }, '刷新状态');
    const result = h('div', { id: 'ts-result', 'aria-live': 'polite' });
    const list = h('div', { id: 'ts-list' });
    const box = h('section', { class: 'panel', id: 'camp-test-send' }, h('h2', {}, '试发到我的手机'),
      h('p', { class: 'hint' }, '短信按示例居民“张三（张先生）”和示例网格员生成，不含任何居民的信息，不计入发送漏斗。每个活动每人每小时最多试发 5 次。'),
      h('div', { class: 'ts-form' }, field('我的手机号', phone), h('div', { class: 'buttons' }, btn, again)), err, result, list);
    const by = () => (session.mode === 'open' ? '?by=' + encodeURIComponent(window.sessionStorage.getItem(TRIAL_NAME_KEY) || '') : '');
    let polls = 0;
    const load = async () => {
      let got;
      try {
        got = await api('GET', '/campaigns/' + c.id + '/test-sends' + by(), undefined, zh);
      } catch (e) {
        if (g !== G.generation()) return;
        if (e.status === 404) box.remove();
        else list.replaceChildren(h('p', { class: 'field-error' }, '无法读取试发记录：' + e.message));
        return;
      }
      if (g !== G.generation()) return;
      list.replaceChildren(h('h3', {}, `最近一小时的试发（还可试发 ${got.left} 次）`),
        got.sends.length ? h('ul', { class: 'cards ts-sends' }, got.sends.map((x) => h('li', { class: 'card ts-send', 'data-id': String(x.message_id), 'data-status': x.status },
          h('p', {}, h('strong', {}, '#' + x.message_id), ' → ', x.to, ' ', badge('ts-st ts-' + x.status, lbl(TS_STATUS, x.status)), ' ', timeEl(x.created_at)),
          x.status === 'failed' && x.provider_code ? h('p', { class: 'field-error' }, failure(x.provider_code)) : null)))
          : h('p', { class: 'muted' }, '还没有试发。'));
      // Followed for a minute while the provider has not answered.
      if (got.sends.some(tsOpen) && polls < 12) {
        polls++;
        setTimeout(() => { if (g === G.generation() && document.body.contains(box)) load(); }, 5000);
      }
    };
    const say = (msg) => {
      err.textContent = msg;
      err.hidden = !msg;
      if (msg) phone.setAttribute('aria-invalid', 'true');
      else phone.removeAttribute('aria-invalid');
    };
    btn.addEventListener('click', async () => {
      const num = phone.value.trim();
      if (!/^1[0-9]{10}$/.test(num)) {
        say('请填写以 1 开头的 11 位手机号');
        phone.focus();
        return;
      }
      say('');
      btn.disabled = true;
      try {
        const x = await api('POST', '/campaigns/' + c.id + '/test-send', { phone: num }, zh);
        window.sessionStorage.setItem(TS_PHONE_KEY, num);
        result.replaceChildren(h('div', { class: 'card ts-done', id: 'ts-done', 'data-id': String(x.message_id) },
          h('p', {}, `已提交试发：消息 #${x.message_id} → ${x.to}`),
          h('p', { class: 'camp-phone camp-sms-text', id: 'ts-text' }, x.text)));
        polls = 0;
        await load();
      } catch (e) {
        if (g === G.generation()) say('试发失败：' + e.message);
      }
      btn.disabled = false;
    });
    again.addEventListener('click', () => { polls = 0; load(); });
    load();
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
    if (hasRole('checker') && !terminal(c.state) && !mine(c) && !c.approved_by && !c.refusal) act('approve', '审核通过', 'primary');
    if (hasRole('checker') && awaiting(c) && !mine(c)) act('refuse', '退回修改', 'danger');
    if (hasRole('officer')) {
      if (c.state === 'draft' && (mine(c) || myName() === '')) {
        btns.push(h('a', { href: '#/campaigns/' + c.id + '/edit', class: 'button', id: 'camp-edit' }, '编辑'));
      }
      if (c.state === 'draft') act('send', '发送', 'primary');
      if (c.state === 'running') act('pause', '暂停');
      if (c.state === 'paused') act('resume', '恢复发送', 'primary');
      if (!terminal(c.state)) act('cancel', '取消活动', 'danger');
    }
    const why = hasRole('checker') && mine(c) && c.state === 'draft' ? h('p', { class: 'hint' }, '您是该活动的创建人，须由另一位审核人审核。') : null;
    if (!btns.length) return why ? h('div', { class: 'camp-actions' }, why) : null;
    return h('div', { class: 'camp-actions' }, field('意见（审核通过、取消时可不填；退回修改时必填，记入活动记录）', comment),
      h('div', { class: 'buttons' }, btns), why);
  }

  const DONE = { approve: '已审核通过', refuse: '已退回创建人修改', send: '已提交发送', pause: '已暂停', resume: '已恢复发送', cancel: '已取消' };

  async function run(c, name, text, btn, comment) {
    if (name === 'cancel' && !window.confirm('确定取消活动“' + c.name + '”？未发出的消息将不再发送。')) return;
    clearError();
    comment.removeAttribute('aria-invalid');
    if (name === 'refuse' && !comment.value.trim()) {
      // The maker needs to know what to change: the API refuses it too.
      comment.setAttribute('aria-invalid', 'true');
      showError(new Error('请填写退回意见：创建人需要知道改什么'), text);
      comment.focus();
      return;
    }
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

  // lines writes an object as "key=value" lines, kv's inverse.
  const lines = (m) => Object.entries(m || {}).map(([k, v]) => k + '=' + v).join('\n');

  // beijing is an instant as a datetime-local value in Beijing time.
  function beijing(iso) {
    const t = Date.parse(iso || '');
    if (!iso || Number.isNaN(t) || t <= 0) return '';
    return new Date(t + 8 * 3600000).toISOString().slice(0, 16);
  }

  // The recurrences offered (five-field cron in Beijing time, at least a
  // day apart, as the API checks them); any other is written by hand.
  const RECUR = { '': '不重复', '0 9 * * *': '每天 9:00', '0 9 * * 1': '每周一 9:00', '0 9 1 * *': '每月 1 日 9:00', custom: '自定义（cron 表达式）' };
  const recurText = (r) => RECUR[r] || r;

  // editView opens a draft's form filled in, for its maker.
  async function editView(id, opts) {
    const g = G.generation();
    if (!/^[1-9][0-9]*$/.test(id)) { go('#/campaigns'); return; }
    let st;
    try {
      st = await api('GET', '/campaigns/' + id, undefined, zh);
    } catch (e) {
      if (g !== G.generation()) return;
      screen('编辑活动 #' + id);
      showError(e, '读取活动 #' + id);
      settle(opts);
      return;
    }
    if (g !== G.generation()) return;
    const c = st.campaign;
    if (c.state !== 'draft' || !hasRole('officer') || (myName() !== '' && !mine(c))) {
      carry = c.state !== 'draft' ? '只有草稿可以编辑。' : '只有活动的创建人可以编辑。';
      go('#/campaigns/' + id);
      return;
    }
    formView(opts, c);
  }

  // formView is the form that makes a draft (c null) or edits draft c.
  async function formView(opts, c) {
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
    const schedule = inp('cf-schedule', { type: 'datetime-local' });
    const recur = sel('cf-recur', RECUR);
    const cron = inp('cf-recur-cron', { placeholder: '0 9 * * 1', spellcheck: 'false' });
    const cronBox = field('cron 表达式（分 时 日 月 周，北京时间，两次至少间隔一天）', cron);
    const replies = h('textarea', { id: 'cf-replies', rows: 2, placeholder: '1=报名\n2=咨询' });
    const submit = h('button', { type: 'submit', class: 'primary', id: 'cf-submit' }, c ? '保存修改' : '保存草稿');
    const previewBtn = h('button', { type: 'button', id: 'cf-preview-btn' }, '预览消息');
    const preview = h('section', { class: 'panel', id: 'cf-preview', 'aria-live': 'polite' }, h('h2', {}, '消息预览（居民手机所见）'),
      h('p', { class: 'muted' }, '填好内容后点“预览消息”，按真实居民生成几条（已脱敏）。'));
    const d = new Date(Date.now() + 3 * 86400000 + 8 * 3600000);
    expiry.value = d.toISOString().slice(0, 11) + '18:00';
    if (c) {
      name.value = c.name;
      kind.value = c.kind;
      expr.value = c.segment;
      policy.value = c.channel_policy || 'wechat_first';
      sign.value = (c.sms && c.sms.sign_name) || '网格通';
      smsCode.value = (c.sms && c.sms.template_code) || '';
      smsParams.value = lines(c.sms && c.sms.params);
      wxId.value = (c.wechat && c.wechat.template_id) || '';
      wxFields.value = lines(c.wechat && c.wechat.fields);
      expiry.value = beijing(c.expires_at) || expiry.value;
      schedule.value = beijing(c.schedule_at);
      replies.value = lines(c.reply_options);
      if (c.recurrence && RECUR[c.recurrence]) recur.value = c.recurrence;
      else if (c.recurrence) { recur.value = 'custom'; cron.value = c.recurrence; }
    }
    const smsBox = h('fieldset', { class: 'camp-set', id: 'cf-sms' }, h('legend', {}, '短信'),
      field('签名', sign), field('模板编号', smsCode, '从已同步的模板中选择，或直接填写'), smsList,
      field('参数（每行 参数=值）', smsParams, '可用变量如 {{resident.surname_title}}、{{worker.name}}'), smsCheck);
    const wxBox = h('fieldset', { class: 'camp-set', id: 'cf-wx' }, h('legend', {}, '微信模板消息'),
      field('模板 ID', wxId), wxList, field('字段（每行 字段=值）', wxFields), wxCheck);
    const form = h('form', { id: 'campaign-form', class: 'camp-form', novalidate: true },
      field('活动名称', name), field('类型', kind),
      field('分组表达式', expr, '例如 category:unemployed AND age:18..45；点下方字段插入示例'), chips, count, sample,
      field('渠道', policy), smsBox, wxBox,
      field('发送时间（北京时间，可不填）', schedule, '不填则提交发送后立即开始；重复的活动从此时起算'),
      field('重复', recur), cronBox,
      field('截止时间（北京时间）', expiry, '截止前未发出的消息不再发送；重复的活动到此结束'),
      field('回复选项（每行 关键字=含义，可不填）', replies, '例如 1=报名：居民回复 1 即记入报名名单；T、TD、R 留作退订'),
      preview,
      h('div', { class: 'buttons' }, previewBtn, submit, h('a', { href: c ? '#/campaigns/' + c.id : '#/campaigns' }, '返回')));
    screen(c ? '编辑活动 #' + c.id : '新建活动', form);
    settle(opts);

    const showCron = () => { cronBox.hidden = recur.value !== 'custom'; };
    recur.addEventListener('change', showCron);
    showCron();

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
          api('POST', '/segments/preview', { expr: e, n: 5 }, noActor)]);
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

    if (c) { smsFit(); wxFit(); audience(); }

    // body is the campaign as the form holds it, or null (the first
    // missing field focused) when a required one is empty.
    const body = () => {
      for (const el of [name, expr, expiry]) el.removeAttribute('aria-invalid');
      for (const el of [name, expr, expiry]) {
        if (!el.value.trim()) { el.setAttribute('aria-invalid', 'true'); el.focus(); return null; }
      }
      const rec = recur.value === 'custom' ? cron.value.trim() : recur.value;
      return {
        name: name.value.trim(), kind: kind.value, segment: expr.value.trim(), channel_policy: policy.value,
        expires_at: expiry.value + ':00+08:00',
        schedule_at: schedule.value ? schedule.value + ':00+08:00' : undefined,
        recurrence: rec || undefined,
        reply_options: kv(replies.value),
        sms: { sign_name: policy.value === 'wechat_only' ? '' : sign.value.trim(), template_code: policy.value === 'wechat_only' ? '' : smsCode.value.trim(),
          params: (policy.value !== 'wechat_only' && kv(smsParams.value)) || {} },
        wechat: { template_id: policy.value === 'sms_only' ? '' : wxId.value.trim(), fields: (policy.value !== 'sms_only' && kv(wxFields.value)) || {} },
      };
    };

    previewBtn.addEventListener('click', async () => {
      clearError();
      const b = body();
      if (!b) return;
      previewBtn.disabled = true;
      preview.replaceChildren(h('h2', {}, '消息预览（居民手机所见）'), h('p', { class: 'loading' }, '正在生成预览……'));
      try {
        const p = await api('POST', '/campaigns/preview?n=3', b, asOwner);
        preview.replaceChildren(h('h2', {}, '消息预览（居民手机所见）'), ...previewPanel(p));
      } catch (e) {
        preview.replaceChildren(h('h2', {}, '消息预览（居民手机所见）'), h('p', { class: 'field-error', id: 'cf-preview-error' }, '无法预览：' + e.message));
      }
      previewBtn.disabled = false;
    });

    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearError();
      const b = body();
      if (!b) return;
      submit.disabled = true;
      try {
        const got = c ? await api('PUT', '/campaigns/' + c.id, b, asOwner) : await api('POST', '/campaigns', b, asOwner);
        carry = (c ? '已保存修改，活动 #' + got.id + ' 将重新进入审核' : '已保存草稿 #' + got.id) +
          ((got.warnings || []).length ? '。请注意：' + got.warnings.join('；') : '');
        location.hash = '#/campaigns/' + got.id;
      } catch (e) {
        submit.disabled = false;
        showError(e, '保存活动');
      }
    });
  }
})();
