//! Sample documents (a 下行文, a 上行文 with 签发人, a long document, minutes) for tests,
//! the benchmark, previews and the backend's demo data. Texts are invented.

use crate::model::{Block, DocDate, MinutesDoc, MinutesItem, OfficialDocument};

const PARAGRAPHS: [&str; 10] = [
    "为进一步规范“三重一大”事项集体决策，全面推行政务公开，保障干部职工的知情权、参与权和监督权，根据《中华人民共和国政府信息公开条例》和上级有关规定，结合本局实际，现提出如下意见。",
    "凡属重大事项决策、重要干部任免、重大项目安排和大额度资金使用（以下简称“三重一大”）事项，必须经局党组会议、党政联席会议或者局长办公会议集体讨论决定，不得以传阅、会签或者个别征求意见等方式代替集体决策。",
    "议题应当在会前由分管局领导审核，提交单应当写明议题、基本情况、调研论证和处理建议；涉及其他部门的，应当附会商记录；涉及群众切身利益的，应当附公示或者听证记录。",
    "会议应当有应到会成员半数以上到会方可召开；讨论干部任免事项时，应当有三分之二以上成员到会。与会成员应当逐项发表意见，主要负责人末位表态。表决实行一事一议，逐项表决。",
    "会议纪要应当如实记载议定事项、表决情况和不同意见，经主要负责人审定后印发，并在机关内部公示两个工作日；不宜公开的事项，应当说明理由，做到“公开为原则，不公开为例外”。",
    "局机关各处室要按照职责分工，及时将本处室承办的“三重一大”事项材料报送局办公室，由局办公室统一登记、编号、归档。档案实行永久保存，任何人不得擅自修改、删除。",
    "纪检监察部门要加强对集体决策全过程的监督，对会前酝酿不充分、会议程序不规范、应当回避而未回避、以拆分项目等方式规避集体决策的，要及时提出纠正意见；情节严重的，依纪依规追究有关人员责任。",
    "大额度资金使用的标准为单笔10万元（含）以上，或者同一事项在90日内累计达到10万元的资金支出。2026年度预算执行中的调剂事项，按照本意见规定的程序办理。",
    "各处室要高度重视，结合实际制定具体措施，认真抓好落实。执行中遇到的问题，请及时向局办公室反映。",
    "本意见自印发之日起施行。此前有关规定与本意见不一致的，以本意见为准。",
];

/// A one- to two-page 下行文 with every element: 份号, 密级, 紧急程度, headings of all four
/// levels, a table, two attachments, 附注, 抄送.
pub fn document() -> OfficialDocument {
    OfficialDocument {
        copy_number: Some("000123".into()),
        secrecy: Some("内部".into()),
        urgency: Some("特急".into()),
        issuer_mark: "示例市国土资源局文件".into(),
        doc_number: Some("示国土资发〔2026〕12号".into()),
        signer: None,
        title: "示例市国土资源局关于进一步加强集体决策全面推行政务公开的意见".into(),
        main_recipients: vec!["局机关各处室".into(), "各分局".into(), "局属各单位".into()],
        body: vec![
            Block::Paragraph {
                text: PARAGRAPHS[0].into(),
            },
            Block::Heading {
                level: 1,
                text: "总体要求".into(),
            },
            Block::Paragraph {
                text: PARAGRAPHS[1].into(),
            },
            Block::Heading {
                level: 2,
                text: "决策范围".into(),
            },
            Block::Paragraph {
                text: PARAGRAPHS[2].into(),
            },
            Block::Heading {
                level: 3,
                text: "会议程序。".into(),
            },
            Block::Paragraph {
                text: PARAGRAPHS[3].into(),
            },
            Block::Heading {
                level: 4,
                text: "表决方式。".into(),
            },
            Block::Table {
                header: vec![
                    "事项类别".into(),
                    "会议类型".into(),
                    "到会要求".into(),
                    "表决方式".into(),
                ],
                rows: vec![
                    vec![
                        "重大事项决策".into(),
                        "党组会议".into(),
                        "过半数".into(),
                        "举手表决".into(),
                    ],
                    vec![
                        "重要干部任免".into(),
                        "党组会议".into(),
                        "三分之二以上".into(),
                        "无记名投票".into(),
                    ],
                    vec![
                        "大额度资金使用".into(),
                        "局长办公会议".into(),
                        "过半数".into(),
                        "记名表决".into(),
                    ],
                ],
            },
            Block::Heading {
                level: 1,
                text: "工作要求".into(),
            },
            Block::Paragraph {
                text: PARAGRAPHS[8].into(),
            },
        ],
        attachments: vec!["“三重一大”事项提交单".into(), "会议纪要公示登记表。".into()],
        issuer_signature: "示例市国土资源局".into(),
        date: DocDate::new(2026, 11, 22).ok(),
        note: Some("联系人：王明，电话：0512-12345678".into()),
        cc: vec!["市纪委监委派驻纪检监察组".into(), "市政府办公室".into()],
        printer: "示例市国土资源局办公室".into(),
        print_date: DocDate::new(2026, 11, 22).ok(),
        watermark_draft: false,
    }
}

