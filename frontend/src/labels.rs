//! Chinese labels for the wire values of API.md. Lists double as `<select>` options;
//! unknown values are shown as they came, so a new server value is never hidden.

pub type Options = &'static [(&'static str, &'static str)];

pub fn lookup(list: Options, key: &str) -> &str {
    list.iter().find(|(k, _)| *k == key).map(|(_, v)| *v).unwrap_or(key)
}

pub const CATEGORIES: Options = &[
    ("major_decision", "重大事项决策"),
    ("key_appointment", "重要干部任免"),
    ("major_project", "重大项目安排"),
    ("large_fund", "大额度资金使用"),
    ("superior_instruction", "上级指示"),
    ("other_major", "其他重大事项"),
];

pub const STANCES: Options = &[("agree", "同意"), ("disagree", "不同意"), ("defer", "缓议"), ("none", "无明确意见")];

pub const CHOICES: Options = &[("agree", "同意"), ("disagree", "不同意"), ("defer", "缓议"), ("abstain", "弃权")];

pub const DOC_TYPES: Options = &[
    ("resolution", "决议"),
    ("decision", "决定"),
    ("order", "命令（令）"),
    ("communique", "公报"),
    ("announcement", "公告"),
    ("public_notice", "通告"),
    ("opinion", "意见"),
    ("notice", "通知"),
    ("bulletin", "通报"),
    ("report", "报告"),
    ("request", "请示"),
    ("reply", "批复"),
    ("motion", "议案"),
    ("letter", "函"),
    ("minutes", "纪要"),
];

/// Only the first two may enter the system (D01); the rest are listed so the refusal can be explained.
pub const SECRECY: Options = &[
    ("none", "非密"),
    ("internal", "内部"),
    ("secret", "秘密"),
    ("confidential", "机密"),
    ("top_secret", "绝密"),
];

pub const URGENCY: Options = &[("urgent", "特急"), ("expedited", "加急"), ("normal", "平件")];

pub const INCOMING_KINDS: Options = &[("approval", "行政审批"), ("non_approval", "非行政审批")];

pub const ISSUING_FORMS: Options = &[
    ("to_superior", "以局名义向上级行文"),
    ("bureau_general", "以局名义发一般业务文件"),
    ("joint", "与其他部门联合发文"),
    ("office_by_leader", "以办公室名义（领导授意）"),
    ("office_own", "以办公室名义（办公室职责内）"),
    ("office_for_section", "以办公室名义代处室行文"),
];

pub const MEETING_TYPES: Options = &[("party_group", "党组会议"), ("joint", "党政联席会议"), ("head_office", "局长办公会议")];

pub const ATTENDANCE: Options = &[("present", "出席"), ("absent", "缺席"), ("leave", "请假")];

pub const PATHS: Options = &[
    ("consensus", "一致同意"),
    ("vote", "表决"),
    ("defer", "缓议"),
    ("secret_ballot", "无记名投票"),
];

pub const VOTE_MODES: Options = &[("named", "记名（口头/举手）"), ("written", "记名书面"), ("secret", "无记名")];

pub const OUTCOMES: Options = &[("adopted", "通过"), ("rejected", "不通过"), ("deferred", "缓议")];

pub const PRECONSULT_KINDS: Options = &[
    ("department", "部门会商记录"),
    ("branch", "分局意见"),
    ("hearing", "听证记录"),
    ("publicity", "公示记录"),
    ("expert", "专家/机构评估"),
    ("technical", "技术审查"),
    ("legal", "法律顾问意见"),
];

pub const FLAGS: Options = &[
    ("other_departments", "涉及其他政府部门"),
    ("branch_units", "涉及分局"),
    ("public_interest", "涉及群众切身利益"),
    ("strategic", "基础性、战略性事项"),
    ("technical", "专业技术性事项"),
    ("legal", "涉及法律问题"),
];

pub const PREMEETING: Options = &[
    ("to_meeting", "提交会议研究"),
    ("general_business", "按一般事务处理"),
    ("not_ready", "尚不成熟，需进一步准备"),
];

pub const RESOLUTIONS: Options = &[("confirm", "确认"), ("adjust", "调整（修订纪要并重新公示）"), ("redeliberate", "重新研究")];

