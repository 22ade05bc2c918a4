// Package assessment is the grid worker's 考核: a score out of 100 (百分制)
// per worker per month, quarter and year, a grade (优秀 / 合格 / 不合格 by
// default), rankings within each grid, community and street, roll-ups,
// and the change since the period before. It only computes: the figures
// come from the store, and the command line, the API and the XLSX sheet
// print what it returns. It imports no SQL, HTTP or Redis library.
//
// # How a month is scored, for a street official
//
// Six indicators are scored 0 to 100 each from what the worker did in the
// month, then weighed (default weights in brackets; a city sets its own,
// and they must add up to 100):
//
//   - 走访完成 visits (30): visits done ÷ visits owed. A worker owes what
//     the visit register's norms ask (五必访 households, elderly living
//     alone …) and never fewer than 15 a month ("每月至少走访居民15家").
//     12 of 15 is 80 points; more than owed is still 100.
//   - 事件上报 events reported (10): events ÷ the monthly target (4). The
//     reports warn against hard quotas, so the weight is small.
//   - 工单按时办结 tickets on time (20): tickets resolved within their
//     deadline ÷ tickets resolved.
//   - 超期工单 overdue tickets (10): 100, less 20 for each ticket still
//     open past its deadline at the month's end, never below 0.
//   - 群众满意度 satisfaction (20): each resident's answer is worth 满意 1,
//     基本满意 0.6, 不满意 0; the points are the average × 100. 8 满意 and
//     2 基本满意 is (8 + 1.2) ÷ 10 = 92 points.
//   - 活户籍更新 records updated (10): records changed ÷ the monthly target
//     (4).
//
// The score is each indicator's points × its weight ÷ 100, added up and
// rounded to one decimal (each indicator's points are rounded to one
// decimal first, so the sheet adds up by hand). 优秀 from 90.0, 合格 from
// 60.0, 不合格 below; the bands are set in the config.
//
// # Nothing to measure
//
// A month with no ticket resolved has no on-time share, and one where no
// resident answered has no satisfaction: such an indicator is left out
// ("不计分"), neither rewarding nor punishing, and its weight is shared out
// among the others in proportion to theirs. With on-time (20) left out,
// the other 80 points of weight are scaled by 100 ÷ 80, so visits counts
// 37.5 instead of 30. Visits are left out only when the city sets no
// monthly minimum and the register owed nothing. Counts against a target
// (events, records) and the overdue deduction always count: zero events
// is zero points, zero overdue tickets is full points.
//
// # Quarters and years
//
// The field reports score monthly (月度绩效考核) and rank once a quarter
// (一季一排名): a quarter's or a year's score is the average of the
// worker's monthly scores as published, rounded to one decimal, so it
// never contradicts what each month told the worker, and a busy month
// weighs no more than a quiet one. The months averaged are those the
// worker was in post; the store gives a month with zero figures for a
// worker who did nothing, so that an idle month scores instead of
// vanishing. The quarter's sheet shows the months and, per indicator,
// the figures summed and the points averaged.
//
// # Rankings and trends
//
// Workers are ranked within their grid, community or street by score;
// equal scores (to one decimal) share a place and the next place is
// skipped (1, 1, 3). Each unit gets its average score and how many
// workers earned each grade, and units are ranked by their average.
// Trends give each worker's score and rank change since the previous
// period.
//
// # Satisfaction answers
//
// Residents answer 满意 / 基本满意 / 不满意, by word or by replying 1, 2 or
// 3 (the ticket desk's default scale). Cities that rate 1–5 may keep that
// scale: 5 and 4 count as 满意, 3 as 基本满意, 2 and 1 as 不满意. Words such
// as 非常满意 (满意), 一般 (基本满意) or 很差 (不满意) are read on either
// scale (tickets.RatingScale.Parse); a stored rating reads back as a level
// with tickets.SatisfactionOf.
//
// # Personal data
//
// A Score carries the worker's name (pii.Name, masked in logs); worker
// names are public under 挂牌服务 and shown in clear on staff sheets.
package assessment
