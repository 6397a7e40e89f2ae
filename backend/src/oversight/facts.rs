//! Loads the stored facts of one unit into the plain records the pure checks of
//! `yishi_domain::oversight` take. Everything is read as stored — values the API would never
//! write (an unknown path, a tally that does not add up) are passed on, to be reported.
use crate::error::AppResult;
use crate::store::entities::{
    archive_items, attendance, ballot_participations, ballots, change_requests, incoming_documents, incoming_reminders,
    meeting_items, meetings, minutes, outgoing_documents, outgoing_external_countersigns, outgoing_reviews, proposals,
    publication_opinions, publications, secret_tallies, sections, statements,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use yishi_domain::oversight::deliberation::{
    ArchiveRecord, AttendanceRecord, BallotRecord, Counts, ItemRecord, MeetingRecord, MinutesRecord, ParticipationRecord,
    ProposalRecord, PublicationRecord, StatementRecord, StoredTally, WithheldRecord,
};
use yishi_domain::oversight::documents::{
    ChangeRequestRecord, ExternalCountersignRecord, IncomingRecord, OutgoingRecord, ReminderRecord, ReviewRecord,
};

/// A JSON array of strings stored as text (`[]` when missing or malformed).
pub fn string_list(text: Option<&str>) -> Vec<String> {
    text.and_then(|t| serde_json::from_str::<Vec<String>>(t).ok()).unwrap_or_default()
}

/// A publication with what its checks need besides the row.
pub struct PublicationFacts {
    pub meeting_id: String,
    pub record: PublicationRecord,
    /// proposal id → confidential, for the items of its minutes' meeting.
    pub confidential: BTreeMap<String, bool>,
}

#[derive(Default)]
pub struct DeliberationFacts {
    pub meetings: Vec<MeetingRecord>,
    pub minutes: Vec<MinutesRecord>,
    /// Minutes versions by meeting id.
    pub minutes_by_meeting: HashMap<String, Vec<MinutesRecord>>,
    pub publications: Vec<PublicationFacts>,
    pub proposals: Vec<ProposalRecord>,
    /// Full proposal rows by id (dates, categories, sections for filters and S03).
    pub proposal_rows: HashMap<String, proposals::Model>,
    pub archive: Vec<ArchiveRecord>,
}

/// Every deliberation record of the unit.
pub async fn deliberations(db: &impl ConnectionTrait, unit: &str) -> AppResult<DeliberationFacts> {
    let props = proposals::Entity::find().filter(proposals::Column::UnitId.eq(unit)).all(db).await?;
    let proposal_rows: HashMap<String, proposals::Model> = props.iter().map(|p| (p.id.clone(), p.clone())).collect();
    let ms = meetings::Entity::find()
        .filter(meetings::Column::UnitId.eq(unit))
        .order_by_desc(meetings::Column::StartsAt)
        .all(db)
        .await?;
    let items = meeting_items::Entity::find()
        .filter(meeting_items::Column::UnitId.eq(unit))
        .order_by_asc(meeting_items::Column::Position)
        .all(db)
        .await?;
    let atts = attendance::Entity::find().filter(attendance::Column::UnitId.eq(unit)).all(db).await?;
    let stmts = statements::Entity::find().filter(statements::Column::UnitId.eq(unit)).all(db).await?;
    let bals = ballots::Entity::find().filter(ballots::Column::UnitId.eq(unit)).all(db).await?;
    let parts = ballot_participations::Entity::find().filter(ballot_participations::Column::UnitId.eq(unit)).all(db).await?;
    let secrets = secret_tallies::Entity::find().filter(secret_tallies::Column::UnitId.eq(unit)).all(db).await?;
    let mins = minutes::Entity::find().filter(minutes::Column::UnitId.eq(unit)).all(db).await?;
    let pubs = publications::Entity::find().filter(publications::Column::UnitId.eq(unit)).all(db).await?;
    let opinions = publication_opinions::Entity::find().filter(publication_opinions::Column::UnitId.eq(unit)).all(db).await?;
    let archive = archive_items::Entity::find().filter(archive_items::Column::UnitId.eq(unit)).all(db).await?;

    let starts: HashMap<&str, chrono::DateTime<chrono::Utc>> = ms.iter().map(|m| (m.id.as_str(), m.starts_at)).collect();
    // Rows grouped once by their parent (a unit has many meetings: no nested scans).
    let atts_by = group(&atts, |a| a.meeting_id.as_str());
    let items_by_meeting = group(&items, |i| i.meeting_id.as_str());
    let items_by_proposal = group(&items, |i| i.proposal_id.as_str());
    let stmts_by = group(&stmts, |s| s.item_id.as_str());
    let bals_by = group(&bals, |b| b.item_id.as_str());
    let parts_by = group(&parts, |p| p.item_id.as_str());
    let secrets_by: HashMap<&str, &secret_tallies::Model> = secrets.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut opinions_by: HashMap<&str, usize> = HashMap::new();
    for o in &opinions {
        *opinions_by.entry(o.publication_id.as_str()).or_default() += 1;
    }
    let mut out = DeliberationFacts { proposal_rows, ..Default::default() };

    for m in &ms {
        let mut rec = MeetingRecord {
            id: m.id.clone(),
            title: m.title.clone(),
            meeting_type: m.meeting_type.clone(),
            state: m.state.clone(),
            starts_at: Some(m.starts_at),
            notice_sent_at: m.notice_sent_at,
            urgency_reason: m.urgency_reason.clone(),
            opened_at: m.opened_at,
            closed_at: m.closed_at,
            chair_id: m.chair_id.clone(),
            should_attend: m.should_attend.as_deref().map(|s| string_list(Some(s))),
            attendance: rows(&atts_by, &m.id)
                .iter()
                .map(|a| AttendanceRecord {
                    id: a.id.clone(),
                    user_id: a.user_id.clone(),
                    status: a.status.clone(),
                    recorded_at: Some(a.recorded_at),
                })
                .collect(),
            items: Vec::new(),
        };
        for it in rows(&items_by_meeting, &m.id) {
            let p = out.proposal_rows.get(&it.proposal_id);
            let deferred_before: Vec<String> = rows(&items_by_proposal, &it.proposal_id)
                .iter()
                .filter(|o| o.meeting_id != m.id)
                .filter(|o| o.outcome.as_deref() == Some("deferred") || o.path.as_deref() == Some("defer"))
                .filter(|o| starts.get(o.meeting_id.as_str()).is_some_and(|t| *t < m.starts_at))
                .map(|o| o.meeting_id.clone())
                .collect();
            rec.items.push(ItemRecord {
                id: it.id.clone(),
                proposal_id: it.proposal_id.clone(),
                title: p.map(|p| p.title.clone()).unwrap_or_default(),
                category: p.map(|p| p.category.clone()).unwrap_or_default(),
                urgent: p.is_some_and(|p| p.urgent),
                conflicts: string_list(p.map(|p| p.conflicts.as_str())),
                state: it.state.clone(),
                path: it.path.clone(),
                mode: it.mode.clone(),
                path_reason: it.path_reason.clone(),
                recused: string_list(Some(&it.recused)),
                eligible: it.eligible.as_deref().map(|e| string_list(Some(e))),
                vote_opened_at: it.vote_opened_at,
                vote_closed_at: it.vote_closed_at,
                tally: it.tally.as_deref().and_then(|t| serde_json::from_str::<StoredTally>(t).ok()),
                majority: it.majority,
                outcome: it.outcome.clone(),
                override_reason: it.override_reason.clone(),
                decided_at: it.decided_at,
                statements: rows(&stmts_by, &it.id)
                    .iter()
                    .map(|s| StatementRecord {
                        id: s.id.clone(),
                        seq: s.seq,
                        speaker_id: s.speaker_id.clone(),
                        role: s.role.clone(),
                        stance: s.stance.clone(),
                        created_at: Some(s.created_at),
                    })
                    .collect(),
                ballots: rows(&bals_by, &it.id)
                    .iter()
                    .map(|b| BallotRecord {
                        id: b.id.clone(),
                        voter_id: b.voter_id.clone(),
                        mode: b.mode.clone(),
                        choice: b.choice.clone(),
                        cast_at: Some(b.cast_at),
                    })
                    .collect(),
                participations: rows(&parts_by, &it.id)
                    .iter()
                    .map(|p| ParticipationRecord { id: p.id.clone(), voter_id: p.voter_id.clone(), at: Some(p.at) })
                    .collect(),
                secret: secrets_by.get(it.id.as_str()).map(|s| Counts {
                    agree: count(s.agree),
                    disagree: count(s.disagree),
                    defer: count(s.defer),
                    abstain: count(s.abstain),
                }),
                deferred_before,
            });
        }
        out.meetings.push(rec);
    }

    for x in &mins {
        let rec = MinutesRecord {
            id: x.id.clone(),
            root_id: x.root_id.clone(),
            version_no: x.version_no,
            state: x.state.clone(),
            meeting_type: x.meeting_type.clone(),
            year: x.year,
            serial_no: x.serial_no,
            serial: x.serial.clone(),
            approved_by: x.approved_by.clone(),
            approved_at: x.approved_at,
            body: x.body.clone(),
        };
        out.minutes_by_meeting.entry(x.meeting_id.clone()).or_default().push(rec.clone());
        out.minutes.push(rec);
    }

    for pb in &pubs {
        let withheld: Vec<WithheldRecord> = serde_json::from_str::<Vec<Value>>(&pb.withheld)
            .unwrap_or_default()
            .iter()
            .map(|w| WithheldRecord {
                proposal_id: w["proposal_id"].as_str().unwrap_or_default().to_string(),
                reason: w["reason"].as_str().unwrap_or_default().to_string(),
            })
            .collect();
        let confidential: BTreeMap<String, bool> = rows(&items_by_meeting, &pb.meeting_id)
            .iter()
            .filter(|i| i.outcome.is_some())
            .map(|i| (i.proposal_id.clone(), out.proposal_rows.get(&i.proposal_id).is_some_and(|p| p.confidential)))
            .collect();
        out.publications.push(PublicationFacts {
            meeting_id: pb.meeting_id.clone(),
            record: PublicationRecord {
                id: pb.id.clone(),
                minutes_id: pb.minutes_id.clone(),
                state: pb.state.clone(),
                opened_at: Some(pb.opened_at),
                closes_at: Some(pb.closes_at),
                closed_at: pb.closed_at,
                withheld,
                summary: pb.summary.clone(),
                summary_at: pb.summary_at,
                resolution: pb.resolution.clone(),
                resolved_at: pb.resolved_at,
                opinions: opinions_by.get(pb.id.as_str()).copied().unwrap_or(0),
            },
            confidential,
        });
    }

    for p in &props {
        out.proposals.push(ProposalRecord {
            id: p.id.clone(),
            title: p.title.clone(),
            state: p.state.clone(),
            category: p.category.clone(),
            amount_fen: p.amount_fen,
            confidential: p.confidential,
            premeeting_decision: p.premeeting_decision.clone(),
            premeeting_reason: p.premeeting_reason.clone(),
        });
    }

    out.archive = archive.iter().map(archive_record).collect();
    Ok(out)
}

/// Groups rows by a key (the parent id).
fn group<'a, T>(v: &'a [T], key: impl Fn(&'a T) -> &'a str) -> HashMap<&'a str, Vec<&'a T>> {
    let mut m: HashMap<&str, Vec<&T>> = HashMap::new();
    for x in v {
        m.entry(key(x)).or_default().push(x);
    }
    m
}

/// The rows of one parent (none when it has none).
fn rows<'a, 'm, T>(m: &'m HashMap<&'a str, Vec<&'a T>>, id: &str) -> &'m [&'a T] {
    m.get(id).map(Vec::as_slice).unwrap_or(&[])
}

fn count(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

/// What an archived snapshot holds (R18), from its content: the keys of
/// `oversight::deliberation::ARCHIVE_PARTS` that are present and non-empty.
pub fn archive_record(a: &archive_items::Model) -> ArchiveRecord {
    let c: Value = serde_json::from_str(&a.content).unwrap_or(Value::Null);
    let non_empty = |v: &Value| match v {
        Value::Null => false,
        Value::Array(x) => !x.is_empty(),
        Value::Object(x) => !x.is_empty(),
        Value::String(s) => !s.is_empty(),
        _ => true,
    };
    let meetings = c["meetings"].as_array().cloned().unwrap_or_default();
    let mut parts = Vec::new();
    if meetings.iter().any(|m| non_empty(&m["notice"])) {
        parts.push("notice".to_string());
    }
    if non_empty(&c["proposal"]["materials"]) {
        parts.push("materials".to_string());
    }
    if meetings.iter().any(|m| non_empty(&m["original_record"])) {
        parts.push("original_record".to_string());
    }
    if non_empty(&c["minutes"]) {
        parts.push("minutes".to_string());
    }
    if non_empty(&c["publications"]) {
        parts.push("publication".to_string());
    }
    if non_empty(&c["final_decision"]["outcome"]) {
        parts.push("decision".to_string());
    }
    ArchiveRecord {
        id: a.id.clone(),
        kind: a.kind.clone(),
        proposal_id: a.proposal_id.clone(),
        meeting_id: a.meeting_id.clone(),
        parts,
    }
}

#[derive(Default)]
pub struct DocumentFacts {
    pub outgoing: Vec<OutgoingRecord>,
    pub outgoing_rows: HashMap<String, outgoing_documents::Model>,
    /// Deputy in charge by section id (D07).
    pub deputies: HashMap<String, Option<String>>,
    pub incoming: Vec<IncomingRecord>,
    pub incoming_rows: HashMap<String, incoming_documents::Model>,
}

/// Every routed document of the unit.
pub async fn documents(db: &impl ConnectionTrait, unit: &str, proposal_rows: &HashMap<String, proposals::Model>) -> AppResult<DocumentFacts> {
    let docs = outgoing_documents::Entity::find().filter(outgoing_documents::Column::UnitId.eq(unit)).all(db).await?;
    let reviews = outgoing_reviews::Entity::find().filter(outgoing_reviews::Column::UnitId.eq(unit)).all(db).await?;
    let ext = outgoing_external_countersigns::Entity::find()
        .filter(outgoing_external_countersigns::Column::UnitId.eq(unit))
        .all(db)
        .await?;
    let crs = change_requests::Entity::find().filter(change_requests::Column::UnitId.eq(unit)).all(db).await?;
    let secs = sections::Entity::find().filter(sections::Column::UnitId.eq(unit)).all(db).await?;
    let inc = incoming_documents::Entity::find().filter(incoming_documents::Column::UnitId.eq(unit)).all(db).await?;
    let rems = incoming_reminders::Entity::find().filter(incoming_reminders::Column::UnitId.eq(unit)).all(db).await?;
    let reviews_by = group(&reviews, |r| r.document_id.as_str());
    let ext_by = group(&ext, |e| e.document_id.as_str());
    let crs_by = group(&crs, |c| c.document_id.as_str());
    let rems_by = group(&rems, |r| r.document_id.as_str());
    let mut out = DocumentFacts { deputies: secs.iter().map(|s| (s.id.clone(), s.deputy_id.clone())).collect(), ..Default::default() };
    for d in &docs {
        let linked = d.linked_proposal_id.as_ref().and_then(|id| proposal_rows.get(id));
        out.outgoing.push(OutgoingRecord {
            id: d.id.clone(),
            title: d.title.clone(),
            state: d.state.clone(),
            issuing_form: d.issuing_form.clone(),
            drafter_id: d.drafter_id.clone(),
            number: d.number.clone(),
            amount_fen: d.amount_fen,
            signoff_leader_id: d.signoff_leader_id.clone(),
            joint_departments: string_list(Some(&d.joint_departments)),
            returned_at: d.returned_at,
            signed_by: d.signed_by.clone(),
            signed_on_behalf_of: d.signed_on_behalf_of.clone(),
            signed_at: d.signed_at,
            linked_proposal_id: d.linked_proposal_id.clone(),
            linked_outcome: linked.and_then(|p| p.outcome.clone()),
            linked_decided_at: linked.and_then(|p| p.decided_at),
            reviews: rows(&reviews_by, &d.id)
                .iter()
                .map(|r| ReviewRecord {
                    id: r.id.clone(),
                    kind: r.kind.clone(),
                    reviewer_id: r.reviewer_id.clone(),
                    on_behalf_of: r.on_behalf_of.clone(),
                    approve: r.approve,
                    created_at: Some(r.created_at),
                })
                .collect(),
            external: rows(&ext_by, &d.id)
                .iter()
                .map(|e| ExternalCountersignRecord { id: e.id.clone(), department: e.department.clone(), created_at: Some(e.created_at) })
                .collect(),
            change_requests: rows(&crs_by, &d.id)
                .iter()
                .map(|c| ChangeRequestRecord {
                    id: c.id.clone(),
                    requester_id: c.requester_id.clone(),
                    state: c.state.clone(),
                    decided_by: c.decided_by.clone(),
                    decided_on_behalf_of: c.decided_on_behalf_of.clone(),
                })
                .collect(),
        });
        out.outgoing_rows.insert(d.id.clone(), d.clone());
    }
    for d in &inc {
        out.incoming.push(IncomingRecord {
            id: d.id.clone(),
            title: d.title.clone(),
            source_number: d.source_number.clone(),
            state: d.state.clone(),
            deadline: d.deadline.clone(),
            due_at: Some(d.due_at),
            completed_at: d.completed_at,
            reminders: rows(&rems_by, &d.id)
                .iter()
                .map(|r| ReminderRecord { id: r.id.clone(), level: r.level, sent_at: Some(r.sent_at) })
                .collect(),
        });
        out.incoming_rows.insert(d.id.clone(), d.clone());
    }
    Ok(out)
}