pub const COUNTERSIGN_STANCES: Options = &[("agree", "同意"), ("agree_with_changes", "修改后同意"), ("disagree", "不同意")];

pub const INSTRUCTION_KINDS: Options = &[("agree", "同意"), ("disagree", "不同意"), ("opinion", "具体意见"), ("read", "已阅")];

pub const ROLES: Options = &[
    ("principal", "主要领导"),
    ("deputy", "分管领导"),
    ("member", "班子成员"),
    ("office_director", "办公室主任"),
    ("clerk", "办公室工作人员"),
    ("section_head", "处（科）室负责人"),
    ("handler", "承办人"),
    ("staff", "干部职工"),
    ("inspector", "纪检监察"),
    ("sysadmin", "系统管理员"),
    ("secadmin", "安全管理员"),
    ("auditor", "审计管理员"),
];

pub const SPEAKER_ROLES: Options = &[("presenter", "汇报人"), ("deputy", "分管领导"), ("member", "班子成员"), ("principal", "主要领导")];

const PROPOSAL_STATES: Options = &[
    ("draft", "草稿"),
    ("submitted", "待分管领导审核"),
    ("preconsult", "会前酝酿"),
    ("ready", "待上会"),
    ("scheduled", "已列入议程"),
    ("voting", "表决中"),
    ("decided", "已决定"),
    ("adopted", "已通过"),
    ("deferred", "缓议"),
    ("rejected", "未通过"),
    ("pending_superior", "待上级批准"),
    ("minuted", "已形成纪要"),
    ("published", "公示中"),
    ("confirmed", "已确认"),
    ("archived", "已归档"),
    ("returned", "已退回"),
    ("lapsed", "已失效"),
];

const MEETING_STATES: Options = &[
    ("scheduled", "已安排"),
    ("draft", "筹备中"),
    ("noticed", "已通知"),
    ("open", "进行中"),
    ("in_progress", "进行中"),
    ("closed", "已结束"),
    ("minuted", "已形成纪要"),
];

const INCOMING_STATES: Options = &[
    ("registered", "已登记"),
    ("awaiting_instruction", "待领导批示"),
    ("distributed", "已分办"),
    ("assigned", "已交办"),
    ("accepted", "已签收"),
    ("in_progress", "办理中"),
    ("instructed", "已批示"),
    ("done", "已办结"),
    ("archived", "已归档"),
];

const OUTGOING_STATES: Options = &[
    ("drafting", "拟稿"),
    ("section_review", "处室审核"),
    ("countersigning", "会签中"),
    ("consolidating", "主办处室汇总"),
    ("verifying", "办公室核稿"),
    ("signoff", "待签发"),
    ("signed", "已签发"),
    ("numbered", "已编号"),
    ("issued", "已印发"),
    ("archived", "已归档"),
    ("returned", "退回修改"),
    ("paused", "会签分歧暂停"),
    ("escalated", "提交集体决策暂停"),
];

const ITEM_STATES: Options = &[
    ("pending", "待审议"),
    ("voting", "表决中"),
    ("counted", "已计票"),
    ("decided", "已决定"),
    ("deferred", "缓议"),
];

const MINUTES_STATES: Options = &[("draft", "草稿"), ("approved", "已审定"), ("superseded", "已被新版本取代")];

const FLAG_STATES: Options = &[("open", "待处理"), ("acknowledged", "已知悉")];

const PUBLICATION_STATES: Options = &[("open", "公示中"), ("closed", "公示结束"), ("summarized", "已汇总意见"), ("resolved", "已处理")];

/// State label by object type (`proposal`, `meeting`, `incoming`, `outgoing`, `minutes`, `publication`).
pub fn state<'a>(object_type: &str, key: &'a str) -> &'a str {
    let list = match object_type {
        "proposal" => PROPOSAL_STATES,
        "meeting" => MEETING_STATES,
        "incoming" => INCOMING_STATES,
        "outgoing" => OUTGOING_STATES,
        "minutes" => MINUTES_STATES,
        "publication" => PUBLICATION_STATES,
        "splitting_flag" | "oversight_flag" => FLAG_STATES,
        "item" => ITEM_STATES,
        _ => PROPOSAL_STATES,
    };
    lookup(list, key)
}