/// A 上行文 (report to the superior) with 签发人, no 份号.
pub fn upward_document() -> OfficialDocument {
    OfficialDocument {
        copy_number: None,
        secrecy: None,
        urgency: None,
        issuer_mark: "示例市国土资源局文件".into(),
        doc_number: Some("示国土资〔2026〕7号".into()),
        signer: Some("李建国".into()),
        title: "示例市国土资源局关于2026年度政务公开工作情况的报告".into(),
        main_recipients: vec!["示例市人民政府".into()],
        body: vec![
            Block::Paragraph {
                text: "现将我局2026年度政务公开工作情况报告如下。".into(),
            },
            Block::Heading {
                level: 1,
                text: "主要做法".into(),
            },
            Block::Paragraph {
                text: PARAGRAPHS[4].into(),
            },
            Block::Paragraph {
                text: PARAGRAPHS[5].into(),
            },
            Block::Heading {
                level: 1,
                text: "下一步打算".into(),
            },
            Block::Paragraph {
                text: PARAGRAPHS[6].into(),
            },
            Block::Paragraph {
                text: "特此报告。".into(),
            },
        ],
        attachments: vec![],
        issuer_signature: "示例市国土资源局".into(),
        date: DocDate::new(2026, 12, 5).ok(),
        note: None,
        cc: vec![],
        printer: "示例市国土资源局办公室".into(),
        print_date: DocDate::new(2026, 12, 5).ok(),
        watermark_draft: true,
    }
}

/// A document of roughly `pages` pages (about 400 characters of body per page, headings
/// and widow/orphan control included).
pub fn long_document(pages: usize) -> OfficialDocument {
    let mut d = document();
    d.secrecy = None;
    d.urgency = None;
    d.body.clear();
    let mut chars = 0;
    let mut section = 0;
    let target = pages.max(1) * 400 - 250;
    while chars < target {
        section += 1;
        d.body.push(Block::Heading {
            level: 1,
            text: format!("第{section}部分的工作要求"),
        });
        for k in 0..4 {
            let p = PARAGRAPHS[(section * 3 + k) % PARAGRAPHS.len()];
            chars += p.chars().count();
            d.body.push(Block::Paragraph { text: p.into() });
        }
    }
    d
}

