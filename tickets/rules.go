package tickets

import (
	"fmt"
	"strconv"
	"strings"
)

// DefaultRules are the built-in classification rules: the words residents
// use for each category, each with its weight (word:weight; no weight is 1).
// A decisive phrase weighs 3, a telling one 2, a word that only leans 1.
// The words were written from the wording of residents' messages and
// checked against testdata/messages.tsv, then extended from the misses of
// testdata/messages_fresh.tsv, written afterwards;
// testdata/messages_fresh2.tsv, written before that extension and never
// used for it, measures them on unseen wording (see
// classify_corpus_test.go).
var DefaultRules = []Rule{
	rule(CategoryEmployment,
		"招聘:3 岗位:2 失业:2 就业:3 求职:3 培训:2 找工作:3 工作:1 找活:3 上班:1 招工:3 招人:2 临时工:2 日结:2 "+
			"下岗:3 创业:2 面试:2 裁员:2 毕业:1 开班:1 活能干:2 能吃苦:1 "+
			"工作机会:3 兼职:3 辞退:3 开除:2 找事做:2 没活干:2",
		"工作人员 工作日 工作时间 上班时间"),
	rule(CategorySocialAssistance,
		"低保:3 救助:3 补贴:1 补助:2 特困:3 困难:2 困难户:3 残疾:2 残疾证:3 低收入:3 帮扶:2 孤儿:3 "+
			"生活费:1 单亲:2 大病:1 生活太难:2 救济:3 受灾:3 遭灾:3 灾:1", ""),
	rule(CategoryElderlyCare,
		"老人:2 养老:1 独居:3 助餐:3 老年:1 高龄:3 助浴:3 护理:1 护工:2 养老院:3 床位:1 日间照料:3 适老化:3 "+
			"老太太:2 老大爷:2 老父亲:2 老母亲:2 我妈:1 我爸:1 俺娘:1 奶奶:1 爷爷:1 老年大学:3 空巢:3 陪聊:2 送饭:2 上门:1 "+
			"老年痴呆:3 走失:3 走丢:3 没回来:2 找不到:2 摔:1 行动不便:2 瘫痪:2 一个人住:2 一个人在家:2 老年人:2 食堂:2 "+
			"一键呼叫:3 呼叫器:3 紧急呼叫:2",
		"养老保险 养老金"),
	rule(CategoryHouseholdRegistration,
		"户口:3 落户:3 身份证:3 居住证:3 户籍:3 迁户:3 户口本:3 护照:2 注销:1 迁过来:1 迁出:1 分户:3 入户:2",
		"入户走访 入户调查 入户盗窃 入户检查"),
	rule(CategorySchooling,
		"上学:3 入学:3 学校:2 幼儿园:3 学位:2 转学:3 小学:2 初中:2 学区:3 划片:3 小升初:3 学籍:3 托管班:2 "+
			"老师:1 孩子:1 娃:1 开学:2 同学:1 特殊教育:3 随迁子女:3 一年级:3 年级:2", ""),
	rule(CategoryEnvironment,
		"垃圾:2 污水:2 绿化:2 异味:2 油烟:3 堵塞:1 卫生:1 老鼠:3 排污:3 公共厕所:3 打扫:2 草坪:2 绿化带:3 焚烧:2 "+
			"狗屎:3 蚊子:3 苍蝇:3 喷药:2 杂物:2 纸箱:1 修剪:3 化粪池:3 垃圾桶:2 扬尘:3 臭:2 死猫:2 死老鼠:2 清运:3 "+
			"垃圾站:3 脏:2 下水道:2 烧烤:2 熏:2 死鱼:3 河道:2 河里:2 水质:2 野狗:2 流浪狗:2 拉屎:2",
		"卫生间 卫生院"),
	rule(CategoryDisputes,
		"纠纷:3 吵架:2 邻居:2 矛盾:2 调解:3 噪音:3 吵:2 楼上:2 楼下:1 隔壁:1 对门:1 装修:2 蹦迪:3 跑跳:3 咚咚:2 "+
			"整夜:1 睡不着:2 睡不好:2 扰民:3 广场舞:3 音响:2 音箱:2 打麻将:2 分家产:3 闹翻:2 协调:2 押金:2 房东:2 "+
			"说不通:2 讲不通:2 不听:2 摄像头:2 空调外机:3 骂人:2 拖凳子:3 砸墙:2 占了:1 占地方:1 公共区域:1 "+
			"卡拉ok:3 唱歌:2 k歌:2 谈不拢:3 扯皮:2",
		""),
	rule(CategoryComplaints,
		"举报:3 投诉:1 传销:3 过期食品:3 假药:3 假货:3 跑路:3 骗老人:2 保健品:2 乱收费:3 黑诊所:3 未成年人:2 "+
			"退不回来:2 办卡:2 没资质:3 资质:2 冒充:2 商家:2 网吧:2 驾校:2 装修公司:2 退钱:2 "+
			"缺斤少两:3 短斤少两:3 缺斤短两:3 小广告:2 假证:3 健身房:2 会员费:2 预付卡:2 不退:1",
		""),
	rule(CategoryProperty,
		"物业:3 电梯:3 漏水:2 漏雨:3 门禁:3 发霉:1 物业费:3 水管:2 停水:2 停电:2 墙皮:2 房子:1 楼道灯:3 "+
			"窗户玻璃:2 监控:2 老旧小区:3 改造:1 公摊:3 防盗门:3 单元门:3 下水管道:3 地漏:2 维修基金:3 裂:1 "+
			"天花板:2 卫生间:2 滴水:1 渗:1 道闸:3 按钮:1 困人:2 卡在:1 年检:2 业主:2 维修:2 漏:1 墙裂:2 "+
			"防水:3 屋顶:2 水压:3",
		""),
	rule(CategoryCityManagement,
		"占道:3 摆摊:3 地摊:3 人行道:2 井盖:3 乱停车:3 停车:2 违建:3 违章建筑:3 私搭乱建:3 搭建:2 打通墙:3 "+
			"路灯:3 共享单车:3 广告牌:3 占道经营:3 地砖:2 摆到路上:3 圈地:3 窝棚:3 商贩:3 叫卖:3 马路:2 地锁:3 "+
			"车位:1 围起来:2 挖开:2 城管:3 路口:1 建筑垃圾:3 渣土:3 扩建:3 加盖:2",
		""),
	rule(CategorySafety,
		"消防:3 消防通道:3 火灾:3 着火:3 灭火器:3 充电:2 电瓶车:2 电动车:2 飞线:3 电线:2 煤气罐:3 液化气罐:3 "+
			"消防栓:3 瓷砖:1 往下掉:3 掉下来:2 开裂:2 塌:3 安全出口:3 应急灯:3 歪了:2 倒下来:2 烟花:3 塔吊:3 "+
			"扶手:2 松了:1 围栏:2 护栏:2 配电箱:3 冒火花:3 隐患:3 危险:2 电线杆:3 天台:2 地下室:2 "+
			"汽油:3 易燃:3 易爆:3 花盆:2 摇摇欲坠:3 高空坠物:3 焦味:3 烧焦:2 变压器:3",
		""),
	rule(CategorySocialInsurance,
		"医保:4 社保:4 养老保险:3 养老金:3 医疗保险:3 报销:2 参保:3 社保卡:3 医保卡:3 退休:2 退休工资:3 新农合:3 "+
			"慢特病:3 门诊:1 住院:1 断交:2 补交:2 认证:1 失地农民:2 医保凭证:3 异地就医:3 就医:1 备案:1",
		""),
	rule(CategoryFamilyPlanning,
		"生育:3 准生证:3 二胎:3 三孩:3 二孩:3 怀孕:3 孕检:3 孕前:3 母子健康手册:3 独生子女:3 失独:3 计生:3 "+
			"出生医学证明:3 生孩子:2 生娃:2 育儿:2 婚检:3 产假:2 育儿假:3 宝宝:1 坐月子:2",
		""),
	rule(CategoryPublicSecurity,
		"偷:3 被盗:3 撬:3 打架:3 砸车:3 砸:2 醉汉:2 可疑:3 陌生人:2 诈骗:6 诈骗电话:3 冻结:2 骗钱:3 被骗:3 吸毒:3 针头:2 打我:3 "+
			"家暴:3 赌博:3 跟踪:3 救命:3 喊救命:3 刀:3 抢:3 小偷:3 摔东西:2 出租屋:2 聚众:2 报警:2 喝醉:1 见血:2 "+
			"混混:3 闹事:3 流氓:3 警察:2 公安:2 洗钱:3 涉嫌:2 安全账户:3",
		""),
	rule(CategoryHeatingGas,
		"暖气:3 供暖:3 燃气:3 天然气:3 煤气:3 漏气:3 气味:1 臭鸡蛋:3 没气:2 燃气表:3 燃气费:3 热力公司:3 地暖:3 "+
			"停暖:3 测温:2 不热:2 冰凉:2 阀门:1 煤气灶:3 燃气灶:3 报警器:1 燃气管道:3 开户:1 取暖:1 暖气片:3 泄漏:2 暖气管道:2 "+
			"供热:3 太冷:2 灶台:2 嘶嘶:2",
		""),
	{Category: CategoryStaffComplaint,
		Need: strings.Fields("网格员 网格长 工作人员 社区的 社区主任 社区干部 居委会 办事的人 干部 书记 社区的人"),
		Not:  strings.Fields("冒充社区工作人员 冒充工作人员 冒充"),
		Words: words("态度:3 不作为:2 推来推去:3 推诿:3 敷衍:3 不回:2 不接:2 爱答不理:3 拖拉:3 效率:2 玩手机:3 " +
			"没来:2 难听:3 凶:3 不满意:2 投诉:2 不算数:3 不管:2 电话给了别人:3 泄露:3 没办成:2 办不成:2 " +
			"让我自己去:2 明明:2 不归他管:2 不解释:2 阴阳怪气:3 不公平:3 熟人:2 好几次:2 没反应:2 反应:1"),
		Weights: weights("态度:3 不作为:2 推来推去:3 推诿:3 敷衍:3 不回:2 不接:2 爱答不理:3 拖拉:3 效率:2 玩手机:3 " +
			"没来:2 难听:3 凶:3 不满意:2 投诉:2 不算数:3 不管:2 电话给了别人:3 泄露:3 没办成:2 办不成:2 " +
			"让我自己去:2 明明:2 不归他管:2 不解释:2 阴阳怪气:3 不公平:3 熟人:2 好几次:2 没反应:2 反应:1")},
}