pub const OBJECT_TYPES: Options = &[
    ("proposal", "议题"),
    ("meeting", "会议"),
    ("minutes", "会议纪要"),
    ("publication", "公示"),
    ("incoming", "收文"),
    ("outgoing", "发文"),
    ("change_request", "修改申请"),
    ("meeting_item", "会议议题"),
    ("archive", "档案"),
    ("attachment", "附件"),
    ("absence", "外出登记"),
    ("compliance", "合规监督"),
    ("splitting_flag", "拆分规避提示"),
    ("oversight_flag", "红旗提示"),
    ("unit", "单位"),
    ("section", "处室"),
    ("member", "人员角色"),
    ("membership", "人员角色"),
    ("user", "账号"),
    ("session", "登录会话"),
    ("calendar", "工作日历"),
    ("ballot", "选票"),
    ("system", "系统"),
];

/// Task kinds the server may send; unknown kinds fall back to the object type.
const TASK_KINDS: Options = &[
    ("submission_approval", "审核提交单"),
    ("approve_submission", "审核提交单"),
    ("preconsult", "补充会前征求意见"),
    ("premeeting_decision", "会前酝酿决定"),
    ("schedule", "安排上会"),
    ("notice", "发送会议通知"),
    ("attend", "参加会议"),
    ("written_opinion", "提交书面意见"),
    ("vote", "投票表决"),
    ("ballot", "投票表决"),
    ("decision", "作出决定"),
    ("superior_approval", "登记上级批准"),
    ("minutes", "起草会议纪要"),
    ("approve_minutes", "审批会议纪要"),
    ("publish", "发布公示"),
    ("publication_opinion", "公示期提意见"),
    ("summary", "汇总公示意见"),
    ("resolution", "公示后决定"),
    ("revise", "修改退回的材料"),
    ("distribute", "分办"),
    ("assign", "交办"),
    ("accept", "签收"),
    ("instruct", "批示"),
    ("complete", "办结"),
    ("review", "审核文稿"),
    ("countersign", "会签"),
    ("resolve_disagreement", "协调会签分歧"),
    ("leader_review", "分管领导审核"),
    ("consolidate", "汇总会签意见"),
    ("verify", "核稿"),
    ("signoff", "签发"),
    ("change_request", "审批修改申请"),
    ("issue", "印发"),
    ("reminder", "督办提醒"),
    ("supervision", "督办"),
    ("attend_meeting", "参加会议"),
    ("chair_item", "主持审议"),
    ("close_meeting", "结束会议"),
    ("close_vote", "结束表决"),
    ("decide", "作出决定"),
    ("minutes_approve", "审批会议纪要"),
    ("minutes_draft", "起草会议纪要"),
    ("minutes_revise", "修订会议纪要"),
    ("publication_comment", "公示期提意见"),
    ("publication_open", "发布公示"),
    ("publication_resolve", "公示后决定"),
    ("publication_summary", "汇总公示意见"),
    ("record_attendance", "登记出席情况"),
    ("schedule_proposal", "安排上会"),
    ("send_notice", "发送会议通知"),
    ("draft", "拟稿"),
    ("revise", "退回修改"),
    ("resolve", "会签分歧裁定"),
    ("external_countersign", "登记外单位会签"),
    ("handle", "办理"),
    ("principal_instruction", "主要领导批示"),
    ("archive", "归档"),
    ("submit_proposal", "提交议题"),
    ("revise_proposal", "修改退回的议题"),
    ("splitting_flag", "拆分规避预警"),
];

/// Task kinds come as `incoming.accept`; the label is keyed by the last part.
pub fn task_kind(kind: &str) -> &str {
    let k = kind.rsplit('.').next().unwrap_or(kind);
    let k = k.strip_prefix("outgoing_").or_else(|| k.strip_prefix("incoming_")).unwrap_or(k);
    lookup(TASK_KINDS, k)
}

