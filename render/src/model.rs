//! The documents the backend hands us: an official document (公文) and meeting minutes (纪要).
//! Plain data, serde-compatible; no layout here.

use serde::{Deserialize, Serialize};

use crate::error::RenderError;

/// Structured body: what the backend stores for documents (JSON-compatible, also used by the
/// frontend editor). `{"kind":"heading","level":1,"text":"…"}`, `{"kind":"paragraph",…}`,
/// `{"kind":"table","header":[…],"rows":[[…]]}`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Block {
    /// Level 1..=4, numbered 一、 （一） 1. （1） automatically (GB/T 9704-2012 §7.3.3) unless
    /// the text already starts with a number of that form.
    Heading { level: u8, text: String },
    /// A paragraph; a `\n` inside starts a new paragraph.
    Paragraph { text: String },
    Table {
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    },
}

/// A calendar date written the GB/T 9704 way: Arabic numerals, full year, no leading zeros
/// (`2026年11月2日`, §7.3.5.1 and §7.4.3).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DocDate {
    pub year: u32,
    pub month: u32,
    pub day: u32,
}

impl DocDate {
    pub fn new(year: u32, month: u32, day: u32) -> Result<DocDate, RenderError> {
        let leap =
            (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => 0,
        };
        if !(1000..=9999).contains(&year) || day == 0 || day > days {
            return Err(RenderError::Invalid(format!(
                "no such date: {year}-{month}-{day}"
            )));
        }
        Ok(DocDate { year, month, day })
    }

    /// Accepts `2026-11-22`, `2026/11/22` and `2026年11月22日`.
    pub fn parse(s: &str) -> Result<DocDate, RenderError> {
        let nums: Vec<u32> = s
            .split(|c: char| !c.is_ascii_digit())
            .filter(|p| !p.is_empty())
            .map(|p| p.parse::<u32>())
            .collect::<Result<_, _>>()
            .map_err(|_| RenderError::Invalid(format!("not a date: {s}")))?;
        match nums.as_slice() {
            [y, m, d] => DocDate::new(*y, *m, *d),
            _ => Err(RenderError::Invalid(format!("not a date: {s}"))),
        }
    }
}

impl std::fmt::Display for DocDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}年{}月{}日", self.year, self.month, self.day)
    }
}

/// An official document (公文) in the GB/T 9704-2012 layout.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(default)]
pub struct OfficialDocument {
    /// 份号, 6 digits (§7.2.1).
    pub copy_number: Option<String>,
    /// 密级和保密期限, e.g. "内部", "秘密★1年" (§7.2.2).
    pub secrecy: Option<String>,
    /// 紧急程度: "特急" / "加急" (§7.2.3).
    pub urgency: Option<String>,
    /// 发文机关标志, e.g. "示例市国土资源局文件" (§7.2.4).
    pub issuer_mark: String,
    /// 发文字号, e.g. "示国土资发〔2026〕12号" (§7.2.5). `None` for an unnumbered draft.
    pub doc_number: Option<String>,
    /// 签发人: present → 上行文 layout (§7.2.5, §7.2.6). Several names separated by
    /// spaces or "、" are written on the same line.
    pub signer: Option<String>,
    /// 标题 (§7.3.1).
    pub title: String,
    /// 主送机关 (§7.3.2), joined with "，" and ended with "："。
    pub main_recipients: Vec<String>,
    /// 正文 (§7.3.3).
    pub body: Vec<Block>,
    /// 附件名称 (§7.3.4).
    pub attachments: Vec<String>,
    /// 发文机关署名 (§7.3.5).
    pub issuer_signature: String,
    /// 成文日期 (§7.3.5).
    pub date: Option<DocDate>,
    /// 附注 (§7.3.6), without the parentheses.
    pub note: Option<String>,
    /// 抄送机关 (§7.4.2).
    pub cc: Vec<String>,
    /// 印发机关 (§7.4.3).
    pub printer: String,
    /// 印发日期 (§7.4.3).
    pub print_date: Option<DocDate>,
    /// Mark every page "草稿" (unsigned drafts).
    pub watermark_draft: bool,
}

/// One deliberated item of a meeting (议题) as it appears in the minutes.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(default)]
pub struct MinutesItem {
    /// e.g. "关于采购不动产登记信息系统的议题" (numbered 一、二、… automatically).
    pub title: String,
    /// 议定事项 (may hold several paragraphs separated by `\n`).
    pub decision: String,
    /// 表决情况, e.g. "应到9人，实到8人，同意7票，不同意0票，弃权1票".
    pub tally: Option<String>,
    /// R13: the head's written reason when the decision goes against the count.
    pub override_reason: Option<String>,
    /// R16: the item is not published; only its title and "（本项不公开：reason）" appear.
    pub withheld: Option<String>,
}

/// Meeting minutes (会议纪要), GB/T 9704-2012 §10.3 纪要格式.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(default)]
pub struct MinutesDoc {
    /// 统一纪要文头, e.g. "示例市国土资源局党组会议纪要" (R15).
    pub header: String,
    /// Serial number, e.g. "〔2026〕第7期" (R15).
    pub serial: Option<String>,
    /// e.g. "2026年第7次党组会议".
    pub meeting_title: String,
    /// When, as written, e.g. "2026年11月20日上午9:00".
    pub held_at: String,
    pub location: String,
    /// 主持人.
    pub chair: String,
    /// 记录人.
    pub recorder: String,
    /// 出席.
    pub present: Vec<String>,
    /// 请假: (name, reason).
    pub on_leave: Vec<(String, String)>,
    /// 列席.
    pub observers: Vec<String>,
    pub items: Vec<MinutesItem>,
    /// Text after the items (e.g. 会议要求).
    pub closing: Vec<Block>,
    /// 印发机关.
    pub printer: String,
    /// 印发日期.
    pub print_date: Option<DocDate>,
    /// 抄送/分送.
    pub cc: Vec<String>,
    /// Mark every page "草稿" (minutes not yet approved).
    pub watermark_draft: bool,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn dates_are_written_without_leading_zeros() {
        assert_eq!(
            DocDate::new(2026, 1, 2).unwrap().to_string(),
            "2026年1月2日"
        );
        assert_eq!(
            DocDate::parse("2026-11-02").unwrap().to_string(),
            "2026年11月2日"
        );
        assert_eq!(
            DocDate::parse("2026年2月28日").unwrap(),
            DocDate::new(2026, 2, 28).unwrap()
        );
        assert!(DocDate::new(2026, 2, 29).is_err());
        assert!(DocDate::parse("昨天").is_err());
    }

    #[test]
    fn blocks_are_tagged_json() {
        let b = Block::Heading {
            level: 1,
            text: "总体要求".into(),
        };
        let j = serde_json::to_string(&b).unwrap();
        assert_eq!(j, r#"{"kind":"heading","level":1,"text":"总体要求"}"#);
        let t: Block =
            serde_json::from_str(r#"{"kind":"table","header":["a"],"rows":[["b"]]}"#).unwrap();
        assert_eq!(
            t,
            Block::Table {
                header: vec!["a".into()],
                rows: vec![vec!["b".into()]]
            }
        );
    }
}
