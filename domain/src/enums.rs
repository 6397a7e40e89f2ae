//! Wire enumerations of API.md ("Enumerations"). Each has its snake_case wire value
//! (`as_str`, serde, `FromStr`) and the Chinese label the UI shows (`label`).

use crate::error::{DomainError, DomainResult};

/// Declares a wire enum: serde with the given wire names, `ALL`, `as_str`, `label`,
/// `Display` (wire value) and `FromStr` (refusal names the field and lists the allowed values).
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident, field = $field:literal,
        { $( $(#[$vmeta:meta])* $variant:ident => ($wire:literal, $label:literal) ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $wire)] $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The request field this enum usually arrives in (used in error details).
            pub const FIELD: &'static str = $field;

            /// The wire value, e.g. `"key_appointment"`.
            pub fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// The Chinese label shown to users.
            pub fn label(&self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            /// Parses a wire value; the error names `field`.
            pub fn parse_field(s: &str, field: &str) -> $crate::error::DomainResult<Self> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    _ => Err($crate::enums::unknown_value(field, s, &[$(($wire, $label)),+])),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::error::DomainError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse_field(s, Self::FIELD)
            }
        }
    };
}
pub(crate) use wire_enum;

/// The error for a value outside an enumeration: names the field and lists the allowed values.
pub(crate) fn unknown_value(field: &str, got: &str, allowed: &[(&str, &str)]) -> DomainError {
    let list = allowed
        .iter()
        .map(|(w, l)| format!("{w}（{l}）"))
        .collect::<Vec<_>>()
        .join("、");
    DomainError::invalid(
        field,
        format!("{field} 的取值“{got}”无效，必须是以下之一：{list}"),
    )
    .with_details(serde_json::json!({
        "field": field,
        "allowed": allowed.iter().map(|(w, _)| *w).collect::<Vec<_>>(),
    }))
}

wire_enum! {
    /// Proposal category (R01, 三重一大).
    Category, field = "category", {
        MajorDecision => ("major_decision", "重大事项决策"),
        KeyAppointment => ("key_appointment", "重要干部任免"),
        MajorProject => ("major_project", "重大项目安排"),
        LargeFund => ("large_fund", "大额度资金使用"),
        SuperiorInstruction => ("superior_instruction", "上级指示"),
        OtherMajor => ("other_major", "其他重大事项"),
    }
}

impl Category {
    /// Personnel items: two-thirds quorum by default (R08), secret ballot by default (R11).
    pub fn is_personnel(&self) -> bool {
        matches!(self, Category::KeyAppointment)
    }

    /// Fund-use items, subject to the R01 threshold.
    pub fn is_fund_use(&self) -> bool {
        matches!(self, Category::LargeFund)
    }
}

wire_enum! {
    /// Meeting type (R06, R13).
    MeetingType, field = "type", {
        PartyGroup => ("party_group", "党组会议"),
        Joint => ("joint", "党政联席会议"),
        HeadOffice => ("head_office", "局长办公会议"),
    }
}

impl MeetingType {
    /// R13: in party group and joint meetings the ballot count decides; in administrative head
    /// meetings it is advisory and the principal decides (with a reason when going against it).
    pub fn count_is_binding(&self) -> bool {
        matches!(self, MeetingType::PartyGroup | MeetingType::Joint)
    }
}

wire_enum! {
    /// A member's stance in a recorded statement (R12).
    Stance, field = "stance", {
        Agree => ("agree", "同意"),
        Disagree => ("disagree", "不同意"),
        Defer => ("defer", "缓议"),
        None => ("none", "无明确意见"),
    }
}

wire_enum! {
    /// A ballot (R11).
    BallotChoice, field = "choice", {
        Agree => ("agree", "同意"),
        Disagree => ("disagree", "不同意"),
        Defer => ("defer", "缓议"),
        Abstain => ("abstain", "弃权"),
    }
}

