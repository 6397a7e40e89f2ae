//! To-do provider of the deliberation flow: what waits for whom, including work that reaches
//! a backup while the holder is absent (D11).
use super::common::*;
use crate::error::AppResult;
use crate::state::AppState;
use crate::store::entities::{attendance, ballot_participations, meetings, memberships, proposals, written_opinions};
use crate::tasks::Task;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use yishi_domain::deliberation::ProposalState;
use yishi_domain::roles::Role;
use yishi_domain::time::local_date;

fn task(kind: &str, object_type: &str, object_id: &str, title: String, unit: &str, due_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Task {
    Task {
        kind: kind.to_string(),
        object_type: object_type.to_string(),
        object_id: object_id.to_string(),
        title,
        unit_id: unit.to_string(),
        due_at,
        overdue: due_at.is_some_and(|d| d < now),
        on_behalf_of: None,
        on_behalf_of_name: None,
    }
}

async fn proposals_in(db: &impl ConnectionTrait, unit: &str, st: ProposalState) -> AppResult<Vec<proposals::Model>> {
    Ok(proposals::Entity::find().filter(proposals::Column::UnitId.eq(unit)).filter(proposals::Column::State.eq(st.as_str())).all(db).await?)
}

/// The tasks of `user` acting as themselves (`on_behalf_of = None`) or as an absent holder.
/// A backup (D11) takes over the deputy's approvals only: the principal's decisions are not delegated.
async fn as_holder(db: &impl ConnectionTrait, unit: &str, holder: &str, roles: &[Role], now: DateTime<Utc>, as_backup: bool) -> AppResult<Vec<Task>> {
    let mut out = Vec::new();
    // Deputy in charge: approve submission forms (R04).
    for p in proposals_in(db, unit, ProposalState::Submitted).await? {
        if deputy_in_charge(db, &p).await?.as_deref() == Some(holder) {
            out.push(task("approve_submission", PROPOSAL, &p.id, format!("审核会商提交单：{}", p.title), unit, None, now));
        }
    }
    if roles.contains(&Role::Principal) && !as_backup {
        // Pre-meeting decision (R05).
        for p in proposals_in(db, unit, ProposalState::Preconsult).await? {
            out.push(task("premeeting_decision", PROPOSAL, &p.id, format!("会前酝酿：{}", p.title), unit, None, now));
        }
    }
    Ok(out)
}

pub async fn for_user(state: &AppState, user_id: &str) -> AppResult<Vec<Task>> {
    let db = &state.db.conn;
    let now = state.clock.now();
    let today = local_date(now);
    let mut out = Vec::new();
    for m in memberships::Entity::find().filter(memberships::Column::UserId.eq(user_id)).all(db).await? {
        let unit = m.unit_id.as_str();
        let roles = crate::org::roles_of(db, unit, user_id).await?;
        out.extend(as_holder(db, unit, user_id, &roles, now, false).await?);
        // D11: work of absent colleagues for whom this user is the backup.
        for absent in crate::org::absent_principals_of_backup(db, unit, user_id, today).await? {
            let their_roles = crate::org::roles_of(db, unit, &absent).await?;
            let name = crate::org::display_name(db, &absent).await?;
            for mut t in as_holder(db, unit, &absent, &their_roles, now, true).await? {
                t.on_behalf_of = Some(absent.clone());
                t.on_behalf_of_name = Some(name.clone());
                out.push(t);
            }
        }
        // The proposer: returned proposals to revise and resubmit.
        for p in proposals::Entity::find()
            .filter(proposals::Column::UnitId.eq(unit))
            .filter(proposals::Column::ProposerId.eq(user_id))
            .filter(proposals::Column::State.is_in([ProposalState::Returned.as_str(), ProposalState::Draft.as_str()]))
            .all(db)
            .await?
        {
            let kind = if p.state == ProposalState::Returned.as_str() { "revise_proposal" } else { "submit_proposal" };
            let label = if kind == "revise_proposal" { "修改后重新提交" } else { "完善并提交" };
            out.push(task(kind, PROPOSAL, &p.id, format!("{label}：{}", p.title), unit, None, now));
        }
        if roles.contains(&Role::Clerk) {
            for p in proposals_in(db, unit, ProposalState::Ready).await? {
                out.push(task("schedule_proposal", PROPOSAL, &p.id, format!("安排上会：{}", p.title), unit, None, now));
            }
        }
        for mt in meetings::Entity::find()
            .filter(meetings::Column::UnitId.eq(unit))
            .filter(meetings::Column::State.is_in(["scheduled", "noticed", "open"]))
            .all(db)
            .await?
        {
            let invited = invited(db, &mt).await?;
            match mt.state.as_str() {
                "scheduled" if roles.contains(&Role::Clerk) => {
                    out.push(task("send_notice", MEETING, &mt.id, format!("发出会议通知：{}", mt.title), unit, Some(mt.starts_at), now));
                }
                "noticed" => {
                    if roles.contains(&Role::Clerk) {
                        out.push(task("record_attendance", MEETING, &mt.id, format!("登记出席并开会：{}", mt.title), unit, Some(mt.starts_at), now));
                    }
                    // An absent member may send a written opinion before the meeting (R08).
                    let mine = attendance::Entity::find()
                        .filter(attendance::Column::MeetingId.eq(mt.id.clone()))
                        .filter(attendance::Column::UserId.eq(user_id))
                        .one(db)
                        .await?;
                    let sent = written_opinions::Entity::find()
                        .filter(written_opinions::Column::MeetingId.eq(mt.id.clone()))
                        .filter(written_opinions::Column::AuthorId.eq(user_id))
                        .one(db)
                        .await?;
                    if mine.is_some_and(|a| a.status != "present") && sent.is_none() {
                        out.push(task("written_opinion", MEETING, &mt.id, format!("提交书面意见：{}", mt.title), unit, Some(mt.starts_at), now));
                    } else if invited.iter().any(|u| u == user_id) && !roles.contains(&Role::Clerk) {
                        out.push(task("attend_meeting", MEETING, &mt.id, format!("参加会议：{}", mt.title), unit, Some(mt.starts_at), now));
                    }
                }
                "open" => {
                    let chair = roles.contains(&Role::Principal);
                    let present = super::voting::is_present(db, &mt.id, user_id).await?;
                    let mut all_concluded = true;
                    for i in items_of(db, &mt.id).await? {
                        let p = load_proposal(db, &i.proposal_id).await?;
                        match i.state.as_str() {
                            "voting" => {
                                all_concluded = false;
                                let eligible = json_ids(i.eligible.as_deref().unwrap_or("[]"));
                                let voted = ballot_participations::Entity::find()
                                    .filter(ballot_participations::Column::ItemId.eq(i.id.clone()))
                                    .filter(ballot_participations::Column::VoterId.eq(user_id))
                                    .one(db)
                                    .await?
                                    .is_some();
                                if present && eligible.iter().any(|u| u == user_id) && !voted {
                                    out.push(task("vote", MEETING, &mt.id, format!("表决：{}", p.title), unit, None, now));
                                }
                                if chair {
                                    out.push(task("close_vote", MEETING, &mt.id, format!("结束表决并计票：{}", p.title), unit, None, now));
                                }
                            }
                            "counted" => {
                                all_concluded = false;
                                if chair {
                                    out.push(task("decide", MEETING, &mt.id, format!("作出决定：{}", p.title), unit, None, now));
                                }
                            }
                            "pending" => {
                                all_concluded = false;
                                if chair {
                                    out.push(task("chair_item", MEETING, &mt.id, format!("主持审议：{}", p.title), unit, None, now));
                                }
                            }
                            _ => {}
                        }
                    }
                    if chair && all_concluded {
                        out.push(task("close_meeting", MEETING, &mt.id, format!("结束会议：{}", mt.title), unit, None, now));
                    }
                }
                _ => {}
            }
        }
    }
    Ok(out)
}
