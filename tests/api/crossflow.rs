//! Across the two flows: a document escalated into a 三重一大 proposal (D10) waits while
//! the proposal is deliberated, and resumes by itself in the transaction that decides it.
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use yishi::store::entities::outgoing_documents;
use yishi_tests::*;

#[tokio::test]
async fn d10_escalated_document_resumes_when_its_proposal_is_adopted() {
    let app = spawn_app().await;
    yishi::demo::seed_flows(&app.state, &app.org).await.unwrap();
    let doc = outgoing_documents::Entity::find()
        .filter(outgoing_documents::Column::UnitId.eq(app.unit()))
        .filter(outgoing_documents::Column::State.eq("escalated"))
        .one(app.db())
        .await
        .unwrap()
        .expect("the demo has an escalated document");
    let pid = doc.linked_proposal_id.clone().expect("linked proposal");
    let xuming = app.login("xuming").await;
    // While the proposal is undecided, sign-off stays refused and the document is paused.
    let d = xuming.get(&format!("/api/v1/outgoing/{}", doc.id)).await;
    assert_eq!(d.ok()["state"], "escalated");

    let p = xuming.get(&format!("/api/v1/proposals/{pid}")).await.ok().clone();
    assert_eq!(p["state"], "draft");
    xuming
        .patch(
            &format!("/api/v1/proposals/{pid}"),
            json!({"materials": {"topic": "地质灾害治理项目资金", "background": "隐患点情况。", "research": "测算与论证。", "recommendation": "建议拨付。"}}),
        )
        .await
        .ok();
    xuming.post(&format!("/api/v1/proposals/{pid}/submit"), json!({})).await.ok();
    app.login("lina").await.post(&format!("/api/v1/proposals/{pid}/submission-approval"), json!({"approve": true, "opinion": "同意。"})).await.ok();
    let zhangwei = app.login("zhangwei").await;
    zhangwei.post(&format!("/api/v1/proposals/{pid}/premeeting-decision"), json!({"decision": "to_meeting", "reason": "上会研究。"})).await.ok();

    let cal = yishi::org::calendar(app.db(), app.unit()).await.unwrap();
    let day = cal.add_working_days(yishi_domain::time::local_date(app.state.clock.now()), 2);
    let starts = (yishi_domain::time::local_start_of_day(day) + chrono::Duration::hours(9)).to_rfc3339();
    let sunli = app.login("sunli").await;
    let m = sunli
        .post(
            &format!("/api/v1/units/{}/meetings", app.unit()),
            json!({"type": "party_group", "title": "党组会议", "starts_at": starts, "location": "三楼会议室", "agenda": [pid], "attendees": [app.user_id("xuming")]}),
        )
        .await;
    let mid = m.ok()["id"].as_str().unwrap().to_string();
    sunli.post(&format!("/api/v1/meetings/{mid}/notice"), json!({})).await.ok();
    for u in ["zhangwei", "lina", "wangqiang", "liuyang", "chenjing"] {
        sunli.put(&format!("/api/v1/meetings/{mid}/attendance/{}", app.user_id(u)), json!({"status": "present"})).await.ok();
    }
    sunli.post(&format!("/api/v1/meetings/{mid}/open"), json!({})).await.ok();
    for (u, role) in [("xuming", "presenter"), ("lina", "deputy"), ("wangqiang", "member"), ("liuyang", "member"), ("chenjing", "member"), ("zhangwei", "principal")] {
        sunli
            .post(&format!("/api/v1/meetings/{mid}/items/{pid}/statements"), json!({"speaker_id": app.user_id(u), "role": role, "stance": "agree", "text": "同意。"}))
            .await
            .ok();
    }
    zhangwei.post(&format!("/api/v1/meetings/{mid}/items/{pid}/vote"), json!({"path": "consensus"})).await.ok();

    // Decided → the document left `escalated` in the same transaction, and both show the link.
    let d = xuming.get(&format!("/api/v1/outgoing/{}", doc.id)).await;
    let state = d.ok()["state"].as_str().unwrap().to_string();
    assert_ne!(state, "escalated", "{}", d.body);
    assert_eq!(state, doc.paused_from.clone().unwrap_or_else(|| "verifying".into()));
    let trail = d.body["trail"].to_string();
    assert!(trail.contains("outgoing.resume"), "{trail}");
    assert!(yishi::audit::verify(app.db()).await.unwrap().ok);
}
