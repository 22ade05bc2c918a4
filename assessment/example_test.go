package assessment_test

import (
	"fmt"

	"github.com/gridcast/gridcast/assessment"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/population"
)

// A street's November: each worker's score with why, then the community
// ranking.
func Example() {
	s, err := assessment.New(assessment.DefaultConfig())
	if err != nil {
		panic(err)
	}
	nov, _ := assessment.ParsePeriod("2026-11")
	peace := assessment.Unit{Code: "NY-03", Name: "和平社区"}
	street := assessment.Unit{Code: "NY", Name: "南苑街道"}
	inputs := []assessment.Input{{
		Period: nov, Worker: assessment.Worker{ID: 7, Code: "W007", Name: "张三"},
		Grid: assessment.Unit{Code: "NY-03-05", Name: "第五网格"}, Community: peace, Street: street,
		VisitsDone: 12, VisitsDue: 10, EventsReported: 3, TicketsResolved: 8, TicketsOnTime: 7, Overdue: 1,
		Answers: assessment.Answers{Satisfied: 6, BasicSatisfied: 3, Dissatisfied: 1}, RecordsUpdated: 5,
	}, {
		Period: nov, Worker: assessment.Worker{ID: 8, Code: "W008", Name: "李四"},
		Grid: assessment.Unit{Code: "NY-03-06", Name: "第六网格"}, Community: peace, Street: street,
		VisitsDone: 16, VisitsDue: 16, EventsReported: 5, RecordsUpdated: 4,
	}}
	scores, err := s.Scores(nov, inputs)
	if err != nil {
		panic(err)
	}
	for _, sc := range scores {
		fmt.Printf("%s %s %s: %.1f %s\n", sc.Period.Label(), sc.Worker.Code, sc.Grid.Name, sc.Points, sc.Grade.Label)
		for _, l := range sc.Lines {
			fmt.Println("  " + l.Say(fault.Chinese))
		}
	}
	groups, err := s.Rank(scores, population.LevelCommunity)
	if err != nil {
		panic(err)
	}
	for _, g := range groups {
		fmt.Printf("%s 平均 %.1f:", g.Unit.Name, g.Average)
		for _, w := range g.Workers {
			fmt.Printf(" 第%d名 %s", w.Rank, w.Worker.Code)
		}
		fmt.Println()
	}
	// Output:
	// 2026年11月 W007 第五网格: 82.6 合格
	//   走访完成：走访 12 / 应访 15 户次，得 80.0 分 × 权重 30% = 24.00
	//   事件上报：上报事件 3 件 / 目标 4 件，得 75.0 分 × 权重 10% = 7.50
	//   工单按时办结：按时办结 7 / 办结 8 件，得 87.5 分 × 权重 20% = 17.50
	//   超期工单：超期工单 1 件，得 80.0 分 × 权重 10% = 8.00
	//   群众满意度：满意 6、基本满意 3、不满意 1，得 78.0 分 × 权重 20% = 15.60
	//   活户籍更新：更新户籍档案 5 条 / 目标 4 条，得 100.0 分 × 权重 10% = 10.00
	// 2026年11月 W008 第六网格: 100.0 优秀
	//   走访完成：走访 16 / 应访 16 户次，得 100.0 分 × 权重 50% = 50.00
	//   事件上报：上报事件 5 件 / 目标 4 件，得 100.0 分 × 权重 16.67% = 16.67
	//   工单按时办结：本期无可考核事项，不计分，权重 20 按比例分给其他指标
	//   超期工单：超期工单 0 件，得 100.0 分 × 权重 16.67% = 16.67
	//   群众满意度：本期无可考核事项，不计分，权重 20 按比例分给其他指标
	//   活户籍更新：更新户籍档案 4 条 / 目标 4 条，得 100.0 分 × 权重 16.67% = 16.67
	// 和平社区 平均 91.3: 第1名 W008 第2名 W007
}