wire_enum! {
    /// The 15 document types of 党政机关公文处理工作条例 (D04).
    DocType, field = "doc_type", {
        Resolution => ("resolution", "决议"),
        Decision => ("decision", "决定"),
        Order => ("order", "命令（令）"),
        Communique => ("communique", "公报"),
        Announcement => ("announcement", "公告"),
        PublicNotice => ("public_notice", "通告"),
        Opinion => ("opinion", "意见"),
        Notice => ("notice", "通知"),
        Bulletin => ("bulletin", "通报"),
        Report => ("report", "报告"),
        Request => ("request", "请示"),
        Reply => ("reply", "批复"),
        Motion => ("motion", "议案"),
        Letter => ("letter", "函"),
        Minutes => ("minutes", "纪要"),
    }
}

impl DocType {
    /// D03: on a 请示 a leader's instruction must be explicit (a bare 已阅 is refused).
    pub fn needs_explicit_instruction(&self) -> bool {
        matches!(self, DocType::Request)
    }
}

wire_enum! {
    /// Secrecy level (D01). Only 非密 and 内部 may enter the system.
    Secrecy, field = "secrecy", {
        None => ("none", "非密"),
        Internal => ("internal", "内部"),
        Secret => ("secret", "秘密"),
        Confidential => ("confidential", "机密"),
        TopSecret => ("top_secret", "绝密"),
    }
}

impl Secrecy {
    /// D01: state secrets (秘密/机密/绝密) never enter the system.
    pub fn accepted(&self) -> bool {
        matches!(self, Secrecy::None | Secrecy::Internal)
    }

    /// D01 refusal for a classified level, pointing to the 涉密 channel.
    pub fn check_accepted(&self) -> DomainResult<()> {
        if self.accepted() {
            Ok(())
        } else {
            Err(DomainError::rule(
                "D01",
                format!(
                    "密级为“{}”的文件属于国家秘密，不得进入本系统，请通过涉密载体或涉密网络渠道办理；本系统只受理非密和内部文件",
                    self.label()
                ),
            )
            .with_details(serde_json::json!({"field": "secrecy", "value": self.as_str()})))
        }
    }
}

wire_enum! {
    /// Urgency (D01, D02; 紧急程度).
    Urgency, field = "urgency", {
        Urgent => ("urgent", "特急"),
        Expedited => ("expedited", "加急"),
        Normal => ("normal", "平件"),
    }
}

wire_enum! {
    /// Issuing form of an outgoing document, which decides the sign-off authority (D07).
    IssuingForm, field = "issuing_form", {
        ToSuperior => ("to_superior", "以局名义向市政府或省厅行文"),
        BureauGeneral => ("bureau_general", "以局名义的一般业务行文"),
        Joint => ("joint", "与其他部门联合行文"),
        OfficeByLeader => ("office_by_leader", "经领导授权以办公室名义行文"),
        OfficeOwn => ("office_own", "办公室职权范围内以办公室名义行文"),
        OfficeForSection => ("office_for_section", "处室业务以办公室名义行文"),
    }
}