/// Field names that may appear in `details` of a 422 or in R02's list of missing parts.
const FIELDS: Options = &[
    ("topic", "议题"),
    ("background", "基本情况"),
    ("research", "调研论证"),
    ("recommendation", "处理建议"),
    ("title", "标题"),
    ("category", "类别"),
    ("amount", "金额"),
    ("payee", "收款方"),
    ("username", "用户名"),
    ("password", "密码"),
    ("new_password", "新密码"),
    ("old_password", "原密码"),
    ("display_name", "姓名"),
    ("name", "名称"),
    ("short_code", "机关代字"),
    ("starts_at", "开始时间"),
    ("location", "地点"),
    ("agenda", "议程"),
    ("attendees", "参会人员"),
    ("urgency_reason", "紧急理由"),
    ("reason", "理由"),
    ("opinion", "意见"),
    ("text", "内容"),
    ("body", "正文"),
    ("series", "文号代字"),
    ("doc_type", "文种"),
    ("secrecy", "密级"),
    ("missing", "缺少"),
    ("missing_parts", "缺少的部分"),
    ("missing_records", "缺少的会前征求意见记录"),
    ("fields", "字段"),
    ("field", "字段"),
    ("waiting_for", "尚未投票"),
    ("deputy_in_charge", "分管领导"),
    ("leaders_in_charge", "分管领导"),
    ("not_ready", "未就绪的议题"),
    ("state", "当前状态"),
    ("user_id", "人员"),
    ("proposal_id", "议题"),
    ("attendance", "出席登记"),
    ("required", "需要"),
    ("present", "实到"),
    ("should_attend", "应到"),
];

pub fn field(key: &str) -> &str {
    let key = lookup(FIELDS, key);
    lookup(PRECONSULT_KINDS, key)
}

