//! To-do items of the part after the decision: record the superior's approval (clerk, R14),
//! draft minutes (clerk) and approve them (principal, R15), publish, revise after an
//! "adjust", summarise (clerk, R16/R17), resolve (principal, R17), and comment on open
//! publications (every staff member who has not yet commented, S01).
use super::{minutes_state, phase, publications_of, versions};
use crate::error::AppResult;
use crate::state::AppState;
use crate::store::entities::{meeting_items, meetings, memberships, minutes, proposals, publication_opinions, publications};
use crate::tasks::Task;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use yishi_domain::deliberation::minutes::{MinutesState, PublicationPhase};
use yishi_domain::deliberation::state::ProposalState;
use yishi_domain::roles::{Role, effective_roles};

fn task(kind: &str, object_type: &str, object_id: &str, title: String, unit_id: &str) -> Task {
    Task {
        kind: kind.to_string(),
        object_type: object_type.to_string(),
        object_id: object_id.to_string(),
        title,
        unit_id: unit_id.to_string(),
        due_at: None,
        overdue: false,
        on_behalf_of: None,
        on_behalf_of_name: None,
    }
}

pub async fn for_user(state: &AppState, user_id: &str) -> AppResult<Vec<Task>> {
    let db = &state.db.conn;
    let now = state.clock.now();
    let mut out = Vec::new();
    let mships = memberships::Entity::find().filter(memberships::Column::UserId.eq(user_id)).all(db).await?;
    for ms in mships {
        let unit = ms.unit_id.clone();
        let roles = effective_roles(&crate::authz::parse_roles(&ms.roles));
        let clerk = roles.contains(&Role::Clerk);
        let principal = roles.contains(&Role::Principal);
        let may_comment = roles.iter().any(|r| *r != Role::Inspector);

        if clerk {
            for p in proposals::Entity::find()
                .filter(proposals::Column::UnitId.eq(unit.clone()))
                .filter(proposals::Column::State.eq(ProposalState::PendingSuperior.as_str()))
                .all(db)
                .await?
            {
                out.push(task("superior_approval", "proposal", &p.id, format!("登记上级批准：{}", p.title), &unit));
            }
            // Meetings whose every item is concluded and that have no minutes yet.
            for m in meetings::Entity::find().filter(meetings::Column::UnitId.eq(unit.clone())).all(db).await? {
                if minutes::Entity::find().filter(minutes::Column::MeetingId.eq(m.id.clone())).count(db).await? > 0 {
                    continue;
                }
                let items = meeting_items::Entity::find().filter(meeting_items::Column::MeetingId.eq(m.id.clone())).all(db).await?;
                if !items.is_empty() && items.iter().all(|i| i.outcome.is_some()) {
                    out.push(task("minutes_draft", "meeting", &m.id, format!("起草会议纪要：{}", m.title), &unit));
                }
            }
        }

        // Minutes: per root, the latest version decides what is waiting.
        if clerk || principal {
            let roots: Vec<minutes::Model> = minutes::Entity::find()
                .filter(minutes::Column::UnitId.eq(unit.clone()))
                .filter(minutes::Column::VersionNo.eq(1))
                .filter(minutes::Column::Archived.eq(false))
                .all(db)
                .await?;
            for root in roots {
                let all = versions(db, &root.root_id).await?;
                let Some(latest) = all.last() else { continue };
                let title = meetings::Entity::find_by_id(latest.meeting_id.clone()).one(db).await?.map(|m| m.title).unwrap_or_default();
                let pubs = publications_of(db, &root.root_id).await?;
                let ph = phase(&pubs)?;
                let st = minutes_state(latest)?;
                if principal && st == MinutesState::Draft {
                    out.push(task("minutes_approve", "minutes", &latest.id, format!("审定会议纪要：{title}（第{}版）", latest.version_no), &unit));
                }
                if clerk {
                    let published = pubs.iter().any(|p| p.minutes_id == latest.id);
                    if st == MinutesState::Approved && !published && matches!(ph, PublicationPhase::None | PublicationPhase::Adjust) {
                        out.push(task("publication_open", "minutes", &latest.id, format!("在机关内部公示纪要：{title}"), &unit));
                    }
                    if ph == PublicationPhase::Adjust && published {
                        out.push(task("minutes_revise", "minutes", &latest.id, format!("按主要领导意见修订纪要：{title}"), &unit));
                    }
                }
            }
        }

        for p in publications::Entity::find()
            .filter(publications::Column::UnitId.eq(unit.clone()))
            .filter(publications::Column::Archived.eq(false))
            .order_by_asc(publications::Column::ClosesAt)
            .all(db)
            .await?
        {
            let title = meetings::Entity::find_by_id(p.meeting_id.clone()).one(db).await?.map(|m| m.title).unwrap_or_default();
            let open = p.state == "open" && p.closes_at > now;
            if open && may_comment {
                let mine = publication_opinions::Entity::find()
                    .filter(publication_opinions::Column::PublicationId.eq(p.id.clone()))
                    .filter(publication_opinions::Column::AuthorId.eq(user_id))
                    .count(db)
                    .await?;
                if mine == 0 {
                    let mut t = task("publication_comment", "publication", &p.id, format!("公示中，可提出意见：{title}纪要"), &unit);
                    t.due_at = Some(p.closes_at);
                    out.push(t);
                }
            }
            // A publication past its time counts as closed here even before the close runs.
            let closed = !open;
            if clerk && closed && p.summary.is_none() {
                out.push(task("publication_summary", "publication", &p.id, format!("汇总公示意见：{title}纪要"), &unit));
            }
            if principal && closed && p.summary.is_some() && p.resolution.is_none() {
                out.push(task("publication_resolve", "publication", &p.id, format!("公示结束，请作出决定：{title}纪要"), &unit));
            }
        }
    }
    Ok(out)
}