impl IssuingForm {
    /// 上行文: the 文号 line carries 签发人 (P02).
    pub fn is_upward(&self) -> bool {
        matches!(self, IssuingForm::ToSuperior)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use serde::Serialize;
    use serde::de::DeserializeOwned;
    use std::fmt::Debug;
    use std::str::FromStr;

    /// as_str, Display, serde and FromStr agree for every value, and labels are Chinese.
    fn round_trip<T>(all: &[T], as_str: fn(&T) -> &'static str, label: fn(&T) -> &'static str)
    where
        T: Serialize
            + DeserializeOwned
            + FromStr<Err = DomainError>
            + PartialEq
            + Debug
            + std::fmt::Display
            + Copy,
    {
        for v in all {
            let wire = as_str(v);
            assert_eq!(serde_json::to_value(v).unwrap(), serde_json::json!(wire));
            assert_eq!(
                serde_json::from_value::<T>(serde_json::json!(wire)).unwrap(),
                *v
            );
            assert_eq!(T::from_str(wire).unwrap(), *v);
            assert_eq!(v.to_string(), wire);
            assert!(wire.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
            assert!(
                label(v)
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
            );
        }
    }

    #[test]
    fn wire_values_round_trip() {
        round_trip(Category::ALL, Category::as_str, Category::label);
        round_trip(MeetingType::ALL, MeetingType::as_str, MeetingType::label);
        round_trip(Stance::ALL, Stance::as_str, Stance::label);
        round_trip(BallotChoice::ALL, BallotChoice::as_str, BallotChoice::label);
        round_trip(DocType::ALL, DocType::as_str, DocType::label);
        round_trip(Secrecy::ALL, Secrecy::as_str, Secrecy::label);
        round_trip(Urgency::ALL, Urgency::as_str, Urgency::label);
        round_trip(IssuingForm::ALL, IssuingForm::as_str, IssuingForm::label);
    }

    #[test]
    fn r01_categories_match_api() {
        let wires: Vec<_> = Category::ALL.iter().map(Category::as_str).collect();
        assert_eq!(
            wires,
            [
                "major_decision",
                "key_appointment",
                "major_project",
                "large_fund",
                "superior_instruction",
                "other_major"
            ]
        );
        assert_eq!(Category::KeyAppointment.label(), "重要干部任免");
        assert!(Category::KeyAppointment.is_personnel());
        assert!(Category::LargeFund.is_fund_use());
    }

    #[test]
    fn d04_fifteen_doc_types() {
        assert_eq!(DocType::ALL.len(), 15);
        assert_eq!(DocType::from_str("public_notice").unwrap().label(), "通告");
        assert_eq!(DocType::Order.label(), "命令（令）");
        assert!(DocType::Request.needs_explicit_instruction());
        assert!(!DocType::Notice.needs_explicit_instruction());
    }

    #[test]
    fn unknown_value_names_field_and_lists_allowed() {
        let e = Category::from_str("big_money").unwrap_err();
        assert_eq!(e.code, "invalid");
        assert_eq!(e.field(), Some("category"));
        assert!(e.message.contains("big_money"));
        assert!(e.message.contains("large_fund（大额度资金使用）"));
        assert_eq!(e.details["allowed"].as_array().unwrap().len(), 6);
        let e = MeetingType::parse_field("party", "meeting_type").unwrap_err();
        assert_eq!(e.field(), Some("meeting_type"));
        // Wire values are case-sensitive.
        assert!(Urgency::from_str("Urgent").is_err());
        assert!(serde_json::from_str::<Urgency>("\"very\"").is_err());
    }

    #[test]
    fn d01_only_unclassified_and_internal_accepted() {
        let accepted: Vec<_> = Secrecy::ALL.iter().filter(|s| s.accepted()).collect();
        assert_eq!(accepted, [&Secrecy::None, &Secrecy::Internal]);
        assert!(Secrecy::Internal.check_accepted().is_ok());
        for s in [Secrecy::Secret, Secrecy::Confidential, Secrecy::TopSecret] {
            let e = s.check_accepted().unwrap_err();
            assert_eq!(e.code, "D01");
            assert!(e.message.contains("涉密"));
            assert!(e.message.contains(s.label()));
        }
    }

    #[test]
    fn r13_binding_count_by_meeting_type() {
        assert!(MeetingType::PartyGroup.count_is_binding());
        assert!(MeetingType::Joint.count_is_binding());
        assert!(!MeetingType::HeadOffice.count_is_binding());
        assert_eq!(MeetingType::HeadOffice.label(), "局长办公会议");
    }

    #[test]
    fn labels_match_api() {
        assert_eq!(Stance::None.label(), "无明确意见");
        assert_eq!(BallotChoice::Abstain.label(), "弃权");
        assert_eq!(Urgency::Expedited.label(), "加急");
        assert_eq!(Secrecy::TopSecret.as_str(), "top_secret");
        assert!(IssuingForm::ToSuperior.is_upward());
    }

    #[test]
    fn enums_work_as_json_map_keys() {
        let mut m = std::collections::BTreeMap::new();
        m.insert(Category::KeyAppointment, 1);
        let s = serde_json::to_string(&m).unwrap();
        assert_eq!(s, r#"{"key_appointment":1}"#);
        let back: std::collections::BTreeMap<Category, i32> = serde_json::from_str(&s).unwrap();
        assert_eq!(back, m);
    }
}