/// Trail and audit actions as the server records them (`object.command[.outcome]`).
const ACTIONS: Options = &[
    ("absence.create", "登记外出（AB岗）"),
    ("archive.create", "归档"),
    ("archive.export", "导出档案包"),
    ("archive.read", "查阅档案"),
    ("attachment.upload", "上传附件"),
    ("ballot.cast", "投票"),
    ("calendar.update", "修改工作日历"),
    ("compliance.export", "导出合规报告"),
    ("compliance.read", "查阅合规监督"),
    ("demo.seed", "生成示例数据"),
    ("incoming.accept", "签收"),
    ("incoming.archive", "归档"),
    ("incoming.assign", "交办"),
    ("incoming.complete", "办结"),
    ("incoming.complete_co", "协办办结"),
    ("incoming.distribute", "分办"),
    ("incoming.handle", "办理"),
    ("incoming.instruct", "阅批"),
    ("incoming.principal_instruct", "主要领导批示"),
    ("incoming.principal_instruction", "主要领导批示"),
    ("incoming.progress", "登记办理情况"),
    ("incoming.register", "登记收文"),
    ("incoming.remind", "督办提醒"),
    ("incoming.reminders", "督办提醒"),
    ("incoming.review", "办公室审核"),
    ("incoming.supervision", "督办"),
    ("jobs.purge", "清理后台任务记录"),
    ("meeting.attendance", "登记出席"),
    ("meeting.close", "结束会议"),
    ("meeting.create", "安排会议"),
    ("meeting.item_path", "选择议决方式"),
    ("meeting.materials.read", "查阅会议材料"),
    ("meeting.notice", "发送会议通知"),
    ("meeting.observer", "添加列席人员"),
    ("meeting.open", "宣布开会"),
    ("meeting.record.read", "查阅会议记录"),
    ("meeting.record_grant", "授权查阅会议记录"),
    ("meeting.statement", "记录发言"),
    ("meeting.vote_close", "结束表决"),
    ("meeting.written_opinion", "提交书面意见"),
    ("member.set_backup", "设置AB岗"),
    ("member.set_roles", "设置角色"),
    ("minutes.approve", "审定纪要"),
    ("minutes.archive", "纪要归档"),
    ("minutes.draft", "起草纪要"),
    ("minutes.publish", "发布公示"),
    ("minutes.revise", "修订纪要"),
    ("outgoing.archive", "归档"),
    ("outgoing.attach", "添加附件"),
    ("outgoing.change_request", "提出修改申请"),
    ("outgoing.change_request.approve", "同意修改申请"),
    ("outgoing.change_request.reject", "不同意修改申请"),
    ("outgoing.consolidate", "汇总定稿"),
    ("outgoing.countersign", "发起会签"),
    ("outgoing.countersign.negotiated", "会签协商一致"),
    ("outgoing.countersign.opinion", "会签意见"),
    ("outgoing.create", "拟稿"),
    ("outgoing.edit", "修改文稿"),
    ("outgoing.escalate", "提请集体研究"),
    ("outgoing.external_countersign", "登记外单位会签"),
    ("outgoing.issue", "印发"),
    ("outgoing.leader_review.approve", "分管领导审核通过"),
    ("outgoing.leader_review.return", "分管领导审核退回"),
    ("outgoing.number", "编发文号"),
    ("outgoing.resolve", "会签分歧裁定"),
    ("outgoing.resume", "恢复办理"),
    ("outgoing.review.approve", "处室审核通过"),
    ("outgoing.review.return", "处室审核退回"),
    ("outgoing.signoff", "签发"),
    ("outgoing.submit", "提交审核"),
    ("outgoing.verify.pass", "核稿通过"),
    ("outgoing.verify.return", "核稿退回"),
    ("oversight.flag_acknowledged", "确认红旗提示"),
    ("oversight.flag_detected", "发现红旗提示"),
    ("oversight.flag_updated", "更新红旗提示"),
    ("oversight.flags", "红旗提示"),
    ("proposal.adjust", "公示后决定：调整纪要"),
    ("proposal.adopt", "会议决定：通过"),
    ("proposal.archive", "归档"),
    ("proposal.attach", "添加附件"),
    ("proposal.attachment.read", "查阅附件"),
    ("proposal.confirm", "公示后决定：确认"),
    ("proposal.create", "新建议题"),
    ("proposal.defer", "会议决定：缓议"),
    ("proposal.lapse", "缓议期满失效"),
    ("proposal.minute", "形成纪要"),
    ("proposal.preconsult_record", "登记会前征求意见记录"),
    ("proposal.premeeting_decision", "会前酝酿决定"),
    ("proposal.publish", "纪要公示"),
    ("proposal.redeliberate", "公示后决定：重新研究"),
    ("proposal.register", "办公室备案登记"),
    ("proposal.reject", "会议决定：不通过"),
    ("proposal.schedule", "列入会议议程"),
    ("proposal.submission_approve", "分管领导同意提交"),
    ("proposal.submission_return", "分管领导退回"),
    ("proposal.submit", "提交议题"),
    ("proposal.superior_approval", "登记上级批准"),
    ("proposal.update", "修改议题"),
    ("proposal.vote_open", "开始表决"),
    ("publication.close", "公示结束"),
    ("publication.demo_window", "示例：设置公示期"),
    ("publication.open", "开始公示"),
    ("publication.opinion", "提出公示意见"),
    ("publication.opinions.read", "查阅公示意见"),
    ("publication.resolve", "公示后决定"),
    ("publication.summary", "汇总公示意见"),
    ("section.create", "新建处室"),
    ("section.update", "修改处室"),
    ("session.sign_in", "登录"),
    ("session.sign_in_failed", "登录失败"),
    ("session.sign_out", "退出登录"),
    ("system.bootstrap", "系统初始化"),
    ("unit.create", "新建单位"),
    ("unit.settings", "修改单位设置"),
    ("user.change_password", "修改密码"),
    ("user.create", "新建账号"),
    ("user.reset_password", "重置密码"),
];

/// Older and short action names (the last part of an action), for anything not listed above.
const SHORT_ACTIONS: Options = &[
    ("create", "创建"),
    ("update", "修改"),
    ("submit", "提交"),
    ("submitted", "提交"),
    ("approve", "同意"),
    ("reject", "不同意"),
    ("return", "退回"),
    ("pass", "通过"),
    ("open", "开始"),
    ("close", "结束"),
    ("read", "查阅"),
    ("archive", "归档"),
    ("register", "登记"),
];

/// The label of a trail or audit action (`proposal.submit`, or a bare `submit`).
pub fn action(key: &str) -> &str {
    if let Some((_, v)) = ACTIONS.iter().find(|(k, _)| *k == key) {
        return v;
    }
    lookup(SHORT_ACTIONS, key.rsplit('.').next().unwrap_or(key))
}
