//! Roles. Unit roles are per unit (casbin domain); the three admin roles are separated
//! (三权分立): no account holds two of them.

use crate::enums::wire_enum;
use crate::error::{DomainError, DomainResult};

wire_enum! {
    /// A role inside one unit (SPEC "Who uses it").
    Role, field = "roles", {
        Principal => ("principal", "主要领导"),
        Deputy => ("deputy", "分管领导"),
        Member => ("member", "领导班子成员"),
        OfficeDirector => ("office_director", "办公室主任"),
        Clerk => ("clerk", "办公室工作人员"),
        SectionHead => ("section_head", "处（科）室负责人"),
        Handler => ("handler", "承办人"),
        Staff => ("staff", "干部职工"),
        Inspector => ("inspector", "纪检监察"),
    }
}

impl Role {
    /// SPEC "member" row: holding the principal or deputy role makes one a member too.
    pub fn implies_member(&self) -> bool {
        matches!(self, Role::Principal | Role::Deputy)
    }

    /// Leaders who give instructions and sign off (D03, D07).
    pub fn is_leader(&self) -> bool {
        matches!(self, Role::Principal | Role::Deputy)
    }
}

/// The roles a person effectively holds: the given ones, deduplicated and in canonical order,
/// plus `Member` when `Principal` or `Deputy` is present.
pub fn effective_roles(roles: &[Role]) -> Vec<Role> {
    let mut out: Vec<Role> = roles.to_vec();
    if roles.iter().any(Role::implies_member) {
        out.push(Role::Member);
    }
    out.sort();
    out.dedup();
    out
}

wire_enum! {
    /// Deployment-wide administrator roles (三权分立).
    AdminRole, field = "role", {
        Sysadmin => ("sysadmin", "系统管理员"),
        Secadmin => ("secadmin", "安全管理员"),
        Auditor => ("auditor", "审计管理员"),
    }
}

/// 三权分立: refuses a set of admin roles holding more than one of the three.
pub fn check_admin_separation(roles: &[AdminRole]) -> DomainResult<()> {
    let mut distinct = roles.to_vec();
    distinct.sort();
    distinct.dedup();
    if distinct.len() > 1 {
        let names = distinct
            .iter()
            .map(AdminRole::label)
            .collect::<Vec<_>>()
            .join("、");
        return Err(DomainError::forbidden(format!(
            "三权分立：系统管理员、安全管理员、审计管理员不得由同一账号兼任（当前为：{names}）"
        ))
        .with_details(serde_json::json!({
            "roles": distinct.iter().map(AdminRole::as_str).collect::<Vec<_>>()
        })));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use std::str::FromStr;

    #[test]
    fn wire_names_match_api() {
        let wires: Vec<_> = Role::ALL.iter().map(Role::as_str).collect();
        assert_eq!(
            wires,
            [
                "principal",
                "deputy",
                "member",
                "office_director",
                "clerk",
                "section_head",
                "handler",
                "staff",
                "inspector"
            ]
        );
        for r in Role::ALL {
            assert_eq!(Role::from_str(r.as_str()).unwrap(), *r);
            assert_eq!(
                serde_json::to_value(r).unwrap(),
                serde_json::json!(r.as_str())
            );
        }
        assert_eq!(Role::SectionHead.label(), "处（科）室负责人");
        let e = Role::from_str("boss").unwrap_err();
        assert_eq!(e.field(), Some("roles"));
        for a in AdminRole::ALL {
            assert_eq!(AdminRole::from_str(a.as_str()).unwrap(), *a);
        }
        assert_eq!(AdminRole::Auditor.label(), "审计管理员");
    }

    #[test]
    fn principal_and_deputy_are_members() {
        assert!(Role::Principal.implies_member());
        assert!(Role::Deputy.implies_member());
        assert!(!Role::Clerk.implies_member());
        assert_eq!(
            effective_roles(&[Role::Principal]),
            vec![Role::Principal, Role::Member]
        );
        assert_eq!(
            effective_roles(&[Role::SectionHead, Role::Deputy, Role::Member]),
            vec![Role::Deputy, Role::Member, Role::SectionHead]
        );
        assert_eq!(
            effective_roles(&[Role::Staff, Role::Staff]),
            vec![Role::Staff]
        );
        assert_eq!(effective_roles(&[]), Vec::<Role>::new());
    }

    #[test]
    fn admin_roles_are_separated() {
        assert!(check_admin_separation(&[AdminRole::Auditor]).is_ok());
        assert!(check_admin_separation(&[AdminRole::Auditor, AdminRole::Auditor]).is_ok());
        assert!(check_admin_separation(&[]).is_ok());
        let e = check_admin_separation(&[AdminRole::Sysadmin, AdminRole::Secadmin]).unwrap_err();
        assert_eq!(e.code, "forbidden");
        assert!(e.message.contains("三权分立"));
    }
}