// MaxWeight is the heaviest weight a word may have: more than any rule
// needs (诈骗 weighs 6), so that a larger number is a typing mistake.
const MaxWeight = 99

// ParseWord reads one word:weight entry (招聘:3, or 招聘：3 with a
// full-width colon) or a bare word, which weighs 1. A blank word, or a weight that is not a number from 1 to
// MaxWeight, is an error that quotes the entry.
func ParseWord(entry string) (string, int, error) {
	w, n, hasWeight := strings.Cut(strings.ReplaceAll(strings.TrimSpace(entry), "：", ":"), ":")
	w = strings.TrimSpace(w)
	if w == "" {
		return "", 0, fmt.Errorf("%q: empty word", entry)
	}
	if !hasWeight {
		return w, 1, nil
	}
	k, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil || k < 1 || k > MaxWeight {
		return "", 0, fmt.Errorf("%q: weight %q: want a whole number from 1 to %d", entry, n, MaxWeight)
	}
	return w, k, nil
}

// rule builds a Rule from a spec of space-separated word:weight entries
// and a space-separated list of Not phrases.
func rule(c Category, spec, not string) Rule {
	return Rule{Category: c, Words: words(spec), Weights: weights(spec), Not: strings.Fields(not)}
}

// words are the words of spec, in order.
func words(spec string) []string {
	var out []string
	for _, f := range strings.Fields(spec) {
		w, _, _ := strings.Cut(f, ":")
		out = append(out, w)
	}
	return out
}

// weights are the weights spec gives; a malformed weight is 1.
func weights(spec string) map[string]int {
	out := map[string]int{}
	for _, f := range strings.Fields(spec) {
		if w, n, ok := strings.Cut(f, ":"); ok {
			if k, err := strconv.Atoi(n); err == nil {
				out[w] = k
			}
		}
	}
	return out
}