/// Minutes with a withheld item, a head override and all attendance lists.
pub fn minutes() -> MinutesDoc {
    MinutesDoc {
        header: "示例市国土资源局党组会议纪要".into(),
        serial: Some("〔2026〕第7期".into()),
        meeting_title: "2026年第7次党组会议".into(),
        held_at: "2026年11月20日上午9:00".into(),
        location: "局机关三楼第一会议室".into(),
        chair: "张伟（局党组书记、局长）".into(),
        recorder: "陈静（局办公室）".into(),
        present: vec!["张伟".into(), "李建国".into(), "王芳".into(), "刘洋".into(), "赵敏".into(), "孙强".into(), "周涛".into()],
        on_leave: vec![("吴磊".into(), "出差".into()), ("郑丽".into(), "病假".into())],
        observers: vec!["冯军（派驻纪检监察组组长）".into(), "陈静（局办公室主任）".into()],
        items: vec![
            MinutesItem {
                title: "关于不动产登记信息系统升级改造项目的议题".into(),
                decision: "会议听取了信息中心关于不动产登记信息系统升级改造项目的汇报。会议同意项目实施方案，项目预算1,280,000.00元，由信息中心按照政府采购有关规定组织实施，局办公室负责跟踪督办。".into(),
                tally: Some("应到9人，实到7人，同意6票，不同意0票，弃权1票，通过。".into()),
                override_reason: None,
                withheld: None,
            },
            MinutesItem {
                title: "关于调整局机关部分处室工作人员的议题".into(),
                decision: String::new(),
                tally: None,
                override_reason: None,
                withheld: Some("涉及干部任免，公示前不宜公开".into()),
            },
            MinutesItem {
                title: "关于2026年度政务公开经费安排的议题".into(),
                decision: "会议研究了2026年度政务公开经费安排，决定安排经费85,000.00元，用于政务公开栏更新和网站维护。".into(),
                tally: Some("同意3票，不同意3票，缓议1票（局长办公会议，表决结果仅供参考）。".into()),
                override_reason: Some("政务公开栏更新属于年度重点工作，已列入年初预算，延期将影响全年任务完成，故决定予以安排。".into()),
                withheld: None,
            },
        ],
        closing: vec![Block::Paragraph { text: "会议要求，各处室要严格按照会议议定事项抓好落实，重要情况及时报告。".into() }],
        printer: "示例市国土资源局办公室".into(),
        print_date: DocDate::new(2026, 11, 23).ok(),
        cc: vec!["局领导".into(), "派驻纪检监察组".into(), "局机关各处室".into()],
        watermark_draft: false,
    }
}

/// Minutes of three pages.
pub fn long_minutes() -> MinutesDoc {
    let mut m = minutes();
    let extra: Vec<MinutesItem> = (0..2)
        .map(|i| MinutesItem {
            title: format!("关于第{}项专项工作安排的议题", i + 4),
            decision: format!(
                "{}\n{}",
                PARAGRAPHS[(i * 2) % PARAGRAPHS.len()],
                PARAGRAPHS[(i * 2 + 1) % PARAGRAPHS.len()]
            ),
            tally: Some("应到9人，实到7人，同意7票，通过。".into()),
            override_reason: None,
            withheld: None,
        })
        .collect();
    m.items.extend(extra);
    m
}

/// A document whose attendance/vote table runs over a page break (header repeated).
pub fn table_document() -> OfficialDocument {
    let mut d = document();
    let names = [
        "张伟",
        "李建国",
        "王芳",
        "刘洋",
        "赵敏",
        "孙强",
        "周涛",
        "吴磊",
        "郑丽",
    ];
    let rows: Vec<Vec<String>> = (0..36)
        .map(|i| {
            let name = names.get(i % names.len()).copied().unwrap_or("");
            let vote = if i % 7 == 3 { "弃权" } else { "同意" };
            vec![
                format!("{}", i + 1),
                name.into(),
                format!("关于第{}项专项工作安排的议题", i / 9 + 1),
                vote.into(),
                String::new(),
            ]
        })
        .collect();
    d.body = vec![
        Block::Paragraph {
            text: "各成员表决情况如下表所示。".into(),
        },
        Block::Table {
            header: vec![
                "序号".into(),
                "成员".into(),
                "议题".into(),
                "表决意见".into(),
                "备注".into(),
            ],
            rows,
        },
        Block::Paragraph {
            text: PARAGRAPHS[9].into(),
        },
    ];
    d.attachments.clear();
    d
}
